package api

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/app/courses"
	"orengen/ui/web"
)

// Community events API (#24): the key's tenant's events (list, create,
// change, cancel), an event with its answers, and a member's answer set
// by the team (the capacity holds). Times are RFC 3339, or local
// "2006-01-02T15:04" in the tenant's time zone.

func (s *Handler) registerCommunityEventRoutes(api fiber.Router) {
	if s.Courses == nil || !s.Courses.EventsOn() {
		return
	}
	api.Get("/community/events", s.apiEvents)
	api.Post("/community/events", web.RequireWriteKey, s.apiEventCreate)
	api.Get("/community/events/:id", s.apiEvent)
	api.Patch("/community/events/:id", web.RequireWriteKey, s.apiEventUpdate)
	api.Put("/community/events/:id/rsvps/:member", web.RequireWriteKey, s.apiEventRSVP)
}

type apiEvent struct {
	ID          int64      `json:"id"`
	SpaceID     int64      `json:"space_id"`
	CalendarID  int64      `json:"calendar_id"`
	UID         string     `json:"uid"`
	Title       string     `json:"title"`
	Description string     `json:"description"`
	Start       time.Time  `json:"start"`
	End         time.Time  `json:"end"`
	TimeZone    string     `json:"time_zone"`
	Location    string     `json:"location"`
	VideoURL    string     `json:"video_url"`
	Capacity    int        `json:"capacity"`
	Going       int        `json:"going"`
	Cancelled   bool       `json:"cancelled"`
	CancelledAt *time.Time `json:"cancelled_at"`
	CreatedAt   time.Time  `json:"created_at"`
}

func toAPIEvent(e *courses.CommunityEvent) apiEvent {
	return apiEvent{e.ID, e.SpaceID, e.CalendarID, e.UID, e.Title, e.Description, e.Start, e.End, e.TimeZone, e.Location, e.VideoURL,
		e.Capacity, e.Going, e.CancelledAt != nil, e.CancelledAt, e.CreatedAt}
}

type apiRSVP struct {
	MemberID   int64     `json:"member_id"`
	MemberName string    `json:"member_name"`
	Email      string    `json:"email"`
	Status     string    `json:"status"`
	UpdatedAt  time.Time `json:"updated_at"`
}

func (s *Handler) apiEvents(c *fiber.Ctx) error {
	ctx, err := s.courseCtx(c)
	if err != nil {
		return err
	}
	var space int64
	if v := c.Query("space_id"); v != "" {
		if space, err = strconv.ParseInt(v, 10, 64); err != nil || space < 1 {
			return app.FieldErrorf("space_id", "space_id must be a space's id.")
		}
	}
	all := false
	if v := c.Query("past"); v != "" {
		if all, err = strconv.ParseBool(v); err != nil {
			return app.FieldErrorf("past", "past must be true or false.")
		}
	}
	evs, err := s.Courses.SpaceEvents(ctx, space, all)
	if err != nil {
		return err
	}
	out := make([]apiEvent, 0, len(evs))
	for _, e := range evs {
		out = append(out, toAPIEvent(e))
	}
	return c.JSON(fiber.Map{"data": out, "next_cursor": nil})
}

type apiEventInput struct {
	SpaceID     *int64  `json:"space_id"`
	CalendarID  *int64  `json:"calendar_id"`
	Title       *string `json:"title"`
	Description *string `json:"description"`
	Start       *string `json:"start"`
	End         *string `json:"end"`
	Location    *string `json:"location"`
	VideoURL    *string `json:"video_url"`
	Capacity    *int    `json:"capacity"`
	Cancelled   *bool   `json:"cancelled"`
}

// apply sets the fields present in the input (times local to loc unless
// they carry an offset). Returns EINVALID naming the field.
func (in *apiEventInput) apply(e *courses.CommunityEvent, loc *time.Location) error {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&e.Title, in.Title)
	set(&e.Description, in.Description)
	set(&e.Location, in.Location)
	set(&e.VideoURL, in.VideoURL)
	if in.SpaceID != nil {
		e.SpaceID = *in.SpaceID
	}
	if in.CalendarID != nil {
		e.CalendarID = *in.CalendarID
	}
	if in.Capacity != nil {
		e.Capacity = *in.Capacity
	}
	var err error
	if in.Start != nil {
		if e.Start, err = courses.ParseEventTime("start", *in.Start, loc); err != nil {
			return err
		}
	}
	if in.End != nil {
		if e.End, err = courses.ParseEventTime("end", *in.End, loc); err != nil {
			return err
		}
	}
	if in.Cancelled != nil {
		if !*in.Cancelled {
			e.CancelledAt = nil
		} else if e.CancelledAt == nil {
			now := time.Now()
			e.CancelledAt = &now
		}
	}
	return nil
}

func (s *Handler) apiEventCreate(c *fiber.Ctx) error {
	ctx, err := s.courseCtx(c)
	if err != nil {
		return err
	}
	var in apiEventInput
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	e := &courses.CommunityEvent{}
	in.Cancelled = nil
	if in.CalendarID == nil { // the default calendar, as in the portal
		cals, err := s.Courses.EventCalendars(ctx)
		if err != nil {
			return err
		}
		e.CalendarID = courses.DefaultEventCalendar(cals)
	}
	if err := in.apply(e, courses.TenantZone(app.TenantFromContext(ctx))); err != nil {
		return err
	}
	if err := s.Courses.CreateEvent(ctx, e); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"data": toAPIEvent(e)})
}

