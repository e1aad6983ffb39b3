package calendar_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"orengen/app"
	"orengen/app/calendar"
	"orengen/store"
)

type calEnv struct {
	DB  *store.DB
	Svc *calendar.Service
	St  *store.CalendarStore // the service's store, for set-up and checks
	CRM *store.CRMStores
	Ctx context.Context // tenant A
	B   context.Context // tenant B
	Now time.Time
}

func newCalEnv(tb testing.TB) *calEnv {
	tb.Helper()
	db := store.NewDB(filepath.Join(tb.TempDir(), "orengen.db"))
	if err := db.Open(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	tenants := store.NewTenantStore(db)
	e := &calEnv{DB: db, CRM: store.NewCRMStores(db), Now: time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)}
	e.St = store.NewCalendarStore(db)
	e.Svc = calendar.NewService(e.St)
	e.Svc.Now = func() time.Time { return e.Now }
	db.Now = func() time.Time { return e.Now }
	for i, name := range []string{"Alpha", "Bravo"} {
		t := &app.Tenant{Name: name}
		if err := tenants.CreateTenant(context.Background(), t); err != nil {
			tb.Fatal(err)
		}
		ctx := app.NewContextWithTenant(context.Background(), t)
		if i == 0 {
			e.Ctx = ctx
		} else {
			e.B = ctx
		}
	}
	return e
}

func (e *calEnv) calendar(tb testing.TB, ctx context.Context, name, zone string) *calendar.Calendar {
	tb.Helper()
	c := &calendar.Calendar{Name: name, OwnerKind: calendar.OwnerTenant, TimeZone: zone, Availability: calendar.DefaultAvailability()}
	if err := e.Svc.CreateCalendar(ctx, c); err != nil {
		tb.Fatal(err)
	}
	return c
}

func (e *calEnv) eventType(tb testing.TB, ctx context.Context, et *calendar.EventType) *calendar.EventType {
	tb.Helper()
	et.Enabled = true
	if err := e.Svc.SaveEventType(ctx, et); err != nil {
		tb.Fatal(err)
	}
	return et
}

func guest(et *calendar.EventType, start time.Time, n int) *calendar.BookRequest {
	return &calendar.BookRequest{EventTypeID: et.ID, Start: start, Name: "Guest Number", Email: "guest" + string(rune('a'+n%26)) + "@example.test",
		TimeZone: "America/Los_Angeles"}
}

// 50 requests for one slot at once: exactly one books it; the others get
// ECONFLICT with next free slots, none of which is the taken slot.
func TestService_Book_ConcurrentOneSlot(t *testing.T) {
	e := newCalEnv(t)
	c := e.calendar(t, e.Ctx, "Ann", "Europe/Berlin")
	et := e.eventType(t, e.Ctx, &calendar.EventType{Title: "Free audit", Slug: "free-audit", Durations: []int{30}, Hosts: []int64{c.ID}})
	start := time.Date(2026, 12, 7, 10, 0, 0, 0, c.Location()) // Monday 10:00 Berlin
	var wg sync.WaitGroup
	errs := make([]error, 50)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, errs[i] = e.Svc.Book(e.Ctx, guest(et, start, i))
		}(i)
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
			continue
		}
		var ce *calendar.ConflictError
		if !errors.As(err, &ce) || app.ErrorCode(err) != app.ECONFLICT {
			t.Fatalf("loser's error %v, want a *ConflictError", err)
		}
		if len(ce.Next) == 0 || ce.Next[0].Start.Equal(start.UTC()) {
			t.Fatalf("next slots %v: want free ones after the taken slot", ce.Next)
		}
	}
	if ok != 1 {
		t.Fatalf("%d of 50 concurrent bookings succeeded, want exactly 1", ok)
	}
	bs, err := e.St.FindBookings(e.Ctx, calendar.BookingFilter{From: start, To: start.Add(time.Hour), Active: true})
	if err != nil || len(bs) != 1 {
		t.Fatalf("stored bookings %d (%v), want 1", len(bs), err)
	}
	// The other tenant sees nothing of it.
	if _, err := e.St.FindBooking(e.B, bs[0].ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("tenant B reads tenant A's booking: %v", err)
	}
}

