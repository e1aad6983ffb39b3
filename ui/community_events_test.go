package ui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"orengen/app"
	"orengen/app/calendar"
	"orengen/app/courses"
	"orengen/ui"
)

// Community events of tenant B (isolation matrix).
const objEvent = "cevent" // :id an event (:member B's member)

var communityEventIsolation = map[string]isoLine{
	"portal|GET|/learn/community/events/:id":                {accMember, objEvent},
	"portal|POST|/learn/community/events/:id/rsvp":          {accMember, objEvent},
	"portal|GET|/learn/community/events/:id/ics":            {accMember, objEvent},
	"portal|POST|/community/spaces/:id/events":              {accUser, objSpace},
	"portal|GET|/community/events/:id":                      {accUser, objEvent},
	"portal|POST|/community/events/:id":                     {accUser, objEvent},
	"portal|GET|/api/v1/community/events":                   {accTenantKey, ""},
	"portal|POST|/api/v1/community/events":                  {accTenantKeyW, ""},
	"portal|GET|/api/v1/community/events/:id":               {accTenantKey, objEvent},
	"portal|PATCH|/api/v1/community/events/:id":             {accTenantKeyW, objEvent},
	"portal|PUT|/api/v1/community/events/:id/rsvps/:member": {accTenantKeyW, objEvent},
	"nexus|GET|/api/v1/community/events":                    {accAdminKey, ""},
	"nexus|POST|/api/v1/community/events":                   {accAdminKeyW, ""},
	"nexus|GET|/api/v1/community/events/:id":                {accAdminKey, objEvent},
	"nexus|PATCH|/api/v1/community/events/:id":              {accAdminKeyW, objEvent},
	"nexus|PUT|/api/v1/community/events/:id/rsvps/:member":  {accAdminKeyW, objEvent},
}

func init() {
	for k, v := range communityEventIsolation {
		isolationMatrix[k] = v
	}
}

var eventFixtures sync.Map // *tenantEnv -> *sync.Map (tenant ID -> *courses.CommunityEvent)

// eventFixture is an upcoming event in the tenant's community space (its
// title carries the tenant's name, one of bMarkers).
func (e *tenantEnv) eventFixture(t *app.Tenant, owner *app.User) *courses.CommunityEvent {
	e.t.Helper()
	v, _ := eventFixtures.LoadOrStore(e, &sync.Map{})
	if ev, ok := v.(*sync.Map).Load(t.ID); ok {
		return ev.(*courses.CommunityEvent)
	}
	side := e.communityFixture(t, owner)
	ctx := app.NewContextWithUser(app.NewContextWithTenant(context.Background(), t), owner)
	start := time.Now().Add(30 * 24 * time.Hour).Truncate(time.Hour)
	ev := &courses.CommunityEvent{SpaceID: side.Space.ID, Title: t.Name + " secret event", Start: start, End: start.Add(time.Hour), Location: "Online", Capacity: 100}
	if err := e.App.Courses.CreateEvent(ctx, ev); err != nil {
		e.t.Fatal(err)
	}
	v.(*sync.Map).Store(t.ID, ev)
	return ev
}

// eventFill puts B's event (and member) in a route's path.
func (e *tenantEnv) eventFill(p string) (string, string) {
	ev := e.eventFixture(e.B.T, e.B.Owner)
	m := e.courseFixture(e.B.T, e.B.Owner).Member
	return strconv.FormatInt(ev.ID, 10), strings.ReplaceAll(p, ":member", strconv.FormatInt(m.ID, 10))
}

var isoEventSeq int

// isoEventRequest gives the events API's writes valid bodies on B's
// objects (the admin key's requests succeed; tenant A's are refused).
func (e *tenantEnv) isoEventRequest(r isoRoute, req *treq) {
	b := e.communityFixture(e.B.T, e.B.Owner)
	isoEventSeq++
	start := time.Now().Add(time.Duration(40+isoEventSeq) * 24 * time.Hour).UTC().Format(time.RFC3339)
	end := time.Now().Add(time.Duration(40+isoEventSeq)*24*time.Hour + time.Hour).UTC().Format(time.RFC3339)
	switch {
	case r.Method == "GET":
		req.JSON = ""
	case strings.Contains(r.Path, "/rsvps/"):
		req.JSON = `{"status":"going"}`
	case r.Method == "PATCH":
		req.JSON = `{"description":"Iso ` + strconv.Itoa(isoEventSeq) + `"}`
	default:
		req.JSON = fmt.Sprintf(`{"space_id":%d,"title":"Iso event %d","start":%q,"end":%q,"location":"Online"}`, b.Space.ID, isoEventSeq, start, end)
	}
}

