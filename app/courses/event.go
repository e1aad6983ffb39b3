package courses

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"orengen/app"
	"orengen/app/calendar"
)

// Community events (issue #24): the staff put an event in a space (a live
// session, a meet-up) with a start and end entered in the tenant's time
// zone, a place or a video link, and a capacity. It shows in the space,
// on the tenant's calendar it is linked to (the calendar views, and the
// free slots of that calendar), members answer going or not going (the
// capacity is kept in the same transaction), download it as .ics, and
// the email digest reminds those going.

// RSVP answers.
const (
	RSVPGoing    = "going"
	RSVPNotGoing = "not_going"
)

// Event limits.
const (
	MaxEventDescription = 20_000
	MaxEventLocation    = 500
	MaxEventCapacity    = 100_000
	// MaxEventLength is the longest event: the calendar reads busy
	// times that long back from a range (store.MaxBusySpan).
	MaxEventLength = 7 * 24 * time.Hour
)

// CommunityEvent is an event of a space.
type CommunityEvent struct {
	ID          int64
	TenantID    int64
	SpaceID     int64
	CalendarID  int64 // 0: on no calendar
	UID         string
	Title       string
	Description string // Markdown
	Start, End  time.Time
	TimeZone    string // the zone it was entered in (the tenant's)
	Location    string
	VideoURL    string
	Capacity    int // 0: no limit
	Going       int
	Sequence    int
	CancelledAt *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// Filled for pages: the space, and the viewer's answer ("" none).
	SpaceSlug string
	SpaceName string
	MyRSVP    string
}

// Full reports whether every place is taken.
func (e *CommunityEvent) Full() bool { return e.Capacity > 0 && e.Going >= e.Capacity }

// PlacesLeft is the number of free places (-1: no limit).
func (e *CommunityEvent) PlacesLeft() int {
	if e.Capacity == 0 {
		return -1
	}
	return max(e.Capacity-e.Going, 0)
}

// Ended reports whether the event is over at now.
func (e *CommunityEvent) Ended(now time.Time) bool { return !e.End.After(now) }

// Zone returns the event's zone (UTC if it does not load).
func (e *CommunityEvent) Zone() *time.Location {
	if l, err := time.LoadLocation(e.TimeZone); err == nil && e.TimeZone != "" {
		return l
	}
	return time.UTC
}

// When is the event's time in its own zone, like "Tue 8 Dec 2026,
// 18:00–19:30 (Europe/Paris)".
func (e *CommunityEvent) When() string { return e.WhenIn(e.Zone()) }

// WhenIn is the event's time in zone loc.
func (e *CommunityEvent) WhenIn(loc *time.Location) string {
	s, en := e.Start.In(loc), e.End.In(loc)
	end := en.Format("15:04")
	if s.Format(time.DateOnly) != en.Format(time.DateOnly) {
		end = en.Format("Mon 2 Jan 2006, 15:04")
	}
	return s.Format("Mon 2 Jan 2006, 15:04") + "–" + end + " (" + loc.String() + ")"
}

// Validate normalises and checks e. Returns EINVALID naming the field.
func (e *CommunityEvent) Validate() error {
	e.Title = strings.TrimSpace(e.Title)
	e.Description = strings.TrimSpace(e.Description)
	e.Location = strings.TrimSpace(e.Location)
	e.VideoURL = strings.TrimSpace(e.VideoURL)
	if err := checkText("title", "Title", e.Title, MaxTitle, true); err != nil {
		return err
	}
	if err := checkText("description", "Description", e.Description, MaxEventDescription, false); err != nil {
		return err
	}
	if e.SpaceID <= 0 {
		return app.FieldErrorf("space_id", "Choose the space the event belongs to.")
	}
	if e.Start.IsZero() {
		return app.FieldErrorf("start", "Start required.")
	}
	if e.End.IsZero() {
		return app.FieldErrorf("end", "End required.")
	}
	if !e.End.After(e.Start) {
		return app.FieldErrorf("end", "The event must end after it starts.")
	}
	if e.End.Sub(e.Start) > MaxEventLength {
		return app.FieldErrorf("end", "An event lasts at most 7 days.")
	}
	if err := checkText("location", "Place", e.Location, MaxEventLocation, false); err != nil {
		return err
	}
	if err := checkText("video_url", "Video link", e.VideoURL, MaxEventLocation, false); err != nil {
		return err
	}
	if e.VideoURL != "" {
		u, err := url.Parse(e.VideoURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return app.FieldErrorf("video_url", "The video link must be a web address like https://meet.example.com/room.")
		}
	}
	if e.Location == "" && e.VideoURL == "" {
		return app.FieldErrorf("location", "Give a place or a video link, so members know where to go.")
	}
	if e.Capacity < 0 || e.Capacity > MaxEventCapacity {
		return app.FieldErrorf("capacity", "Capacity must be between 0 (no limit) and %d.", MaxEventCapacity)
	}
	if e.CalendarID < 0 {
		return app.FieldErrorf("calendar_id", "Choose one of your calendars.")
	}
	return nil
}

