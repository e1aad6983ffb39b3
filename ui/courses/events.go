package courses

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/app/courses"
	"orengen/ui/web"
)

// Community events: members see a space's upcoming events, answer going
// or not going, and download an event as .ics (/learn/community/events);
// the staff create and edit them in a space, with the calendar they show
// on, see who is going, and cancel (/community/events).

func (s *Handler) mountEvents(g fiber.Router, csrf fiber.Handler) {
	if !s.Courses.EventsOn() {
		return
	}
	g.Get("/community/events/:id", s.requireMember, s.handleEvent)
	g.Post("/community/events/:id/rsvp", csrf, s.requireMember, s.handleRSVP)
	g.Get("/community/events/:id/ics", s.requireMember, s.handleEventICS)
}

func (s *Handler) mountEventsStaff(r fiber.Router, csrf fiber.Handler) {
	if !s.Courses.EventsOn() {
		return
	}
	r.Post("/community/spaces/:id/events", csrf, s.handleEventCreate)
	r.Get("/community/events/:id", s.handleStaffEvent)
	r.Post("/community/events/:id", csrf, s.handleEventUpdate)
}

type eventPage struct {
	memberLayout
	postsView
	Event *courses.CommunityEvent
	// MemberWhen is the time in the member's zone ("" when it is the
	// event's).
	MemberWhen string
	Ended      bool
}

func (s *Handler) renderEvent(c *fiber.Ctx, p *eventPage) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	m := member(c)
	if p.Event, err = s.Courses.MemberEvent(c.UserContext(), m, id); err != nil {
		return err
	}
	if loc := m.Location(); loc.String() != p.Event.Zone().String() {
		p.MemberWhen = p.Event.WhenIn(loc)
	}
	p.Ended = p.Event.Ended(time.Now())
	p.memberLayout.Layout = s.layout(c, p.Event.Title)
	return s.Render(c, "hosted/community_event", p)
}

func (s *Handler) handleEvent(c *fiber.Ctx) error {
	return s.renderEvent(c, &eventPage{memberLayout: s.memberLayout(c, "Event")})
}

// handleRSVP records going or not going; a full, cancelled or past event
// re-renders the page with why (409).
func (s *Handler) handleRSVP(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	status := utils.CopyString(c.FormValue("status"))
	if _, err := s.Courses.RSVPEvent(c.UserContext(), member(c), id, status); err != nil {
		if internal(err) || app.ErrorCode(err) == app.ENOTFOUND {
			return err
		}
		p := &eventPage{memberLayout: s.memberLayout(c, "Event")}
		s.fail(c, &p.memberLayout, err)
		return s.renderEvent(c, p)
	}
	if status == courses.RSVPGoing {
		s.SetFlash(c, "ok", "You are going. Add it to your calendar with the .ics file.")
	} else {
		s.SetFlash(c, "ok", "Noted: you are not going.")
	}
	return c.Redirect(fmt.Sprintf("/learn/community/events/%d", id), fiber.StatusSeeOther)
}

