package caldav_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"orengen/app/calendar"
)

// wireLog records the write requests the appliance sends to the CalDAV
// server (through a loopback proxy in front of Radicale) with their
// preconditions and the server's answers.
type wireLog struct {
	mu    sync.Mutex
	lines []string
}

func (w *wireLog) proxy(t *testing.T, target string) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rec := &statusWriter{ResponseWriter: rw, code: http.StatusOK}
		rp.ServeHTTP(rec, r)
		switch r.Method {
		case http.MethodPut, http.MethodDelete, http.MethodHead:
			cond := ""
			if v := r.Header.Get("If-Match"); v != "" {
				cond = " If-Match"
				if !strings.HasPrefix(v, `"`) || !strings.HasSuffix(v, `"`) || len(v) < 3 {
					cond += "(malformed " + v + ")"
				}
			}
			if v := r.Header.Get("If-None-Match"); v != "" {
				cond += " If-None-Match:" + v
			}
			status := fmt.Sprint(rec.code)
			if rec.code == http.StatusOK || rec.code == http.StatusCreated || rec.code == http.StatusNoContent {
				status = "ok" // Radicale answers 201 to every PUT that works
			}
			w.mu.Lock()
			w.lines = append(w.lines, fmt.Sprintf("%s %s%s %s", r.Method, r.URL.Path, cond, status))
			w.mu.Unlock()
		}
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String() + "/"
}

// take returns the requests recorded since the last take.
func (w *wireLog) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.lines
	w.lines = nil
	return out
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (s *statusWriter) WriteHeader(c int) { s.code = c; s.ResponseWriter.WriteHeader(c) }

// get reads a resource straight from Radicale (as another calendar app).
func get(t *testing.T, e *syncEnv, path string) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, strings.TrimSuffix(e.r.URL, "/")+path, nil)
	req.SetBasicAuth("alice", "s3cret-pass")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header.Get("ETag")
}

func wantWire(t *testing.T, step string, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("%s: requests to the server\n got %q\nwant %q", step, got, want)
	}
}

