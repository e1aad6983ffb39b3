package calendar

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/mail"
	"slices"
	"strings"
	"time"

	"orengen/app"
)

// Store keeps calendars, event types and bookings. Every method works in
// the tenant of ctx (EUNAUTHORIZED without one).
type Store interface {
	CreateCalendar(ctx context.Context, c *Calendar) error
	// UpdateCalendar writes name, zone and availability. Returns ENOTFOUND.
	UpdateCalendar(ctx context.Context, c *Calendar) error
	// FindCalendar returns ENOTFOUND unless the calendar is the tenant's.
	FindCalendar(ctx context.Context, id int64) (*Calendar, error)
	FindCalendars(ctx context.Context) ([]*Calendar, error)
	// FindCalendarByFeedToken finds a calendar across tenants by the
	// secret of its feed URL. Returns ENOTFOUND.
	FindCalendarByFeedToken(ctx context.Context, token string) (*Calendar, error)

	// CreateEventType returns EINVALID naming "hosts" when a host is not
	// the tenant's calendar and ECONFLICT when the slug is taken.
	CreateEventType(ctx context.Context, e *EventType) error
	UpdateEventType(ctx context.Context, e *EventType) error
	DeleteEventType(ctx context.Context, id int64) error
	FindEventType(ctx context.Context, id int64) (*EventType, error)
	FindEventTypeBySlug(ctx context.Context, slug string) (*EventType, error)
	FindEventTypes(ctx context.Context) ([]*EventType, error)

	// HostStates returns, per calendar, what is busy in [from, to) and the
	// starts of the event type's active bookings (Host.Booked).
	HostStates(ctx context.Context, calendars []*Calendar, eventTypeID int64, from, to time.Time) ([]Host, error)
	// Book takes the time in one transaction (see BookInput). Returns
	// ECONFLICT when no candidate host is free any more.
	Book(ctx context.Context, in *BookInput) error
	// Reschedule moves an active booking in one transaction, with the
	// same checks as Book against everything but the booking itself.
	Reschedule(ctx context.Context, in *RescheduleInput) error
	// SetBookingStatus cancels, confirms or marks a no-show, recording it
	// on the person's timeline. Returns ENOTFOUND or ECONFLICT (already
	// cancelled, or the sequence moved on).
	SetBookingStatus(ctx context.Context, in *StatusChange) (*Booking, error)
	FindBooking(ctx context.Context, id int64) (*Booking, error)
	FindBookings(ctx context.Context, f BookingFilter) ([]*Booking, error)
	// FindBusy returns the tenant's synced busy times overlapping
	// [from, to), in start order.
	FindBusy(ctx context.Context, from, to time.Time) ([]Busy, error)
}

// BookInput is a booking to write, with what the transaction re-checks.
type BookInput struct {
	Booking *Booking // Hosts empty: the store picks them from Candidates
	// Candidates are the hosts the slot computation found free. For round
	// robin the store takes, among those still free inside the
	// transaction, the one with the fewest active bookings of the event
	// type (then the lowest ID): fair over time. Collective needs all.
	Candidates   []int64
	Collective   bool
	BufferBefore time.Duration
	BufferAfter  time.Duration
	// DailyLimit with DayBounds (per candidate: its local day of the
	// start, in UTC) bounds the event type's bookings per host and day.
	DailyLimit int
	DayBounds  map[int64]Interval
	// Contact is created or updated in the CRM in the same transaction,
	// and the booking goes on its timeline; Deal (optional) is opened for
	// the person in DealPipeline.
	Contact      *app.ContactInput
	Deal         *app.Deal
	DealPipeline string
}

// RescheduleInput moves booking ID (at Sequence) to Start-End.
type RescheduleInput struct {
	ID           int64
	Sequence     int
	Start, End   time.Time
	BufferBefore time.Duration
	BufferAfter  time.Duration
	DailyLimit   int
	DayBounds    map[int64]Interval
	// Booking is the booking as written (set by the store).
	Booking *Booking
}

// StatusChange changes a booking's status or no-show mark. Sequence -1
// skips the sequence check (a host acting from Nexus or the API).
type StatusChange struct {
	ID       int64
	Sequence int
	Status   string // "" keeps it
	NoShow   *bool
	Reason   string
	Actor    string
}

// BookingFilter selects bookings overlapping [From, To).
type BookingFilter struct {
	From, To    time.Time
	CalendarIDs []int64
	EventTypeID int64
	PersonID    int64
	// Active drops cancelled bookings.
	Active bool
	Limit  int
}