// eventContractCalls are the events API's contract requests, on tenant
// A's fixtures.
func (e *tenantEnv) eventContractCalls(calls map[string]contractCall, rk, wk string) {
	a := e.communityFixture(e.A.T, e.A.Owner)
	ev := e.eventFixture(e.A.T, e.A.Owner)
	m := e.courseFixture(e.A.T, e.A.Owner).Member
	evp := "/api/v1/community/events/" + strconv.FormatInt(ev.ID, 10)
	start := time.Now().Add(20 * 24 * time.Hour).UTC().Truncate(time.Hour)
	calls["getCommunityEvents"] = contractCall{ui.HostPortal, "GET", "/api/v1/community/events?past=true", rk, "", 200}
	calls["postCommunityEvents"] = contractCall{ui.HostPortal, "POST", "/api/v1/community/events", wk, fmt.Sprintf(`{"space_id":%d,"title":"Office hours","start":%q,"end":%q,"video_url":"https://meet.example.com/oh","capacity":20}`,
		a.Space.ID, start.Format(time.RFC3339), start.Add(time.Hour).Format(time.RFC3339)), 201}
	calls["getCommunityEventsId"] = contractCall{ui.HostPortal, "GET", evp, rk, "", 200}
	calls["patchCommunityEventsId"] = contractCall{ui.HostPortal, "PATCH", evp, wk, `{"description":"Bring questions"}`, 200}
	calls["putCommunityEventsIdRsvpsMember"] = contractCall{ui.HostPortal, "PUT", evp + "/rsvps/" + strconv.FormatInt(m.ID, 10), wk, `{"status":"going"}`, 200}
}

