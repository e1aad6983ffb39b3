package ui_test

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"orengen/app"
	"orengen/app/calendar"
	"orengen/ui"
)

// The booking page on the marketing host books the house tenant's "free
// audit" in the visitor's zone; a custom domain serves only its tenant's
// event types; the guest's link cancels; a taken slot is a 409 with
// other times; a bad zone falls back to UTC; bad input names the field.
func TestCalendar_PublicBooking(t *testing.T) {
	e := newTenantEnv(t)
	cal := e.App.Calendar
	house := app.NewContextWithTenant(context.Background(), &app.Tenant{ID: app.HouseTenantID})
	c := &calendar.Calendar{Name: "Agency", OwnerKind: calendar.OwnerTenant, TimeZone: "America/New_York", Availability: allWeek()}
	if err := cal.CreateCalendar(house, c); err != nil {
		t.Fatal(err)
	}
	et := &calendar.EventType{Title: "Free audit", Slug: "free-audit", Durations: []int{30}, Hosts: []int64{c.ID}, Enabled: true, CreateDeal: true,
		Questions: []calendar.Question{{Key: "company", Label: "Company", Field: "company", Required: true}}}
	if err := cal.SaveEventType(house, et); err != nil {
		t.Fatal(err)
	}
	actx := app.NewContextWithTenant(context.Background(), e.A.T)
	ca := &calendar.Calendar{Name: "Alpha", OwnerKind: calendar.OwnerTenant, TimeZone: "UTC", Availability: allWeek()}
	if err := cal.CreateCalendar(actx, ca); err != nil {
		t.Fatal(err)
	}
	if err := cal.SaveEventType(actx, &calendar.EventType{Title: "Alpha call", Slug: "alpha-call", Durations: []int{30}, Hosts: []int64{ca.ID}, Enabled: true}); err != nil {
		t.Fatal(err)
	}
	e.addDomain("book.alpha.test", e.A.T.ID)

	st, body, _ := e.do(treq{Host: ui.HostSite, Method: "GET", Path: "/book/free-audit?tz=Asia/Tokyo"})
	if st != 200 || !strings.Contains(body, "Free audit") || !strings.Contains(body, `value="Asia/Tokyo"`) {
		t.Fatalf("booking page: %d\n%s", st, body)
	}
	starts := regexp.MustCompile(`name="start" value="([^"]+)"`).FindAllStringSubmatch(body, -1)
	if len(starts) < 2 {
		t.Fatalf("booking page offers %d times", len(starts))
	}
	// The first offered time is shown in Tokyo time.
	first, _ := time.Parse(time.RFC3339, starts[0][1])
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	if !strings.Contains(body, "> "+first.In(tokyo).Format("15:04")+"</label>") {
		t.Errorf("slot %s not labelled in Tokyo time %s", first, first.In(tokyo).Format("15:04"))
	}
	if st, _, _ := e.do(treq{Host: ui.HostSite, Method: "GET", Path: "/book/alpha-call"}); st != 404 {
		t.Errorf("tenant A's event type on the marketing host: %d, want 404", st)
	}
	if st, _, _ := e.do(treq{Host: "book.alpha.test", Method: "GET", Path: "/book/free-audit"}); st != 404 {
		t.Errorf("the house event type on A's domain: %d, want 404", st)
	}
	if st, _, _ := e.do(treq{Host: "book.alpha.test", Method: "GET", Path: "/book/alpha-call"}); st != 200 {
		t.Errorf("A's event type on A's domain: %d", st)
	}
	if st, _, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/book/alpha-call?tenant=" + e.A.T.Slug}); st != 200 {
		t.Errorf("A's event type on app.DOMAIN ?tenant=: %d", st)
	}
	if st, b, _ := e.do(treq{Host: ui.HostSite, Method: "GET", Path: "/book/free-audit?tz=Mars/Base"}); st != 200 || !strings.Contains(b, `value="UTC"`) {
		t.Errorf("unknown zone: %d, want the page in UTC", st)
	}

	form := url.Values{"start": {starts[0][1]}, "name": {"Dana Visitor"}, "email": {"dana@visitor.test"}, "tz": {"Asia/Tokyo"}}
	if st, b, _ := e.do(treq{Host: ui.HostSite, Method: "POST", Path: "/book/free-audit", Form: form}); st != 422 || !strings.Contains(b, "Company is required") {
		t.Fatalf("missing company: %d, want 422 naming it", st)
	}
	form.Set("company", "Dana Dental")
	st, body, _ = e.do(treq{Host: ui.HostSite, Method: "POST", Path: "/book/free-audit", Form: form})
	if st != 201 || !strings.Contains(body, first.In(tokyo).Format("15:04")) {
		t.Fatalf("book: %d\n%s", st, body)
	}
	manage := regexp.MustCompile(`href="(/booking/[^"]+)"`).FindStringSubmatch(body)
	if manage == nil {
		t.Fatal("no manage link after booking")
	}
	// The same slot again: 409 with other times offered.
	form.Set("email", "late@visitor.test")
	st, body, _ = e.do(treq{Host: ui.HostSite, Method: "POST", Path: "/book/free-audit", Form: form})
	if st != 409 || !strings.Contains(body, "just taken") || strings.Contains(body, `value="`+starts[0][1]+`"`) {
		t.Fatalf("taken slot: %d (want 409 without the slot)", st)
	}
	// The booking is in the CRM with a deal.
	bs, err := cal.FindBookings(house, calendar.BookingFilter{Active: true})
	if err != nil || len(bs) != 1 || bs[0].PersonID == 0 || bs[0].DealID == 0 {
		t.Fatalf("bookings %+v (%v)", bs, err)
	}
	p, err := e.Server.CRM.FindPerson(house, bs[0].PersonID)
	if err != nil || p.Emails[0] != "dana@visitor.test" {
		t.Fatalf("CRM person %+v (%v)", p, err)
	}
	// The link works only on its tenant's host; it cancels.
	if st, _, _ := e.do(treq{Host: "book.alpha.test", Method: "GET", Path: manage[1]}); st != 404 {
		t.Errorf("house booking link on A's domain: %d, want 404", st)
	}
	if st, _, _ := e.do(treq{Host: ui.HostSite, Method: "GET", Path: manage[1] + "x"}); st != 404 {
		t.Errorf("forged link: %d, want 404", st)
	}
	st, body, _ = e.do(treq{Host: ui.HostSite, Method: "POST", Path: manage[1] + "/cancel", Form: url.Values{"reason": {"Found another time"}}})
	if st != 200 || !strings.Contains(body, "is cancelled") {
		t.Fatalf("cancel: %d\n%s", st, body)
	}
	if st, _, _ := e.do(treq{Host: ui.HostSite, Method: "POST", Path: manage[1] + "/cancel"}); st != 409 {
		t.Errorf("second cancel: %d, want 409", st)
	}
	if st, b, _ := e.do(treq{Host: ui.HostSite, Method: "GET", Path: "/book/embed.js"}); st != 200 || !strings.Contains(b, "data-booking") {
		t.Errorf("embed.js: %d", st)
	}
}

