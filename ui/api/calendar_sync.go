package api

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"orengen/app"
	"orengen/app/calendar"
	"orengen/ui/web"
)

// Calendar sync API: a calendar's connections (CalDAV accounts and ICS
// feeds) with their status; connect, choose the account's calendars, sync
// now, disconnect. The password goes into the vault and never comes back;
// sync tokens stay inside.

func (s *Handler) registerCalendarSyncAPIRoutes(api fiber.Router) {
	if s.CalendarSync == nil {
		return
	}
	api.Get("/calendar/calendars/:id/sources", s.apiCalSources)
	api.Post("/calendar/calendars/:id/sources", web.RequireWriteKey, s.apiCalSourceCreate)
	api.Post("/calendar/sources/:id/choose", web.RequireWriteKey, s.apiCalSourceChoose)
	api.Post("/calendar/sources/:id/sync", web.RequireWriteKey, s.apiCalSourceSync)
	api.Delete("/calendar/sources/:id", web.RequireWriteKey, s.apiCalSourceDelete)
}

type apiRemote struct {
	Path   string `json:"path"`
	Name   string `json:"name"`
	Busy   bool   `json:"busy"`
	Target bool   `json:"target"`
}

type apiSource struct {
	ID         int64       `json:"id"`
	CalendarID int64       `json:"calendar_id"`
	Kind       string      `json:"kind"`
	URL        string      `json:"url"`
	Username   string      `json:"username"`
	Remotes    []apiRemote `json:"remotes"`
	LastSyncAt *time.Time  `json:"last_sync_at"`
	LastOKAt   *time.Time  `json:"last_ok_at"`
	LastError  string      `json:"last_error"`
	CreatedAt  time.Time   `json:"created_at"`
}

func toAPISource(src *calendar.Source) apiSource {
	rs := make([]apiRemote, len(src.Remotes))
	for i, r := range src.Remotes {
		rs[i] = apiRemote{r.Path, r.Name, r.Busy, r.Target}
	}
	return apiSource{src.ID, src.CalendarID, src.Kind, src.URL, src.Username, rs, src.LastSyncAt, src.LastOKAt, src.LastError, src.CreatedAt}
}

func (s *Handler) apiCalSources(c *fiber.Ctx) error {
	ctx, id, err := s.calendarOf(c)
	if err != nil {
		return err
	}
	srcs, err := s.CalendarSync.FindSources(ctx, id)
	if err != nil {
		return err
	}
	out := make([]apiSource, 0, len(srcs))
	for _, src := range srcs {
		out = append(out, toAPISource(src))
	}
	return c.JSON(fiber.Map{"data": out, "next_cursor": nil})
}

func (s *Handler) apiCalSourceCreate(c *fiber.Ctx) error {
	ctx, id, err := s.calendarOf(c)
	if err != nil {
		return err
	}
	var in struct {
		Kind     string `json:"kind"`
		URL      string `json:"url"`
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	var src *calendar.Source
	switch in.Kind {
	case calendar.SourceCalDAV:
		src, err = s.CalendarSync.ConnectCalDAV(ctx, id, in.URL, in.Username, in.Password)
	case calendar.SourceICS:
		src, err = s.CalendarSync.AddFeed(ctx, id, in.URL)
	default:
		return app.FieldErrorf("kind", "kind must be caldav or ics.")
	}
	if err != nil {
		return err
	}
	if src, err = s.CalendarSync.FindSource(ctx, src.ID); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"data": toAPISource(src)})
}

// calendarOf is the request's context and the calendar :id, which must
// be one the caller may see.
func (s *Handler) calendarOf(c *fiber.Ctx) (context.Context, int64, error) {
	ctx, err := s.calCtx(c)
	if err != nil {
		return nil, 0, err
	}
	id, err := web.ParamID(c, "id")
	if err != nil {
		return nil, 0, err
	}
	if _, err := s.Calendar.FindCalendar(ctx, id); err != nil {
		return nil, 0, err
	}
	return ctx, id, nil
}

func (s *Handler) calSource(c *fiber.Ctx) (*calendar.Source, error) {
	ctx, err := s.calCtx(c)
	if err != nil {
		return nil, err
	}
	id, err := web.ParamID(c, "id")
	if err != nil {
		return nil, err
	}
	return s.CalendarSync.FindSource(ctx, id)
}

