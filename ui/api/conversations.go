package api

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/app/inbox"
	"orengen/ui/web"
)

// Conversations API (issue #18): the inbox's threads and messages, with
// the moves of the thread page (reply on the thread's channel, private
// note, assign, labels, status and snooze). Every call goes through
// inbox.Service, the same calls the pages make, which scopes them to the
// key's tenant: another tenant's thread is a 404. Admin keys see every
// tenant's; ?tenant= narrows the list to one.

func (s *Handler) registerConversationAPIRoutes(api fiber.Router) {
	if s.Inbox == nil {
		return
	}
	api.Get("/conversations", s.apiConversations)
	api.Get("/conversations/:id", s.apiInboxConv)
	api.Patch("/conversations/:id", web.RequireWriteKey, s.apiConversationChange)
	api.Get("/conversations/:id/messages", s.apiConversationMessages)
	api.Post("/conversations/:id/messages", web.RequireWriteKey, s.apiConversationReply)
	api.Post("/conversations/:id/notes", web.RequireWriteKey, s.apiConversationNote)
	api.Get("/conversations/:id/attachments/:attachment", s.apiConversationAttachment)
	api.Get("/inbox-hours", s.apiInboxHours)
	api.Put("/inbox-hours", web.RequireWriteKey, s.apiInboxHoursSave)
	api.Get("/inbox-inbound", s.apiInboxInbound)
	api.Put("/inbox-inbound", web.RequireWriteKey, s.apiInboxInboundSave)
	s.registerBroadcastAPIRoutes(api)    // broadcasts.go
	s.registerQuietAPIRoutes(api)        // inbox_quiet.go
	s.registerInboxMailboxAPIRoutes(api) // inbox_mailbox.go
	s.registerInboxReportAPIRoutes(api)
}

type apiInbound struct {
	TenantID  int64      `json:"tenant_id"`
	Enabled   bool       `json:"enabled"`
	Address   string     `json:"address"`
	Received  int64      `json:"received"`
	LastAt    *time.Time `json:"last_at"`
	Listening bool       `json:"listening"`
}

func (s *Handler) inboundJSON(a *inbox.InboundAddress) apiInbound {
	return apiInbound{TenantID: a.TenantID, Enabled: a.Enabled, Address: a.Address, Received: a.Received, LastAt: a.LastAt, Listening: s.Inbox.InboundListening() != ""}
}

// apiInboxInbound is the tenant's inbound address inbox+TOKEN@DOMAIN.
func (s *Handler) apiInboxInbound(c *fiber.Ctx) error {
	tid, err := s.hoursTenant(c)
	if err != nil {
		return err
	}
	a, err := s.Inbox.InboundSettings(c.UserContext(), tid)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": s.inboundJSON(a)})
}

// apiInboxInboundSave turns it on or off; rotate gives it a new token.
func (s *Handler) apiInboxInboundSave(c *fiber.Ctx) error {
	tid, err := s.hoursTenant(c)
	if err != nil {
		return err
	}
	var in struct {
		Enabled *bool `json:"enabled"`
		Rotate  bool  `json:"rotate"`
	}
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	if in.Enabled == nil {
		return app.FieldErrorf("enabled", "enabled is required (true or false).")
	}
	if in.Rotate && !*in.Enabled {
		return app.FieldErrorf("rotate", "rotate needs enabled true.")
	}
	a, err := s.Inbox.SetInbound(c.UserContext(), tid, *in.Enabled, in.Rotate)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": s.inboundJSON(a)})
}

type apiHours struct {
	TenantID int64  `json:"tenant_id"`
	Enabled  bool   `json:"enabled"`
	Days     []int  `json:"days"`
	Open     string `json:"open"`
	Close    string `json:"close"`
	AwayText string `json:"away_text"`
}