// ConflictError is a time taken in the meantime: nothing was written; Next
// holds the next free slots to offer instead.
type ConflictError struct {
	Err  *app.Error
	Next []Slot
}

func (e *ConflictError) Error() string { return e.Err.Error() }
func (e *ConflictError) Unwrap() error { return e.Err }

// Service is the calendar's use cases.
type Service struct {
	feeds FeedStore
	store Store
	Now   func() time.Time
	// Logger records sync and notification failures.
	Logger *slog.Logger
	// TokenKey signs the cancel and reschedule links (Token).
	TokenKey []byte
	// ICS encodes the calendars' private feeds (Feed).
	ICS ICS
}

// NewService returns the calendar on its store; the wiring sets the
// other fields. The store stays private: callers go through the service.
func NewService(st Storage) *Service { return &Service{store: st, feeds: st} }

// Storage is what NewService takes: the calendars and bookings, and the
// feed tokens (store.CalendarStore keeps both).
type Storage interface {
	Store
	FeedStore
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// NewToken returns a random URL-safe secret (feed tokens, UIDs).
func NewToken() string {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return hex.EncodeToString(b)
}

// CreateCalendar validates and stores c. Returns EINVALID naming the field.
func (s *Service) CreateCalendar(ctx context.Context, c *Calendar) error {
	if err := c.Validate(); err != nil {
		return err
	}
	c.FeedToken = NewToken()
	return s.store.CreateCalendar(ctx, c)
}

// UpdateCalendar validates and writes c's name, zone and availability.
// Returns EINVALID or ENOTFOUND.
func (s *Service) UpdateCalendar(ctx context.Context, c *Calendar) error {
	old, err := s.store.FindCalendar(ctx, c.ID)
	if err != nil {
		return err
	}
	c.OwnerKind, c.OwnerID = old.OwnerKind, old.OwnerID
	if err := c.Validate(); err != nil {
		return err
	}
	return s.store.UpdateCalendar(ctx, c)
}

// SaveEventType validates and creates (ID 0) or updates e. Returns
// EINVALID naming the field, ENOTFOUND or ECONFLICT (slug taken).
func (s *Service) SaveEventType(ctx context.Context, e *EventType) error {
	if err := e.Validate(); err != nil {
		return err
	}
	if e.ID == 0 {
		return s.store.CreateEventType(ctx, e)
	}
	return s.store.UpdateEventType(ctx, e)
}

// hosts loads the event type's calendars and their state in [from, to),
// widened by the buffers and a day each side for the daily limit.
func (s *Service) hosts(ctx context.Context, e *EventType, from, to time.Time) ([]Host, error) {
	cals := make([]*Calendar, 0, len(e.Hosts))
	for _, id := range e.Hosts {
		c, err := s.store.FindCalendar(ctx, id)
		if err != nil {
			if app.ErrorCode(err) == app.ENOTFOUND {
				continue // deleted since; the others still serve
			}
			return nil, err
		}
		cals = append(cals, c)
	}
	if len(cals) == 0 {
		return nil, app.Errorf(app.ENOTFOUND, "This meeting has no host calendar.")
	}
	pad := time.Duration(e.BufferBefore+e.BufferAfter)*time.Minute + 26*time.Hour
	return s.store.HostStates(ctx, cals, e.ID, from.Add(-pad), to.Add(pad))
}

// Busy returns the tenant's synced busy times (CalDAV events, ICS
// subscriptions) overlapping [from, to), for the calendar views.
func (s *Service) Busy(ctx context.Context, from, to time.Time) ([]Busy, error) {
	return s.store.FindBusy(ctx, from, to)
}

// MaxSlotRange bounds one availability request.
const MaxSlotRange = 62 * 24 * time.Hour

// FreeSlots returns the event type's free slots with a start in
// [from, to). Returns EINVALID for a bad range or duration.
func (s *Service) FreeSlots(ctx context.Context, e *EventType, minutes int, from, to time.Time) ([]Slot, error) {
	d, err := e.Duration(minutes)
	if err != nil {
		return nil, err
	}
	if !from.Before(to) {
		return nil, app.FieldErrorf("to", "The range must end after it starts.")
	}
	if to.Sub(from) > MaxSlotRange {
		return nil, app.FieldErrorf("to", "Ask for at most 62 days at a time.")
	}
	hosts, err := s.hosts(ctx, e, from, to)
	if err != nil {
		return nil, err
	}
	return FreeSlots(Query{Event: e, Duration: d, From: from, To: to, Now: s.now()}, hosts), nil
}

// BookRequest is a guest's booking.
type BookRequest struct {
	EventTypeID int64
	Start       time.Time
	Minutes     int // 0: the default duration
	Name        string
	Email       string
	Phone       string
	TimeZone    string
	Notes       string
	Answers     map[string]string
	// Source names who books ("booking page", "agent:12", "api").
	Source string
}

// Validate checks the guest's fields against the event type's questions.
// Returns EINVALID naming the field.
func (r *BookRequest) Validate(e *EventType) error {
	r.Name, r.Email, r.Phone = strings.TrimSpace(r.Name), strings.TrimSpace(r.Email), strings.TrimSpace(r.Phone)
	if r.Name == "" || len(r.Name) > 200 {
		return app.FieldErrorf("name", "Your name is required.")
	}
	if a, err := mail.ParseAddress(r.Email); err != nil || a.Address != r.Email || len(r.Email) > 254 {
		return app.FieldErrorf("email", "A valid email address is required.")
	}
	if r.TimeZone == "" {
		r.TimeZone = "UTC"
	}
	if _, err := LoadZone("time_zone", r.TimeZone); err != nil {
		return err
	}
	if r.Start.IsZero() {
		return app.FieldErrorf("start", "Choose a time.")
	}
	if len(r.Notes) > 5000 {
		return app.FieldErrorf("notes", "Notes are too long (at most 5000 characters).")
	}
	clean := map[string]string{}
	for _, q := range e.Questions {
		v := strings.TrimSpace(r.Answers[q.Key])
		if v == "" && q.Field == "phone" {
			v = r.Phone
		}
		if q.Required && v == "" {
			return app.FieldErrorf(q.Key, "%s is required.", q.Label)
		}
		if len(v) > 2000 {
			return app.FieldErrorf(q.Key, "%s is too long.", q.Label)
		}
		if v != "" {
			clean[q.Key] = v
		}
	}
	r.Answers = clean
	return nil
}

// Book books a guest on an event type of the tenant in ctx: the start
// must be one of the free slots; the CRM person is created or updated, the
// appointment goes on their timeline and a deal is opened if the event
// type says so, all in the booking's transaction. Returns EINVALID (naming
// the field) for a time in the past or outside availability, and a
// *ConflictError (ECONFLICT) with the next free slots when the time was
// taken in the meantime.
func (s *Service) Book(ctx context.Context, r *BookRequest) (*Booking, error) {
	e, err := s.store.FindEventType(ctx, r.EventTypeID)
	if err != nil {
		return nil, err
	}
	if !e.Enabled {
		return nil, app.Errorf(app.ENOTFOUND, "This meeting is not open for booking.")
	}
	if err := r.Validate(e); err != nil {
		return nil, err
	}
	d, err := e.Duration(r.Minutes)
	if err != nil {
		return nil, err
	}
	start := r.Start.UTC().Truncate(time.Second)
	slot, hosts, err := s.checkStart(ctx, e, d, start)
	if err != nil {
		return nil, err
	}
	b := &Booking{EventTypeID: e.ID, Start: start, End: start.Add(d), Status: StatusConfirmed, Title: e.Title,
		Name: r.Name, Email: r.Email, Phone: r.Phone, TimeZone: r.TimeZone, Notes: r.Notes, Answers: r.Answers,
		UID: NewToken() + "@orengen"}
	if e.RequiresConfirmation {
		b.Status = StatusPending
	}
	b.Location = e.Location
	if e.LocationKind == LocationGenerated {
		b.Location = "https://meet.jit.si/orengen-" + b.UID[:16]
	} else if e.LocationKind == LocationPhone {
		b.Location = "Phone: the host calls " + firstNonEmpty(r.Phone, r.Answers["phone"], "the number you gave")
	}
	in := &BookInput{Booking: b, Candidates: slot.Hosts, Collective: e.Assignment == AssignCollective,
		BufferBefore: time.Duration(e.BufferBefore) * time.Minute, BufferAfter: time.Duration(e.BufferAfter) * time.Minute,
		DailyLimit: e.DailyLimit, DayBounds: dayBounds(hosts, start)}
	in.Contact = contactInput(e, r)
	if e.CreateDeal {
		in.Deal = &app.Deal{Name: fmt.Sprintf("%s: %s", e.Title, r.Name)}
		in.DealPipeline = e.DealPipeline
	}
	if err := s.store.Book(ctx, in); err != nil {
		if app.ErrorCode(err) == app.ECONFLICT {
			return nil, s.conflict(ctx, e, d, start, err)
		}
		return nil, err
	}
	return b, nil
}

// checkStart finds start among the free slots. A start outside
// availability (or in the past, or too soon) is EINVALID; one that
// availability allows but is taken is ECONFLICT with the next slots.
func (s *Service) checkStart(ctx context.Context, e *EventType, d time.Duration, start time.Time) (Slot, []Host, error) {
	now := s.now()
	if !start.After(now) {
		return Slot{}, nil, app.FieldErrorf("start", "That time is in the past.")
	}
	earliest, latest := e.Bounds(now)
	if start.Before(earliest) {
		return Slot{}, nil, app.FieldErrorf("start", "This meeting needs %d minutes' notice; choose a later time.", e.MinNotice)
	}
	if !start.Before(latest) {
		return Slot{}, nil, app.FieldErrorf("start", "That time is beyond the booking window.")
	}
	hosts, err := s.hosts(ctx, e, start, start.Add(d))
	if err != nil {
		return Slot{}, nil, err
	}
	q := Query{Event: e, Duration: d, From: start, To: start.Add(time.Second), Now: now}
	if free := FreeSlots(q, hosts); len(free) == 1 && free[0].Start.Equal(start) {
		return free[0], hosts, nil
	}
	q.IgnoreBusy = true
	if open := FreeSlots(q, hosts); len(open) == 0 || !open[0].Start.Equal(start) {
		return Slot{}, nil, app.FieldErrorf("start", "That time is outside the hours this meeting can be booked.")
	}
	return Slot{}, nil, s.conflict(ctx, e, d, start, app.Errorf(app.ECONFLICT, MsgTaken))
}

// MsgTaken is the message of the store's ECONFLICT for a time no longer
// free (other conflicts, like a changed booking, have their own).
const MsgTaken = "That time is no longer free."

// NextSlots is how many free slots a conflict offers.
const NextSlots = 5

func (s *Service) conflict(ctx context.Context, e *EventType, d time.Duration, start time.Time, _ error) error {
	ce := &ConflictError{Err: app.Errorf(app.ECONFLICT, "That time was just taken; choose another.")}
	hosts, herr := s.hosts(ctx, e, start, start.Add(14*24*time.Hour))
	if herr == nil {
		slots := FreeSlots(Query{Event: e, Duration: d, From: start, To: start.Add(14 * 24 * time.Hour), Now: s.now()}, hosts)
		if len(slots) > NextSlots {
			slots = slots[:NextSlots]
		}
		ce.Next = slots
	}
	return ce
}

// dayBounds returns each host's local day around t, in UTC.
func dayBounds(hosts []Host, t time.Time) map[int64]Interval {
	out := make(map[int64]Interval, len(hosts))
	for _, h := range hosts {
		lt := t.In(h.Calendar.Location())
		y, m, d := lt.Date()
		s := time.Date(y, m, d, 0, 0, 0, 0, lt.Location())
		out[h.Calendar.ID] = Interval{s.UTC(), s.AddDate(0, 0, 1).UTC()}
	}
	return out
}

func contactInput(e *EventType, r *BookRequest) *app.ContactInput {
	first, last, _ := strings.Cut(r.Name, " ")
	in := &app.ContactInput{FirstName: first, LastName: strings.TrimSpace(last), Email: r.Email, Phone: r.Phone,
		Source: "booking: " + e.Title, Actor: "booking:" + e.Slug}
	for _, q := range e.Questions {
		v := r.Answers[q.Key]
		switch q.Field {
		case "phone":
			if in.Phone == "" {
				in.Phone = v
			}
		case "company":
			in.Company = v
		case "title":
			in.Title = v
		}
	}
	return in
}

func firstNonEmpty(xs ...string) string {
	for _, x := range xs {
		if x != "" {
			return x
		}
	}
	return ""
}

// Reschedule moves an active booking to start (same duration) if the
// time is free for its hosts. seq is the booking's sequence the caller
// saw (-1: a host, no check). Returns EINVALID for a time outside
// availability or in the past, *ConflictError when taken, ECONFLICT when
// the booking changed or was cancelled, ENOTFOUND.
func (s *Service) Reschedule(ctx context.Context, id int64, seq int, start time.Time) (*Booking, error) {
	b, err := s.store.FindBooking(ctx, id)
	if err != nil {
		return nil, err
	}
	e, err := s.store.FindEventType(ctx, b.EventTypeID)
	if err != nil {
		return nil, err
	}
	d := b.End.Sub(b.Start)
	start = start.UTC().Truncate(time.Second)
	now := s.now()
	if !start.After(now) {
		return nil, app.FieldErrorf("start", "That time is in the past.")
	}
	// The booking's own time does not count against itself: compute on
	// its hosts with it left out.
	hosts, err := s.hosts(ctx, e, start, start.Add(d))
	if err != nil {
		return nil, err
	}
	var mine []Host
	for _, h := range hosts {
		if slices.Contains(b.Hosts, h.Calendar.ID) {
			h.Busy = without(h.Busy, Interval{b.Start, b.End})
			h.Booked = withoutTime(h.Booked, b.Start)
			mine = append(mine, h)
		}
	}
	if len(mine) == 0 {
		return nil, app.Errorf(app.ENOTFOUND, "This booking's host calendar was deleted.")
	}
	col := *e
	col.Assignment = AssignCollective // every host of the booking must be free
	q := Query{Event: &col, Duration: d, From: start, To: start.Add(time.Second), Now: now}
	if free := FreeSlots(q, mine); len(free) != 1 {
		q.IgnoreBusy = true
		if open := FreeSlots(q, mine); len(open) != 1 {
			return nil, app.FieldErrorf("start", "That time is outside the hours this meeting can be booked.")
		}
		return nil, s.conflict(ctx, e, d, start, nil)
	}
	in := &RescheduleInput{ID: id, Sequence: seq, Start: start, End: start.Add(d),
		BufferBefore: time.Duration(e.BufferBefore) * time.Minute, BufferAfter: time.Duration(e.BufferAfter) * time.Minute,
		DailyLimit: e.DailyLimit, DayBounds: dayBounds(mine, start)}
	if err := s.store.Reschedule(ctx, in); err != nil {
		if app.ErrorMessage(err) == MsgTaken {
			return nil, s.conflict(ctx, e, d, start, err)
		}
		return nil, err
	}
	return in.Booking, nil
}

// Cancel cancels a booking (seq as for Reschedule). Returns ENOTFOUND or
// ECONFLICT (already cancelled, or changed since).
func (s *Service) Cancel(ctx context.Context, id int64, seq int, reason, actor string) (*Booking, error) {
	if len(reason) > 1000 {
		return nil, app.FieldErrorf("reason", "Reason is too long (at most 1000 characters).")
	}
	return s.store.SetBookingStatus(ctx, &StatusChange{ID: id, Sequence: seq, Status: StatusCancelled, Reason: strings.TrimSpace(reason), Actor: actor})
}

// Confirm confirms a booking awaiting confirmation. Returns ENOTFOUND or
// ECONFLICT.
func (s *Service) Confirm(ctx context.Context, id int64, actor string) (*Booking, error) {
	return s.store.SetBookingStatus(ctx, &StatusChange{ID: id, Sequence: -1, Status: StatusConfirmed, Actor: actor})
}

// MarkNoShow marks (or unmarks) a guest who did not come. Returns
// ENOTFOUND, or EINVALID for a booking that has not started.
func (s *Service) MarkNoShow(ctx context.Context, id int64, noShow bool, actor string) (*Booking, error) {
	b, err := s.store.FindBooking(ctx, id)
	if err != nil {
		return nil, err
	}
	if noShow && b.Start.After(s.now()) {
		return nil, app.FieldErrorf("no_show", "A booking can be marked no-show once it has started.")
	}
	return s.store.SetBookingStatus(ctx, &StatusChange{ID: id, Sequence: -1, NoShow: &noShow, Actor: actor})
}

func without(xs []Interval, iv Interval) []Interval {
	out := make([]Interval, 0, len(xs))
	removed := false
	for _, x := range xs {
		if !removed && x.Start.Equal(iv.Start) && x.End.Equal(iv.End) {
			removed = true
			continue
		}
		out = append(out, x)
	}
	return out
}

func withoutTime(xs []time.Time, t time.Time) []time.Time {
	out := make([]time.Time, 0, len(xs))
	removed := false
	for _, x := range xs {
		if !removed && x.Equal(t) {
			removed = true
			continue
		}
		out = append(out, x)
	}
	return out
}
