package api

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/app/calendar"
	"orengen/ui/web"
)

// Calendar API: the key's tenant's calendars, event types (list, create,
// replace), their free slots, and bookings (create, cancel, reschedule). Admin keys name the tenant with
// ?tenant=. A slot taken in the meantime is a 409 with next_slots.

func (s *Handler) registerCalendarAPIRoutes(api fiber.Router) {
	if s.Calendar == nil {
		return
	}
	api.Get("/calendar/calendars", s.apiCalCalendars)
	api.Get("/calendar/event-types", s.apiCalEventTypes)
	api.Post("/calendar/event-types", web.RequireWriteKey, s.apiCalEventTypeSave)
	api.Put("/calendar/event-types/:id", web.RequireWriteKey, s.apiCalEventTypeSave)
	api.Get("/calendar/event-types/:id/availability", s.apiCalAvailability)
	api.Get("/calendar/bookings", s.apiCalBookings)
	api.Post("/calendar/bookings", web.RequireWriteKey, s.apiCalBook)
	api.Post("/calendar/bookings/:id/cancel", web.RequireWriteKey, s.apiCalCancel)
	api.Post("/calendar/bookings/:id/reschedule", web.RequireWriteKey, s.apiCalReschedule)
}

// calCtx is the tenant context of a calendar API request.
func (s *Handler) calCtx(c *fiber.Ctx) (context.Context, error) {
	ctx := c.UserContext()
	if k := app.APIKeyFromContext(ctx); k != nil && k.Admin() {
		ref := utils.CopyString(c.Query("tenant"))
		if ref == "" {
			ref = strconv.FormatInt(app.HouseTenantID, 10) // the agency's own calendars
		}
		t, err := s.Tenants.TenantByRef(ctx, ref)
		if err != nil {
			return nil, app.FieldErrorf("tenant", "Unknown tenant %q.", ref)
		}
		return app.NewContextWithTenant(ctx, t), nil
	}
	return ctx, nil
}

type apiEventType struct {
	ID                   int64               `json:"id"`
	Slug                 string              `json:"slug"`
	Title                string              `json:"title"`
	Description          string              `json:"description"`
	Durations            []int               `json:"durations"`
	LocationKind         string              `json:"location_kind"`
	Location             string              `json:"location"`
	BufferBefore         int                 `json:"buffer_before"`
	BufferAfter          int                 `json:"buffer_after"`
	MinNotice            int                 `json:"min_notice"`
	WindowDays           int                 `json:"window_days"`
	DailyLimit           int                 `json:"daily_limit"`
	Questions            []calendar.Question `json:"questions"`
	RequiresConfirmation bool                `json:"requires_confirmation"`
	Assignment           string              `json:"assignment"`
	Hosts                []int64             `json:"hosts"`
	Enabled              bool                `json:"enabled"`
}

func toAPIEventType(e *calendar.EventType) apiEventType {
	q := e.Questions
	if q == nil {
		q = []calendar.Question{}
	}
	return apiEventType{e.ID, e.Slug, e.Title, e.Description, e.Durations, e.LocationKind, e.Location, e.BufferBefore, e.BufferAfter,
		e.MinNotice, e.WindowDays, e.DailyLimit, q, e.RequiresConfirmation, e.Assignment, e.Hosts, e.Enabled}
}

type apiSlot struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	Hosts []int64   `json:"hosts"`
}

func toAPISlots(ss []calendar.Slot) []apiSlot {
	out := make([]apiSlot, len(ss))
	for i, s := range ss {
		out[i] = apiSlot{s.Start, s.End, s.Hosts}
	}
	return out
}

type apiBooking struct {
	ID          int64             `json:"id"`
	EventTypeID int64             `json:"event_type_id"`
	Status      string            `json:"status"`
	Start       time.Time         `json:"start"`
	End         time.Time         `json:"end"`
	Title       string            `json:"title"`
	Name        string            `json:"name"`
	Email       string            `json:"email"`
	Phone       string            `json:"phone"`
	TimeZone    string            `json:"time_zone"`
	Location    string            `json:"location"`
	Answers     map[string]string `json:"answers"`
	Hosts       []int64           `json:"hosts"`
	PersonID    *int64            `json:"person_id"`
	DealID      *int64            `json:"deal_id"`
	Sequence    int               `json:"sequence"`
	NoShow      bool              `json:"no_show"`
	CreatedAt   time.Time         `json:"created_at"`
	UpdatedAt   time.Time         `json:"updated_at"`
}