// hoursTenant is ?tenant= of an admin key (0: a tenant key's own).
func (s *Handler) hoursTenant(c *fiber.Ctx) (int64, error) {
	ref := c.Query("tenant")
	k := app.APIKeyFromContext(c.UserContext())
	if k == nil || !k.Admin() {
		if ref != "" {
			return 0, app.FieldErrorf("tenant", "tenant is for admin keys only.")
		}
		return 0, nil
	}
	if ref == "" {
		return 0, app.FieldErrorf("tenant", "Name the tenant: ?tenant=ID or slug.")
	}
	t, err := s.Tenants.TenantByRef(c.UserContext(), utils.CopyString(ref))
	if err != nil {
		return 0, app.FieldErrorf("tenant", "Unknown tenant %q.", ref)
	}
	return t.ID, nil
}

// apiInboxHours is the tenant's business hours and out-of-hours reply.
func (s *Handler) apiInboxHours(c *fiber.Ctx) error {
	tid, err := s.hoursTenant(c)
	if err != nil {
		return err
	}
	h, err := s.Inbox.HoursSettings(c.UserContext(), tid)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": apiHours{h.TenantID, h.Enabled, h.Days, h.Open, h.Close, h.AwayText}})
}

// apiInboxHoursSave replaces them (the whole object).
func (s *Handler) apiInboxHoursSave(c *fiber.Ctx) error {
	tid, err := s.hoursTenant(c)
	if err != nil {
		return err
	}
	var in struct {
		Enabled  bool   `json:"enabled"`
		Days     []int  `json:"days"`
		Open     string `json:"open"`
		Close    string `json:"close"`
		AwayText string `json:"away_text"`
	}
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	h := &inbox.Hours{TenantID: tid, Enabled: in.Enabled, Days: in.Days, Open: in.Open, Close: in.Close, AwayText: in.AwayText}
	if h.Days == nil {
		h.Days = []int{}
	}
	if err := s.Inbox.SaveHours(c.UserContext(), h); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": apiHours{h.TenantID, h.Enabled, h.Days, h.Open, h.Close, h.AwayText}})
}

// apiConversationAttachment downloads a stored file of an email in the
// conversation (the message's attachments name it by id), inert like
// the thread page's download.
func (s *Handler) apiConversationAttachment(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	aid, err := web.ParamID(c, "attachment")
	if err != nil {
		return err
	}
	a, err := s.Inbox.Attachment(c.UserContext(), id, aid)
	if err != nil {
		return err
	}
	return web.SendAttachment(c, a.Name, web.InertType(a.Data), false, a.Data, "private, no-store")
}

type apiInboxConv struct {
	ID                  int64      `json:"id"`
	TenantID            int64      `json:"tenant_id"`
	Channel             string     `json:"channel"`
	Address             string     `json:"address"`
	LocalAddress        string     `json:"local_address"`
	ContactName         string     `json:"contact_name"`
	PersonID            int64      `json:"person_id"`
	Subject             string     `json:"subject"`
	Status              string     `json:"status"`
	SnoozedUntil        *time.Time `json:"snoozed_until,omitempty"`
	Assignee            string     `json:"assignee"`
	Labels              []string   `json:"labels"`
	Unread              int        `json:"unread"`
	LastMessageAt       time.Time  `json:"last_message_at"`
	LastPreview         string     `json:"last_preview"`
	LastDirection       string     `json:"last_direction"`
	AgentConversationID int64      `json:"agent_conversation_id"`
	Unrouted            bool       `json:"unrouted"`
	CreatedAt           time.Time  `json:"created_at"`
	UpdatedAt           time.Time  `json:"updated_at"`
}

func toAPIInboxConv(c *inbox.Conversation) apiInboxConv {
	ls := c.Labels
	if ls == nil {
		ls = []string{}
	}
	return apiInboxConv{c.ID, c.TenantID, c.Channel, c.Address, c.LocalAddress, c.ContactName, c.PersonID, c.Subject, c.Status, c.SnoozedUntil,
		c.Assignee, ls, c.Unread, c.LastMessageAt, c.LastPreview, c.LastDirection, c.AgentConversationID, c.Unrouted, c.CreatedAt, c.UpdatedAt}
}