func TestService_Book_BadInput(t *testing.T) {
	e := newCalEnv(t)
	c := e.calendar(t, e.Ctx, "Ann", "Europe/Berlin")
	et := e.eventType(t, e.Ctx, &calendar.EventType{Title: "Call", Slug: "call", Durations: []int{30}, Hosts: []int64{c.ID}, MinNotice: 60})
	loc := c.Location()
	for _, tc := range []struct {
		name  string
		edit  func(r *calendar.BookRequest)
		field string
	}{
		{"Past", func(r *calendar.BookRequest) { r.Start = e.Now.Add(-time.Hour) }, "start"},
		{"Night", func(r *calendar.BookRequest) { r.Start = time.Date(2026, 12, 7, 3, 0, 0, 0, loc) }, "start"},
		{"OffGrid", func(r *calendar.BookRequest) { r.Start = time.Date(2026, 12, 7, 10, 7, 0, 0, loc) }, "start"},
		{"Weekend", func(r *calendar.BookRequest) { r.Start = time.Date(2026, 12, 5, 10, 0, 0, 0, loc) }, "start"},
		{"Notice", func(r *calendar.BookRequest) { r.Start = e.Now.Add(30 * time.Minute) }, "start"},
		{"Zone", func(r *calendar.BookRequest) { r.TimeZone = "Mars/Base" }, "time_zone"},
		{"Email", func(r *calendar.BookRequest) { r.Email = "nope" }, "email"},
		{"Duration", func(r *calendar.BookRequest) { r.Minutes = 45 }, "duration"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := guest(et, time.Date(2026, 12, 7, 10, 0, 0, 0, loc), 1)
			tc.edit(r)
			_, err := e.Svc.Book(e.Ctx, r)
			if app.ErrorCode(err) != app.EINVALID || app.ErrorField(err) != tc.field {
				t.Fatalf("error %v, want EINVALID naming %s", err, tc.field)
			}
		})
	}
	bs, _ := e.St.FindBookings(e.Ctx, calendar.BookingFilter{})
	if len(bs) != 0 {
		t.Errorf("%d bookings written by bad requests", len(bs))
	}
	ps, _, _ := e.CRM.People.FindPeople(e.Ctx, app.PersonFilter{})
	if len(ps) != 0 {
		t.Errorf("%d CRM people written by bad requests", len(ps))
	}
}

// Round robin spreads bookings evenly over free hosts; a busy host is
// skipped; collective books every host.
func TestService_Book_RoundRobinFairness(t *testing.T) {
	e := newCalEnv(t)
	a := e.calendar(t, e.Ctx, "Ann", "Europe/London")
	b := e.calendar(t, e.Ctx, "Bob", "Europe/London")
	cc := e.calendar(t, e.Ctx, "Cy", "Europe/London")
	rr := e.eventType(t, e.Ctx, &calendar.EventType{Title: "Demo", Slug: "demo", Durations: []int{30}, Hosts: []int64{a.ID, b.ID, cc.ID}, Assignment: calendar.AssignRoundRobin})
	loc := a.Location()
	count := map[int64]int{}
	for i := 0; i < 12; i++ {
		start := time.Date(2026, 12, 7, 9, 0, 0, 0, loc).Add(time.Duration(i) * 30 * time.Minute)
		bk, err := e.Svc.Book(e.Ctx, guest(rr, start, i))
		if err != nil {
			t.Fatal(err)
		}
		if len(bk.Hosts) != 1 {
			t.Fatalf("round robin booked hosts %v", bk.Hosts)
		}
		count[bk.Hosts[0]]++
	}
	for _, h := range []int64{a.ID, b.ID, cc.ID} {
		if count[h] != 4 {
			t.Errorf("host %d got %d of 12 bookings, want 4 each: %v", h, count[h], count)
		}
	}
	// Three bookings at one time take all three hosts; the fourth conflicts.
	start := time.Date(2026, 12, 8, 9, 0, 0, 0, loc)
	seen := map[int64]bool{}
	for i := 0; i < 3; i++ {
		bk, err := e.Svc.Book(e.Ctx, guest(rr, start, i))
		if err != nil {
			t.Fatalf("booking %d at a time three hosts share: %v", i, err)
		}
		seen[bk.Hosts[0]] = true
	}
	if len(seen) != 3 {
		t.Errorf("three bookings at one time went to %v", seen)
	}
	if _, err := e.Svc.Book(e.Ctx, guest(rr, start, 9)); app.ErrorCode(err) != app.ECONFLICT {
		t.Errorf("fourth booking: %v, want ECONFLICT", err)
	}
	col := e.eventType(t, e.Ctx, &calendar.EventType{Title: "Panel", Slug: "panel", Durations: []int{60}, Hosts: []int64{a.ID, b.ID}, Assignment: calendar.AssignCollective})
	bk, err := e.Svc.Book(e.Ctx, guest(col, time.Date(2026, 12, 9, 9, 0, 0, 0, loc), 1))
	if err != nil || len(bk.Hosts) != 2 {
		t.Fatalf("collective booking %v hosts %v, want both", err, bk)
	}
	// Ann is now busy at that time for the round robin too.
	slots, err := e.Svc.FreeSlots(e.Ctx, rr, 0, time.Date(2026, 12, 9, 9, 0, 0, 0, loc), time.Date(2026, 12, 9, 9, 1, 0, 0, loc))
	if err != nil || len(slots) != 1 || len(slots[0].Hosts) != 1 || slots[0].Hosts[0] != cc.ID {
		t.Errorf("round robin at the panel's time: %+v (%v), want only Cy free", slots, err)
	}
}