func toAPIBooking(b *calendar.Booking) apiBooking {
	a := b.Answers
	if a == nil {
		a = map[string]string{}
	}
	return apiBooking{b.ID, b.EventTypeID, b.Status, b.Start, b.End, b.Title, b.Name, b.Email, b.Phone, b.TimeZone, b.Location, a, b.Hosts,
		web.OptID(b.PersonID), web.OptID(b.DealID), b.Sequence, b.NoShow, b.CreatedAt, b.UpdatedAt}
}

func (s *Handler) apiCalEventTypes(c *fiber.Ctx) error {
	ctx, err := s.calCtx(c)
	if err != nil {
		return err
	}
	ets, err := s.Calendar.FindEventTypes(ctx)
	if err != nil {
		return err
	}
	out := make([]apiEventType, 0, len(ets))
	for _, e := range ets {
		out = append(out, toAPIEventType(e))
	}
	return c.JSON(fiber.Map{"data": out, "next_cursor": nil})
}

type apiCalendar struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	OwnerKind string `json:"owner_kind"`
	TimeZone  string `json:"time_zone"`
}

func (s *Handler) apiCalCalendars(c *fiber.Ctx) error {
	ctx, err := s.calCtx(c)
	if err != nil {
		return err
	}
	cals, err := s.Calendar.FindCalendars(ctx)
	if err != nil {
		return err
	}
	out := make([]apiCalendar, 0, len(cals))
	for _, k := range cals {
		out = append(out, apiCalendar{k.ID, k.Name, k.OwnerKind, k.TimeZone})
	}
	return c.JSON(fiber.Map{"data": out, "next_cursor": nil})
}

// apiEventTypeInput is an event type as written: every field (a PUT
// replaces the whole meeting); enabled defaults to true.
type apiEventTypeInput struct {
	Slug                 string              `json:"slug"`
	Title                string              `json:"title"`
	Description          string              `json:"description"`
	Durations            []int               `json:"durations"`
	LocationKind         string              `json:"location_kind"`
	Location             string              `json:"location"`
	BufferBefore         int                 `json:"buffer_before"`
	BufferAfter          int                 `json:"buffer_after"`
	MinNotice            int                 `json:"min_notice"`
	WindowDays           int                 `json:"window_days"`
	DailyLimit           int                 `json:"daily_limit"`
	SlotStep             int                 `json:"slot_step"`
	Questions            []calendar.Question `json:"questions"`
	RequiresConfirmation bool                `json:"requires_confirmation"`
	Assignment           string              `json:"assignment"`
	Hosts                []int64             `json:"hosts"`
	CreateDeal           bool                `json:"create_deal"`
	DealPipeline         string              `json:"deal_pipeline"`
	Enabled              *bool               `json:"enabled"`
}

// apiCalEventTypeSave creates (POST) or replaces (PUT :id) an event type.
func (s *Handler) apiCalEventTypeSave(c *fiber.Ctx) error {
	ctx, err := s.calCtx(c)
	if err != nil {
		return err
	}
	e := &calendar.EventType{}
	if c.Method() == fiber.MethodPut {
		id, err := web.ParamID(c, "id")
		if err != nil {
			return err
		}
		if e, err = s.Calendar.FindEventType(ctx, id); err != nil {
			return err
		}
	}
	var in apiEventTypeInput
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	if len(in.Durations) == 0 {
		return app.FieldErrorf("durations", "durations required: the meeting's lengths in minutes, the default first.")
	}
	if len(in.Hosts) == 0 {
		return app.FieldErrorf("hosts", "hosts required: the IDs of the calendars that take the meeting.")
	}
	e.Slug, e.Title, e.Description, e.Durations = in.Slug, in.Title, in.Description, in.Durations
	e.LocationKind, e.Location, e.BufferBefore, e.BufferAfter = in.LocationKind, in.Location, in.BufferBefore, in.BufferAfter
	e.MinNotice, e.WindowDays, e.DailyLimit, e.SlotStep = in.MinNotice, in.WindowDays, in.DailyLimit, in.SlotStep
	e.Questions, e.RequiresConfirmation, e.Assignment, e.Hosts = in.Questions, in.RequiresConfirmation, in.Assignment, in.Hosts
	e.CreateDeal, e.DealPipeline, e.Enabled = in.CreateDeal, in.DealPipeline, in.Enabled == nil || *in.Enabled
	created := e.ID == 0
	if err := s.Calendar.SaveEventType(ctx, e); err != nil {
		return err
	}
	if created {
		c.Status(fiber.StatusCreated)
	}
	return c.JSON(fiber.Map{"data": toAPIEventType(e)})
}

