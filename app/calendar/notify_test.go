package calendar_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"orengen/app"
	"orengen/app/calendar"
	"orengen/caldav"
)

type capMailer struct {
	mu   sync.Mutex
	msgs []*app.Message
}

// Ping implements app.Pinger: a test fake has no connection to test.
func (*capMailer) Ping(context.Context) error {
	return errors.New("a test's mailer has no connection to test")
}

func (m *capMailer) Send(_ context.Context, msg *app.Message) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.msgs = append(m.msgs, msg)
	return nil
}

func (m *capMailer) take() []*app.Message {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := m.msgs
	m.msgs = nil
	return out
}

// A booking emails the guest and the host, each with an .ics invitation
// for the booking's UID; the links' token opens the booking; a reschedule
// sends SEQUENCE 1 and replaces the reminders; a cancellation sends
// METHOD:CANCEL; reminders of a cancelled booking are not sent.
func TestNotifier_Lifecycle(t *testing.T) {
	e := newCalEnv(t)
	e.Svc.TokenKey = []byte("0123456789abcdef0123456789abcdef")
	c := e.calendar(t, e.Ctx, "Ann", "Europe/Paris")
	et := e.eventType(t, e.Ctx, &calendar.EventType{Title: "Audit", Slug: "audit", Durations: []int{30}, Hosts: []int64{c.ID}})
	mail := &capMailer{}
	cs := e.St
	var triggers []string
	n := &calendar.Notifier{Service: e.Svc, Notices: cs, ICS: caldav.ICS{},
		Mailer: func(context.Context, int64) (app.Mailer, error) { return mail, nil },
		Host: func(_ context.Context, c *calendar.Calendar) (calendar.Contact, error) {
			return calendar.Contact{Name: "Ann Host", Email: "ann@agency.test"}, nil
		},
		ManageURL: func(_ context.Context, _ int64, tok string) string { return "https://app.example.test/booking/" + tok },
		Trigger: func(_ context.Context, _ int64, trig string, payload []byte) (int, error) {
			triggers = append(triggers, trig)
			return 0, nil
		},
	}
	start := time.Date(2026, 12, 9, 15, 0, 0, 0, c.Location())
	r := guest(et, start, 0)
	r.TimeZone = "Asia/Tokyo"
	bk, err := e.Svc.Book(e.Ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if got := n.RunOnce(context.Background()); got != 1 {
		t.Fatalf("handled %d notices, want 1 (the reminders are not due)", got)
	}
	msgs := mail.take()
	if len(msgs) != 2 || msgs[0].To != r.Email || msgs[1].To != "ann@agency.test" {
		t.Fatalf("emails %d: want guest then host", len(msgs))
	}
	// The guest reads Tokyo time: 15:00 Paris is 23:00 in Tokyo.
	if !strings.Contains(msgs[0].Text, "23:00") || !strings.Contains(msgs[1].Text, "15:00") {
		t.Errorf("times not in each reader's zone:\n%s\n---\n%s", msgs[0].Text, msgs[1].Text)
	}
	ev := parseInvite(t, msgs[0], "REQUEST")
	if uid, _ := ev.Props.Text(ical.PropUID); uid != bk.UID {
		t.Errorf("invite UID %q, want %q", uid, bk.UID)
	}
	if st, _ := ev.DateTimeStart(time.UTC); !st.Equal(start) {
		t.Errorf("invite start %s, want %s", st, start.UTC())
	}
	i := strings.Index(msgs[0].Text, "/booking/")
	if i < 0 {
		t.Fatal("no manage link in the guest's email")
	}
	tok := strings.Fields(msgs[0].Text[i+len("/booking/"):])[0]
	tid, id, seq, err := e.Svc.ParseToken(tok)
	if err != nil || id != bk.ID || seq != 0 || tid == 0 {
		t.Fatalf("token %q: %d %d %d %v", tok, tid, id, seq, err)
	}
	if _, _, _, err := e.Svc.ParseToken(tok[:len(tok)-2] + "xx"); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("forged token accepted: %v", err)
	}
	// Reschedule: a new invite with SEQUENCE 1.
	if _, err := e.Svc.Reschedule(e.Ctx, bk.ID, seq, start.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	n.RunOnce(context.Background())
	msgs = mail.take()
	if len(msgs) != 2 || !strings.HasPrefix(msgs[0].Subject, "Rescheduled") {
		t.Fatalf("reschedule emails: %d", len(msgs))
	}
	ev = parseInvite(t, msgs[0], "REQUEST")
	if s := ev.Props.Get(ical.PropSequence); s == nil || s.Value != "1" {
		t.Errorf("rescheduled invite sequence %v, want 1", s)
	}
	// Move the clock to a day before: the 24 h reminder (of the new time) goes.
	e.Now = start.Add(time.Hour).Add(-24 * time.Hour).Add(time.Minute)
	n.RunOnce(context.Background())
	msgs = mail.take()
	if len(msgs) != 2 || !strings.HasPrefix(msgs[0].Subject, "Reminder: Audit in 24 hours") {
		t.Fatalf("day-ahead reminder: %d emails %v", len(msgs), subjects(msgs))
	}
	if _, err := e.Svc.Cancel(e.Ctx, bk.ID, -1, "No longer needed", "host"); err != nil {
		t.Fatal(err)
	}
	e.Now = start.Add(30 * time.Minute) // past the 1 h reminder of the new time
	n.RunOnce(context.Background())
	msgs = mail.take()
	if len(msgs) != 2 || !strings.HasPrefix(msgs[0].Subject, "Cancelled") {
		t.Fatalf("after cancelling: %v, want only the cancellation (no reminder)", subjects(msgs))
	}
	parseInvite(t, msgs[0], "CANCEL")
	want := []string{calendar.TriggerBooked, calendar.TriggerRescheduled, calendar.TriggerStartsSoon, calendar.TriggerCancelled}
	if strings.Join(triggers, ",") != strings.Join(want, ",") {
		t.Errorf("workflow triggers %v, want %v", triggers, want)
	}
}

func subjects(ms []*app.Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Subject)
	}
	return out
}