type apiInboxMessage struct {
	ID             int64              `json:"id"`
	ConversationID int64              `json:"conversation_id"`
	Direction      string             `json:"direction"`
	Author         string             `json:"author"`
	Subject        string             `json:"subject"`
	Body           string             `json:"body"`
	HTML           string             `json:"html"`
	Attachments    []inbox.Attachment `json:"attachments"`
	ProviderID     string             `json:"provider_id"`
	Status         string             `json:"status"`
	Error          string             `json:"error"`
	CreatedAt      time.Time          `json:"created_at"`
	// Call is a call message's call (inbox_reports.go documents it).
	Call *inbox.Call `json:"call,omitempty"`
}

func toAPIInboxMessage(m *inbox.Message) apiInboxMessage {
	at := m.Attachments
	if at == nil {
		at = []inbox.Attachment{}
	}
	created := m.CreatedAt
	if created.IsZero() {
		created = time.Now().UTC()
	}
	return apiInboxMessage{m.ID, m.ConversationID, m.Direction, m.Author, m.Subject, m.Body, m.HTML, at, m.ProviderID, m.Status, m.Error, created, m.Call}
}

// apiConversations is GET /api/v1/conversations: the list of the inbox
// page with its filters, newest message first, a page at a time.
func (s *Handler) apiConversations(c *fiber.Ctx) error {
	ctx := c.UserContext()
	limit, err := web.AtoiDefault(c.Query("limit"), app.DefaultPageSize)
	if err != nil || limit < 1 || limit > app.MaxPageSize {
		return app.FieldErrorf("limit", "limit must be a number from 1 to %d.", app.MaxPageSize)
	}
	f := inbox.Filter{Status: utils.CopyString(c.Query("status")), Channel: utils.CopyString(c.Query("channel")), Assignee: utils.CopyString(c.Query("assignee")),
		Label: utils.CopyString(c.Query("label")), Query: utils.CopyString(c.Query("q")), Limit: limit}
	if ref := c.Query("tenant"); ref != "" {
		if k := app.APIKeyFromContext(ctx); k == nil || !k.Admin() {
			return app.FieldErrorf("tenant", "tenant is for admin keys only.")
		}
		t, err := s.Tenants.TenantByRef(ctx, utils.CopyString(ref))
		if err != nil {
			return app.FieldErrorf("tenant", "Unknown tenant %q.", ref)
		}
		f.TenantID = t.ID
	}
	if cur := c.Query("cursor"); cur != "" {
		cc, err := app.DecodeCursor(cur)
		if err != nil {
			return err
		}
		at, err := time.Parse(time.RFC3339Nano, cc.Key)
		if err != nil || cc.Sort != "inbox" {
			return app.FieldErrorf("cursor", "cursor is invalid.")
		}
		f.BeforeAt, f.BeforeID = at, cc.ID
	}
	cs, err := s.Inbox.Conversations(ctx, f)
	if err != nil {
		return err
	}
	var next any
	if len(cs) == limit {
		last := cs[len(cs)-1]
		next = app.Cursor{Sort: "inbox", Key: last.LastMessageAt.UTC().Format(time.RFC3339Nano), ID: last.ID}.Encode()
	}
	out := make([]apiInboxConv, 0, len(cs))
	for _, x := range cs {
		out = append(out, toAPIInboxConv(x))
	}
	return c.JSON(fiber.Map{"data": out, "next_cursor": next})
}

func (s *Handler) apiInboxConv(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	conv, err := s.Inbox.Conversation(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": toAPIInboxConv(conv)})
}

func (s *Handler) apiConversationMessages(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	ms, err := s.Inbox.Messages(c.UserContext(), id)
	if err != nil {
		return err
	}
	out := make([]apiInboxMessage, 0, len(ms))
	for _, m := range ms {
		out = append(out, toAPIInboxMessage(m))
	}
	return c.JSON(fiber.Map{"data": out, "next_cursor": nil})
}

// convInput is the body of a reply or a note.
type convInput struct {
	Text string `json:"text"`
}

// convMove parses the thread's ID and the body, and checks the thread is
// the caller's (404 whatever the body holds).
func (s *Handler) convMove(c *fiber.Ctx, in any) (int64, error) {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return 0, err
	}
	if _, err := s.Inbox.Conversation(c.UserContext(), id); err != nil {
		return 0, err
	}
	return id, web.DecodeJSON(c.Body(), in)
}

