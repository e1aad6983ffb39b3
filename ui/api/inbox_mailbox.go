package api

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"orengen/app"
	"orengen/app/inbox"
	"orengen/ui/web"
)

// The tenant's IMAP mailbox through the API (issue #18): its settings
// (the password is write-only: it goes to the vault), how it is followed
// (IMAP IDLE live, polled, reconnecting), and a read on demand; the same
// service calls as Conversations > Email mailbox.

func (s *Handler) registerInboxMailboxAPIRoutes(api fiber.Router) {
	api.Get("/inbox-mailbox", s.apiInboxMailbox)
	api.Put("/inbox-mailbox", web.RequireWriteKey, s.apiInboxMailboxSave)
	api.Post("/inbox-mailbox/poll", web.RequireWriteKey, s.apiInboxMailboxPoll)
}

type apiMailbox struct {
	TenantID   int64      `json:"tenant_id"`
	Address    string     `json:"address"`
	Host       string     `json:"host"`
	Port       int        `json:"port"`
	Security   string     `json:"security"`
	Username   string     `json:"username"`
	Enabled    bool       `json:"enabled"`
	Imported   int64      `json:"imported"`
	LastPollAt *time.Time `json:"last_poll_at"`
	LastError  string     `json:"last_error"`
	Watch      string     `json:"watch"`
	WatchSince *time.Time `json:"watch_since"`
	WatchError string     `json:"watch_error"`
}

func mailboxJSON(mb *inbox.Mailbox) apiMailbox {
	out := apiMailbox{TenantID: mb.TenantID, Address: mb.Address, Host: mb.Host, Port: mb.Port, Security: mb.Security, Username: mb.Username,
		Enabled: mb.Enabled, Imported: mb.Imported, LastPollAt: mb.LastPollAt, LastError: mb.LastError, Watch: "polled"}
	if w := mb.Watch; w != nil {
		since := w.Since
		out.Watch, out.WatchSince, out.WatchError = w.State, &since, w.Err
	}
	return out
}

func (s *Handler) apiInboxMailbox(c *fiber.Ctx) error {
	tid, err := s.hoursTenant(c)
	if err != nil {
		return err
	}
	mb, err := s.Inbox.MailboxSettings(c.UserContext(), tid)
	if err != nil {
		if app.ErrorCode(err) == app.ENOTFOUND {
			return app.Errorf(app.ENOTFOUND, "No mailbox is connected yet: PUT /api/v1/inbox-mailbox with its settings.")
		}
		return err
	}
	return c.JSON(fiber.Map{"data": mailboxJSON(mb)})
}

func (s *Handler) apiInboxMailboxSave(c *fiber.Ctx) error {
	tid, err := s.hoursTenant(c)
	if err != nil {
		return err
	}
	var in struct {
		Address  string `json:"address"`
		Host     string `json:"host"`
		Port     int    `json:"port"`
		Security string `json:"security"`
		Username string `json:"username"`
		Password string `json:"password"`
		Enabled  *bool  `json:"enabled"`
	}
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	if in.Enabled == nil {
		return app.FieldErrorf("enabled", "enabled is required (true or false).")
	}
	mb := &inbox.Mailbox{TenantID: tid, Address: in.Address, Host: in.Host, Port: in.Port, Security: in.Security, Username: in.Username, Enabled: *in.Enabled}
	if err := s.Inbox.SaveMailbox(c.UserContext(), mb, in.Password); err != nil {
		return err
	}
	if mb, err = s.Inbox.MailboxSettings(c.UserContext(), mb.TenantID); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": mailboxJSON(mb)})
}

// apiInboxMailboxPoll reads the mailbox now; the answer says how many
// messages were new and, when the server could not be read, why (also
// kept as the mailbox's last_error).
func (s *Handler) apiInboxMailboxPoll(c *fiber.Ctx) error {
	tid, err := s.hoursTenant(c)
	if err != nil {
		return err
	}
	mb, err := s.Inbox.MailboxSettings(c.UserContext(), tid)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Minute)
	defer cancel()
	n, err := s.Inbox.PollTenant(ctx, mb.TenantID)
	var reason *string
	if err != nil {
		r := "The mailbox could not be read: " + app.ErrorMessage(err)
		reason = &r
	}
	return c.JSON(fiber.Map{"data": fiber.Map{"new_messages": n, "error": reason}})
}

func addInboxMailboxAPI(paths, schemas obj, std func(obj, ...string) obj, tenant obj) {
	schemas["InboxMailbox"] = props([]string{"tenant_id", "address", "host", "port", "security", "username", "enabled", "imported", "last_poll_at", "last_error", "watch"}, obj{
		"tenant_id": integ, "address": obj{"type": "string", "format": "email", "description": "the address customers write to; replies go out from it"},
		"host": str, "port": integ, "security": obj{"type": "string", "enum": []string{"tls", "starttls", "none"}}, "username": str,
		"enabled": obj{"type": "boolean"}, "imported": integ, "last_poll_at": nTime, "last_error": str,
		"watch": obj{"type": "string", "enum": []string{"live", "unsupported", "reconnecting", "polled"},
			"description": "live: held open with IMAP IDLE, new mail is read as it arrives; unsupported: the server has no IDLE, read every minute; reconnecting: the IDLE connection failed and is opened again (read every minute meanwhile); polled: no IDLE connection is running"},
		"watch_since": nTime, "watch_error": str})
	paths["/api/v1/inbox-mailbox"] = obj{"parameters": []obj{tenant},
		"get": obj{"summary": "The IMAP mailbox whose mail lands in Conversations, how far it is read and how it is followed", "responses": std(obj{"200": jsonResp("OK", dataOf(ref("InboxMailbox")))}, "400", "404")},
		"put": obj{"summary": "Connect or change the IMAP mailbox (a new host or user reads it from the start; Message-IDs keep anything from being stored twice)",
			"requestBody": jsonBody(props([]string{"address", "host", "port", "security", "username", "enabled"}, obj{"address": str, "host": str, "port": integ,
				"security": obj{"type": "string", "enum": []string{"tls", "starttls", "none"}}, "username": str,
				"password": obj{"type": "string", "writeOnly": true, "description": "kept in the vault; empty or left out keeps the one saved"}, "enabled": obj{"type": "boolean"}})),
			"responses": std(obj{"200": jsonResp("Saved", dataOf(ref("InboxMailbox")))}, "400", "403")}}
	paths["/api/v1/inbox-mailbox/poll"] = obj{"parameters": []obj{tenant},
		"post": obj{"summary": "Read the mailbox now: how many messages were new, and why the server could not be read when it could not (also kept as last_error)",
			"responses": std(obj{"200": jsonResp("Read", dataOf(props([]string{"new_messages", "error"}, obj{"new_messages": integ, "error": nStr})))}, "400", "403", "404")}}
}
