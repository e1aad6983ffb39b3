package calendar_test

import (
	"context"
	"slices"
	"sort"
	"strconv"
	"testing"
	"time"

	"orengen/app"
	"orengen/app/calendar"
	"orengen/caldav"
	"orengen/store"
)

// "Starts in N minutes": a workflow with when.minutes 30 gets a reminder
// 30 minutes before each booking made after it exists (a trigger only: no
// email), a workflow without minutes fires at the calendar's 24-hour and
// 1-hour reminders (which are emailed), and neither fires at the other's.
// The runs are queued by the real workflow store, payload included.
func TestNotifier_StartsSoonWorkflows(t *testing.T) {
	e := newCalEnv(t)
	tid := app.TenantFromContext(e.Ctx).ID
	ws := store.NewWorkflowStore(e.DB)
	sms := []app.Step{{ID: "s1", Type: app.StepSMS, To: "{{.Trigger.phone}}", Body: "See you at {{.Trigger.start}}"}}
	in30 := &app.Workflow{TenantID: tid, Name: "Text 30 minutes before", Trigger: app.TriggerAppointmentStartsSoon, Enabled: true,
		Definition: &app.Definition{When: &app.When{Minutes: 30}, Steps: sms}}
	dflt := &app.Workflow{TenantID: tid, Name: "Text at the reminders", Trigger: app.TriggerAppointmentStartsSoon, Enabled: true,
		Definition: &app.Definition{Steps: sms}}
	for _, w := range []*app.Workflow{in30, dflt} {
		if err := ws.SaveWorkflow(context.Background(), w); err != nil {
			t.Fatal(err)
		}
	}

	c := e.calendar(t, e.Ctx, "Ann", "UTC")
	et := e.eventType(t, e.Ctx, &calendar.EventType{Title: "Audit", Slug: "audit", Durations: []int{30}, Hosts: []int64{c.ID}})
	mail := &capMailer{}
	cs := e.St
	n := &calendar.Notifier{Service: e.Svc, Notices: cs, ICS: caldav.ICS{},
		Mailer: func(context.Context, int64) (app.Mailer, error) { return mail, nil },
		Trigger: func(ctx context.Context, tenantID int64, trig string, payload []byte) (int, error) {
			ids, err := ws.EnqueueTrigger(ctx, tenantID, trig, payload)
			return len(ids), err
		},
	}
	start := time.Date(2026, 12, 9, 15, 0, 0, 0, time.UTC) // 5 days after e.Now
	r := guest(et, start, 0)
	r.Phone = "+15125550100"
	if _, err := e.Svc.Book(e.Ctx, r); err != nil {
		t.Fatal(err)
	}
	n.RunOnce(context.Background())
	mail.take()
	runs := func() map[string][]string {
		rs, err := ws.FindRuns(context.Background(), app.RunFilter{TenantID: tid, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string][]string{}
		for _, r := range rs {
			out[r.WorkflowName] = append(out[r.WorkflowName], r.Payload["minutes_before"])
		}
		for _, v := range out {
			sort.Strings(v)
		}
		return out
	}
	if got := runs(); len(got) != 0 {
		t.Fatalf("runs before any reminder: %v", got)
	}
	for _, step := range []struct {
		at    time.Time
		mails int
	}{{start.Add(-24 * time.Hour), 1}, {start.Add(-60 * time.Minute), 1}, {start.Add(-30 * time.Minute), 0}} {
		e.Now = step.at
		if got := n.RunOnce(context.Background()); got != 1 {
			t.Fatalf("at %s: %d notices, want 1", step.at, got)
		}
		if m := mail.take(); len(m) < step.mails || (step.mails == 0 && len(m) != 0) {
			t.Fatalf("at %s: %d emails, want %d", step.at, len(m), step.mails)
		}
	}
	got := runs()
	if !slices.Equal(got[in30.Name], []string{"30"}) || !slices.Equal(got[dflt.Name], []string{"1440", "60"}) {
		t.Fatalf("runs by workflow: %v", got)
	}
	rs, _ := ws.FindRuns(context.Background(), app.RunFilter{TenantID: tid, WorkflowID: in30.ID})
	if len(rs) != 1 || rs[0].Payload["phone"] != "+15125550100" || rs[0].Payload["start"] != "2026-12-09T15:00:00Z" {
		t.Fatalf("run payload %+v", rs)
	}
}

// A "starts in N minutes" workflow created after the bookings still gets
// its reminders for them (those ahead); changing its N moves them, and
// turning it off drops them, each in the workflow's transaction. Another
// tenant's bookings get none.
func TestNotifier_StartsSoonExistingBookings(t *testing.T) {
	e := newCalEnv(t)
	tid := app.TenantFromContext(e.Ctx).ID
	ws := store.NewWorkflowStore(e.DB)
	c := e.calendar(t, e.Ctx, "Ann", "UTC")
	et := e.eventType(t, e.Ctx, &calendar.EventType{Title: "Audit", Slug: "audit", Durations: []int{30}, Hosts: []int64{c.ID}})
	cb := e.calendar(t, e.B, "Bob", "UTC")
	etb := e.eventType(t, e.B, &calendar.EventType{Title: "Audit", Slug: "audit", Durations: []int{30}, Hosts: []int64{cb.ID}})
	s1 := time.Date(2026, 12, 9, 15, 0, 0, 0, time.UTC)
	s2, s3 := s1.AddDate(0, 0, 1), s1.AddDate(0, 0, 2)
	ids := map[int64]string{}
	for i, s := range []time.Time{s1, s2, s3} {
		b, err := e.Svc.Book(e.Ctx, guest(et, s, i))
		if err != nil {
			t.Fatal(err)
		}
		ids[b.ID] = string(rune('A' + i))
	}
	if _, err := e.Svc.Book(e.B, guest(etb, s1, 9)); err != nil {
		t.Fatal(err)
	}
	mail := &capMailer{}
	n := &calendar.Notifier{Service: e.Svc, Notices: e.St, ICS: caldav.ICS{},
		Mailer: func(context.Context, int64) (app.Mailer, error) { return mail, nil },
		Trigger: func(ctx context.Context, tenantID int64, trig string, payload []byte) (int, error) {
			ids, err := ws.EnqueueTrigger(ctx, tenantID, trig, payload)
			return len(ids), err
		},
	}
	if got := n.RunOnce(context.Background()); got != 4 {
		t.Fatalf("booked notices: %d, want 4", got)
	}

	w := &app.Workflow{TenantID: tid, Name: "Text before", Trigger: app.TriggerAppointmentStartsSoon, Enabled: true,
		Definition: &app.Definition{When: &app.When{Minutes: 30}, Steps: []app.Step{{ID: "s1", Type: app.StepSMS, To: "{{.Trigger.phone}}", Body: "Soon"}}}}
	if err := ws.SaveWorkflow(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	check := func(at time.Time, want int) {
		t.Helper()
		e.Now = at
		if got := n.RunOnce(context.Background()); got != want {
			t.Fatalf("at %s: %d notices, want %d", at.Format("01-02 15:04"), got, want)
		}
	}
	// A's 24 h, 1 h and 30-minute reminders; the other tenant's booking
	// at the same time has its 24 h and 1 h ones only.
	check(s1.Add(-30*time.Minute), 5)
	w.Definition.When.Minutes = 45
	if err := ws.SaveWorkflow(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	check(s2.Add(-45*time.Minute), 3) // B's 24 h, 1 h and 45 minutes
	check(s2.Add(-30*time.Minute), 0) // B's 30 minutes went with the change
	if err := ws.SetWorkflowEnabled(context.Background(), w.ID, false); err != nil {
		t.Fatal(err)
	}
	check(s3.Add(-45*time.Minute), 2) // C's 24 h and 1 h only
	check(s3.Add(-30*time.Minute), 0)

	rs, err := ws.FindRuns(context.Background(), app.RunFilter{TenantID: tid, WorkflowID: w.ID, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rs {
		id, _ := strconv.ParseInt(r.Payload["booking_id"], 10, 64)
		got = append(got, ids[id]+":"+r.Payload["minutes_before"])
	}
	sort.Strings(got)
	if !slices.Equal(got, []string{"A:30", "B:45"}) {
		t.Fatalf("workflow runs %v, want A:30 B:45", got)
	}
}
