package api

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"orengen/app/inbox"
	"orengen/ui/web"
)

// Broadcasts API (issue #18): a text or an email to a saved CRM view of
// people, through inbox.Service like the portal's pages: create (or
// preview: the counts, nothing sent), list, one with its report and its
// failed and skipped recipients, cancel. A tenant key acts on its
// tenant; an admin key names the tenant with ?tenant=.

func (s *Handler) registerBroadcastAPIRoutes(api fiber.Router) {
	if s.Inbox == nil || s.Inbox.Broadcasts == nil {
		return
	}
	api.Get("/broadcasts", s.apiBroadcasts)
	api.Post("/broadcasts", web.RequireWriteKey, s.apiBroadcastCreate)
	api.Post("/broadcasts/preview", s.apiBroadcastPreview)
	api.Get("/broadcasts/:id", s.apiBroadcast)
	api.Post("/broadcasts/:id/cancel", web.RequireWriteKey, s.apiBroadcastCancel)
}

type apiSkipReason struct {
	Status string `json:"status"`
	Reason string `json:"reason"`
	Count  int    `json:"count"`
}

type apiBroadcastReport struct {
	Total     int             `json:"total"`
	Queued    int             `json:"queued"`
	Sent      int             `json:"sent"`
	Delivered int             `json:"delivered"`
	Failed    int             `json:"failed"`
	Skipped   int             `json:"skipped"`
	Cancelled int             `json:"cancelled"`
	Replies   int             `json:"replies"`
	OptedOut  int             `json:"opted_out"`
	Reasons   []apiSkipReason `json:"reasons"`
}

type apiRecipient struct {
	PersonID       int64      `json:"person_id"`
	Name           string     `json:"name"`
	Address        string     `json:"address"`
	Status         string     `json:"status"`
	Reason         string     `json:"reason"`
	ConversationID int64      `json:"conversation_id"`
	Delivery       string     `json:"delivery"`
	SentAt         *time.Time `json:"sent_at"`
}

type apiBroadcast struct {
	ID         int64              `json:"id"`
	TenantID   int64              `json:"tenant_id"`
	ViewID     int64              `json:"view_id"`
	ViewName   string             `json:"view_name"`
	Channel    string             `json:"channel"`
	Subject    string             `json:"subject"`
	Body       string             `json:"body"`
	Rate       float64            `json:"rate"`
	Status     string             `json:"status"`
	CreatedBy  string             `json:"created_by"`
	CreatedAt  time.Time          `json:"created_at"`
	FinishedAt *time.Time         `json:"finished_at"`
	Report     apiBroadcastReport `json:"report"`
	// Problems are the failed and skipped recipients (one broadcast only).
	Problems []apiRecipient `json:"problems,omitempty"`
}

func reasonsJSON(rs []inbox.ReasonCount) []apiSkipReason {
	out := make([]apiSkipReason, len(rs))
	for i, r := range rs {
		out[i] = apiSkipReason{r.Status, r.Reason, r.Count}
	}
	return out
}

func toAPIBroadcast(b *inbox.Broadcast) apiBroadcast {
	r := b.Report
	return apiBroadcast{ID: b.ID, TenantID: b.TenantID, ViewID: b.ViewID, ViewName: b.ViewName, Channel: b.Channel, Subject: b.Subject, Body: b.Body,
		Rate: b.Rate, Status: b.Status, CreatedBy: b.CreatedBy, CreatedAt: b.CreatedAt, FinishedAt: b.FinishedAt,
		Report: apiBroadcastReport{r.Total, r.Queued, r.Sent, r.Delivered, r.Failed, r.Skipped, r.Cancelled, r.Replies, r.OptedOut, reasonsJSON(r.Reasons)}}
}

func (s *Handler) apiBroadcasts(c *fiber.Ctx) error {
	tid, err := s.hoursTenant(c)
	if err != nil {
		return err
	}
	bs, err := s.Inbox.BroadcastList(c.UserContext(), tid)
	if err != nil {
		return err
	}
	out := make([]apiBroadcast, len(bs))
	for i, b := range bs {
		out[i] = toAPIBroadcast(b)
	}
	return c.JSON(fiber.Map{"data": out, "next_cursor": nil})
}