// apiConversationReply sends text on the thread's channel (a text, an
// email in the thread, a chat message once taken over).
func (s *Handler) apiConversationReply(c *fiber.Ctx) error {
	var in convInput
	id, err := s.convMove(c, &in)
	if err != nil {
		return err
	}
	m, err := s.Inbox.Reply(c.UserContext(), id, in.Text)
	if err != nil {
		return err
	}
	c.Status(fiber.StatusCreated)
	return c.JSON(fiber.Map{"data": toAPIInboxMessage(m)})
}

func (s *Handler) apiConversationNote(c *fiber.Ctx) error {
	var in convInput
	id, err := s.convMove(c, &in)
	if err != nil {
		return err
	}
	m, err := s.Inbox.AddNote(c.UserContext(), id, in.Text)
	if err != nil {
		return err
	}
	c.Status(fiber.StatusCreated)
	return c.JSON(fiber.Map{"data": toAPIInboxMessage(m)})
}

// convChange is a PATCH: the fields given change, in one write.
type convChange struct {
	Status       *string  `json:"status"`
	Until        *string  `json:"until"`
	Assignee     *string  `json:"assignee"`
	AddLabels    []string `json:"add_labels"`
	RemoveLabels []string `json:"remove_labels"`
}

// apiConversationChange closes, reopens, sets pending or snoozes a
// thread, assigns it and adds or removes labels.
func (s *Handler) apiConversationChange(c *fiber.Ctx) error {
	var in convChange
	id, err := s.convMove(c, &in)
	if err != nil {
		return err
	}
	ch := inbox.Change{Status: in.Status, Assignee: in.Assignee, AddLabels: in.AddLabels, RemoveLabels: in.RemoveLabels}
	if in.Until != nil {
		until, err := time.Parse(time.RFC3339, *in.Until)
		if err != nil {
			return app.FieldErrorf("until", "until must be a time like 2027-01-05T09:00:00Z.")
		}
		ch.Until = &until
	}
	conv, err := s.Inbox.Change(c.UserContext(), id, ch)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": toAPIInboxConv(conv)})
}