func allWeek() calendar.Availability {
	var a calendar.Availability
	for d := range a.Weekly {
		a.Weekly[d] = []calendar.Span{{Start: 0, End: 1440}}
	}
	return a
}

// The event-type API creates and replaces a tenant's meetings: bad input
// is a 400 naming the field (a missing, mistyped or foreign value), a taken
// slug a 409, another tenant's event type a 404; a created meeting's
// booking page works, and the calendar list shows only the key's tenant.
func TestCalendar_EventTypeAPI(t *testing.T) {
	e := newTenantEnv(t)
	a, b := e.A, e.B
	post := func(body string) (int, string) {
		st, raw, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/api/v1/calendar/event-types", Bearer: a.KeyWrite, JSON: body})
		return st, raw
	}
	host := fmt.Sprint(a.CalendarID)
	for _, tc := range []struct{ body, field string }{
		{`{"slug":"m1","title":"M","hosts":[` + host + `]}`, "durations"},
		{`{"slug":"m1","title":"M","durations":"30","hosts":[` + host + `]}`, "durations"},
		{`{"slug":"m1","title":"M","durations":[30],"hosts":[` + fmt.Sprint(b.CalendarID) + `]}`, "hosts"},
		{`{"slug":"Bad Slug","title":"M","durations":[30],"hosts":[` + host + `]}`, "slug"},
	} {
		st, raw := post(tc.body)
		if st != 400 || !strings.Contains(raw, `"field":"`+tc.field+`"`) {
			t.Errorf("%s: %d %s, want 400 naming %s", tc.body, st, raw, tc.field)
		}
	}
	body := `{"slug":"strategy","title":"Strategy","durations":[45],"hosts":[` + host + `],"location_kind":"phone"}`
	if st, raw := post(body); st != 201 || !strings.Contains(raw, `"slug":"strategy"`) || !strings.Contains(raw, `"enabled":true`) {
		t.Fatalf("create: %d %s", st, raw)
	}
	if st, raw := post(body); st != 409 {
		t.Errorf("same slug again: %d %s, want 409", st, raw)
	}
	if st, b, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/book/strategy?tenant=" + a.T.Slug}); st != 200 || !strings.Contains(b, "Strategy") {
		t.Errorf("booking page of the created meeting: %d", st)
	}
	st, raw, _ := e.do(treq{Host: ui.HostPortal, Method: "PUT", Path: fmt.Sprintf("/api/v1/calendar/event-types/%d", b.EventTypeID), Bearer: a.KeyWrite,
		JSON: `{"slug":"x","title":"Stolen","durations":[30],"hosts":[` + host + `]}`})
	if st != 404 {
		t.Errorf("PUT of another tenant's event type: %d %s", st, raw)
	}
	st, raw, _ = e.do(treq{Host: ui.HostPortal, Method: "PUT", Path: fmt.Sprintf("/api/v1/calendar/event-types/%d", a.EventTypeID), Bearer: a.KeyWrite,
		JSON: `{"slug":"call","title":"Renamed call","durations":[30,60],"hosts":[` + host + `],"enabled":false}`})
	if st != 200 || !strings.Contains(raw, `"title":"Renamed call"`) || !strings.Contains(raw, `"enabled":false`) {
		t.Errorf("PUT: %d %s", st, raw)
	}
	st, raw, _ = e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/api/v1/calendar/calendars", Bearer: a.KeyRead})
	if st != 200 || !strings.Contains(raw, fmt.Sprintf(`"id":%d,`, a.CalendarID)) || strings.Contains(raw, fmt.Sprintf(`"id":%d,`, b.CalendarID)) {
		t.Errorf("calendars: %d %s", st, raw)
	}
}