// broadcastInput reads the body of a create or a preview.
func (s *Handler) broadcastInput(c *fiber.Ctx) (inbox.BroadcastInput, error) {
	tid, err := s.hoursTenant(c)
	if err != nil {
		return inbox.BroadcastInput{}, err
	}
	var in struct {
		ViewID  int64   `json:"view_id"`
		Channel string  `json:"channel"`
		Subject string  `json:"subject"`
		Body    string  `json:"body"`
		Rate    float64 `json:"rate"`
	}
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return inbox.BroadcastInput{}, err
	}
	return inbox.BroadcastInput{TenantID: tid, ViewID: in.ViewID, Channel: in.Channel, Subject: in.Subject, Body: in.Body, Rate: in.Rate}, nil
}

func (s *Handler) apiBroadcastCreate(c *fiber.Ctx) error {
	in, err := s.broadcastInput(c)
	if err != nil {
		return err
	}
	b, err := s.Inbox.CreateBroadcast(c.UserContext(), in)
	if err != nil {
		return err
	}
	c.Status(fiber.StatusCreated)
	return c.JSON(fiber.Map{"data": toAPIBroadcast(b)})
}

func (s *Handler) apiBroadcastPreview(c *fiber.Ctx) error {
	in, err := s.broadcastInput(c)
	if err != nil {
		return err
	}
	p, err := s.Inbox.PreviewBroadcast(c.UserContext(), in)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": fiber.Map{"view_name": p.ViewName, "total": p.Total, "send": p.Send, "skipped": reasonsJSON(p.Skipped), "sample": p.Sample}})
}

// broadcastRef is the tenant (?tenant= of an admin key) and the
// broadcast of the path.
func (s *Handler) broadcastRef(c *fiber.Ctx) (tid, id int64, err error) {
	if tid, err = s.hoursTenant(c); err != nil {
		return 0, 0, err
	}
	id, err = web.ParamID(c, "id")
	return tid, id, err
}

func (s *Handler) apiBroadcast(c *fiber.Ctx) error {
	tid, id, err := s.broadcastRef(c)
	if err != nil {
		return err
	}
	b, err := s.Inbox.Broadcast(c.UserContext(), tid, id)
	if err != nil {
		return err
	}
	out := toAPIBroadcast(b)
	out.Problems = []apiRecipient{}
	for _, st := range []string{inbox.RecipientFailed, inbox.RecipientSkipped} {
		rs, err := s.Inbox.BroadcastRecipients(c.UserContext(), tid, id, st)
		if err != nil {
			return err
		}
		for _, r := range rs {
			out.Problems = append(out.Problems, apiRecipient{r.PersonID, r.Name, r.Address, r.Status, r.Reason, r.ConversationID, r.Delivery, r.SentAt})
		}
	}
	return c.JSON(fiber.Map{"data": out})
}

