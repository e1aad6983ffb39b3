// Package calendar is the universal calendar's domain: calendars with
// weekly availability, date overrides and holidays in their own time
// zone; event types (bookable meetings); bookings; and the availability
// engine that turns them into free slots. It imports no project package
// but app, and no outside technology: CalDAV and ICS live in package
// caldav, SQL in store.
package calendar

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	// The tz database is embedded so a server without /usr/share/zoneinfo
	// (a minimal VPS image) still knows every visitor's zone.
	_ "time/tzdata"

	"orengen/app"
)

// Owner kinds of a calendar.
const (
	OwnerTenant = "tenant" // the tenant's shared calendar
	OwnerUser   = "user"   // a portal user's calendar (OwnerID: users.id)
	OwnerAdmin  = "admin"  // a Nexus admin's calendar, in the house tenant
)

// Span is a time of day as minutes from midnight, [Start, End), End at
// most 1440 (midnight at the end of the day).
type Span struct {
	Start int `json:"start"`
	End   int `json:"end"`
}

// String is "09:00-17:00".
func (s Span) String() string {
	return fmt.Sprintf("%02d:%02d-%02d:%02d", s.Start/60, s.Start%60, s.End/60, s.End%60)
}

// Override replaces the weekly hours on one date: no spans is a day off.
type Override struct {
	Date  string `json:"date"` // 2006-01-02, in the calendar's zone
	Spans []Span `json:"spans"`
}

// Holiday is a named day off.
type Holiday struct {
	Date string `json:"date"`
	Name string `json:"name"`
}

// Availability is when a calendar can be booked: hours per weekday
// (index time.Weekday), date overrides that win over them, and holidays
// (days off unless an override gives hours).
type Availability struct {
	Weekly    [7][]Span  `json:"weekly"`
	Overrides []Override `json:"overrides,omitempty"`
	Holidays  []Holiday  `json:"holidays,omitempty"`
}

// DefaultAvailability is Monday to Friday, 09:00 to 17:00.
func DefaultAvailability() Availability {
	var a Availability
	for d := time.Monday; d <= time.Friday; d++ {
		a.Weekly[d] = []Span{{9 * 60, 17 * 60}}
	}
	return a
}

// SpansOn returns the hours of a local date.
func (a *Availability) SpansOn(date string, wd time.Weekday) []Span {
	for _, o := range a.Overrides {
		if o.Date == date {
			return o.Spans
		}
	}
	for _, h := range a.Holidays {
		if h.Date == date {
			return nil
		}
	}
	return a.Weekly[wd]
}

// Validate sorts and checks the spans. Returns EINVALID naming the field.
func (a *Availability) Validate() error {
	check := func(field string, ss []Span) ([]Span, error) {
		ss = slices.Clone(ss)
		slices.SortFunc(ss, func(x, y Span) int { return x.Start - y.Start })
		for i, s := range ss {
			if s.Start < 0 || s.End > 1440 || s.Start >= s.End {
				return nil, app.FieldErrorf(field, "Hours %s are not a time range within one day.", s)
			}
			if i > 0 && s.Start < ss[i-1].End {
				return nil, app.FieldErrorf(field, "Hours %s overlap %s.", s, ss[i-1])
			}
		}
		return ss, nil
	}
	var err error
	for d := range a.Weekly {
		if a.Weekly[d], err = check("weekly."+strings.ToLower(time.Weekday(d).String()), a.Weekly[d]); err != nil {
			return err
		}
	}
	seen := map[string]bool{}
	for i := range a.Overrides {
		o := &a.Overrides[i]
		if _, err := time.Parse(time.DateOnly, o.Date); err != nil {
			return app.FieldErrorf("overrides", "Override date %q is not a date like 2026-12-24.", o.Date)
		}
		if seen[o.Date] {
			return app.FieldErrorf("overrides", "Date %s has two overrides.", o.Date)
		}
		seen[o.Date] = true
		if o.Spans, err = check("overrides", o.Spans); err != nil {
			return err
		}
	}
	for _, h := range a.Holidays {
		if _, err := time.Parse(time.DateOnly, h.Date); err != nil {
			return app.FieldErrorf("holidays", "Holiday date %q is not a date like 2026-12-25.", h.Date)
		}
		if len(h.Name) > 200 {
			return app.FieldErrorf("holidays", "Holiday name is too long.")
		}
	}
	if len(a.Overrides) > 1000 || len(a.Holidays) > 1000 {
		return app.FieldErrorf("overrides", "At most 1000 overrides and 1000 holidays.")
	}
	return nil
}