// Writing bookings back with ETags against a real Radicale: an event is
// created only if absent (If-None-Match: *) and replaced or deleted only
// at the version written (If-Match). An event changed on the server in
// between makes the write fail (412); the appliance reads the event's
// version again and writes the booking over it (the booking is the
// source of truth of its own event). An event deleted on the server is
// created again, whether the next sync notices the deletion or only the
// next write does. A change of the target calendar moves the bookings'
// events, and no target removes them.
func TestSyncer_RadicaleWriteBack(t *testing.T) {
	e := newSyncEnv(t, true)
	r := e.r
	r.MkCalendar("/alice/work/", "Work")
	r.MkCalendar("/alice/personal/", "Personal")
	cal := &calendar.Calendar{Name: "Ann", OwnerKind: calendar.OwnerTenant, TimeZone: "UTC", Availability: calendar.DefaultAvailability()}
	if err := e.svc.CreateCalendar(e.ctx, cal); err != nil {
		t.Fatal(err)
	}
	src, err := e.y.ConnectCalDAV(e.ctx, cal.ID, e.url, "alice", "s3cret-pass")
	if err != nil {
		t.Fatal(err)
	}
	// Work receives bookings and is not read as busy, so only the writes
	// can notice what happens to the events there.
	if src, err = e.y.Choose(e.ctx, src.ID, []string{"/alice/personal/"}, "/alice/work/"); err != nil {
		t.Fatal(err)
	}
	et := &calendar.EventType{Title: "Intro", Slug: "intro", Durations: []int{30}, Hosts: []int64{cal.ID}, Enabled: true}
	if err := e.svc.SaveEventType(e.ctx, et); err != nil {
		t.Fatal(err)
	}
	e.y.RunOnce(context.Background())
	e.wire.take()
	sync := func(step string) {
		t.Helper()
		s, err := e.y.SyncNow(e.ctx, src.ID)
		if err != nil || s.LastError != "" {
			t.Fatalf("%s: sync: %v %q", step, err, s.LastError)
		}
	}
	at := func(h int) time.Time { return time.Date(2026, 10, 29, h, 0, 0, 0, time.UTC) }
	bk, err := e.svc.Book(e.ctx, &calendar.BookRequest{EventTypeID: et.ID, Start: at(10), Name: "Gus Guest", Email: "gus@example.test", TimeZone: "UTC"})
	if err != nil {
		t.Fatal(err)
	}
	name := strings.ReplaceAll(bk.UID, "@", "_") + ".ics"
	work, personal := "/alice/work/"+name, "/alice/personal/"+name
	sync("book")
	wantWire(t, "book", e.wire.take(), "PUT "+work+" If-None-Match:* ok")

	// Changed on the server (moved to 16:00 in a calendar app), then
	// rescheduled here to 11:00: the If-Match write is refused, the event
	// re-read, and the booking written over it.
	r.MustDo("PUT", work, icsType, ics(vevent("UID:"+bk.UID, "SUMMARY:Moved in the phone", "DTSTART:20261029T160000Z", "DTEND:20261029T163000Z")), http.StatusNoContent, http.StatusCreated)
	if bk, err = e.svc.Reschedule(e.ctx, bk.ID, bk.Sequence, at(11)); err != nil {
		t.Fatal(err)
	}
	sync("reschedule")
	wantWire(t, "reschedule after a change on the server", e.wire.take(),
		"PUT "+work+" If-Match 412", "HEAD "+work+" ok", "PUT "+work+" If-Match ok")
	code, body, _ := get(t, e, work)
	if code != http.StatusOK || !strings.Contains(body, "DTSTART:20261029T110000Z") || strings.Contains(body, "Moved in the phone") {
		t.Fatalf("event after the reschedule (%d):\n%s", code, body)
	}
	// Nothing changed: nothing is written.
	sync("idle")
	wantWire(t, "idle", e.wire.take())

	// Deleted on the server, then rescheduled: created again.
	r.MustDo("DELETE", work, "", "", http.StatusOK, http.StatusNoContent)
	if bk, err = e.svc.Reschedule(e.ctx, bk.ID, bk.Sequence, at(12)); err != nil {
		t.Fatal(err)
	}
	sync("reschedule after deletion")
	wantWire(t, "reschedule after a deletion on the server", e.wire.take(),
		"PUT "+work+" If-Match 412", "HEAD "+work+" 404", "PUT "+work+" If-None-Match:* ok")
	if code, body, _ := get(t, e, work); code != http.StatusOK || !strings.Contains(body, "DTSTART:20261029T120000Z") {
		t.Fatalf("event not created again (%d):\n%s", code, body)
	}

	// Work read as busy too: the sync itself notices a deletion or a
	// change there and writes the booking back, with no booking change.
	if src, err = e.y.Choose(e.ctx, src.ID, []string{"/alice/work/", "/alice/personal/"}, "/alice/work/"); err != nil {
		t.Fatal(err)
	}
	sync("busy work")
	e.wire.take()
	r.MustDo("DELETE", work, "", "", http.StatusOK, http.StatusNoContent)
	sync("deleted on the server")
	wantWire(t, "sync after a deletion on the server", e.wire.take(), "PUT "+work+" If-None-Match:* ok")
	r.MustDo("PUT", work, icsType, ics(vevent("UID:"+bk.UID, "SUMMARY:Edited", "DTSTART:20261029T170000Z", "DTEND:20261029T173000Z")), http.StatusNoContent, http.StatusCreated)
	sync("changed on the server")
	wantWire(t, "sync after a change on the server", e.wire.take(),
		"PUT "+work+" If-Match 412", "HEAD "+work+" ok", "PUT "+work+" If-Match ok")
	if _, body, _ := get(t, e, work); !strings.Contains(body, "DTSTART:20261029T120000Z") {
		t.Fatalf("event not written back:\n%s", body)
	}
	if got := e.busy(t); len(got) != 0 {
		t.Fatalf("the booking's own event counted as busy: %v", got)
	}
	sync("idle again")
	wantWire(t, "idle again", e.wire.take())

	// The target changes to Personal: the event moves.
	if src, err = e.y.Choose(e.ctx, src.ID, []string{"/alice/work/", "/alice/personal/"}, "/alice/personal/"); err != nil {
		t.Fatal(err)
	}
	if n := e.y.RunOnce(context.Background()); n != 1 {
		t.Fatalf("the changed source was not due: %d", n)
	}
	wantWire(t, "move", e.wire.take(), "DELETE "+work+" If-Match ok", "PUT "+personal+" If-None-Match:* ok")
	if code, _, _ := get(t, e, work); code != http.StatusNotFound {
		t.Fatalf("event still in the old calendar: %d", code)
	}
	if code, body, _ := get(t, e, personal); code != http.StatusOK || !strings.Contains(body, "DTSTART:20261029T120000Z") {
		t.Fatalf("event not in the new calendar (%d):\n%s", code, body)
	}
	sync("after the move")
	if got := e.busy(t); len(got) != 0 {
		t.Fatalf("busy after the move: %v", got)
	}

	// Changed there, then cancelled here: deleted all the same.
	r.MustDo("PUT", personal, icsType, ics(vevent("UID:"+bk.UID, "SUMMARY:Edited", "DTSTART:20261029T120000Z", "DTEND:20261029T123000Z", "LOCATION:Room 4")), http.StatusNoContent, http.StatusCreated)
	if _, err := e.svc.Cancel(e.ctx, bk.ID, -1, "", "test"); err != nil {
		t.Fatal(err)
	}
	e.y.RunOnce(context.Background())
	wantWire(t, "cancel after a change on the server", e.wire.take(),
		"DELETE "+personal+" If-Match 412", "HEAD "+personal+" ok", "DELETE "+personal+" If-Match ok")
	if code, _, _ := get(t, e, personal); code != http.StatusNotFound {
		t.Fatalf("cancelled booking's event still there: %d", code)
	}

	// No target: the upcoming bookings' events go.
	bk2, err := e.svc.Book(e.ctx, &calendar.BookRequest{EventTypeID: et.ID, Start: at(14), Name: "Ida", Email: "ida@example.test", TimeZone: "UTC"})
	if err != nil {
		t.Fatal(err)
	}
	e.y.RunOnce(context.Background())
	p2 := "/alice/personal/" + strings.ReplaceAll(bk2.UID, "@", "_") + ".ics"
	wantWire(t, "second booking", e.wire.take(), "PUT "+p2+" If-None-Match:* ok")
	if _, err = e.y.Choose(e.ctx, src.ID, []string{"/alice/work/", "/alice/personal/"}, ""); err != nil {
		t.Fatal(err)
	}
	e.y.RunOnce(context.Background())
	wantWire(t, "no target", e.wire.take(), "DELETE "+p2+" If-Match ok")
}