func (s *Handler) apiBroadcastCancel(c *fiber.Ctx) error {
	tid, id, err := s.broadcastRef(c)
	if err != nil {
		return err
	}
	b, err := s.Inbox.CancelBroadcast(c.UserContext(), tid, id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": toAPIBroadcast(b)})
}

// addBroadcastAPI documents the Broadcasts API.
func addBroadcastAPI(paths, schemas obj, std func(obj, ...string) obj, idParam obj) {
	tenant := qparam("tenant", "admin keys only, required for them: tenant ID or slug", str)
	reason := props([]string{"status", "reason", "count"}, obj{"status": obj{"type": "string", "enum": []string{inbox.RecipientSkipped, inbox.RecipientFailed}}, "reason": str, "count": integ})
	schemas["BroadcastInput"] = props([]string{"view_id", "channel", "body"}, obj{
		"view_id": obj{"type": "integer", "description": "a saved CRM view of people"},
		"channel": obj{"type": "string", "enum": []string{inbox.ChannelSMS, inbox.ChannelEmail}},
		"subject": obj{"type": "string", "description": "email only (one line, at most 200 characters)"},
		"body":    obj{"type": "string", "description": "the message, with {{first_name}}, {{last_name}}, {{name}}, {{email}} and {{phone}} fields (a text: at most 1600 characters)"},
		"rate":    obj{"type": "number", "description": "messages a second, 0.01 to 100; default 1 for texts (Twilio's rate for a long code) and 5 for email"}})
	schemas["Broadcast"] = props([]string{"id", "tenant_id", "view_id", "channel", "body", "rate", "status", "report"}, obj{
		"id": integ, "tenant_id": integ, "view_id": integ, "view_name": str,
		"channel": obj{"type": "string", "enum": []string{inbox.ChannelSMS, inbox.ChannelEmail}}, "subject": str, "body": str, "rate": obj{"type": "number"},
		"status":     obj{"type": "string", "enum": []string{inbox.BroadcastSending, inbox.BroadcastDone, inbox.BroadcastCancelled}},
		"created_by": str, "created_at": tstamp, "finished_at": obj{"type": []string{"string", "null"}, "format": "date-time"},
		"report": props([]string{"total", "queued", "sent", "delivered", "failed", "skipped", "cancelled", "replies", "opted_out", "reasons"}, obj{
			"total": integ, "queued": obj{"type": "integer", "description": "not sent yet (or being sent)"},
			"sent":      obj{"type": "integer", "description": "taken by the provider"},
			"delivered": obj{"type": "integer", "description": "texts Twilio reported delivered (email reports none)"},
			"failed":    obj{"type": "integer", "description": "refused, interrupted by a restart (never sent twice), or reported undelivered"},
			"skipped":   obj{"type": "integer", "description": "no phone or email, no consent, texted STOP, unsubscribed, or an address another recipient has"},
			"cancelled": integ, "replies": obj{"type": "integer", "description": "recipients who wrote in the thread after the send"},
			"opted_out": obj{"type": "integer", "description": "recipients who since texted STOP or unsubscribed"},
			"reasons":   obj{"type": "array", "items": reason}}),
		"problems": obj{"type": "array", "description": "one broadcast only: its failed and skipped recipients", "items": props([]string{"person_id", "status", "reason"}, obj{
			"person_id": integ, "name": str, "address": str, "status": str, "reason": str, "conversation_id": integ, "delivery": str,
			"sent_at": obj{"type": []string{"string", "null"}, "format": "date-time"}})}})
	paths["/api/v1/broadcasts"] = obj{"parameters": []obj{tenant},
		"get": obj{"summary": "Broadcasts, newest first, each with its report", "responses": std(obj{"200": jsonResp("OK", pageOf(ref("Broadcast")))}, "400")},
		"post": obj{"summary": "Send a text or an email to a saved view of people: queued at once, sent in the background at the rate, each message in the person's thread; people without consent or an address are skipped and counted",
			"requestBody": jsonBody(ref("BroadcastInput")),
			"responses":   std(obj{"201": jsonResp("Queued", dataOf(ref("Broadcast")))}, "400", "403")}}
	paths["/api/v1/broadcasts/preview"] = obj{"parameters": []obj{tenant},
		"post": obj{"summary": "Who a broadcast would reach (nothing is sent or stored): the count, the skipped by reason, and the first recipient's text",
			"requestBody": jsonBody(ref("BroadcastInput")),
			"responses": std(obj{"200": jsonResp("OK", dataOf(props([]string{"total", "send", "skipped"}, obj{"view_name": str, "total": integ, "send": integ,
				"skipped": obj{"type": "array", "items": reason}, "sample": str})))}, "400")}}
	paths["/api/v1/broadcasts/{id}"] = obj{"parameters": []obj{idParam, tenant},
		"get": obj{"summary": "A broadcast with its report and its failed and skipped recipients", "responses": std(obj{"200": jsonResp("OK", dataOf(ref("Broadcast")))}, "404")}}
	paths["/api/v1/broadcasts/{id}/cancel"] = obj{"parameters": []obj{idParam, tenant},
		"post": obj{"summary": "Cancel a broadcast: nobody still queued gets it (409 when it is done or cancelled already)",
			"responses": std(obj{"200": jsonResp("Cancelled", dataOf(ref("Broadcast")))}, "403", "404", "409")}}
}