// Staff create an event in a space, in the tenant's time zone, on a
// calendar: it shows on the calendar and takes its time there; members
// see it, answer within the capacity (a clear message when full),
// download a valid .ics, get a reminder in the digest; cancelling takes
// it off the calendar.
func TestCommunity_Events(t *testing.T) {
	e := newTenantEnv(t)
	svc := e.App.Courses
	tz := "America/New_York"
	if _, err := e.App.Tenants.UpdateTenant(context.Background(), e.A.T.ID, app.TenantUpdate{Timezone: &tz}); err != nil {
		t.Fatal(err)
	}
	ny, _ := time.LoadLocation(tz)
	actx := app.NewContextWithUser(app.NewContextWithTenant(context.Background(), e.A.T), e.A.Owner)
	// The tenant's shared calendar (made with the tenant), moved to New
	// York, Monday to Friday 9:00-17:00.
	cals, err := e.App.Calendar.FindCalendars(actx)
	if err != nil {
		t.Fatal(err)
	}
	var cal *calendar.Calendar
	for _, c := range cals {
		if c.OwnerKind == calendar.OwnerTenant {
			cal = c
		}
	}
	if cal == nil {
		t.Fatal("no tenant calendar")
	}
	cal.TimeZone, cal.Availability = tz, calendar.DefaultAvailability()
	if err := e.App.Calendar.UpdateCalendar(actx, cal); err != nil {
		t.Fatal(err)
	}
	side := e.communityFixture(e.A.T, e.A.Owner)
	learner := e.courseFixture(e.A.T, e.A.Owner)
	owner := map[string]string{"psid": e.A.Cookie}
	do := func(method, path string, cookies map[string]string, form url.Values) (int, string) {
		t.Helper()
		st, body, _ := e.do(treq{Host: ui.HostPortal, Method: method, Path: path, Form: form, Cookies: cookies, CSRF: method == "POST"})
		return st, body
	}
	// A weekday a month ahead, 10:00-11:00 in New York.
	day := time.Now().In(ny).AddDate(0, 0, 30)
	for day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
		day = day.AddDate(0, 0, 1)
	}
	date := day.Format(time.DateOnly)
	wantStart := time.Date(day.Year(), day.Month(), day.Day(), 10, 0, 0, 0, ny)
	spacePath := "/community/spaces/" + strconv.FormatInt(side.Space.ID, 10)
	st, body := do("GET", spacePath, owner, nil)
	if st != 200 || !strings.Contains(body, `<option value="`+strconv.FormatInt(cal.ID, 10)+`" selected>`+cal.Name+`</option>`) || !strings.Contains(body, "Starts (America/New_York)") {
		t.Fatalf("space page: %d %s", st, body)
	}
	form := func(kv ...string) url.Values {
		f := url.Values{"title": {"Live Q&A"}, "description": {"**Bring** your questions"}, "start": {date + "T10:00"}, "end": {date + "T11:00"},
			"location": {"Zoom"}, "video_url": {"https://meet.example.com/qa"}, "capacity": {"1"}, "calendar_id": {strconv.FormatInt(cal.ID, 10)}}
		for i := 0; i < len(kv); i += 2 {
			f.Set(kv[i], kv[i+1])
		}
		return f
	}
	for _, c := range []struct {
		form url.Values
		want string
	}{
		{form("end", date+"T09:00"), "The event must end after it starts."},
		{form("location", "", "video_url", ""), "Give a place or a video link"},
		{form("video_url", "javascript:alert(1)"), "The video link must be a web address"},
		{form("capacity", "lots"), "Capacity must be a whole number"},
		{form("start", "tomorrow"), "start must be a date and time like"},
		{form("calendar_id", "999999"), "Choose one of your calendars."},
	} {
		if st, body := do("POST", spacePath+"/events", owner, c.form); st != 422 || !strings.Contains(body, c.want) {
			t.Errorf("bad event %v: %d, want 422 with %q", c.form, st, c.want)
		}
	}
	st, _, resp := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: spacePath + "/events", Form: form(), Cookies: owner, CSRF: true})
	if st != 303 {
		t.Fatalf("create event: %d", st)
	}
	evPath := resp.Header.Get("Location")
	evID, _ := strconv.ParseInt(strings.TrimPrefix(evPath, "/community/events/"), 10, 64)
	ev, _, err := svc.Event(actx, evID)
	if err != nil {
		t.Fatal(err)
	}
	if !ev.Start.Equal(wantStart) || !ev.End.Equal(wantStart.Add(time.Hour)) || ev.TimeZone != tz || ev.CalendarID != cal.ID {
		t.Fatalf("stored event: %v–%v %s cal %d, want %v in %s", ev.Start, ev.End, ev.TimeZone, ev.CalendarID, wantStart, tz)
	}

	// On the calendar, and its time is taken there.
	if _, body := do("GET", "/calendar?date="+date+"&tz="+url.QueryEscape(tz), owner, nil); !strings.Contains(body, `data-event="`+strconv.FormatInt(evID, 10)+`"`) ||
		!strings.Contains(body, "10:00 Live Q&amp;A") {
		t.Errorf("calendar week lacks the event: %s", body)
	}
	et := &calendar.EventType{Slug: "chat", Title: "Chat", Durations: []int{30}, Hosts: []int64{cal.ID}, Enabled: true}
	if err := e.App.Calendar.SaveEventType(actx, et); err != nil {
		t.Fatal(err)
	}
	dayStart := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, ny)
	slots := func() map[string]bool {
		ss, err := e.App.Calendar.FreeSlots(actx, et, 0, dayStart, dayStart.Add(24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for _, s := range ss {
			out[s.Start.In(ny).Format("15:04")] = true
		}
		return out
	}
	if free := slots(); free["10:00"] || free["10:30"] || !free["09:30"] || !free["11:00"] {
		t.Errorf("free slots around the event: %v", free)
	}

	// Members: the space lists it; the page shows both zones.
	mem := map[string]string{"msid": learner.Cookie}
	jane, janeC := e.signInMember(e.A.T, e.A.Owner, "jane@alpha.test", "Jane Doe", 0)
	if _, body := do("GET", "/learn/community/s/"+side.Space.Slug, mem, nil); !strings.Contains(body, `id="event-`+strconv.FormatInt(evID, 10)+`"`) {
		t.Errorf("space lacks the event: %s", body)
	}
	mEv := "/learn/community/events/" + strconv.FormatInt(evID, 10)
	_, body = do("GET", mEv, mem, nil)
	utcStart := wantStart.UTC().Format("15:04")
	if !strings.Contains(body, "10:00–11:00 (America/New_York)") || !strings.Contains(body, "Your time: ") || !strings.Contains(body, utcStart+"–") ||
		!strings.Contains(body, "<strong>Bring</strong>") || !strings.Contains(body, "0 going of 1 places") {
		t.Errorf("member's event page: %s", body)
	}
	if st, _ := do("POST", mEv+"/rsvp", mem, url.Values{"status": {"maybe"}}); st != 422 {
		t.Errorf("bad answer: %d", st)
	}
	if st, _ := do("POST", mEv+"/rsvp", mem, url.Values{"status": {"going"}}); st != 303 {
		t.Fatalf("going: %d", st)
	}
	if st, body := do("POST", mEv+"/rsvp", janeC, url.Values{"status": {"going"}}); st != 409 || !strings.Contains(body, "Sorry, this event is full (1 of 1 places taken).") {
		t.Errorf("Jane on a full event: %d %s", st, body)
	}
	// The staff cannot lower the capacity under the members going... and
	// a place freed is Jane's.
	if st, body := do("POST", evPath, owner, form("capacity", "0", "space_id", strconv.FormatInt(side.Space.ID, 10))); st != 303 {
		t.Errorf("capacity to unlimited: %d %s", st, body)
	}
	if st, body := do("POST", evPath, owner, form("capacity", "2", "space_id", strconv.FormatInt(side.Space.ID, 10))); st != 303 {
		t.Errorf("capacity 2: %d %s", st, body)
	}
	if st, _ := do("POST", mEv+"/rsvp", janeC, url.Values{"status": {"going"}}); st != 303 {
		t.Errorf("Jane going: %d", st)
	}
	if st, body := do("POST", evPath, owner, form("capacity", "1")); st != 422 || !strings.Contains(body, "2 members are already going") {
		t.Errorf("capacity under the members going: %d", st)
	}
	if st, _ := do("POST", mEv+"/rsvp", mem, url.Values{"status": {"not_going"}}); st != 303 {
		t.Errorf("not going: %d", st)
	}
	_, body = do("GET", evPath, owner, nil)
	if !strings.Contains(body, "1 going of 2") || !strings.Contains(body, "Jane Doe") {
		t.Errorf("staff event page: %s", body)
	}

	// The .ics file parses as iCalendar with the event's UTC times.
	st, ics, resp := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: mEv + "/ics", Cookies: janeC})
	if st != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/calendar") {
		t.Fatalf("ics: %d %s", st, resp.Header.Get("Content-Type"))
	}
	vevent := func(data string) *ical.Event {
		t.Helper()
		c, err := ical.NewDecoder(strings.NewReader(data)).Decode()
		if err != nil {
			t.Fatalf("ics does not parse: %v\n%s", err, data)
		}
		evs := c.Events()
		if len(evs) != 1 {
			t.Fatalf("ics has %d events", len(evs))
		}
		return &evs[0]
	}
	ve := vevent(ics)
	gotStart, err := ve.DateTimeStart(time.UTC)
	if err != nil || !gotStart.Equal(wantStart) {
		t.Errorf("ics DTSTART %v (%v), want %v", gotStart, err, wantStart)
	}
	if s, _ := ve.Props.Text(ical.PropSummary); s != "Live Q&A" {
		t.Errorf("ics SUMMARY %q", s)
	}
	if u, _ := ve.Props.Text(ical.PropUID); u != ev.UID {
		t.Errorf("ics UID %q, want %q", u, ev.UID)
	}
	if d, _ := ve.Props.Text(ical.PropDescription); !strings.Contains(d, "https://meet.example.com/qa") {
		t.Errorf("ics DESCRIPTION %q", d)
	}

	// The digest reminds Jane (going) half a day before; not the learner.
	now := wantStart.Add(-12 * time.Hour)
	svc.Now = func() time.Time { return now }
	defer func() { svc.Now = nil }()
	if _, err := svc.SendDigests(context.Background()); err != nil {
		t.Fatal(err)
	}
	msgs, _, err := e.Outbox.FindOutboxMessages(context.Background(), 200)
	if err != nil {
		t.Fatal(err)
	}
	var janeDigest string
	for _, m := range msgs {
		if strings.Contains(m.Subject, "community") && m.To == jane.Email {
			janeDigest = m.Body
		}
		if strings.Contains(m.Subject, "community") && m.To == learner.Member.Email && strings.Contains(m.Body, "Live Q&A") {
			t.Errorf("the learner (not going) was reminded: %s", m.Body)
		}
	}
	if !strings.Contains(janeDigest, "Your upcoming events (you are going)") || !strings.Contains(janeDigest, "Live Q&A") ||
		!strings.Contains(janeDigest, "/learn/community/events/"+strconv.FormatInt(evID, 10)) {
		t.Errorf("Jane's digest: %q", janeDigest)
	}
	svc.Now = nil

	// Cancelled: off the calendar, answers refused, the .ics says so.
	f := form("capacity", "2")
	f.Set("cancelled", "1")
	if st, _ := do("POST", evPath, owner, f); st != 303 {
		t.Fatalf("cancel: %d", st)
	}
	if _, body := do("GET", "/calendar?date="+date+"&tz="+url.QueryEscape(tz), owner, nil); strings.Contains(body, "Live Q&amp;A") {
		t.Errorf("cancelled event still on the calendar")
	}
	if free := slots(); !free["10:00"] {
		t.Errorf("cancelled event still takes its time: %v", free)
	}
	if st, body := do("POST", mEv+"/rsvp", janeC, url.Values{"status": {"going"}}); st != 409 || !strings.Contains(body, "This event was cancelled.") {
		t.Errorf("answer to a cancelled event: %d", st)
	}
	_, ics, _ = e.do(treq{Host: ui.HostPortal, Method: "GET", Path: mEv + "/ics", Cookies: janeC})
	if s, _ := vevent(ics).Props.Text(ical.PropStatus); s != "CANCELLED" {
		t.Errorf("cancelled ics STATUS %q", s)
	}

	// API: create with local times in the tenant's zone (the default
	// calendar), a type mismatch names the field, the team answers for a
	// member within the capacity.
	api := func(method, path, key, body string) (int, string) {
		t.Helper()
		st, b, _ := e.do(treq{Host: ui.HostPortal, Method: method, Path: path, Bearer: key, JSON: body})
		return st, b
	}
	if st, body := api("POST", "/api/v1/community/events", e.A.KeyWrite, `{"title":"X","capacity":"ten"}`); st != 400 || !strings.Contains(body, "capacity") {
		t.Errorf("type mismatch: %d %s", st, body)
	}
	st, body = api("POST", "/api/v1/community/events", e.A.KeyWrite, fmt.Sprintf(`{"space_id":%d,"title":"Office hours","start":"%sT14:00","end":"%sT15:00","video_url":"https://meet.example.com/oh","capacity":1}`,
		side.Space.ID, date, date))
	if st != 201 {
		t.Fatalf("api create: %d %s", st, body)
	}
	var created struct {
		Data struct {
			ID         int64     `json:"id"`
			Start      time.Time `json:"start"`
			CalendarID int64     `json:"calendar_id"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &created); err != nil {
		t.Fatal(err)
	}
	if want := time.Date(day.Year(), day.Month(), day.Day(), 14, 0, 0, 0, ny); !created.Data.Start.Equal(want) || created.Data.CalendarID != cal.ID {
		t.Errorf("api event: start %v calendar %d, want %v and %d", created.Data.Start, created.Data.CalendarID, want, cal.ID)
	}
	rs := fmt.Sprintf("/api/v1/community/events/%d/rsvps/", created.Data.ID)
	if st, body := api("PUT", rs+strconv.FormatInt(jane.ID, 10), e.A.KeyWrite, `{"status":"maybe"}`); st != 400 || !strings.Contains(body, "status") {
		t.Errorf("api bad status: %d %s", st, body)
	}
	if st, body := api("PUT", rs+strconv.FormatInt(jane.ID, 10), e.A.KeyWrite, `{"status":"going"}`); st != 200 || !strings.Contains(body, `"going":1`) {
		t.Errorf("api going: %d %s", st, body)
	}
	if st, body := api("PUT", rs+strconv.FormatInt(learner.Member.ID, 10), e.A.KeyWrite, `{"status":"going"}`); st != 409 || !strings.Contains(body, "full") {
		t.Errorf("api going on a full event: %d %s", st, body)
	}
	bm := e.courseFixture(e.B.T, e.B.Owner).Member
	if st, _ := api("PUT", rs+strconv.FormatInt(bm.ID, 10), e.A.KeyWrite, `{"status":"going"}`); st != 404 {
		t.Errorf("api answer for B's member: %d", st)
	}
	if st, body := api("GET", fmt.Sprintf("/api/v1/community/events/%d", created.Data.ID), e.A.KeyRead, ""); st != 200 || !strings.Contains(body, `"member_name":"Jane Doe"`) {
		t.Errorf("api event with answers: %d %s", st, body)
	}
	// B's staff see none of A's events.
	if st, body := api("GET", "/api/v1/community/events?past=true", e.B.KeyRead, ""); st != 200 || strings.Contains(body, "Office hours") || strings.Contains(body, "Live Q&A") {
		t.Errorf("B's key lists A's events: %d %s", st, body)
	}
}