// handleEventICS is the event as an iCalendar file.
func (s *Handler) handleEventICS(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	e, err := s.Courses.MemberEvent(c.UserContext(), member(c), id)
	if err != nil {
		return err
	}
	page := c.BaseURL() + fmt.Sprintf("/learn/community/events/%d", e.ID) + s.memberLayout(c, "").Query
	data, err := s.Courses.EventICS(e, memberTenant(c).BrandName(), page)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/calendar; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="event-%d.ics"`, e.ID))
	return c.Send(data)
}

// --- Staff ---

// eventForm is the staff's event form, as typed (times local to the
// tenant's zone).
type eventForm struct {
	Title, Description, Start, End, Location, VideoURL string
	Capacity                                           string
	CalendarID                                         int64
	SpaceID                                            int64
	Cancelled                                          bool
}

const localLayout = "2006-01-02T15:04"

func formOfEvent(e *courses.CommunityEvent) *eventForm {
	loc := e.Zone()
	f := &eventForm{Title: e.Title, Description: e.Description, Location: e.Location, VideoURL: e.VideoURL, CalendarID: e.CalendarID, SpaceID: e.SpaceID,
		Capacity: strconv.Itoa(e.Capacity), Cancelled: e.CancelledAt != nil}
	if !e.Start.IsZero() {
		f.Start, f.End = e.Start.In(loc).Format(localLayout), e.End.In(loc).Format(localLayout)
	}
	return f
}

func readEventForm(c *fiber.Ctx) *eventForm {
	f := &eventForm{Title: utils.CopyString(c.FormValue("title")), Description: utils.CopyString(c.FormValue("description")),
		Start: utils.CopyString(c.FormValue("start")), End: utils.CopyString(c.FormValue("end")), Location: utils.CopyString(c.FormValue("location")),
		VideoURL: utils.CopyString(c.FormValue("video_url")), Capacity: utils.CopyString(c.FormValue("capacity")), Cancelled: c.FormValue("cancelled") != ""}
	f.CalendarID, _ = strconv.ParseInt(c.FormValue("calendar_id"), 10, 64)
	f.SpaceID, _ = strconv.ParseInt(c.FormValue("space_id"), 10, 64)
	return f
}

// apply parses the form into e (times in loc). Returns EINVALID naming
// the field.
func (f *eventForm) apply(e *courses.CommunityEvent, loc *time.Location) error {
	var err error
	if e.Start, err = courses.ParseEventTime("start", f.Start, loc); err != nil {
		return err
	}
	if e.End, err = courses.ParseEventTime("end", f.End, loc); err != nil {
		return err
	}
	e.Capacity = 0
	if v := strings.TrimSpace(f.Capacity); v != "" {
		if e.Capacity, err = strconv.Atoi(v); err != nil {
			return app.FieldErrorf("capacity", "Capacity must be a whole number (0: no limit).")
		}
	}
	e.Title, e.Description, e.Location, e.VideoURL, e.CalendarID = f.Title, f.Description, f.Location, f.VideoURL, f.CalendarID
	if f.SpaceID > 0 {
		e.SpaceID = f.SpaceID
	}
	return nil
}

func (s *Handler) handleEventCreate(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	f := readEventForm(c)
	e := &courses.CommunityEvent{SpaceID: id}
	err = f.apply(e, courses.TenantZone(app.TenantFromContext(ctx)))
	if err == nil {
		e.SpaceID = id
		err = s.Courses.CreateEvent(ctx, e)
	}
	if err != nil {
		if app.ErrorCode(err) != app.EINVALID {
			return err
		}
		c.Status(fiber.StatusUnprocessableEntity)
		return s.renderStaffSpace(c, id, &staffSpacePage{Errors: errs(err, "title"), Section: "event", EventForm: f})
	}
	s.SetFlash(c, "ok", "Event created: members of the space see it.")
	return c.Redirect(fmt.Sprintf("/community/events/%d", e.ID), fiber.StatusSeeOther)
}

type staffEventPage struct {
	web.Layout
	postsView
	Event     *courses.CommunityEvent
	RSVPs     []*courses.RSVP
	Form      *eventForm
	Calendars []*courses.EventCalendar
	Spaces    []*courses.Space
	Errors    map[string]string
	Zone      string
}

// Going counts the answers "going".
func (p *staffEventPage) Going() int {
	n := 0
	for _, r := range p.RSVPs {
		if r.Status == courses.RSVPGoing {
			n++
		}
	}
	return n
}

func (s *Handler) renderStaffEvent(c *fiber.Ctx, id int64, p *staffEventPage) error {
	ctx := c.UserContext()
	var err error
	if p.Event, p.RSVPs, err = s.Courses.Event(ctx, id); err != nil {
		return err
	}
	if p.Calendars, err = s.Courses.EventCalendars(ctx); err != nil {
		return err
	}
	if p.Spaces, err = s.Courses.Spaces(ctx); err != nil {
		return err
	}
	if p.Form == nil {
		p.Form = formOfEvent(p.Event)
	}
	p.Zone = p.Event.TimeZone
	p.Layout = s.Layout(c, web.HostPortal, p.Event.Title)
	return s.Render(c, "portal/community_event", p)
}

func (s *Handler) handleStaffEvent(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	return s.renderStaffEvent(c, id, &staffEventPage{})
}

func (s *Handler) handleEventUpdate(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	e, _, err := s.Courses.Event(ctx, id)
	if err != nil {
		return err
	}
	f := readEventForm(c)
	wasCancelled := e.CancelledAt != nil
	err = f.apply(e, e.Zone())
	if err == nil {
		switch {
		case f.Cancelled && e.CancelledAt == nil:
			now := time.Now()
			e.CancelledAt = &now
		case !f.Cancelled:
			e.CancelledAt = nil
		}
		err = s.Courses.UpdateEvent(ctx, e)
	}
	if err != nil {
		if app.ErrorCode(err) != app.EINVALID {
			return err
		}
		c.Status(fiber.StatusUnprocessableEntity)
		return s.renderStaffEvent(c, id, &staffEventPage{Form: f, Errors: errs(err, "title")})
	}
	switch {
	case e.CancelledAt != nil && !wasCancelled:
		s.SetFlash(c, "ok", "Event cancelled: members see it as cancelled and it left the calendar.")
	default:
		s.SetFlash(c, "ok", "Event saved.")
	}
	return c.Redirect(fmt.Sprintf("/community/events/%d", id), fiber.StatusSeeOther)
}