// ParseEventTime reads a time for field: RFC 3339 with an offset, or a
// local "2006-01-02T15:04" (seconds optional) in loc. Returns EINVALID
// naming field.
func ParseEventTime(field, v string, loc *time.Location) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC(), nil
	}
	for _, f := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(f, v, loc); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, app.FieldErrorf(field, "%s must be a date and time like 2026-12-24T18:00 (in %s) or RFC 3339.", field, loc)
}

// TenantZone is the tenant's time zone (UTC when unset or unknown).
func TenantZone(t *app.Tenant) *time.Location {
	if t != nil && t.Timezone != "" {
		if l, err := time.LoadLocation(t.Timezone); err == nil {
			return l
		}
	}
	return time.UTC
}

// RSVP is a member's answer to an event.
type RSVP struct {
	EventID    int64
	MemberID   int64
	MemberName string
	Email      string
	Status     string
	UpdatedAt  time.Time
}

// EventCalendar is a calendar of the tenant an event may show on.
type EventCalendar struct {
	ID        int64
	Name      string
	OwnerKind string
}

// EventFilter selects events.
type EventFilter struct {
	ID       int64   // one event (0: any)
	SpaceIDs []int64 // nil: every space (staff)
	// From keeps events ending after it (zero: all).
	From time.Time
	// To keeps events starting before it (zero: no bound).
	To            time.Time
	WithCancelled bool
	// MemberID fills MyRSVP; with Going, only events the member goes to.
	MemberID int64
	Going    bool
	Limit    int
}

// EventStore persists community events and RSVPs; every method works in
// the tenant of ctx.
type EventStore interface {
	// CreateEvent returns EINVALID naming space_id or calendar_id when
	// they are not the tenant's.
	CreateEvent(ctx context.Context, e *CommunityEvent) error
	// UpdateEvent writes e and bumps its sequence; EINVALID naming
	// capacity when more members are going than it allows.
	UpdateEvent(ctx context.Context, e *CommunityEvent) error
	FindEvent(ctx context.Context, id int64) (*CommunityEvent, error)
	FindEvents(ctx context.Context, f EventFilter) ([]*CommunityEvent, error)
	// SetRSVP records the member's answer in one transaction with the
	// count of members going; ECONFLICT when going and the event is full.
	SetRSVP(ctx context.Context, eventID, memberID int64, status string) (*CommunityEvent, error)
	FindRSVPs(ctx context.Context, eventID int64) ([]*RSVP, error)
	FindEventCalendars(ctx context.Context) ([]*EventCalendar, error)
}

func (s *Service) events() (EventStore, error) {
	if s.Community == nil {
		return nil, app.Errorf(app.EINTERNAL, "No event store.")
	}
	return s.Community, nil
}

// EventsOn reports whether community events are kept.
func (s *Service) EventsOn() bool {
	_, err := s.events()
	return err == nil
}

// EventCalendars lists the calendars an event may show on (staff).
func (s *Service) EventCalendars(ctx context.Context) ([]*EventCalendar, error) {
	if err := staff(ctx); err != nil {
		return nil, err
	}
	es, err := s.events()
	if err != nil {
		return nil, err
	}
	return es.FindEventCalendars(ctx)
}

// DefaultEventCalendar is the calendar a new event shows on: the tenant's
// shared calendar, else the first (0: none).
func DefaultEventCalendar(cals []*EventCalendar) int64 {
	for _, c := range cals {
		if c.OwnerKind == calendar.OwnerTenant {
			return c.ID
		}
	}
	if len(cals) > 0 {
		return cals[0].ID
	}
	return 0
}