func (s *Handler) apiCalSourceChoose(c *fiber.Ctx) error {
	src, err := s.calSource(c)
	if err != nil {
		return err
	}
	var in struct {
		Busy   []string `json:"busy"`
		Target string   `json:"target"`
	}
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	ctx, _ := s.calCtx(c)
	if src, err = s.CalendarSync.Choose(ctx, src.ID, in.Busy, in.Target); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": toAPISource(src)})
}

func (s *Handler) apiCalSourceSync(c *fiber.Ctx) error {
	src, err := s.calSource(c)
	if err != nil {
		return err
	}
	ctx, _ := s.calCtx(c)
	if src, err = s.CalendarSync.SyncNow(ctx, src.ID); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": toAPISource(src)})
}

func (s *Handler) apiCalSourceDelete(c *fiber.Ctx) error {
	src, err := s.calSource(c)
	if err != nil {
		return err
	}
	ctx, _ := s.calCtx(c)
	if err := s.CalendarSync.Remove(ctx, src.ID); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// addCalendarSyncAPI documents the calendar sync routes.
func addCalendarSyncAPI(paths, schemas obj, std func(obj, ...string) obj, idParam obj) {
	tenantParam := qparam("tenant", "Nexus (admin keys) only: the tenant, ID or slug (default: the house tenant)", str)
	schemas["CalendarSource"] = props([]string{"id", "calendar_id", "kind", "url", "remotes", "last_error"}, obj{"id": integ, "calendar_id": integ,
		"kind": obj{"type": "string", "enum": []string{"caldav", "ics"}}, "url": str, "username": str,
		"remotes": obj{"type": "array", "description": "the CalDAV account's event calendars: busy ones are read in, the target gets the bookings",
			"items": props([]string{"path", "name", "busy", "target"}, obj{"path": str, "name": str, "busy": obj{"type": "boolean"}, "target": obj{"type": "boolean"}})},
		"last_sync_at": nTime, "last_ok_at": nTime,
		"last_error": obj{"type": "string", "description": "why the last sync failed (empty when it worked); while set the calendar offers no slots"},
		"created_at": tstamp})
	paths["/api/v1/calendar/calendars/{id}/sources"] = obj{"parameters": []obj{idParam, tenantParam},
		"get": obj{"summary": "The calendar's outside calendars (CalDAV accounts, ICS feeds) and their sync status",
			"responses": std(obj{"200": jsonResp("OK", pageOf(ref("CalendarSource")))}, "400", "404")},
		"post": obj{"summary": "Connect a CalDAV account (discovered and read in at once; the password goes into the vault) or subscribe to a read-only ICS feed",
			"requestBody": jsonBody(props([]string{"kind", "url"}, obj{"kind": obj{"type": "string", "enum": []string{"caldav", "ics"}}, "url": str,
				"username": obj{"type": "string", "description": "caldav only"}, "password": obj{"type": "string", "writeOnly": true, "description": "caldav only; never returned"}})),
			"responses": std(obj{"201": jsonResp("Connected", dataOf(ref("CalendarSource")))}, "400", "403", "404")}}
	paths["/api/v1/calendar/sources/{id}/choose"] = obj{"parameters": []obj{idParam, tenantParam}, "post": obj{
		"summary":     "Choose which of a CalDAV account's calendars count as busy and which gets the bookings (target empty: none)",
		"requestBody": jsonBody(props([]string{"busy"}, obj{"busy": obj{"type": "array", "items": str, "description": "remote paths"}, "target": str})),
		"responses":   std(obj{"200": jsonResp("Saved", dataOf(ref("CalendarSource")))}, "400", "403", "404")}}
	paths["/api/v1/calendar/sources/{id}/sync"] = obj{"parameters": []obj{idParam, tenantParam}, "post": obj{
		"summary":   "Sync now: read changes in, write bookings out; a failure is recorded in last_error",
		"responses": std(obj{"200": jsonResp("Synced (see last_error)", dataOf(ref("CalendarSource")))}, "403", "404")}}
	paths["/api/v1/calendar/sources/{id}"] = obj{"parameters": []obj{idParam, tenantParam}, "delete": obj{
		"summary":   "Disconnect: its busy times and stored password go (events written out stay)",
		"responses": std(obj{"204": obj{"description": "Disconnected"}}, "403", "404")}}
}