// addConversationAPI documents the Conversations API.
func addConversationAPI(paths, schemas obj, std func(obj, ...string) obj, idParam obj) {
	channel := obj{"type": "string", "enum": inbox.Channels}
	status := obj{"type": "string", "enum": inbox.Statuses}
	schemas["Conversation"] = props([]string{"id", "tenant_id", "channel", "address", "status", "labels", "unread", "last_message_at"}, obj{
		"id": integ, "tenant_id": integ, "channel": channel,
		"address":       obj{"type": "string", "description": "the contact's: a phone number, an email address or a chat visitor"},
		"local_address": obj{"type": "string", "description": "ours: the number or mailbox written to"},
		"contact_name":  str, "person_id": obj{"type": "integer", "description": "the CRM person (0: none)"}, "subject": str, "status": status,
		"snoozed_until": obj{"type": "string", "format": "date-time", "description": "snoozed threads only"},
		"assignee":      obj{"type": "string", "description": "user:EMAIL, or empty when unassigned"},
		"labels":        strArr, "unread": integ, "last_message_at": tstamp, "last_preview": str,
		"last_direction":        obj{"type": "string", "description": "in or out"},
		"agent_conversation_id": obj{"type": "integer", "description": "the Agent Studio conversation answering it (0: none)"},
		"unrouted":              obj{"type": "boolean", "description": "a text to a number no tenant owns (house inbox)"},
		"created_at":            tstamp, "updated_at": tstamp})
	schemas["InboxMessage"] = props([]string{"id", "conversation_id", "direction", "body", "created_at"}, obj{
		"id": obj{"type": "integer", "description": "0 for a chat reply (the chat's own record is the agent conversation)"}, "conversation_id": integ,
		"direction": obj{"type": "string", "enum": []string{inbox.DirIn, inbox.DirOut, inbox.DirNote}, "description": "note: private, never sent"},
		"author":    str, "subject": str, "body": str, "html": obj{"type": "string", "description": "an email's sanitised HTML"},
		"attachments": obj{"type": "array", "items": props([]string{"name", "type", "size", "stored"}, obj{
			"id": obj{"type": "integer", "description": "a stored file's id: GET /api/v1/conversations/{id}/attachments/{attachment} downloads it"}, "name": str, "type": str, "size": integ,
			"stored": obj{"type": "boolean", "description": "false: over the 10 MB cap, or a program: listed, kept in the mailbox"}, "note": str})},
		"provider_id": obj{"type": "string", "description": "Twilio's MessageSid or the email's Message-ID"},
		"status":      obj{"type": "string", "description": "an outbound message's delivery status: queued, sent, delivered, failed..."},
		"error":       str, "created_at": tstamp,
		"call": obj{"allOf": []obj{ref("InboxCall")}, "description": "a call message's call (call threads only)"}})
	binary := func(desc, media string) obj {
		return obj{"description": desc, "content": obj{media: obj{"schema": obj{"type": "string", "format": "binary"}}}}
	}
	text := func(desc string) obj {
		return jsonBody(props([]string{"text"}, obj{"text": obj{"type": "string", "description": desc}}))
	}
	paths["/api/v1/conversations"] = obj{"get": obj{"summary": "Inbox conversations, newest message first (closed ones only with status=closed or all)",
		"parameters": []obj{
			qparam("status", "open, pending, snoozed, closed, or all (default: every status but closed)", str),
			qparam("channel", strings.Join(inbox.Channels, ", "), str),
			qparam("assignee", "an assignee (user:EMAIL), me, or none", str),
			qparam("label", "one label", str), qparam("q", "full-text search over the messages", str),
			qparam("tenant", "Nexus (admin keys) only: tenant ID or slug; without it the list spans every tenant", str),
			qparam("limit", "1 to 200, default 50", integ), qparam("cursor", "next_cursor of the previous page", str)},
		"responses": std(obj{"200": jsonResp("OK", pageOf(ref("Conversation")))}, "400")}}
	paths["/api/v1/conversations/{id}"] = obj{"parameters": []obj{idParam},
		"get": obj{"summary": "A conversation (reading it does not mark it read)", "responses": std(obj{"200": jsonResp("OK", dataOf(ref("Conversation")))}, "404")},
		"patch": obj{"summary": "Change status (close, reopen, pending, snooze until a time), assignee and labels, in one write",
			"requestBody": jsonBody(props(nil, obj{
				"status":     obj{"type": "string", "enum": []string{inbox.StatusOpen, inbox.StatusPending, inbox.StatusSnoozed, inbox.StatusClosed, "reopen"}},
				"until":      obj{"type": "string", "format": "date-time", "description": "with status snoozed: until when (at most a year); it reopens then, or when the contact writes"},
				"assignee":   obj{"type": "string", "description": "an email address, me (the key), or empty to unassign"},
				"add_labels": strArr, "remove_labels": strArr})),
			"responses": std(obj{"200": jsonResp("OK", dataOf(ref("Conversation")))}, "400", "403", "404")}}
	paths["/api/v1/conversations/{id}/messages"] = obj{"parameters": []obj{idParam},
		"get": obj{"summary": "The conversation's messages and private notes, oldest first", "responses": std(obj{"200": jsonResp("OK", pageOf(ref("InboxMessage")))}, "404")},
		"post": obj{"summary": "Reply on the conversation's channel: a text from the thread's number, an email in the thread, or a chat message (after a takeover); a text to a contact who texted STOP is 409",
			"requestBody": text("the reply (a text: at most 1600 characters)"),
			"responses":   std(obj{"201": jsonResp("Sent", dataOf(ref("InboxMessage")))}, "400", "403", "404", "409")}}
	paths["/api/v1/conversations/{id}/attachments/{attachment}"] = obj{"parameters": []obj{idParam, {"name": "attachment", "in": "path", "required": true, "schema": integ, "description": "the file's id (a message's attachments[].id)"}},
		"get": obj{"summary": "Download a file that came with an email (as an attachment, never inline, with its sniffed type)", "responses": std(obj{"200": binary("The file", "*/*")}, "404")}}
	schemas["InboxHours"] = props([]string{"enabled", "days", "open", "close", "away_text"}, obj{"tenant_id": integ, "enabled": obj{"type": "boolean", "description": "send the out-of-hours reply"},
		"days":  obj{"type": "array", "items": obj{"type": "integer", "minimum": 0, "maximum": 6}, "description": "open weekdays, 0 Sunday .. 6 Saturday"},
		"open":  obj{"type": "string", "description": "HH:MM in the tenant's timezone"},
		"close": obj{"type": "string", "description": "HH:MM, after open"}, "away_text": obj{"type": "string", "description": "the reply outside the hours (at most 1600 characters), sent once per conversation in 12 hours"}})
	hoursTenant := qparam("tenant", "admin keys only, required for them: tenant ID or slug", str)
	paths["/api/v1/inbox-hours"] = obj{"parameters": []obj{hoursTenant},
		"get": obj{"summary": "Business hours and the out-of-hours reply of the inbox (the defaults until set)", "responses": std(obj{"200": jsonResp("OK", dataOf(ref("InboxHours")))}, "400")},
		"put": obj{"summary": "Set the business hours and the out-of-hours reply (the whole object)", "requestBody": jsonBody(ref("InboxHours")),
			"responses": std(obj{"200": jsonResp("Saved", dataOf(ref("InboxHours")))}, "400", "403")}}
	schemas["InboxInbound"] = props([]string{"tenant_id", "enabled", "address", "received", "last_at", "listening"}, obj{"tenant_id": integ,
		"enabled":   obj{"type": "boolean", "description": "mail to the address is received (off: refused with 550)"},
		"address":   obj{"type": "string", "description": "inbox+TOKEN@DOMAIN (empty until first turned on): write, forward or BCC to it"},
		"received":  integ,
		"last_at":   obj{"type": []string{"string", "null"}, "format": "date-time"},
		"listening": obj{"type": "boolean", "description": "the appliance's mail listener runs (--inbound-smtp-addr); off: nothing is received yet"}})
	addInboxMailboxAPI(paths, schemas, std, hoursTenant) // inbox_mailbox.go
	paths["/api/v1/inbox-inbound"] = obj{"parameters": []obj{hoursTenant},
		"get": obj{"summary": "The inbound email address: mail written, forwarded or BCC'd to it lands in Conversations", "responses": std(obj{"200": jsonResp("OK", dataOf(ref("InboxInbound")))}, "400")},
		"put": obj{"summary": "Turn the inbound address on or off; rotate gives it a new token (the old address is refused from then on)",
			"requestBody": jsonBody(props([]string{"enabled"}, obj{"enabled": obj{"type": "boolean"}, "rotate": obj{"type": "boolean", "description": "a new address; needs enabled true"}})),
			"responses":   std(obj{"200": jsonResp("Saved", dataOf(ref("InboxInbound")))}, "400", "403")}}
	paths["/api/v1/conversations/{id}/notes"] = obj{"parameters": []obj{idParam},
		"post": obj{"summary": "Add a private note (never sent, never on the CRM timeline)", "requestBody": text("the note (at most 5000 characters)"),
			"responses": std(obj{"201": jsonResp("Added", dataOf(ref("InboxMessage")))}, "400", "403", "404")}}
}