// Calendar is a bookable calendar: a user's, an admin's or the tenant's.
type Calendar struct {
	ID           int64
	TenantID     int64
	OwnerKind    string
	OwnerID      int64
	Name         string
	TimeZone     string
	Availability Availability
	// FeedToken is the secret of the calendar's private ICS feed URL.
	FeedToken string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Location returns the calendar's zone (UTC if it cannot be loaded,
// which Validate prevents).
func (c *Calendar) Location() *time.Location {
	if l, err := time.LoadLocation(c.TimeZone); err == nil {
		return l
	}
	return time.UTC
}

// LoadZone loads an IANA zone name. Returns EINVALID naming field.
func LoadZone(field, name string) (*time.Location, error) {
	if name == "" || name == "Local" {
		return nil, app.FieldErrorf(field, "Time zone required (an IANA name like Europe/Berlin).")
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, app.FieldErrorf(field, "Unknown time zone %q (use an IANA name like America/New_York).", name)
	}
	return l, nil
}

// Validate normalises and checks c. Returns EINVALID naming the field.
func (c *Calendar) Validate() error {
	c.Name = strings.TrimSpace(c.Name)
	if c.Name == "" || len(c.Name) > 200 {
		return app.FieldErrorf("name", "Calendar name required (at most 200 characters).")
	}
	switch c.OwnerKind {
	case OwnerTenant:
		c.OwnerID = 0
	case OwnerUser, OwnerAdmin:
		if c.OwnerID <= 0 {
			return app.FieldErrorf("owner_id", "Calendar owner required.")
		}
	default:
		return app.FieldErrorf("owner_kind", "Owner kind must be tenant, user or admin.")
	}
	if _, err := LoadZone("time_zone", c.TimeZone); err != nil {
		return err
	}
	return c.Availability.Validate()
}

// Location kinds of an event type.
const (
	LocationPhone     = "phone"     // the host calls the number the guest gives
	LocationVideo     = "video"     // a fixed video link
	LocationAddress   = "address"   // in person
	LocationGenerated = "generated" // a link made per booking (Jitsi room)
)

// Assignment modes of an event type with several hosts.
const (
	AssignSingle     = "single"      // the one host
	AssignRoundRobin = "round_robin" // the free host with the fewest bookings
	AssignCollective = "collective"  // every host attends
)

// Question is a field of the booking form. Field maps the answer to a CRM
// person field (phone, company, title) or, empty, keeps it on the booking
// and in the timeline entry.
type Question struct {
	Key      string `json:"key"`
	Label    string `json:"label"`
	Field    string `json:"field,omitempty"`
	Required bool   `json:"required,omitempty"`
}

// Question fields mapped to the CRM person.
var questionFields = []string{"", "phone", "company", "title"}

var slugRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`) })

// EventType is a bookable meeting.
type EventType struct {
	ID          int64
	TenantID    int64
	Slug        string
	Title       string
	Description string
	// Durations in minutes; the first is the default.
	Durations    []int
	LocationKind string
	Location     string
	BufferBefore int // minutes kept free before a booking
	BufferAfter  int // and after
	MinNotice    int // minutes between now and the earliest start
	WindowDays   int // how far ahead a start may be (0: 60 days)
	DailyLimit   int // bookings per host and local day (0: none)
	SlotStep     int // minutes between offered starts (0: the duration)
	Questions    []Question
	// RequiresConfirmation makes a booking pending until a host confirms.
	RequiresConfirmation bool
	Assignment           string
	Hosts                []int64 // calendar IDs
	// CreateDeal opens a deal for the person in DealPipeline ("" default).
	CreateDeal   bool
	DealPipeline string
	Enabled      bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// DefaultWindowDays is the booking window when an event type sets none.
const DefaultWindowDays = 60

// Duration returns the minutes asked for if the event type offers them,
// else its default. Returns EINVALID naming "duration".
func (e *EventType) Duration(minutes int) (time.Duration, error) {
	if minutes == 0 {
		return time.Duration(e.Durations[0]) * time.Minute, nil
	}
	if !slices.Contains(e.Durations, minutes) {
		return 0, app.FieldErrorf("duration", "This meeting lasts %s minutes.", joinInts(e.Durations))
	}
	return time.Duration(minutes) * time.Minute, nil
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, " or ")
}

// Validate normalises and checks e. Returns EINVALID naming the field.
func (e *EventType) Validate() error {
	e.Title = strings.TrimSpace(e.Title)
	e.Slug = strings.ToLower(strings.TrimSpace(e.Slug))
	if e.Title == "" || len(e.Title) > 200 {
		return app.FieldErrorf("title", "Title required (at most 200 characters).")
	}
	if !slugRE().MatchString(e.Slug) {
		return app.FieldErrorf("slug", "Slug must be lower-case letters, digits and dashes (like free-audit).")
	}
	if len(e.Description) > 5000 {
		return app.FieldErrorf("description", "Description is too long (at most 5000 characters).")
	}
	if len(e.Durations) == 0 || len(e.Durations) > 6 {
		return app.FieldErrorf("durations", "Give one to six durations in minutes.")
	}
	for _, d := range e.Durations {
		if d < 5 || d > 720 {
			return app.FieldErrorf("durations", "A duration is 5 to 720 minutes.")
		}
	}
	switch e.LocationKind {
	case LocationPhone, LocationGenerated:
	case LocationVideo, LocationAddress:
		if strings.TrimSpace(e.Location) == "" {
			return app.FieldErrorf("location", "Location required for a %s meeting.", e.LocationKind)
		}
	case "":
		e.LocationKind = LocationGenerated
	default:
		return app.FieldErrorf("location_kind", "Location kind must be phone, video, address or generated.")
	}
	if len(e.Location) > 500 {
		return app.FieldErrorf("location", "Location is too long.")
	}
	for _, f := range []struct {
		name    string
		v       int
		max     int
		allowed string
	}{
		{"buffer_before", e.BufferBefore, 480, "0 to 480 minutes"},
		{"buffer_after", e.BufferAfter, 480, "0 to 480 minutes"},
		{"min_notice", e.MinNotice, 60 * 24 * 90, "0 to 129600 minutes"},
		{"window_days", e.WindowDays, 730, "0 to 730 days"},
		{"daily_limit", e.DailyLimit, 100, "0 to 100"},
		{"slot_step", e.SlotStep, 720, "0 to 720 minutes"},
	} {
		if f.v < 0 || f.v > f.max {
			return app.FieldErrorf(f.name, "%s must be %s.", f.name, f.allowed)
		}
	}
	if e.SlotStep != 0 && e.SlotStep < 5 {
		return app.FieldErrorf("slot_step", "slot_step must be at least 5 minutes.")
	}
	if len(e.Questions) > 20 {
		return app.FieldErrorf("questions", "At most 20 questions.")
	}
	keys := map[string]bool{"name": true, "email": true, "notes": true, "time_zone": true}
	for i := range e.Questions {
		q := &e.Questions[i]
		q.Key, q.Label = strings.TrimSpace(q.Key), strings.TrimSpace(q.Label)
		if !slugRE().MatchString(strings.ReplaceAll(q.Key, "_", "-")) || keys[q.Key] {
			return app.FieldErrorf("questions", "Question key %q must be unique lower-case letters, digits and underscores.", q.Key)
		}
		keys[q.Key] = true
		if q.Label == "" || len(q.Label) > 200 {
			return app.FieldErrorf("questions", "Question %q needs a label.", q.Key)
		}
		if !slices.Contains(questionFields, q.Field) {
			return app.FieldErrorf("questions", "Question %q maps to %q; CRM fields are phone, company and title.", q.Key, q.Field)
		}
	}
	switch e.Assignment {
	case "":
		e.Assignment = AssignSingle
	case AssignSingle, AssignRoundRobin, AssignCollective:
	default:
		return app.FieldErrorf("assignment", "Assignment must be single, round_robin or collective.")
	}
	slices.Sort(e.Hosts)
	e.Hosts = slices.Compact(e.Hosts)
	if len(e.Hosts) == 0 {
		return app.FieldErrorf("hosts", "Choose at least one host calendar.")
	}
	if e.Assignment == AssignSingle && len(e.Hosts) != 1 {
		return app.FieldErrorf("hosts", "A single-host meeting has exactly one host; choose round robin or collective for several.")
	}
	if len(e.Hosts) > 50 {
		return app.FieldErrorf("hosts", "At most 50 hosts.")
	}
	if len(e.DealPipeline) > 200 {
		return app.FieldErrorf("deal_pipeline", "Pipeline name is too long.")
	}
	return nil
}

// Booking statuses.
const (
	StatusConfirmed = "confirmed"
	StatusPending   = "pending" // waits for a host to confirm
	StatusCancelled = "cancelled"
)

// Booking is an appointment taken on an event type.
type Booking struct {
	ID          int64
	TenantID    int64
	EventTypeID int64
	// Hosts are the calendars that attend (one, or all for collective).
	Hosts    []int64
	Start    time.Time
	End      time.Time
	Status   string
	Title    string
	Name     string
	Email    string
	Phone    string
	TimeZone string // the guest's
	Notes    string
	Answers  map[string]string
	Location string
	PersonID int64
	DealID   int64
	// UID is the iCalendar UID; Sequence counts reschedules (ICS SEQUENCE
	// and the version a cancel/reschedule token is bound to).
	UID          string
	Sequence     int
	NoShow       bool
	CancelReason string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Active reports whether the booking holds its time.
func (b *Booking) Active() bool { return b.Status == StatusConfirmed || b.Status == StatusPending }

// Busy is a time a calendar is taken by something other than a booking:
// a synced CalDAV event, an ICS subscription's event, or a community
// event of the members' area linked to the calendar (EventID).
type Busy struct {
	CalendarID int64
	Start      time.Time
	End        time.Time
	Summary    string
	EventID    int64 // a community event (0: synced)
}