// CreateEvent adds an event to a space (staff); the zone is the
// tenant's. Returns EINVALID naming the field or ENOTFOUND.
func (s *Service) CreateEvent(ctx context.Context, e *CommunityEvent) error {
	if err := staff(ctx); err != nil {
		return err
	}
	es, err := s.events()
	if err != nil {
		return err
	}
	e.TimeZone = TenantZone(app.TenantFromContext(ctx)).String()
	if err := e.Validate(); err != nil {
		return err
	}
	if _, err := s.Community.FindSpace(ctx, e.SpaceID); err != nil {
		return app.FieldErrorf("space_id", "Choose one of your spaces.")
	}
	e.UID = "community-event-" + app.RandomToken(16) + "@orengen"
	return es.CreateEvent(ctx, e)
}

// UpdateEvent saves an event's fields (staff); cancelled set or nil
// cancels or restores it. Returns EINVALID naming the field or ENOTFOUND.
func (s *Service) UpdateEvent(ctx context.Context, e *CommunityEvent) error {
	if err := staff(ctx); err != nil {
		return err
	}
	es, err := s.events()
	if err != nil {
		return err
	}
	old, err := es.FindEvent(ctx, e.ID)
	if err != nil {
		return err
	}
	e.UID, e.TimeZone = old.UID, old.TimeZone
	if err := e.Validate(); err != nil {
		return err
	}
	if e.SpaceID != old.SpaceID {
		if _, err := s.Community.FindSpace(ctx, e.SpaceID); err != nil {
			return app.FieldErrorf("space_id", "Choose one of your spaces.")
		}
	}
	return es.UpdateEvent(ctx, e)
}

// Event returns an event with its RSVPs (staff). Returns ENOTFOUND.
func (s *Service) Event(ctx context.Context, id int64) (*CommunityEvent, []*RSVP, error) {
	if err := staff(ctx); err != nil {
		return nil, nil, err
	}
	es, err := s.events()
	if err != nil {
		return nil, nil, err
	}
	e, err := es.FindEvent(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	rs, err := es.FindRSVPs(ctx, id)
	return e, rs, err
}

// SpaceEvents lists the tenant's events (staff): of one space (spaceID > 0)
// or all, upcoming only unless all is set, cancelled included.
func (s *Service) SpaceEvents(ctx context.Context, spaceID int64, all bool) ([]*CommunityEvent, error) {
	if err := staff(ctx); err != nil {
		return nil, err
	}
	es, err := s.events()
	if err != nil {
		return nil, err
	}
	f := EventFilter{WithCancelled: true, Limit: 500}
	if spaceID > 0 {
		f.SpaceIDs = []int64{spaceID}
	}
	if !all {
		f.From = s.now()
	}
	evs, err := es.FindEvents(ctx, f)
	if err != nil {
		return nil, err
	}
	return evs, s.fillEventSpaces(ctx, evs, nil)
}

func (s *Service) fillEventSpaces(ctx context.Context, evs []*CommunityEvent, sps []*Space) error {
	if sps == nil {
		var err error
		if sps, err = s.Community.FindSpaces(ctx); err != nil {
			return err
		}
	}
	for _, e := range evs {
		for _, sp := range sps {
			if sp.ID == e.SpaceID {
				e.SpaceSlug, e.SpaceName = sp.Slug, sp.Name
			}
		}
	}
	return nil
}

// SetMemberRSVP answers for a member (staff: a registration by the team);
// the capacity holds. Returns EINVALID, ENOTFOUND or ECONFLICT (full,
// cancelled or over).
func (s *Service) SetMemberRSVP(ctx context.Context, eventID, memberID int64, status string) (*CommunityEvent, error) {
	if err := staff(ctx); err != nil {
		return nil, err
	}
	m, err := s.stores.Members.FindMember(ctx, memberID)
	if err != nil {
		return nil, err
	}
	es, err := s.events()
	if err != nil {
		return nil, err
	}
	e, err := es.FindEvent(ctx, eventID)
	if err != nil {
		return nil, err
	}
	return s.rsvp(ctx, es, e, m, status)
}

// --- Members ---

// MemberEvents lists the upcoming events of the member's spaces (of one
// space when sp is set), soonest first, with their answers.
func (s *Service) MemberEvents(ctx context.Context, m *Member, sp *Space) ([]*CommunityEvent, error) {
	es, err := s.events()
	if err != nil {
		return nil, err
	}
	sps := []*Space{sp}
	if sp == nil {
		if sps, err = s.MemberSpaces(ctx, m); err != nil {
			return nil, err
		}
	}
	if len(sps) == 0 {
		return nil, nil
	}
	f := EventFilter{From: s.now(), MemberID: m.ID, Limit: 50}
	for _, x := range sps {
		f.SpaceIDs = append(f.SpaceIDs, x.ID)
	}
	evs, err := es.FindEvents(ctx, f)
	if err != nil {
		return nil, err
	}
	return evs, s.fillEventSpaces(ctx, evs, sps)
}

// MemberEvent returns an event of one of the member's spaces with their
// answer (cancelled ones too, marked). Returns ENOTFOUND.
func (s *Service) MemberEvent(ctx context.Context, m *Member, id int64) (*CommunityEvent, error) {
	es, err := s.events()
	if err != nil {
		return nil, err
	}
	sps, err := s.MemberSpaces(ctx, m)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(sps))
	for _, sp := range sps {
		ids = append(ids, sp.ID)
	}
	if len(ids) > 0 {
		evs, err := es.FindEvents(ctx, EventFilter{SpaceIDs: ids, WithCancelled: true, MemberID: m.ID, ID: id, Limit: 1})
		if err != nil {
			return nil, err
		}
		if len(evs) == 1 {
			return evs[0], s.fillEventSpaces(ctx, evs, sps)
		}
	}
	return nil, app.Errorf(app.ENOTFOUND, "Event not found.")
}

