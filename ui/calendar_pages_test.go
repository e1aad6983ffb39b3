package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"orengen/app"
	"orengen/app/calendar"
	"orengen/store"
	"orengen/ui"
)

// The portal's calendar pages: an owner creates a calendar and sets its
// weekly hours, an override and a holiday (bad hours are a 422 naming the
// day, nothing saved), creates a meeting; a booking shows in the week and
// month views in its calendar's row and day; it is moved (the drag's and
// the keyboard's form), refused when the time is taken (nothing changed),
// cancelled; a past one is marked no-show; a member sees but cannot
// change settings; Nexus shows the tenant's calendar with ?tenant=.
func TestCalendar_Pages(t *testing.T) {
	e := newTenantEnv(t)
	owner := map[string]string{"psid": e.A.Cookie}
	member := map[string]string{"psid": e.portalSession(e.A.Member)}
	ctx := app.NewContextWithTenant(context.Background(), e.A.T)
	post := func(cookies map[string]string, path string, form url.Values) (int, string, *http.Response) {
		t.Helper()
		return e.do(treq{Host: ui.HostPortal, Method: "POST", Path: path, Form: form, CSRF: true, Cookies: cookies})
	}
	get := func(cookies map[string]string, path string) (int, string) {
		t.Helper()
		st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: path, Cookies: cookies})
		return st, body
	}
	if st, body := get(owner, "/"); st != 200 || !strings.Contains(body, `href="/calendar"`) {
		t.Fatalf("portal nav has no Calendar entry: %d", st)
	}

	st, _, resp := post(owner, "/calendar/calendars", url.Values{"name": {"Dana"}, "owner": {"user:" + strconv.FormatInt(e.A.Owner.ID, 10)}, "time_zone": {"Europe/Berlin"}})
	if st != 303 {
		t.Fatalf("create calendar: %d", st)
	}
	calPath := resp.Header.Get("Location")
	id, _ := strconv.ParseInt(strings.TrimPrefix(calPath, "/calendar/calendars/"), 10, 64)
	cl, err := e.App.Calendar.FindCalendar(ctx, id)
	if err != nil || cl.OwnerKind != calendar.OwnerUser || cl.OwnerID != e.A.Owner.ID || cl.TimeZone != "Europe/Berlin" {
		t.Fatalf("created calendar %+v (%v)", cl, err)
	}
	if st, _, _ := post(owner, "/calendar/calendars", url.Values{"name": {"X"}, "owner": {"user:" + strconv.FormatInt(e.B.Owner.ID, 10)}, "time_zone": {"UTC"}}); st != 400 {
		t.Errorf("calendar for B's user: %d, want 400", st)
	}
	hours := url.Values{"name": {"Dana"}, "time_zone": {"Europe/Berlin"}, "monday": {"09:00-12:00, 13:00-17:00"}, "tuesday": {"10:00-16:00"},
		"wednesday": {"09:00-17:00"}, "thursday": {"09:00-17:00"}, "friday": {"09:00-17:00"}, "saturday": {"off"}, "sunday": {""},
		"overrides": {"2026-12-24 09:00-12:00\n2026-12-31 off"}, "holidays": {"2026-12-25 Christmas Day"}}
	bad := url.Values{}
	for k, v := range hours {
		bad[k] = v
	}
	bad.Set("tuesday", "16:00-10:00")
	if st, body, _ := post(owner, calPath, bad); st != 400 || !strings.Contains(body, `data-field="weekly.tuesday"`) || !strings.Contains(body, "16:00-10:00") {
		t.Fatalf("bad hours: %d, want 400 naming Tuesday", st)
	}
	if c2, _ := e.App.Calendar.FindCalendar(ctx, id); len(c2.Availability.Weekly[time.Tuesday]) != 1 || c2.Availability.Weekly[time.Tuesday][0].Start != 9*60 {
		t.Fatalf("a refused form changed the hours: %+v", c2.Availability.Weekly)
	}
	if st, _, _ := post(owner, calPath, hours); st != 303 {
		t.Fatalf("save hours: %d", st)
	}
	cl, _ = e.App.Calendar.FindCalendar(ctx, id)
	a := cl.Availability
	if len(a.Weekly[time.Monday]) != 2 || a.Weekly[time.Monday][1] != (calendar.Span{Start: 13 * 60, End: 17 * 60}) || len(a.Weekly[time.Saturday]) != 0 ||
		len(a.Overrides) != 2 || len(a.Overrides[1].Spans) != 0 || len(a.Holidays) != 1 || a.Holidays[0].Name != "Christmas Day" {
		t.Fatalf("saved availability %+v", a)
	}
	if st, body := get(owner, calPath); st != 200 || !strings.Contains(body, `value="09:00-12:00, 13:00-17:00"`) || !strings.Contains(body, "2026-12-25 Christmas Day") {
		t.Fatalf("calendar page does not show the saved hours: %d", st)
	}
	if st, _, _ := post(member, calPath, hours); st != 403 {
		t.Errorf("member saving hours: %d, want 403", st)
	}

	// A meeting on the calendar of the fixtures (open all week, UTC).
	st, _, resp = post(owner, "/calendar/event-types", url.Values{"title": {"Strategy call"}, "slug": {"strategy"}, "durations": {"30, 60"},
		"location_kind": {"generated"}, "hosts": {strconv.FormatInt(e.A.CalendarID, 10)}, "assignment": {"single"}, "enabled": {"1"},
		"questions": {"company | Company | company | required"}, "buffer_after": {"ten"}})
	if st != 400 {
		t.Fatalf("meeting with buffer_after \"ten\": %d, want 400", st)
	}
	st, _, resp = post(owner, "/calendar/event-types", url.Values{"title": {"Strategy call"}, "slug": {"strategy"}, "durations": {"30, 60"},
		"location_kind": {"generated"}, "hosts": {strconv.FormatInt(e.A.CalendarID, 10)}, "assignment": {"single"}, "enabled": {"1"},
		"questions": {"company | Company | company | required"}, "buffer_after": {"10"}})
	if st != 303 {
		t.Fatalf("create meeting: %d", st)
	}
	etID, _ := strconv.ParseInt(strings.TrimPrefix(resp.Header.Get("Location"), "/calendar/event-types/"), 10, 64)
	et, err := e.App.Calendar.FindEventType(ctx, etID)
	if err != nil || et.BufferAfter != 10 || len(et.Durations) != 2 || et.Durations[1] != 60 || len(et.Questions) != 1 || !et.Questions[0].Required || et.Questions[0].Field != "company" {
		t.Fatalf("saved meeting %+v (%v)", et, err)
	}
	if st, body := get(owner, "/calendar/settings"); st != 200 || !strings.Contains(body, "Strategy call") || !strings.Contains(body, ">Dana</a>") {
		t.Fatalf("settings page: %d", st)
	}

	// A booking two days ahead at 10:00 UTC shows in the views.
	day := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 2)
	b, err := e.App.Calendar.Book(ctx, &calendar.BookRequest{EventTypeID: etID, Start: day.Add(10 * time.Hour), Name: "Vera Visitor", Email: "vera@visitor.test",
		TimeZone: "UTC", Answers: map[string]string{"company": "Vera Co"}})
	if err != nil {
		t.Fatal(err)
	}
	date := day.Format(time.DateOnly)
	st, body := get(owner, "/calendar?tz=UTC&date="+date)
	cell := regexp.MustCompile(`(?s)<td class="cal-cell" data-date="` + date + `" data-calendar="` + strconv.FormatInt(e.A.CalendarID, 10) + `">(.*?)</td>`).FindStringSubmatch(body)
	if st != 200 || cell == nil || !strings.Contains(cell[1], "10:00 Vera Visitor") || !strings.Contains(cell[1], `data-booking="`+strconv.FormatInt(b.ID, 10)+`"`) {
		t.Fatalf("week view: %d, Vera's booking not in the fixture calendar's %s cell", st, date)
	}
	if !strings.Contains(body, ">Dana<br>") {
		t.Errorf("week view does not list Dana's calendar side by side")
	}
	if st, body := get(owner, "/calendar?view=month&tz=Asia/Tokyo&date="+date); st != 200 || !strings.Contains(body, "19:00 Vera Visitor") {
		t.Errorf("month view in Tokyo: %d, want Vera at 19:00", st)
	}

	// Move it a day later (what a drop submits), then onto a taken time.
	back := "/calendar?tz=UTC&date=" + date
	st, _, resp = post(owner, "/calendar/bookings/"+strconv.FormatInt(b.ID, 10)+"/reschedule", url.Values{"local": {day.AddDate(0, 0, 1).Format(time.DateOnly) + "T10:00"}, "tz": {"UTC"}, "back": {back}})
	if st != 303 || resp.Header.Get("Location") != back {
		t.Fatalf("move: %d to %q", st, resp.Header.Get("Location"))
	}
	nb, _ := e.App.Calendar.FindBooking(ctx, b.ID)
	if !nb.Start.Equal(day.AddDate(0, 0, 1).Add(10*time.Hour)) || nb.Sequence != 1 {
		t.Fatalf("moved booking at %s seq %d", nb.Start, nb.Sequence)
	}
	// A's fixture booking holds 7 days ahead at 10:00.
	taken := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 7).Add(10 * time.Hour)
	st, _, resp = post(owner, "/calendar/bookings/"+strconv.FormatInt(b.ID, 10)+"/reschedule", url.Values{"start": {taken.Format(time.RFC3339)}, "back": {back}})
	if st != 303 {
		t.Fatalf("move onto a taken time: %d", st)
	}
	if body := e.follow(resp, ui.HostPortal, e.A.Cookie); !strings.Contains(body, "just taken") {
		t.Errorf("the refused move's message is not shown")
	}
	if nb2, _ := e.App.Calendar.FindBooking(ctx, b.ID); !nb2.Start.Equal(nb.Start) {
		t.Errorf("a refused move changed the booking to %s", nb2.Start)
	}
	if st, _, _ := post(owner, "/calendar/bookings/"+strconv.FormatInt(b.ID, 10)+"/reschedule", url.Values{"local": {"soon"}, "tz": {"Mars/Base"}}); st != 303 {
		t.Errorf("bad zone: %d", st)
	}

	// The bookings list; cancel by a member (bookings are everyone's work).
	if st, body := get(member, "/calendar/bookings?tz=UTC"); st != 200 || !strings.Contains(body, "Vera Visitor") {
		t.Fatalf("bookings list: %d", st)
	}
	if st, _, _ := post(member, "/calendar/bookings/"+strconv.FormatInt(b.ID, 10)+"/cancel", url.Values{"reason": {"Host ill"}}); st != 303 {
		t.Fatalf("cancel: %d", st)
	}
	if cb, _ := e.App.Calendar.FindBooking(ctx, b.ID); cb.Status != calendar.StatusCancelled || cb.CancelReason != "Host ill" {
		t.Fatalf("cancelled booking %+v", cb)
	}
	if st, body := get(owner, "/calendar/bookings?show=cancelled"); st != 200 || !strings.Contains(body, "Vera Visitor") {
		t.Errorf("cancelled list: %d", st)
	}

	// A booking that has started can be marked no-show.
	cs := store.NewCalendarStore(e.DB)
	past := time.Now().UTC().Add(-2 * time.Hour).Truncate(time.Minute)
	pb := &calendar.Booking{EventTypeID: etID, Start: past, End: past.Add(30 * time.Minute), Status: calendar.StatusConfirmed, Title: "Strategy call",
		Name: "Nora Noshow", Email: "nora@visitor.test", TimeZone: "UTC", UID: "noshow@test"}
	if err := cs.Book(ctx, &calendar.BookInput{Booking: pb, Candidates: []int64{e.A.CalendarID}}); err != nil {
		t.Fatal(err)
	}
	if st, body := get(owner, "/calendar/bookings?show=past"); st != 200 || !strings.Contains(body, "Mark no-show") {
		t.Fatalf("past list has no no-show button: %d", st)
	}
	if st, _, _ := post(owner, "/calendar/bookings/"+strconv.FormatInt(pb.ID, 10)+"/no-show", url.Values{"no_show": {"1"}}); st != 303 {
		t.Fatalf("no-show: %d", st)
	}
	if nsb, _ := e.App.Calendar.FindBooking(ctx, pb.ID); !nsb.NoShow {
		t.Errorf("booking not marked no-show")
	}

	// Nexus: the admin sees A's calendar with ?tenant=, the agency's without.
	st, body, _ = e.admin("GET", "/calendar?tz=UTC&tenant="+strconv.FormatInt(e.A.T.ID, 10)+"&date="+date, nil)
	if st != 200 || !strings.Contains(body, ">Dana<br>") {
		t.Fatalf("nexus calendar of A: %d", st)
	}
	if st, body, _ := e.admin("GET", "/calendar", nil); st != 200 || strings.Contains(body, ">Dana<br>") || !strings.Contains(body, `href="/calendar"`) {
		t.Errorf("nexus calendar of the agency: %d (or shows A's calendar)", st)
	}
}
