package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"orengen/app"
	"orengen/store"
	"orengen/ui/web"
)

// benchDashboard is the Mission Control figure of BenchmarkCRM_1M: with
// the benchmark's 1,000,000 people in the tenant, it adds 100,000
// workflow runs over the last year (one in ten failed) and 200 open
// deals, then times the dashboard as its page computes it: the
// aggregates (DashboardStore.Dashboard) and the server-rendered SVG
// charts (web.NewDashView, each chart's HTML), for Nexus across every
// tenant and for the tenant, over the default 30 days and over a year.
func benchDashboard(b *testing.B, ctx context.Context, db *store.DB, t *app.Tenant, measure func(name string, runs int, f func(i int) error)) {
	tctx := app.NewContextWithTenant(ctx, t)
	w := &app.Workflow{TenantID: t.ID, Name: "Bench flow", Trigger: app.TriggerContactCreated, Enabled: true,
		Definition: &app.Definition{Steps: []app.Step{{ID: "tag", Type: app.StepTag, Tag: "bench"}}}}
	if err := store.NewWorkflowStore(db).SaveWorkflow(ctx, w); err != nil {
		b.Fatal(err)
	}
	var version int64
	if err := db.ReadDB().QueryRowContext(ctx, `SELECT max(id) FROM workflow_versions WHERE workflow_id = ?`, w.ID).Scan(&version); err != nil {
		b.Fatal(err)
	}
	const runs = 100_000
	now := time.Now().UTC()
	t0 := time.Now()
	tx, err := db.BeginTx(ctx)
	if err != nil {
		b.Fatal(err)
	}
	ins, err := tx.PrepareContext(ctx, `INSERT INTO runs (tenant_id, workflow_id, version_id, status, next_attempt_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		b.Fatal(err)
	}
	for i := range runs {
		status := "succeeded"
		if i%10 == 0 {
			status = "failed"
		}
		ts := store.FormatTime(now.Add(-time.Duration(i) * (365 * 24 * time.Hour / runs)))
		if _, err := ins.ExecContext(ctx, t.ID, w.ID, version, status, ts, ts, ts); err != nil {
			b.Fatal(err)
		}
	}
	ins.Close()
	// Counted into the daily counts as the store's inserts count them
	// (countDaily); these raw inserts skip it.
	if _, err := tx.ExecContext(ctx, `INSERT INTO dash_daily (metric, tenant_id, day, key, n)
		SELECT 'runs', tenant_id, substr(created_at, 1, 10), status, count(*) FROM runs WHERE tenant_id = ? GROUP BY 2, 3, 4`, t.ID); err != nil {
		b.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	crm := store.NewCRMStores(db)
	for i := range 200 {
		if err := crm.Deals.CreateDeal(tctx, &app.Deal{Name: fmt.Sprintf("Deal %d", i), Amount: int64(1000 * (i + 1)), Currency: "USD"}); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("dashboard data: %d runs and 200 deals added in %s", runs, time.Since(t0).Round(time.Millisecond))

	dash := store.NewDashboardStore(db)
	admin := app.NewContextAcrossTenants(app.NewContextWithAdmin(ctx, &app.Admin{ID: 1, Email: "bench@agency.test"}))
	today := now.Truncate(24 * time.Hour)
	links := web.DashLinks{Leads: "/leads", Pipeline: "/crm/pipeline", Deals: "/crm/deals", Runs: "/automations/runs", Usage: "/tenants"}
	render := func(ctx context.Context, days int, wantRuns int) func(int) error {
		r := app.DashRange{From: today.AddDate(0, 0, -(days - 1)), To: today}
		return func(int) error {
			d, err := dash.Dashboard(ctx, r)
			if err != nil {
				return err
			}
			n := 0
			for _, c := range d.Runs {
				n += int(c.N)
			}
			if n < wantRuns {
				return fmt.Errorf("%d days: %d runs counted, want at least %d", days, n, wantRuns)
			}
			v := web.NewDashView(d, links, now)
			var html strings.Builder
			for i := range v.Charts {
				html.WriteString(string(v.Charts[i].HTML()))
			}
			if !strings.Contains(html.String(), "<svg") {
				return fmt.Errorf("no chart drawn")
			}
			return nil
		}
	}
	// 30 days hold about 8,200 of the runs; a year all of them but the
	// oldest day's.
	measure("dashboard_nexus_30d", 50, render(admin, app.DefaultDashDays, 8000))
	measure("dashboard_tenant_30d", 50, render(tctx, app.DefaultDashDays, 8000))
	measure("dashboard_nexus_365d", 20, render(admin, 365, 99_000))
}
