package api

import (
	"fmt"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/app/inbox"
	"orengen/ui/web"
)

// Inbox reports API (issue #18): the report the Conversations reports
// page shows, as JSON. A tenant key reads its own tenant's; an admin key
// every tenant's, or one with ?tenant=.

func (s *Handler) registerInboxReportAPIRoutes(api fiber.Router) {
	api.Get("/inbox-reports", s.apiInboxReport)
	api.Get("/conversations/:id/recordings/:message", s.apiConversationRecording)
}

// apiConversationRecording downloads a call message's recording, fetched
// through the tenant's Twilio account (an inert download).
func (s *Handler) apiConversationRecording(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	mid, err := web.ParamID(c, "message")
	if err != nil {
		return err
	}
	data, _, err := s.Inbox.Recording(c.UserContext(), id, mid)
	if err != nil {
		return err
	}
	return web.SendAttachment(c, fmt.Sprintf("call-%d.mp3", mid), web.InertType(data), false, data, "private, no-store")
}

func (s *Handler) apiInboxReport(c *fiber.Ctx) error {
	q := inbox.ReportQuery{From: utils.CopyString(c.Query("from")), To: utils.CopyString(c.Query("to"))}
	if ref := c.Query("tenant"); ref != "" {
		if k := app.APIKeyFromContext(c.UserContext()); k == nil || !k.Admin() {
			return app.FieldErrorf("tenant", "tenant is for admin keys only.")
		}
		t, err := s.Tenants.TenantByRef(c.UserContext(), utils.CopyString(ref))
		if err != nil {
			return app.FieldErrorf("tenant", "Unknown tenant %q.", ref)
		}
		q.TenantID = t.ID
	}
	r, err := s.Inbox.Report(c.UserContext(), q)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": r})
}

// addInboxReportAPI documents the inbox reports API and calls in
// threads (a call message's call, its recording).
func addInboxReportAPI(paths, schemas obj, std func(obj, ...string) obj, idParam obj) {
	secsInt := func(d string) obj { return obj{"type": "integer", "description": d} }
	schemas["InboxCall"] = props([]string{"sid", "direction", "status", "duration_seconds", "ai"}, obj{
		"sid":                        obj{"type": "string", "description": "Twilio's CallSid: one message per call, whatever the callbacks"},
		"direction":                  obj{"type": "string", "enum": []string{inbox.DirIn, inbox.DirOut}},
		"status":                     obj{"type": "string", "description": "Twilio's: ringing, in-progress, completed, busy, no-answer, failed, canceled (never goes back)"},
		"duration_seconds":           secsInt("the call's length (0 until it ends)"),
		"recording_sid":              obj{"type": "string", "description": "the recording at Twilio, when recording is on: GET /api/v1/conversations/{id}/recordings/{message} downloads it"},
		"recording_duration_seconds": secsInt("the recording's length"),
		"transcript":                 obj{"type": "string", "description": "an AI agent's call: the caller's and the agent's words as Agent Studio kept them"},
		"ai":                         obj{"type": "boolean", "description": "an AI agent answered or placed the call"}})
	paths["/api/v1/conversations/{id}/recordings/{message}"] = obj{"parameters": []obj{idParam, {"name": "message", "in": "path", "required": true, "schema": integ, "description": "the call message's id"}},
		"get": obj{"summary": "Download a call's recording (MP3), fetched through the tenant's Twilio account; 404 for a message without one",
			"responses": std(obj{"200": obj{"description": "The recording", "content": obj{"audio/mpeg": obj{"schema": obj{"type": "string", "format": "binary"}}}}}, "404", "409")}}
	secs := obj{"type": []string{"number", "null"}, "description": "seconds; null when no conversation is measured"}
	figures := obj{
		"conversations":                 obj{"type": "integer", "description": "conversations opened in the period (a customer's message on a new or closed thread, or a person reopening it); a thread reopened counts once per opening"},
		"responded":                     obj{"type": "integer", "description": "of those, answered by a person or an agent (automatic replies do not count)"},
		"resolved":                      obj{"type": "integer", "description": "of those, closed since"},
		"median_first_response_seconds": secs, "median_resolution_seconds": secs}
	req := []string{"conversations", "responded", "resolved", "median_first_response_seconds", "median_resolution_seconds"}
	withKey := func(key string, desc string) obj {
		p := obj{key: obj{"type": "string", "description": desc}}
		for k, v := range figures {
			p[k] = v
		}
		return props(append([]string{key}, req...), p)
	}
	schemas["InboxReport"] = props([]string{"tenant_id", "from", "to", "timezone", "start", "end", "totals", "channels", "hours", "assignees"}, obj{
		"tenant_id": obj{"type": "integer", "description": "0: every tenant (admin keys)"},
		"from":      obj{"type": "string", "format": "date"}, "to": obj{"type": "string", "format": "date", "description": "included"},
		"timezone": obj{"type": "string", "description": "the tenant's, which the days and hours are in; empty across every tenant (each tenant's hours in its own timezone, days in UTC)"},
		"start":    tstamp, "end": obj{"type": "string", "format": "date-time", "description": "the period is [start, end)"},
		"totals":    props(req, figures),
		"channels":  obj{"type": "array", "items": withKey("channel", "sms, email, chat or call"), "description": "every channel"},
		"hours":     obj{"type": "array", "items": integ, "minItems": 24, "maxItems": 24, "description": "conversations opened in each hour of the day, 0 (midnight to one) to 23"},
		"assignees": obj{"type": "array", "items": withKey("assignee", "user:EMAIL; empty: unassigned"), "description": "per assignee (the thread's when it closed), most conversations first, unassigned last; conversations is what they handled"}})
	paths["/api/v1/inbox-reports"] = obj{"get": obj{"summary": "Conversations report: first-response and resolution medians, volume by channel and by hour of day, per assignee",
		"parameters": []obj{
			qparam("from", "first day, YYYY-MM-DD in the tenant's timezone (default: 29 days before to)", obj{"type": "string", "format": "date"}),
			qparam("to", "last day, included (default: today); at most 366 days in all", obj{"type": "string", "format": "date"}),
			qparam("tenant", "admin keys only: tenant ID or slug; without it the report spans every tenant", str)},
		"responses": std(obj{"200": jsonResp("OK", dataOf(ref("InboxReport")))}, "400")}}
}