// A booking creates the CRM person, an appointment on their timeline and
// a deal; a second booking by the same email updates the same person;
// cancel and reschedule write the timeline and free or move the time.
func TestService_Book_CRMAndLifecycle(t *testing.T) {
	e := newCalEnv(t)
	c := e.calendar(t, e.Ctx, "Ann", "America/New_York")
	et := e.eventType(t, e.Ctx, &calendar.EventType{Title: "Strategy call", Slug: "strategy", Durations: []int{30, 60}, Hosts: []int64{c.ID}, CreateDeal: true,
		Questions: []calendar.Question{{Key: "company", Label: "Company", Field: "company", Required: true}, {Key: "goal", Label: "Goal"}}})
	loc := c.Location()
	start := time.Date(2026, 12, 7, 11, 0, 0, 0, loc)
	r := guest(et, start, 0)
	r.Minutes = 60
	r.Answers = map[string]string{"goal": "More leads"}
	if _, err := e.Svc.Book(e.Ctx, r); app.ErrorField(err) != "company" {
		t.Fatalf("missing required answer: %v, want EINVALID naming company", err)
	}
	r.Answers["company"] = "Acme Roofing"
	bk, err := e.Svc.Book(e.Ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if bk.PersonID == 0 || bk.DealID == 0 || !bk.End.Equal(start.Add(time.Hour)) {
		t.Fatalf("booking %+v: want a person, a deal and 60 minutes", bk)
	}
	p, err := e.CRM.People.FindPerson(e.Ctx, bk.PersonID)
	if err != nil || p.Emails[0] != r.Email || p.CompanyName != "Acme Roofing" && p.CompanyID == 0 {
		t.Fatalf("person %+v (%v)", p, err)
	}
	tl, err := e.CRM.Timeline.FindTimeline(e.Ctx, app.RecordPerson, bk.PersonID)
	if err != nil {
		t.Fatal(err)
	}
	if !hasKind(tl, store.TimelineAppointment, "Booked: Strategy call") {
		t.Errorf("timeline has no appointment entry: %+v", tl)
	}
	d, err := e.CRM.Deals.FindDeal(e.Ctx, bk.DealID)
	if err != nil || len(d.PersonIDs) != 1 || d.PersonIDs[0] != bk.PersonID {
		t.Errorf("deal %+v (%v): want it on the person", d, err)
	}
	// Same email again: same person.
	r2 := guest(et, start.Add(2*time.Hour), 0)
	r2.Answers = map[string]string{"company": "Acme Roofing"}
	bk2, err := e.Svc.Book(e.Ctx, r2)
	if err != nil || bk2.PersonID != bk.PersonID {
		t.Fatalf("second booking person %d (%v), want %d", bk2.PersonID, err, bk.PersonID)
	}
	// Reschedule with a stale sequence fails; with the right one moves it.
	to := start.AddDate(0, 0, 1)
	if _, err := e.Svc.Reschedule(e.Ctx, bk.ID, 5, to); app.ErrorCode(err) != app.ECONFLICT {
		t.Errorf("stale reschedule: %v", err)
	}
	if _, err := e.Svc.Reschedule(e.Ctx, bk.ID, 0, to.Add(8*time.Hour)); app.ErrorField(err) != "start" {
		t.Errorf("reschedule into the night: %v, want EINVALID start", err)
	}
	moved, err := e.Svc.Reschedule(e.Ctx, bk.ID, 0, to)
	if err != nil || !moved.Start.Equal(to.UTC()) || moved.Sequence != 1 {
		t.Fatalf("reschedule: %+v %v", moved, err)
	}
	// The old time is free again, the new one taken.
	r3 := guest(et, start, 3)
	r3.Answers = map[string]string{"company": "X"}
	if _, err := e.Svc.Book(e.Ctx, r3); err != nil {
		t.Errorf("old time not freed by the reschedule: %v", err)
	}
	r4 := guest(et, to, 4)
	r4.Answers = map[string]string{"company": "X"}
	if _, err := e.Svc.Book(e.Ctx, r4); app.ErrorCode(err) != app.ECONFLICT {
		t.Errorf("new time still bookable: %v", err)
	}
	if _, err := e.Svc.Cancel(e.Ctx, bk.ID, 1, "Sick", "guest"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Svc.Cancel(e.Ctx, bk.ID, 1, "again", "guest"); app.ErrorCode(err) != app.ECONFLICT {
		t.Errorf("second cancel: %v", err)
	}
	if _, err := e.Svc.Book(e.Ctx, r4); err != nil {
		t.Errorf("cancelled time not freed: %v", err)
	}
	tl, _ = e.CRM.Timeline.FindTimeline(e.Ctx, app.RecordPerson, bk.PersonID)
	if !hasKind(tl, store.TimelineAppointment, "Rescheduled: ") || !hasKind(tl, store.TimelineAppointment, "Cancelled: ") {
		t.Errorf("timeline lacks the reschedule or the cancellation")
	}
}

func hasKind(tl []*app.TimelineEntry, kind, prefix string) bool {
	for _, e := range tl {
		if e.Kind == kind && len(e.Body) >= len(prefix) && e.Body[:len(prefix)] == prefix {
			return true
		}
	}
	return false
}

// Agent Studio's booker: no event type is app.ErrNoCalendar (the agent
// falls back to a request); with one, the agent books for the person and
// a taken time is a conflict.
func TestBooker_Agent(t *testing.T) {
	e := newCalEnv(t)
	tid, _ := app.TenantIDFromContext(e.Ctx)
	bk := &calendar.Booker{Service: e.Svc, Person: func(context.Context, int64, int64) (string, string, string, error) {
		return "Pat Caller", "pat@example.test", "+15125550100", nil
	}}
	start := time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC)
	if _, err := bk.FreeSlots(e.Ctx, tid, start, start.Add(time.Hour), 30*time.Minute); !errors.Is(err, app.ErrNoCalendar) {
		t.Fatalf("no event type: %v, want ErrNoCalendar", err)
	}
	c := e.calendar(t, e.Ctx, "Ann", "UTC")
	e.eventType(t, e.Ctx, &calendar.EventType{Title: "Consult", Slug: "consult", Durations: []int{30}, Hosts: []int64{c.ID}})
	slots, err := bk.FreeSlots(e.Ctx, tid, start, start.Add(time.Hour), 30*time.Minute)
	if err != nil || len(slots) != 2 {
		t.Fatalf("slots %v (%v), want 15:00 and 15:30", slots, err)
	}
	if _, err := bk.FreeSlots(e.Ctx, tid, start, start.Add(time.Hour), 45*time.Minute); app.ErrorCode(err) != app.EINVALID {
		t.Errorf("45 minutes: %v, want EINVALID", err)
	}
	b, err := bk.Book(e.Ctx, tid, app.BookingRequest{PersonID: 1, Start: start, Duration: 30 * time.Minute, Source: "agent:1"})
	if err != nil || !b.Confirmed {
		t.Fatalf("agent booking %+v (%v)", b, err)
	}
	if _, err := bk.Book(e.Ctx, tid, app.BookingRequest{PersonID: 1, Start: start, Duration: 30 * time.Minute}); app.ErrorCode(err) != app.ECONFLICT {
		t.Errorf("second booking of the time: %v, want ECONFLICT", err)
	}
}

// Synced busy times (read from the store as one joined row per calendar)
// block exactly the slots they overlap, including an event that began
// before the asked range, and another calendar's events block nothing.
func TestService_FreeSlots_SyncedBusy(t *testing.T) {
	e := newCalEnv(t)
	cs := e.St
	c := e.calendar(t, e.Ctx, "Ann", "UTC")
	other := e.calendar(t, e.Ctx, "Bob", "UTC")
	et := e.eventType(t, e.Ctx, &calendar.EventType{Title: "Call", Slug: "call", Durations: []int{30}, Hosts: []int64{c.ID}})
	day := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC) // a Monday
	at := func(h, m int) time.Time { return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	feed := func(cal int64, evs ...calendar.BusyEvent) {
		t.Helper()
		src := &calendar.Source{CalendarID: cal, Kind: calendar.SourceICS, URL: "https://example.test/f.ics", NextSyncAt: e.Now.Add(time.Hour)}
		if err := cs.CreateSource(e.Ctx, src); err != nil {
			t.Fatal(err)
		}
		if err := cs.ReplaceFeed(e.Ctx, src.ID, evs); err != nil {
			t.Fatal(err)
		}
	}
	feed(c.ID, calendar.BusyEvent{UID: "night", Start: at(-4, 0), End: at(9, 30)},
		calendar.BusyEvent{UID: "meeting", Start: at(10, 0), End: at(11, 0)},
		calendar.BusyEvent{UID: "late", Start: at(16, 15), End: at(16, 45)})
	feed(other.ID, calendar.BusyEvent{UID: "bob", Start: at(12, 0), End: at(14, 0)})
	slots, err := e.Svc.FreeSlots(e.Ctx, et, 0, at(6, 0), at(20, 0))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range slots {
		got = append(got, s.Start.Format("15:04"))
	}
	want := "09:30 11:00 11:30 12:00 12:30 13:00 13:30 14:00 14:30 15:00 15:30"
	if strings.Join(got, " ") != want {
		t.Fatalf("slots\n got %s\nwant %s", strings.Join(got, " "), want)
	}
}