// queryTime parses an RFC 3339 query parameter (def when absent).
func queryTime(c *fiber.Ctx, name string, def time.Time) (time.Time, error) {
	v := c.Query(name)
	if v == "" {
		return def, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return t, app.FieldErrorf(name, "%s must be a time like 2027-01-05T09:00:00Z.", name)
	}
	return t, nil
}

func (s *Handler) apiCalAvailability(c *fiber.Ctx) error {
	ctx, err := s.calCtx(c)
	if err != nil {
		return err
	}
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	e, err := s.Calendar.FindEventType(ctx, id)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	from, err := queryTime(c, "from", now)
	if err != nil {
		return err
	}
	to, err := queryTime(c, "to", from.AddDate(0, 0, 7))
	if err != nil {
		return err
	}
	mins := 0
	if v := c.Query("duration"); v != "" {
		if mins, err = strconv.Atoi(v); err != nil {
			return app.FieldErrorf("duration", "duration must be minutes, like 30.")
		}
	}
	slots, err := s.Calendar.FreeSlots(ctx, e, mins, from, to)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": toAPISlots(slots), "next_cursor": nil})
}

func (s *Handler) apiCalBookings(c *fiber.Ctx) error {
	ctx, err := s.calCtx(c)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	from, err := queryTime(c, "from", now.AddDate(0, 0, -1))
	if err != nil {
		return err
	}
	to, err := queryTime(c, "to", from.AddDate(0, 0, 31))
	if err != nil {
		return err
	}
	bs, err := s.Calendar.FindBookings(ctx, calendar.BookingFilter{From: from, To: to})
	if err != nil {
		return err
	}
	out := make([]apiBooking, 0, len(bs))
	for _, b := range bs {
		out = append(out, toAPIBooking(b))
	}
	return c.JSON(fiber.Map{"data": out, "next_cursor": nil})
}

type apiBookInput struct {
	EventTypeID int64             `json:"event_type_id"`
	Start       time.Time         `json:"start"`
	Duration    int               `json:"duration"`
	Name        string            `json:"name"`
	Email       string            `json:"email"`
	Phone       string            `json:"phone"`
	TimeZone    string            `json:"time_zone"`
	Notes       string            `json:"notes"`
	Answers     map[string]string `json:"answers"`
}

// calError answers a *calendar.ConflictError as 409 with next_slots.
func calError(c *fiber.Ctx, err error) error {
	var ce *calendar.ConflictError
	if errors.As(err, &ce) {
		return c.Status(fiber.StatusConflict).JSON(fiber.Map{"error": fiber.Map{"code": app.ECONFLICT, "message": app.ErrorMessage(err), "field": "start"},
			"next_slots": toAPISlots(ce.Next)})
	}
	return err
}

func (s *Handler) apiCalBook(c *fiber.Ctx) error {
	ctx, err := s.calCtx(c)
	if err != nil {
		return err
	}
	var in apiBookInput
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	if in.EventTypeID <= 0 {
		return app.FieldErrorf("event_type_id", "event_type_id required.")
	}
	b, err := s.Calendar.Book(ctx, &calendar.BookRequest{EventTypeID: in.EventTypeID, Start: in.Start, Minutes: in.Duration, Name: in.Name,
		Email: in.Email, Phone: in.Phone, TimeZone: in.TimeZone, Notes: in.Notes, Answers: in.Answers, Source: "api"})
	if err != nil {
		return calError(c, err)
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"data": toAPIBooking(b)})
}

func (s *Handler) apiCalCancel(c *fiber.Ctx) error {
	ctx, err := s.calCtx(c)
	if err != nil {
		return err
	}
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	if _, err := s.Calendar.FindBooking(ctx, id); err != nil {
		return err
	}
	var in struct {
		Reason string `json:"reason"`
	}
	if err := web.DecodeOptionalJSON(c.Body(), &in); err != nil {
		return err
	}
	b, err := s.Calendar.Cancel(ctx, id, -1, in.Reason, app.ActorFromContext(ctx))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": toAPIBooking(b)})
}

