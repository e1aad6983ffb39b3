package api

import (
	"github.com/gofiber/fiber/v2"

	"orengen/app/inbox"
	"orengen/ui/web"
)

// Quiet hours API (issue #18): the tenant's window in which workflow
// texts and calls are held. A tenant key acts on its tenant; an admin
// key names it with ?tenant=.

func (s *Handler) registerQuietAPIRoutes(api fiber.Router) {
	if s.Inbox == nil || s.Inbox.Quiet == nil {
		return
	}
	api.Get("/inbox-quiet-hours", s.apiQuiet)
	api.Put("/inbox-quiet-hours", web.RequireWriteKey, s.apiQuietSave)
}

type apiQuietHours struct {
	TenantID int64  `json:"tenant_id"`
	Enabled  bool   `json:"enabled"`
	Start    string `json:"start"`
	End      string `json:"end"`
}

func (s *Handler) apiQuiet(c *fiber.Ctx) error {
	tid, err := s.hoursTenant(c)
	if err != nil {
		return err
	}
	q, err := s.Inbox.QuietSettings(c.UserContext(), tid)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": apiQuietHours{q.TenantID, q.Enabled, q.Start, q.End}})
}

func (s *Handler) apiQuietSave(c *fiber.Ctx) error {
	tid, err := s.hoursTenant(c)
	if err != nil {
		return err
	}
	var in apiQuietHours
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	q := &inbox.Quiet{TenantID: tid, Enabled: in.Enabled, Start: in.Start, End: in.End}
	if err := s.Inbox.SaveQuiet(c.UserContext(), q); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": apiQuietHours{q.TenantID, q.Enabled, q.Start, q.End}})
}

// addQuietAPI documents the quiet hours API.
func addQuietAPI(paths, schemas obj, std func(obj, ...string) obj) {
	schemas["InboxQuietHours"] = props([]string{"enabled", "start", "end"}, obj{"tenant_id": integ,
		"enabled": obj{"type": "boolean", "description": "hold workflow texts and calls in the window"},
		"start":   obj{"type": "string", "description": "HH:MM in the tenant's timezone"},
		"end":     obj{"type": "string", "description": "HH:MM; before start, the window crosses midnight"}})
	tenant := qparam("tenant", "admin keys only, required for them: tenant ID or slug", str)
	paths["/api/v1/inbox-quiet-hours"] = obj{"parameters": []obj{tenant},
		"get": obj{"summary": "Quiet hours: the window in which workflow texts and calls are held until it ends (off until set)", "responses": std(obj{"200": jsonResp("OK", dataOf(ref("InboxQuietHours")))}, "400")},
		"put": obj{"summary": "Set the quiet hours (the whole object)", "requestBody": jsonBody(ref("InboxQuietHours")),
			"responses": std(obj{"200": jsonResp("Saved", dataOf(ref("InboxQuietHours")))}, "400", "403")}}
}
