package ui_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"orengen/app"
	"orengen/app/calendar"
	"orengen/ui"
)

// The calendar page's sync panel (issue #19): the owner sees the private
// feed URL and the connections with their status; the feed serves the
// calendar's bookings (not another tenant's) until it is revoked; a
// connection to a refused address is not saved; a feed that cannot be
// read shows why on the page and the calendar offers no slots; a member
// sees no sync panel.
func TestCalendar_SyncPanel(t *testing.T) {
	e := newTenantEnv(t)
	owner := map[string]string{"psid": e.A.Cookie}
	ctx := app.NewContextWithTenant(context.Background(), e.A.T)
	calPath := "/calendar/calendars/" + strconv.FormatInt(e.A.CalendarID, 10)
	get := func(cookies map[string]string, host, path string) (int, string, string) {
		t.Helper()
		st, body, resp := e.do(treq{Host: host, Method: "GET", Path: path, Cookies: cookies})
		return st, body, resp.Header.Get("Content-Type")
	}
	post := func(path string, form url.Values) (int, string) {
		t.Helper()
		st, _, resp := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: path, Form: form, CSRF: true, Cookies: owner})
		return st, resp.Header.Get("Location")
	}

	cl, err := e.App.Calendar.FindCalendar(ctx, e.A.CalendarID)
	if err != nil {
		t.Fatal(err)
	}
	st, body, _ := get(owner, ui.HostPortal, calPath)
	if st != 200 || !strings.Contains(body, `id="sync"`) || !strings.Contains(body, "Connect a CalDAV account") ||
		!strings.Contains(body, "/calendar-feed/"+cl.FeedToken+".ics") || !strings.Contains(body, "127.0.0.1:9/dav/") {
		t.Fatalf("owner's calendar page: %d, sync panel, feed URL or source missing", st)
	}
	if _, body, _ := get(map[string]string{"psid": e.portalSession(e.A.Member)}, ui.HostPortal, calPath); strings.Contains(body, `id="sync"`) || strings.Contains(body, cl.FeedToken) {
		t.Fatal("a member sees the sync panel or the feed secret")
	}

	// The private feed: A's bookings, none of B's.
	feed := "/calendar-feed/" + cl.FeedToken + ".ics"
	st, body, ct := get(nil, ui.HostPortal, feed)
	if st != 200 || !strings.HasPrefix(ct, "text/calendar") || !strings.Contains(body, "UID:"+app.Slugify(e.A.T.Name)+"0@test") ||
		strings.Contains(body, "UID:"+app.Slugify(e.B.T.Name)) {
		t.Fatalf("feed: %d %s\n%s", st, ct, body)
	}
	if st, loc := post(calPath+"/feed-token", nil); st != 303 || !strings.HasSuffix(loc, "#sync") {
		t.Fatalf("revoke feed: %d %s", st, loc)
	}
	if st, _, _ := get(nil, ui.HostPortal, feed); st != 404 {
		t.Fatalf("revoked feed: %d, want 404", st)
	}
	cl2, _ := e.App.Calendar.FindCalendar(ctx, e.A.CalendarID)
	if st, _, _ := get(nil, ui.HostPortal, "/calendar-feed/"+cl2.FeedToken+".ics"); st != 200 || cl2.FeedToken == cl.FeedToken {
		t.Fatalf("new feed: %d", st)
	}

	// Refused or malformed addresses: nothing saved.
	before, _ := e.App.CalendarSync.FindSources(ctx, e.A.CalendarID)
	for _, f := range []url.Values{
		{"url": {"http://127.0.0.1:1/dav/"}, "username": {"ann"}, "password": {"pw-not-shown"}},
		{"url": {"ftp://example.test/"}, "username": {"ann"}, "password": {"pw"}},
		{"url": {"https://ann:pw@example.test/"}, "username": {"ann"}, "password": {"pw"}},
	} {
		if st, loc := post(calPath+"/caldav", f); st != 303 || !strings.HasSuffix(loc, "#sync") {
			t.Fatalf("connect %s: %d %s", f.Get("url"), st, loc)
		}
	}
	if st, _ := post(calPath+"/feeds", url.Values{"url": {"http://169.254.169.254/latest.ics"}}); st != 303 {
		t.Fatalf("metadata feed: %d", st)
	}
	if after, _ := e.App.CalendarSync.FindSources(ctx, e.A.CalendarID); len(after) != len(before) {
		t.Fatalf("refused connections were saved: %d sources, had %d", len(after), len(before))
	}

	// A feed that cannot be read: the reason on the page, no slots.
	et, _ := e.App.Calendar.FindEventType(ctx, e.A.EventTypeID)
	now := time.Now()
	if slots, err := e.App.Calendar.FreeSlots(ctx, et, 0, now, now.Add(3*24*time.Hour)); err != nil || len(slots) == 0 {
		t.Fatalf("slots before: %d %v", len(slots), err)
	}
	src := &calendar.Source{CalendarID: e.A.CalendarID, Kind: calendar.SourceICS, URL: "http://127.0.0.1:1/feed.ics", NextSyncAt: now.Add(time.Hour)}
	if err := e.App.Stores.Calendar.CreateSource(ctx, src); err != nil {
		t.Fatal(err)
	}
	if st, _ := post("/calendar/sources/"+strconv.FormatInt(src.ID, 10)+"/sync", nil); st != 303 {
		t.Fatalf("sync now: %d", st)
	}
	got, err := e.App.CalendarSync.FindSource(ctx, src.ID)
	if err != nil || !strings.Contains(got.LastError, "refused") {
		t.Fatalf("sync of a refused feed: %v %q", err, got.LastError)
	}
	if _, body, _ := get(owner, ui.HostPortal, calPath); !strings.Contains(body, "Last sync failed") || !strings.Contains(body, "offers no booking slots") {
		t.Fatal("the page does not say why the calendar offers nothing")
	}
	if slots, _ := e.App.Calendar.FreeSlots(ctx, et, 0, now, now.Add(3*24*time.Hour)); len(slots) != 0 {
		t.Fatalf("an unreadable calendar offered %d slots", len(slots))
	}
	// Disconnected: the slots come back.
	if st, _ := post("/calendar/sources/"+strconv.FormatInt(src.ID, 10)+"/delete", nil); st != 303 {
		t.Fatalf("disconnect: %d", st)
	}
	if _, err := e.App.CalendarSync.FindSource(ctx, src.ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("disconnected source still there: %v", err)
	}
	if slots, _ := e.App.Calendar.FreeSlots(ctx, et, 0, now, now.Add(3*24*time.Hour)); len(slots) == 0 {
		t.Fatal("no slots after disconnecting")
	}

	// A reachable ICS feed: its event is busy, its hour offers no slot.
	if st, _ := post(calPath+"/feeds", url.Values{"url": {icsFeedURL()}}); st != 303 {
		t.Fatalf("subscribe: %d", st)
	}
	busy, err := e.App.Calendar.Busy(ctx, now, now.Add(10*24*time.Hour))
	if err != nil || len(busy) != 1 || busy[0].Summary != "Feed meeting" || busy[0].CalendarID != e.A.CalendarID {
		t.Fatalf("busy after subscribing: %+v %v", busy, err)
	}
	slots, _ := e.App.Calendar.FreeSlots(ctx, et, 0, busy[0].Start.Add(-time.Hour), busy[0].End.Add(time.Hour))
	for _, sl := range slots {
		if sl.Start.Before(busy[0].End) && sl.End.After(busy[0].Start) {
			t.Fatalf("slot %s overlaps the feed's event", sl.Start)
		}
	}
	if len(slots) == 0 {
		t.Fatal("no slots around the feed's event")
	}
}

// icsFeed is an ICS feed on loopback that every test server may reach
// (newWired puts it on the outbound allow-list): one event next week.
var icsFeed = sync.OnceValue(func() *httptest.Server {
	start := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 7).Add(15 * time.Hour)
	body := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:feed-event\r\nDTSTAMP:20261201T000000Z\r\nSUMMARY:Feed meeting\r\n" +
		"DTSTART:" + start.Format("20060102T150405Z") + "\r\nDTEND:" + start.Add(time.Hour).Format("20060102T150405Z") + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/calendar")
		w.Write([]byte(body))
	}))
})

// icsFeedURL is the feed's address.
func icsFeedURL() string { return icsFeed().URL + "/team.ics" }