func parseInvite(t *testing.T, m *app.Message, method string) *ical.Event {
	t.Helper()
	if len(m.Attachments) != 1 || !strings.Contains(m.Attachments[0].ContentType, "text/calendar") {
		t.Fatalf("email %q has no .ics attachment", m.Subject)
	}
	cal, err := ical.NewDecoder(bytes.NewReader(m.Attachments[0].Data)).Decode()
	if err != nil {
		t.Fatalf("invite does not parse: %v\n%s", err, m.Attachments[0].Data)
	}
	if got, _ := cal.Props.Text(ical.PropMethod); got != method {
		t.Errorf("METHOD %q, want %s", got, method)
	}
	evs := cal.Events()
	if len(evs) != 1 {
		t.Fatalf("%d events in the invite", len(evs))
	}
	return &evs[0]
}

// A booking that waits for confirmation tells the host where to confirm
// or decline it (their bookings page behind sign-in), not the guest; an
// instant booking's host email says nothing of it.
func TestNotifier_PendingHostLink(t *testing.T) {
	e := newCalEnv(t)
	c := e.calendar(t, e.Ctx, "Ann", "UTC")
	req := e.eventType(t, e.Ctx, &calendar.EventType{Title: "Audit", Slug: "audit", Durations: []int{30}, Hosts: []int64{c.ID}, RequiresConfirmation: true})
	inst := e.eventType(t, e.Ctx, &calendar.EventType{Title: "Chat", Slug: "chat", Durations: []int{30}, Hosts: []int64{c.ID}})
	mail := &capMailer{}
	var asked []int64
	n := &calendar.Notifier{Service: e.Svc, Notices: e.St, ICS: caldav.ICS{},
		Mailer: func(context.Context, int64) (app.Mailer, error) { return mail, nil },
		Host: func(context.Context, *calendar.Calendar) (calendar.Contact, error) {
			return calendar.Contact{Name: "Ann Host", Email: "ann@agency.test"}, nil
		},
		HostPage: func(_ context.Context, tenantID int64) string {
			asked = append(asked, tenantID)
			return "https://app.example.test/calendar/bookings"
		},
	}
	const link = "confirm or decline it at https://app.example.test/calendar/bookings"
	for i, tc := range []struct {
		et       *calendar.EventType
		hostLink bool
	}{{req, true}, {inst, false}} {
		if _, err := e.Svc.Book(e.Ctx, guest(tc.et, time.Date(2026, 12, 9, 10+i, 0, 0, 0, time.UTC), 0)); err != nil {
			t.Fatal(err)
		}
		n.RunOnce(context.Background())
		msgs := mail.take()
		if len(msgs) != 2 || msgs[1].To != "ann@agency.test" {
			t.Fatalf("%s: %d emails", tc.et.Title, len(msgs))
		}
		if strings.Contains(msgs[0].Text, link) {
			t.Errorf("%s: the guest got the host's link:\n%s", tc.et.Title, msgs[0].Text)
		}
		if got := strings.Contains(msgs[1].Text, link); got != tc.hostLink {
			t.Errorf("%s: host link %v, want %v:\n%s", tc.et.Title, got, tc.hostLink, msgs[1].Text)
		}
	}
	if tid := app.TenantFromContext(e.Ctx).ID; len(asked) == 0 || asked[0] != tid {
		t.Errorf("host page asked for tenants %v, want %d", asked, tid)
	}
}
