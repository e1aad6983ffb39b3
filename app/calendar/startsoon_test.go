package calendar_test

import (
	"context"
	"slices"
	"sort"
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
	cs := e.Svc.Store.(*store.CalendarStore)
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
