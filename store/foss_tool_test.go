package store_test

import (
	"context"
	"testing"
	"time"

	"orengen/app"
	"orengen/app/platform"
	"orengen/store"
)

// TestToolStore_Reminders: a tool whose update falls due within the
// reminder lead (or is overdue) gets one task in the house tenant's CRM,
// due that day; running again adds none; a tool due later or with no date
// gets none until its day comes near; moving the date gets a new one.
func TestToolStore_Reminders(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	now := time.Date(2026, 12, 5, 13, 0, 0, 0, time.UTC)
	svc := platform.NewTools(store.NewToolStore(db))
	svc.Now = func() time.Time { return now }
	day := func(n int) *time.Time { d := now.AddDate(0, 0, n); return &d }
	soon := &platform.Tool{Name: "n8n", Version: "1.70.1", Licence: "Sustainable-Use-1.0", Deployed: "hooks.acme.test", UpdateDue: day(3)}
	late := &platform.Tool{Name: "Grafana", Version: "11.3.0", Licence: "AGPL-3.0-only", UpdateDue: day(30)}
	over := &platform.Tool{Name: "Mautic", Version: "5.1", UpdateDue: day(-2)}
	never := &platform.Tool{Name: "Uptime Kuma", Version: "1.23"}
	for _, x := range []*platform.Tool{soon, late, over, never} {
		if err := svc.Create(ctx, x); err != nil {
			t.Fatalf("create %s: %v", x.Name, err)
		}
	}
	// Bad input: the field named, nothing stored.
	for _, tc := range []struct {
		x     *platform.Tool
		field string
	}{
		{&platform.Tool{Name: " "}, "name"},
		{&platform.Tool{Name: "x", URL: "ftp://x"}, "url"},
		{&platform.Tool{Name: "x", TenantID: 999}, "tenant_id"},
	} {
		if err := svc.Create(ctx, tc.x); app.ErrorField(err) != tc.field {
			t.Errorf("%+v: %v, want a %s error", tc.x, err, tc.field)
		}
	}
	tools, err := svc.List(ctx)
	if err != nil || len(tools) != 4 {
		t.Fatalf("list: %d %v", len(tools), err)
	}
	if tools[0].Name != "Mautic" || tools[3].Name != "Uptime Kuma" {
		t.Errorf("order: %s ... %s, want the soonest due first, undated last", tools[0].Name, tools[3].Name)
	}
	if got := map[string]string{"n8n": soon.Status(now), "Grafana": late.Status(now), "Mautic": over.Status(now), "kuma": never.Status(now)}; got["n8n"] != "due" || got["Grafana"] != "ok" || got["Mautic"] != "overdue" || got["kuma"] != "" {
		t.Errorf("statuses %v", got)
	}
	house := app.NewContextWithTenant(ctx, &app.Tenant{ID: app.HouseTenantID})
	crm := store.NewCRMStores(db)
	tasks := func() []*app.Task {
		t.Helper()
		ts, _, err := crm.Tasks.FindTasks(house, app.TaskFilter{ListOptions: app.ListOptions{Limit: 100}})
		if err != nil {
			t.Fatal(err)
		}
		return ts
	}
	// Create already reminded the two due ones; another run adds nothing.
	if again, err := svc.Remind(ctx); err != nil || len(again) != 0 {
		t.Fatalf("second run reminded %d (%v)", len(again), err)
	}
	got := tasks()
	want := map[string]*time.Time{
		"Update n8n (now 1.70.1) at hooks.acme.test: due 2026-12-08": soon.UpdateDue,
		"Update Mautic (now 5.1): due 2026-12-03":                    over.UpdateDue,
	}
	if len(got) != len(want) {
		t.Fatalf("%d tasks, want %d: %+v", len(got), len(want), got)
	}
	for _, task := range got {
		due, ok := want[task.Title]
		if !ok || task.Due == nil || !task.Due.Equal(*due) || task.TenantID != app.HouseTenantID {
			t.Errorf("task %q due %v", task.Title, task.Due)
		}
	}
	x, err := svc.Get(ctx, soon.ID)
	if err != nil || x.ReminderTaskID == 0 || x.RemindedFor == nil || !x.RemindedFor.Equal(*soon.UpdateDue) {
		t.Fatalf("reminder record: %+v %v", x, err)
	}
	// Three weeks on, Grafana's day is near: its reminder comes.
	now = now.AddDate(0, 0, 24)
	if r, err := svc.Remind(ctx); err != nil || len(r) != 1 || r[0].Name != "Grafana" {
		t.Fatalf("later run: %+v %v", r, err)
	}
	// n8n updated, next update in 5 days: a new reminder for the new date.
	x.Version, x.UpdateDue = "1.80.0", day(5)
	if err := svc.Update(ctx, x); err != nil {
		t.Fatal(err)
	}
	if n := len(tasks()); n != 4 {
		t.Fatalf("%d tasks after the new date, want 4", n)
	}
	if err := svc.Delete(ctx, x.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Get(ctx, x.ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("deleted tool: %v", err)
	}
	if err := svc.Update(ctx, x); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("update of a deleted tool: %v", err)
	}
}
