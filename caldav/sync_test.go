package caldav_test

import (
	"bytes"
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"orengen/app"
	"orengen/app/calendar"
	"orengen/caldav"
	"orengen/httpx"
	"orengen/internal/realtest"
	"orengen/store"
)

type syncEnv struct {
	r *realtest.RadicaleServer
	// wire is what the appliance sent to the server and the answers, when
	// it talks through the recording proxy (newSyncEnv with record).
	wire *wireLog
	url  string // the server's address as the appliance reaches it
	svc  *calendar.Service
	y    *calendar.Syncer
	ctx  context.Context
	now  time.Time
}

func newSyncEnv(t *testing.T, record ...bool) *syncEnv {
	t.Helper()
	r := realtest.StartRadicale(t, "alice", "s3cret-pass")
	serverURL := r.URL
	db := store.NewDB(filepath.Join(t.TempDir(), "orengen.db"))
	if err := db.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e := &syncEnv{r: r, now: time.Date(2026, 10, 26, 12, 0, 0, 0, time.UTC)}
	if len(record) > 0 && record[0] {
		e.wire = &wireLog{}
		serverURL = e.wire.proxy(t, r.URL)
	}
	db.Now = func() time.Time { return e.now }
	tn := &app.Tenant{Name: "Alpha"}
	if err := store.NewTenantStore(db).CreateTenant(context.Background(), tn); err != nil {
		t.Fatal(err)
	}
	e.ctx = app.NewContextWithTenant(context.Background(), tn)
	cs := store.NewCalendarStore(db)
	e.svc = calendar.NewService(cs)
	e.svc.Now = func() time.Time { return e.now }
	ciph, err := app.NewCipher(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	// The guarded client, opened only for the server's loopback address
	// (as --outbound-allow does).
	g, err := httpx.ParseAllow(strings.TrimSuffix(strings.TrimPrefix(serverURL, "http://"), "/"))
	if err != nil {
		t.Fatal(err)
	}
	e.url = serverURL
	cl := &caldav.Client{HTTP: httpx.New(g, httpx.Options{Timeout: 10 * time.Second})}
	e.y = calendar.NewSyncer(e.svc, cs)
	e.y.DAV, e.y.Feeds, e.y.Vault = cl, cl, app.NewVaultService(store.NewVaultStore(db), ciph)
	return e
}

func (e *syncEnv) busy(t *testing.T) []string {
	t.Helper()
	bs, err := e.svc.Busy(e.ctx, e.now, e.now.Add(60*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, b := range bs {
		out = append(out, b.Start.UTC().Format("01-02 15:04")+" "+b.Summary)
	}
	return out
}

const icsType = "text/calendar; charset=utf-8"

// Two-way sync with a real Radicale: busy times come in (a weekly
// recurrence across the DST change, from two chosen calendars), a booking
// goes out to the target and is deleted there when cancelled, an event
// deleted on the server goes (through the sync token's delta), and a
// server that is down makes the calendar offer no slots, with the reason
// on the source, until it is back.
func TestSyncer_Radicale(t *testing.T) {
	e := newSyncEnv(t)
	r := e.r
	r.MkCalendar("/alice/work/", "Work")
	r.MkCalendar("/alice/personal/", "Personal")
	r.MkCalendar("/alice/ignored/", "Ignored")
	r.MustDo("PUT", "/alice/work/standup.ics", icsType, ics(vevent("UID:standup", "SUMMARY:Standup",
		"DTSTART;TZID=America/New_York:20261027T100000", "DTEND;TZID=America/New_York:20261027T110000", "RRULE:FREQ=WEEKLY;COUNT=3")), http.StatusCreated)
	r.MustDo("PUT", "/alice/personal/dentist.ics", icsType, ics(vevent("UID:dentist", "SUMMARY:Dentist",
		"DTSTART:20261028T130000Z", "DTEND:20261028T140000Z")), http.StatusCreated)
	r.MustDo("PUT", "/alice/ignored/party.ics", icsType, ics(vevent("UID:party", "SUMMARY:Party",
		"DTSTART:20261029T130000Z", "DTEND:20261029T140000Z")), http.StatusCreated)

	cal := &calendar.Calendar{Name: "Ann", OwnerKind: calendar.OwnerTenant, TimeZone: "America/New_York", Availability: calendar.DefaultAvailability()}
	if err := e.svc.CreateCalendar(e.ctx, cal); err != nil {
		t.Fatal(err)
	}
	if _, err := e.y.ConnectCalDAV(e.ctx, cal.ID, r.URL, "alice", "wrong"); app.ErrorCode(err) != app.EINVALID || !strings.Contains(app.ErrorMessage(err), "401") {
		t.Fatalf("wrong password: %v", err)
	}
	src, err := e.y.ConnectCalDAV(e.ctx, cal.ID, r.URL, "alice", "s3cret-pass")
	if err != nil {
		t.Fatal(err)
	}
	if len(src.Remotes) != 3 {
		t.Fatalf("discovered %+v, want 3 calendars", src.Remotes)
	}
	if src, err = e.y.Choose(e.ctx, src.ID, []string{"/alice/work/", "/alice/personal/"}, "/alice/work/"); err != nil {
		t.Fatal(err)
	}
	if src, err = e.y.SyncNow(e.ctx, src.ID); err != nil || src.LastError != "" {
		t.Fatalf("sync: %v %q", err, src.LastError)
	}
	want := "10-27 14:00 Standup|10-28 13:00 Dentist|11-03 15:00 Standup|11-10 15:00 Standup"
	if got := strings.Join(e.busy(t), "|"); got != want {
		t.Fatalf("busy after first sync:\n got %s\nwant %s", got, want)
	}
	for _, rm := range src.Remotes {
		if rm.Busy && rm.SyncToken == "" {
			t.Errorf("remote %s has no sync token after a sync", rm.Path)
		}
	}

	// A booking is written out to the target at the next tick.
	et := &calendar.EventType{Title: "Intro", Slug: "intro", Durations: []int{30}, Hosts: []int64{cal.ID}, Enabled: true}
	if err := e.svc.SaveEventType(e.ctx, et); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 10, 29, 10, 0, 0, 0, cal.Location())
	bk, err := e.svc.Book(e.ctx, &calendar.BookRequest{EventTypeID: et.ID, Start: start, Name: "Gus Guest", Email: "gus@example.test", TimeZone: "Europe/Paris"})
	if err != nil {
		t.Fatal(err)
	}
	if n := e.y.RunOnce(context.Background()); n != 1 {
		t.Fatalf("RunOnce synced %d sources, want the booked calendar's 1", n)
	}
	href := "/alice/work/" + strings.ReplaceAll(bk.UID, "@", "_") + ".ics"
	if code, _ := r.Do("GET", href, "", ""); code != http.StatusOK {
		t.Fatalf("booking not on the server at %s: %d", href, code)
	}
	// Read back from the target, the booking is not a busy time of its own.
	if _, err := e.y.SyncNow(e.ctx, src.ID); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(e.busy(t), "|"); got != want {
		t.Fatalf("busy after the booking went out:\n got %s\nwant %s", got, want)
	}

	// Deleted on the server: gone after the next (delta) sync.
	r.MustDo("DELETE", "/alice/personal/dentist.ics", "", "", http.StatusOK, http.StatusNoContent)
	if src, err = e.y.SyncNow(e.ctx, src.ID); err != nil || src.LastError != "" {
		t.Fatalf("sync: %v %q", err, src.LastError)
	}
	want = "10-27 14:00 Standup|11-03 15:00 Standup|11-10 15:00 Standup"
	if got := strings.Join(e.busy(t), "|"); got != want {
		t.Fatalf("busy after a deletion:\n got %s\nwant %s", got, want)
	}

	// Cancelled here: deleted there.
	if _, err := e.svc.Cancel(e.ctx, bk.ID, -1, "", "test"); err != nil {
		t.Fatal(err)
	}
	e.y.RunOnce(context.Background())
	if code, _ := r.Do("GET", href, "", ""); code != http.StatusNotFound {
		t.Fatalf("cancelled booking still on the server: %d", code)
	}

	// The server goes down: the calendar offers nothing and says why.
	slots, err := e.svc.FreeSlots(e.ctx, et, 0, e.now, e.now.Add(7*24*time.Hour))
	if err != nil || len(slots) == 0 {
		t.Fatalf("slots before the outage: %d %v", len(slots), err)
	}
	r.Stop()
	if src, err = e.y.SyncNow(e.ctx, src.ID); err != nil {
		t.Fatal(err)
	}
	if src.LastError == "" || src.LastOKAt == nil {
		t.Fatalf("outage not recorded: %+v", src)
	}
	if strings.Contains(src.LastError, "s3cret") {
		t.Fatalf("error shows the password: %s", src.LastError)
	}
	if slots, _ := e.svc.FreeSlots(e.ctx, et, 0, e.now, e.now.Add(7*24*time.Hour)); len(slots) != 0 {
		t.Fatalf("an unreadable calendar offered %d slots", len(slots))
	}
	// Back up, with a change made meanwhile: the next sync recovers.
	r.Start()
	r.MustDo("PUT", "/alice/personal/lunch.ics", icsType, ics(vevent("UID:lunch", "SUMMARY:Lunch",
		"DTSTART:20261030T160000Z", "DTEND:20261030T170000Z")), http.StatusCreated)
	e.now = e.now.Add(2 * time.Minute)
	if n := e.y.RunOnce(context.Background()); n != 1 {
		t.Fatalf("the failed source was not retried: %d", n)
	}
	if src, err = e.y.FindSource(e.ctx, src.ID); err != nil || src.LastError != "" {
		t.Fatalf("after restart: %v %q", err, src.LastError)
	}
	want = "10-27 14:00 Standup|10-30 16:00 Lunch|11-03 15:00 Standup|11-10 15:00 Standup"
	if got := strings.Join(e.busy(t), "|"); got != want {
		t.Fatalf("busy after the restart:\n got %s\nwant %s", got, want)
	}
	if slots, _ := e.svc.FreeSlots(e.ctx, et, 0, e.now, e.now.Add(7*24*time.Hour)); len(slots) == 0 {
		t.Fatal("no slots after the server came back")
	}

	// Unchecked: its busy times go at once.
	if _, err := e.y.Choose(e.ctx, src.ID, []string{"/alice/work/"}, "/alice/work/"); err != nil {
		t.Fatal(err)
	}
	want = "10-27 14:00 Standup|11-03 15:00 Standup|11-10 15:00 Standup"
	if got := strings.Join(e.busy(t), "|"); got != want {
		t.Fatalf("busy after unchecking personal:\n got %s\nwant %s", got, want)
	}
}