func (s *Handler) apiCalReschedule(c *fiber.Ctx) error {
	ctx, err := s.calCtx(c)
	if err != nil {
		return err
	}
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	if _, err := s.Calendar.FindBooking(ctx, id); err != nil {
		return err
	}
	var in struct {
		Start time.Time `json:"start"`
	}
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	if in.Start.IsZero() {
		return app.FieldErrorf("start", "start required.")
	}
	b, err := s.Calendar.Reschedule(ctx, id, -1, in.Start)
	if err != nil {
		return calError(c, err)
	}
	return c.JSON(fiber.Map{"data": toAPIBooking(b)})
}

// addCalendarAPI documents the calendar routes.
func addCalendarAPI(paths, schemas obj, std func(obj, ...string) obj, idParam obj) {
	tenantParam := qparam("tenant", "Nexus (admin keys) only: the tenant, ID or slug (default: the agency's own calendars, the house tenant)", str)
	slot := props([]string{"start", "end", "hosts"}, obj{"start": tstamp, "end": tstamp, "hosts": obj{"type": "array", "items": integ, "description": "host calendars free for it"}})
	schemas["CalendarSlot"] = slot
	schemas["EventType"] = props([]string{"id", "slug", "title", "durations"}, obj{"id": integ, "slug": str, "title": str, "description": str,
		"durations": obj{"type": "array", "items": integ, "description": "minutes; the first is the default"}, "location_kind": obj{"type": "string", "enum": []string{"phone", "video", "address", "generated"}},
		"location": str, "buffer_before": integ, "buffer_after": integ, "min_notice": integ, "window_days": integ, "daily_limit": integ,
		"questions":             obj{"type": "array", "items": props([]string{"key", "label"}, obj{"key": str, "label": str, "field": str, "required": obj{"type": "boolean"}})},
		"requires_confirmation": obj{"type": "boolean"}, "assignment": obj{"type": "string", "enum": []string{"single", "round_robin", "collective"}},
		"hosts": obj{"type": "array", "items": integ}, "enabled": obj{"type": "boolean"}})
	schemas["Booking"] = props([]string{"id", "event_type_id", "status", "start", "end", "name", "email"}, obj{"id": integ, "event_type_id": integ,
		"status": obj{"type": "string", "enum": []string{"confirmed", "pending", "cancelled"}}, "start": tstamp, "end": tstamp, "title": str, "name": str,
		"email": str, "phone": str, "time_zone": str, "location": str, "answers": obj{"type": "object", "additionalProperties": str},
		"hosts": obj{"type": "array", "items": integ}, "person_id": nInt, "deal_id": nInt, "sequence": integ, "no_show": obj{"type": "boolean"},
		"created_at": tstamp, "updated_at": tstamp})
	conflict := jsonResp("The time was taken in the meantime: nothing written; next_slots are free times after it.",
		obj{"allOf": []obj{ref("Error"), props([]string{"next_slots"}, obj{"next_slots": obj{"type": "array", "items": ref("CalendarSlot")}})}})
	schemas["Calendar"] = props([]string{"id", "name", "owner_kind", "time_zone"}, obj{"id": integ, "name": str,
		"owner_kind": obj{"type": "string", "enum": []string{"tenant", "user", "admin"}}, "time_zone": str})
	eventTypeIn := props([]string{"slug", "title", "durations", "hosts"}, obj{"slug": str, "title": str, "description": str,
		"durations":     obj{"type": "array", "items": integ, "description": "minutes, the default first"},
		"location_kind": obj{"type": "string", "enum": []string{"phone", "video", "address", "generated"}}, "location": str,
		"buffer_before": integ, "buffer_after": integ, "min_notice": integ, "window_days": integ, "daily_limit": integ, "slot_step": integ,
		"questions": obj{"type": "array", "items": props([]string{"key", "label"}, obj{"key": str, "label": str,
			"field": obj{"type": "string", "enum": []string{"", "phone", "company", "title"}}, "required": obj{"type": "boolean"}})},
		"requires_confirmation": obj{"type": "boolean"}, "assignment": obj{"type": "string", "enum": []string{"single", "round_robin", "collective"}},
		"hosts":       obj{"type": "array", "items": integ, "description": "calendar IDs (GET /api/v1/calendar/calendars)"},
		"create_deal": obj{"type": "boolean"}, "deal_pipeline": str, "enabled": obj{"type": "boolean", "description": "default true"}})
	paths["/api/v1/calendar/calendars"] = obj{"get": obj{"summary": "The tenant's calendars (an event type's hosts)", "parameters": []obj{tenantParam},
		"responses": std(obj{"200": jsonResp("OK", pageOf(ref("Calendar")))}, "400")}}
	paths["/api/v1/calendar/event-types"] = obj{"get": obj{"summary": "The tenant's bookable meetings", "parameters": []obj{tenantParam},
		"responses": std(obj{"200": jsonResp("OK", pageOf(ref("EventType")))}, "400")},
		"post": obj{"summary": "Create a bookable meeting (its public page is /book/{slug})", "parameters": []obj{tenantParam},
			"requestBody": jsonBody(eventTypeIn),
			"responses":   std(obj{"201": jsonResp("Created", dataOf(ref("EventType"))), "409": errResp("The slug is taken.")}, "400", "403")}}
	paths["/api/v1/calendar/event-types/{id}"] = obj{"parameters": []obj{idParam, tenantParam}, "put": obj{
		"summary": "Replace a bookable meeting (every field as in a create; bookings keep their times)", "requestBody": jsonBody(eventTypeIn),
		"responses": std(obj{"200": jsonResp("Saved", dataOf(ref("EventType"))), "409": errResp("The slug is taken.")}, "400", "403", "404")}}
	paths["/api/v1/calendar/event-types/{id}/availability"] = obj{"parameters": []obj{idParam, tenantParam}, "get": obj{
		"summary": "Free slots with a start in [from, to) (at most 62 days; default the next 7)",
		"parameters": []obj{qparam("from", "RFC 3339, default now", tstamp), qparam("to", "RFC 3339, default from + 7 days", tstamp),
			qparam("duration", "minutes, one of the event type's durations (default its first)", integ)},
		"responses": std(obj{"200": jsonResp("OK", pageOf(ref("CalendarSlot")))}, "400", "404")}}
	paths["/api/v1/calendar/bookings"] = obj{
		"get": obj{"summary": "Bookings overlapping [from, to) (default yesterday to 31 days on)", "parameters": []obj{tenantParam,
			qparam("from", "RFC 3339", tstamp), qparam("to", "RFC 3339", tstamp)}, "responses": std(obj{"200": jsonResp("OK", pageOf(ref("Booking")))}, "400")},
		"post": obj{"summary": "Book a free slot: creates or updates the CRM person, puts the appointment on their timeline (and a deal if the event type says so), emails both sides an invitation",
			"parameters": []obj{tenantParam},
			"requestBody": jsonBody(props([]string{"event_type_id", "start", "name", "email"}, obj{"event_type_id": integ, "start": tstamp, "duration": integ,
				"name": str, "email": str, "phone": str, "time_zone": obj{"type": "string", "description": "IANA, e.g. Europe/Berlin (the guest's; default UTC)"},
				"notes": str, "answers": obj{"type": "object", "additionalProperties": str}})),
			"responses": std(obj{"201": jsonResp("Booked", dataOf(ref("Booking"))), "409": conflict}, "400", "403", "404")}}
	paths["/api/v1/calendar/bookings/{id}/cancel"] = obj{"parameters": []obj{idParam, tenantParam}, "post": obj{"summary": "Cancel (emails both sides a cancellation)",
		"requestBody": obj{"required": false, "content": obj{"application/json": obj{"schema": props(nil, obj{"reason": str})}}},
		"responses":   std(obj{"200": jsonResp("Cancelled", dataOf(ref("Booking"))), "409": errResp("Already cancelled.")}, "400", "403", "404")}}
	paths["/api/v1/calendar/bookings/{id}/reschedule"] = obj{"parameters": []obj{idParam, tenantParam}, "post": obj{"summary": "Move to another free start (same duration)",
		"requestBody": jsonBody(props([]string{"start"}, obj{"start": tstamp})),
		"responses":   std(obj{"200": jsonResp("Rescheduled", dataOf(ref("Booking"))), "409": conflict}, "400", "403", "404")}}
}
