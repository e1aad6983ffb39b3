package inbox_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"orengen/app"
	"orengen/app/inbox"
	"orengen/store"
)

// TestQuiet_Until: a window that crosses midnight, read in the tenant's
// timezone (New York), not UTC: 20:30 there is before it, 21:30 (02:30
// UTC the next day) inside it until 08:00 there (13:00 UTC), 07:59
// inside, 08:00 after; a window within one day; a window is off until
// enabled.
func TestQuiet_Until(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	q := &inbox.Quiet{Enabled: true, Start: "21:00", End: "08:00"}
	end := time.Date(2027, 1, 5, 13, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		now   time.Time
		quiet bool
		until time.Time
	}{
		{time.Date(2027, 1, 5, 1, 30, 0, 0, time.UTC), false, time.Time{}},
		{time.Date(2027, 1, 5, 2, 30, 0, 0, time.UTC), true, end},
		{time.Date(2027, 1, 5, 12, 59, 0, 0, time.UTC), true, end},
		{time.Date(2027, 1, 5, 13, 0, 0, 0, time.UTC), false, time.Time{}},
	} {
		until, quiet := q.Until(c.now, ny)
		if quiet != c.quiet || !until.Equal(c.until) {
			t.Errorf("at %s: quiet %v until %s, want %v until %s", c.now, quiet, until.UTC(), c.quiet, c.until)
		}
	}
	day := &inbox.Quiet{Enabled: true, Start: "12:00", End: "13:30"}
	if until, quiet := day.Until(time.Date(2027, 1, 5, 17, 15, 0, 0, time.UTC), ny); !quiet || !until.Equal(time.Date(2027, 1, 5, 18, 30, 0, 0, time.UTC)) {
		t.Errorf("midday window: %v %s", quiet, until)
	}
	if _, quiet := (&inbox.Quiet{Start: "21:00", End: "08:00"}).Until(time.Date(2027, 1, 5, 2, 30, 0, 0, time.UTC), ny); quiet {
		t.Error("a window not enabled holds")
	}
	for _, bad := range []*inbox.Quiet{{Start: "25:00", End: "08:00"}, {Start: "21:00", End: "x"}, {Start: "08:00", End: "08:00"}} {
		if err := bad.Validate(); app.ErrorCode(err) != app.EINVALID || app.ErrorField(err) == "" {
			t.Errorf("%+v: %v", bad, err)
		}
	}
}

// TestQuiet_HoldsWorkflowText: a workflow text due in the tenant's quiet
// hours is held (the run waits in the database until the window ends,
// nothing reaches Twilio), stays held across a restart (a new engine on
// the same database) until the window ends, and then goes out once. A
// person replying by hand in quiet hours is warned and may send.
func TestQuiet_HoldsWorkflowText(t *testing.T) {
	e := newWFEnv(t)
	st := e.st
	e.svc.Quiet = st
	e.db.Now = func() time.Time { return e.now }
	clock := func() time.Time { return e.now }
	e.eng.Now, e.eng.QuietHours = clock, e.svc.QuietUntil
	// 21:30 on Monday 4 January in New York (the tenant's timezone).
	e.now = time.Date(2027, 1, 5, 2, 30, 0, 0, time.UTC)
	if err := e.svc.SaveQuiet(e.owner(e.tA), &inbox.Quiet{Enabled: true, Start: "21:00", End: "08:00"}); err != nil {
		t.Fatal(err)
	}
	w := e.workflow(e.tA.ID, "Quote reply", &app.When{Channel: "sms", Contains: "quote"}, app.Step{ID: "text", Type: app.StepSMS, Body: "Thanks, we call you at 9."})
	e.text(e.tA.ID, alice, numberA, "quote please", "SMq1")
	if n := e.tick(); n != 1 {
		t.Fatalf("%d runs", n)
	}
	if n := len(e.tw.Messages()); n != 0 {
		t.Fatalf("%d texts sent in quiet hours", n)
	}
	runs, err := e.ws.FindRuns(context.Background(), app.RunFilter{TenantID: e.tA.ID, WorkflowID: w.ID})
	if err != nil || len(runs) != 1 || runs[0].Status != app.RunWaiting || !runs[0].NextAttemptAt.Equal(time.Date(2027, 1, 5, 13, 0, 0, 0, time.UTC)) ||
		!strings.Contains(runs[0].Error, "quiet hours") {
		t.Fatalf("held run %+v %v", runs, err)
	}
	// A restart: a new engine at 07:59 there still holds it.
	e.now = time.Date(2027, 1, 5, 12, 59, 0, 0, time.UTC)
	e.eng = app.NewEngine(e.ws)
	e.eng.Contacts, e.eng.Inbox, e.eng.Telephony, e.eng.Now, e.eng.QuietHours = store.NewContactStore(e.db), e.svc, e.svc.Telephony, clock, e.svc.QuietUntil
	e.eng.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	e.tick()
	if n := len(e.tw.Messages()); n != 0 {
		t.Fatalf("%d texts sent before the window ended", n)
	}
	// 08:00 there: it goes out, once.
	e.now = time.Date(2027, 1, 5, 13, 0, 0, 0, time.UTC)
	e.tick()
	e.tick()
	sent := e.tw.Messages()
	if len(sent) != 1 || sent[0].Get("To") != alice || sent[0].Get("Body") != "Thanks, we call you at 9." {
		t.Fatalf("sent %v", sent)
	}
	if runs, _ := e.ws.FindRuns(context.Background(), app.RunFilter{TenantID: e.tA.ID, WorkflowID: w.ID}); runs[0].Status != app.RunSucceeded {
		t.Fatalf("run %+v", runs[0])
	}
	// By hand in quiet hours: warned, and sent.
	e.now = time.Date(2027, 1, 6, 3, 0, 0, 0, time.UTC)
	ctx := e.owner(e.tA)
	if note := e.svc.QuietNote(ctx, e.tA.ID); !strings.Contains(note, "Quiet hours until Wed 08:00 EST") {
		t.Fatalf("note %q", note)
	}
	if note := e.svc.QuietNote(ctx, e.tB.ID); note != "" {
		t.Fatalf("B has no quiet hours, note %q", note)
	}
	cs := e.list(ctx, inbox.Filter{})
	if _, err := e.svc.Reply(ctx, cs[0].ID, "Sorry for the late answer."); err != nil {
		t.Fatal(err)
	}
	if n := len(e.tw.Messages()); n != 2 {
		t.Fatalf("%d texts, want 2 (the hand reply goes out)", n)
	}
}