// RSVPEvent records the member's answer to an event of one of their
// spaces. Returns EINVALID (status), ENOTFOUND or ECONFLICT (full,
// cancelled or over, with a message saying so).
func (s *Service) RSVPEvent(ctx context.Context, m *Member, id int64, status string) (*CommunityEvent, error) {
	e, err := s.MemberEvent(ctx, m, id)
	if err != nil {
		return nil, err
	}
	es, err := s.events()
	if err != nil {
		return nil, err
	}
	out, err := s.rsvp(ctx, es, e, m, status)
	if err == nil {
		out.SpaceSlug, out.SpaceName, out.MyRSVP = e.SpaceSlug, e.SpaceName, status
	}
	return out, err
}

func (s *Service) rsvp(ctx context.Context, es EventStore, e *CommunityEvent, m *Member, status string) (*CommunityEvent, error) {
	if status != RSVPGoing && status != RSVPNotGoing {
		return nil, app.FieldErrorf("status", "Answer %s or %s.", RSVPGoing, RSVPNotGoing)
	}
	switch {
	case e.CancelledAt != nil:
		return nil, app.Errorf(app.ECONFLICT, "This event was cancelled.")
	case e.Ended(s.now()):
		return nil, app.Errorf(app.ECONFLICT, "This event is over.")
	}
	out, err := es.SetRSVP(ctx, e.ID, m.ID, status)
	if app.ErrorCode(err) == app.ECONFLICT {
		return nil, app.Errorf(app.ECONFLICT, "Sorry, this event is full (%d of %d places taken). If someone cancels, a place opens again.", e.Capacity, e.Capacity)
	}
	return out, err
}

// EventICS is the event as an iCalendar file (one VEVENT; a cancelled
// event is STATUS:CANCELLED) for the member, linking to its page at
// pageURL.
func (s *Service) EventICS(e *CommunityEvent, brand, pageURL string) ([]byte, error) {
	if s.ICS == nil {
		return nil, app.Errorf(app.EINTERNAL, "No calendar files.")
	}
	st := "CONFIRMED"
	if e.CancelledAt != nil {
		st = "CANCELLED"
	}
	loc := e.Location
	if loc == "" {
		loc = e.VideoURL
	}
	desc := e.Description
	if e.VideoURL != "" {
		desc = strings.TrimSpace(desc + "\n\nJoin: " + e.VideoURL)
	}
	return s.ICS.Feed(brand, []calendar.FeedEvent{{UID: e.UID, Start: e.Start, End: e.End, Summary: e.Title, Location: loc,
		Sequence: e.Sequence, Status: st, Description: desc, URL: pageURL}})
}

// eventReminders lists, for the digest, the events the member goes to
// that start within the next period (daily: a day, weekly: a week).
func (s *Service) eventReminders(ctx context.Context, m *Member, now time.Time) ([]*CommunityEvent, error) {
	es, err := s.events()
	if err != nil {
		return nil, nil //nolint:nilerr // no events kept: nothing to remind
	}
	return es.FindEvents(ctx, EventFilter{From: now, To: now.Add(DigestPeriod(m.Digest)), MemberID: m.ID, Going: true, Limit: 20})
}

func eventLine(e *CommunityEvent, loc *time.Location) string {
	where := e.Location
	if e.VideoURL != "" {
		where = strings.TrimSpace(where + " " + e.VideoURL)
	}
	return fmt.Sprintf("%s, %s, %s", e.Title, e.WhenIn(loc), where)
}