func (s *Handler) apiEvent(c *fiber.Ctx) error {
	ctx, id, err := s.apiCourseID(c)
	if err != nil {
		return err
	}
	e, rs, err := s.Courses.Event(ctx, id)
	if err != nil {
		return err
	}
	out := make([]apiRSVP, 0, len(rs))
	for _, r := range rs {
		out = append(out, apiRSVP{r.MemberID, r.MemberName, r.Email, r.Status, r.UpdatedAt})
	}
	return c.JSON(fiber.Map{"data": fiber.Map{"event": toAPIEvent(e), "rsvps": out}})
}

func (s *Handler) apiEventUpdate(c *fiber.Ctx) error {
	ctx, id, err := s.apiCourseID(c)
	if err != nil {
		return err
	}
	var in apiEventInput
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	e, _, err := s.Courses.Event(ctx, id)
	if err != nil {
		return err
	}
	if err := in.apply(e, e.Zone()); err != nil {
		return err
	}
	if err := s.Courses.UpdateEvent(ctx, e); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": toAPIEvent(e)})
}

func (s *Handler) apiEventRSVP(c *fiber.Ctx) error {
	ctx, id, err := s.apiCourseID(c)
	if err != nil {
		return err
	}
	mid, err := strconv.ParseInt(utils.CopyString(c.Params("member")), 10, 64)
	if err != nil || mid < 1 {
		return app.FieldErrorf("member", "The member must be a member's id.")
	}
	var in struct {
		Status string `json:"status"`
	}
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	e, err := s.Courses.SetMemberRSVP(ctx, id, mid, in.Status)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": fiber.Map{"event": toAPIEvent(e), "member_id": mid, "status": in.Status}})
}

func addCommunityEventAPI(paths, schemas obj, std func(obj, ...string) obj, idParam obj) {
	tenantParam := qparam("tenant", "Nexus (admin keys) only: the tenant, ID or slug (default: the house tenant)", str)
	boolean := obj{"type": "boolean"}
	when := obj{"type": "string", "description": "RFC 3339, or local 2006-01-02T15:04 in the tenant's time zone"}
	schemas["CommunityEvent"] = props([]string{"id", "space_id", "calendar_id", "uid", "title", "start", "end", "time_zone", "capacity", "going", "cancelled", "created_at"}, obj{
		"id": integ, "space_id": integ, "calendar_id": obj{"type": "integer", "description": "the tenant's calendar it shows on (0: none)"},
		"uid": obj{"type": "string", "description": "its iCalendar UID"}, "title": str, "description": obj{"type": "string", "description": "Markdown"},
		"start": tstamp, "end": tstamp, "time_zone": obj{"type": "string", "description": "the zone it was entered in (the tenant's)"},
		"location": str, "video_url": str, "capacity": obj{"type": "integer", "description": "places (0: no limit)"}, "going": integ,
		"cancelled": boolean, "cancelled_at": nTime, "created_at": tstamp})
	schemas["CommunityEventInput"] = props(nil, obj{"space_id": integ, "calendar_id": obj{"type": "integer", "description": "0: on no calendar; omitted on create: the tenant's shared calendar, else the first"},
		"title": str, "description": str, "start": when, "end": when, "location": str, "video_url": obj{"type": "string", "format": "uri"},
		"capacity": obj{"type": "integer", "minimum": 0}, "cancelled": obj{"type": "boolean", "description": "PATCH only: cancel (members see it cancelled, it leaves the calendar) or restore"}})
	rsvpStatus := obj{"type": "string", "enum": []string{courses.RSVPGoing, courses.RSVPNotGoing}}
	rsvp := props([]string{"member_id", "status", "updated_at"}, obj{"member_id": integ, "member_name": str, "email": str, "status": rsvpStatus, "updated_at": tstamp})
	paths["/api/v1/community/events"] = obj{"parameters": []obj{tenantParam},
		"get": obj{"summary": "Community events, soonest first (upcoming unless past=true; cancelled ones included)",
			"parameters": []obj{qparam("space_id", "only this space's", integ), qparam("past", "true: past events too", boolean)},
			"responses":  std(obj{"200": jsonResp("OK", pageOf(ref("CommunityEvent")))}, "400")},
		"post": obj{"summary": "Create an event in a space", "requestBody": jsonBody(ref("CommunityEventInput")),
			"responses": std(obj{"201": jsonResp("Created", dataOf(ref("CommunityEvent")))}, "400", "403")}}
	paths["/api/v1/community/events/{id}"] = obj{"parameters": []obj{idParam, tenantParam},
		"get": obj{"summary": "An event with the members' answers", "responses": std(obj{"200": jsonResp("OK", dataOf(props([]string{"event", "rsvps"},
			obj{"event": ref("CommunityEvent"), "rsvps": obj{"type": "array", "items": rsvp}})))}, "404")},
		"patch": obj{"summary": "Change an event (the fields given), cancel or restore it", "requestBody": jsonBody(ref("CommunityEventInput")),
			"responses": std(obj{"200": jsonResp("OK", dataOf(ref("CommunityEvent")))}, "400", "403", "404")}}
	paths["/api/v1/community/events/{id}/rsvps/{member}"] = obj{"parameters": []obj{idParam, tenantParam,
		{"name": "member", "in": "path", "required": true, "description": "the member's id", "schema": integ}},
		"put": obj{"summary": "Answer for a member (going or not going); going takes a place only while one is free",
			"requestBody": jsonBody(props([]string{"status"}, obj{"status": rsvpStatus})),
			"responses": std(obj{"200": jsonResp("OK", dataOf(props([]string{"event", "member_id", "status"}, obj{"event": ref("CommunityEvent"), "member_id": integ, "status": rsvpStatus})))},
				"400", "403", "404", "409")}}
}
