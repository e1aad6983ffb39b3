package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"orengen/app"
	"orengen/store"
)

// TestDashboardStore_DailyCountsMatchDirect: the dashboard's leads and
// runs figures come from the daily counts the triggers keep (dash_daily);
// on generated data written the ways the product writes it (people
// created, deleted and merged through the CRM store; leads inserted,
// deleted and re-sourced; runs queued, moved through their statuses and
// deleted by retention) they, and the usage chart's new people, equal
// direct counts of the rows, for Nexus and for each tenant, over several
// ranges, also after the migrations fill the counts from existing rows.
func TestDashboardStore_DailyCountsMatchDirect(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	base := time.Date(2026, 11, 24, 15, 30, 0, 0, time.UTC)
	clock := base
	db.Now = func() time.Time { return clock }
	rng := rand.New(rand.NewPCG(20, 12))
	at := func(maxDays int) time.Time {
		return base.Add(-time.Duration(rng.IntN(maxDays*24*3600)) * time.Second)
	}

	tenants := []*app.Tenant{{ID: app.HouseTenantID}}
	for _, name := range []string{"Dash One", "Dash Two"} {
		tn := &app.Tenant{Name: name}
		if err := store.NewTenantStore(db).CreateTenant(ctx, tn); err != nil {
			t.Fatal(err)
		}
		tenants = append(tenants, tn)
	}
	crm := store.NewCRMStores(db)
	people := map[int64][]int64{}
	for i := range 600 {
		tn := tenants[rng.IntN(len(tenants))]
		clock = at(420)
		p := &app.Person{FirstName: "P", LastName: fmt.Sprint(i), Emails: []string{fmt.Sprintf("p%d@dash.test", i)}}
		if err := crm.People.CreatePerson(app.NewContextWithTenant(ctx, tn), p); err != nil {
			t.Fatal(err)
		}
		people[tn.ID] = append(people[tn.ID], p.ID)
	}
	clock = base
	for _, tn := range tenants {
		tctx, ids := app.NewContextWithTenant(ctx, tn), people[tn.ID]
		for i := 0; i+1 < len(ids) && i < 40; i += 2 {
			if i%4 == 0 {
				if err := crm.People.DeletePerson(tctx, ids[i]); err != nil {
					t.Fatal(err)
				}
			} else if _, err := crm.People.MergePeople(tctx, ids[i+1], ids[i]); err != nil {
				t.Fatal(err)
			}
		}
	}

	// Leads as the product writes them: the site's form (the agency's own
	// tenant), a tenant's lead API and the form capture with its CRM person.
	var leadIDs []int64
	sources := []string{"", "unknown", "website", "referral", "ads"}
	for i := range 400 {
		tn, src := tenants[rng.IntN(len(tenants))], sources[rng.IntN(len(sources))]
		clock = at(420)
		l := &app.Lead{FirstName: fmt.Sprint("L", i), Email: fmt.Sprintf("l%d@dash.test", i), Source: src}
		var err error
		switch {
		case i%3 == 0 && tn.ID == app.HouseTenantID:
			err = store.NewLeadStore(db).CreateLead(ctx, l)
		case i%3 == 1:
			sub := &app.Submission{TenantID: tn.ID, Form: "dash", Contact: app.ContactInput{FirstName: l.FirstName, Email: l.Email, Source: src}}
			if err = sub.Contact.Validate(); err == nil {
				err = store.NewWorkflowStore(db).CaptureSubmission(ctx, sub)
			}
			db.ReadDB().QueryRow(`SELECT lead_id FROM form_submissions WHERE id = ?`, sub.ID).Scan(&l.ID)
		default:
			err = store.NewTenantLeadStore(db).CreateTenantLead(app.NewContextWithTenant(ctx, tn), l)
		}
		if err != nil || l.ID == 0 {
			t.Fatalf("lead %d: %v (id %d)", i, err, l.ID)
		}
		leadIDs = append(leadIDs, l.ID)
	}
	clock = base
	exec := func(q string, args ...any) {
		t.Helper()
		if err := db.Update(ctx, func(tx *store.Tx) error { _, err := tx.ExecContext(ctx, q, args...); return err }); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 60; i += 2 {
		exec(`DELETE FROM leads WHERE id = ?`, leadIDs[i])
		exec(`UPDATE leads SET source = ? WHERE id = ?`, sources[rng.IntN(len(sources))], leadIDs[i+1])
	}

	wf := store.NewWorkflowStore(db)
	for _, tn := range tenants {
		w := &app.Workflow{TenantID: tn.ID, Name: "Dash flow", Trigger: app.TriggerContactCreated, Enabled: true,
			Definition: &app.Definition{Steps: []app.Step{{ID: "tag", Type: app.StepTag, Tag: "dash"}}}}
		if err := wf.SaveWorkflow(ctx, w); err != nil {
			t.Fatal(err)
		}
		form := &app.Workflow{TenantID: tn.ID, Name: "Dash form", Trigger: app.TriggerFormSubmitted, Enabled: true,
			Definition: &app.Definition{Steps: []app.Step{{ID: "tag", Type: app.StepTag, Tag: "dash"}}}}
		if err := wf.SaveWorkflow(ctx, form); err != nil {
			t.Fatal(err)
		}
		for i := range 300 {
			// Runs as the product queues them: one for a CRM event, every
			// listening workflow's for a trigger, a form's for its capture.
			clock = at(420)
			var id int64
			switch i % 3 {
			case 0:
				var err error
				if id, err = wf.EnqueueRun(ctx, app.RunSpec{Workflow: w}); err != nil {
					t.Fatal(err)
				}
			case 1:
				ids, err := wf.EnqueueTrigger(ctx, tn.ID, app.TriggerContactCreated, []byte(`{}`))
				if err != nil || len(ids) != 1 {
					t.Fatalf("trigger queued %v: %v", ids, err)
				}
				id = ids[0]
			default:
				sub := &app.Submission{TenantID: tn.ID, Form: "dash", Contact: app.ContactInput{FirstName: "R", Email: fmt.Sprintf("r%d-%d@dash.test", tn.ID, i)}}
				if err := sub.Contact.Validate(); err != nil {
					t.Fatal(err)
				}
				if err := wf.CaptureSubmission(ctx, sub); err != nil || len(sub.RunIDs) != 1 {
					t.Fatalf("capture queued %v: %v", sub.RunIDs, err)
				}
				id = sub.RunIDs[0]
			}
			clock = base
			// Most runs go on to running and finish; some wait, some stay queued.
			switch i % 7 {
			case 0:
			case 1:
				exec(`UPDATE runs SET status = 'running' WHERE id = ?`, id)
				exec(`UPDATE runs SET status = 'waiting', step_index = 1 WHERE id = ?`, id)
			default:
				exec(`UPDATE runs SET status = 'running' WHERE id = ?`, id)
				exec(`UPDATE runs SET step_index = 1, status = 'running' WHERE id = ?`, id) // no status change
				final := "succeeded"
				if i%5 == 0 {
					final = "failed"
				}
				exec(`UPDATE runs SET status = ? WHERE id = ?`, final, id)
			}
		}
	}
	// Retention deletes finished runs older than 400 days.
	if n, err := wf.DeleteOldRuns(ctx, base.AddDate(0, 0, -400), 1_000_000); err != nil || n == 0 {
		t.Fatalf("retention deleted %d runs: %v", n, err)
	}

	dash := store.NewDashboardStore(db)
	admin := app.NewContextAcrossTenants(app.NewContextWithAdmin(ctx, &app.Admin{ID: 1, Email: "dash@agency.test"}))
	today := base.Truncate(24 * time.Hour)
	ranges := []app.DashRange{
		{From: today.AddDate(0, 0, -29), To: today},
		{From: today.AddDate(0, 0, -364), To: today},
		{From: today.AddDate(0, 0, -430), To: today.AddDate(0, 0, 1)},
		{From: today.AddDate(0, 0, -200), To: today.AddDate(0, 0, -200)},
	}
	for range 6 {
		from := today.AddDate(0, 0, -rng.IntN(420))
		ranges = append(ranges, app.DashRange{From: from, To: from.AddDate(0, 0, rng.IntN(120))})
	}
	scopes := map[string]context.Context{"nexus": admin}
	for _, tn := range tenants {
		scopes[fmt.Sprint("tenant ", tn.ID)] = app.NewContextWithTenant(ctx, tn)
	}
	var seen struct{ leads, runs, people int64 }
	compare := func(stage string) {
		for name, sctx := range scopes {
			name := stage + ": " + name
			var tid int64
			if tn := app.TenantFromContext(sctx); tn != nil {
				tid = tn.ID
			}
			for _, r := range ranges {
				got, err := dash.Dashboard(sctx, r)
				if err != nil {
					t.Fatal(err)
				}
				want := directCounts(t, db, tid, r)
				if !reflect.DeepEqual(got.Leads, want.Leads) {
					t.Errorf("%s %s..%s leads:\n got %v\nwant %v", name, r.From.Format(time.DateOnly), r.To.Format(time.DateOnly), got.Leads, want.Leads)
				}
				if !reflect.DeepEqual(got.Runs, want.Runs) {
					t.Errorf("%s %s..%s runs:\n got %v\nwant %v", name, r.From.Format(time.DateOnly), r.To.Format(time.DateOnly), got.Runs, want.Runs)
				}
				usage := map[int64][2]int64{}
				for _, u := range got.Usage {
					usage[u.TenantID] = [2]int64{u.Runs, u.People}
				}
				if !reflect.DeepEqual(usage, want.Usage) {
					t.Errorf("%s %s..%s usage (runs, people) per tenant:\n got %v\nwant %v", name, r.From.Format(time.DateOnly), r.To.Format(time.DateOnly), usage, want.Usage)
				}
				for _, c := range want.Leads {
					seen.leads += c.N
				}
				for _, c := range want.Runs {
					seen.runs += c.N
				}
				for _, u := range want.Usage {
					seen.people += u[1]
				}
			}
		}
	}
	compare("kept by the store and the triggers")

	// A database written before migration 0175: the migration fills the
	// daily counts from the rows there are.
	// (0285 runs again too: 0175 creates the insert triggers it drops.)
	for _, q := range []string{`DROP TRIGGER dash_runs_ad`, `DROP TRIGGER dash_runs_au`, `DROP TRIGGER dash_leads_ad`, `DROP TRIGGER dash_leads_au`,
		`DROP TABLE dash_daily`, `DELETE FROM schema_migrations WHERE name IN ('0175_dash_daily.sql', '0176_dash_daily_no_people.sql', '0285_dash_insert_counts.sql')`} {
		exec(q)
	}
	if applied, err := db.Migrate(ctx); err != nil || len(applied) != 3 {
		t.Fatalf("migrate again: %v %v", applied, err)
	}
	compare("filled by the migration")
	if seen.leads == 0 || seen.runs == 0 || seen.people == 0 {
		t.Fatalf("the generated data gave nothing to compare: %+v", seen)
	}
}

// direct is what the dashboard's counts must equal.
type direct struct {
	Leads, Runs []app.DayCount
	Usage       map[int64][2]int64 // tenant: runs, people
}

// directCounts counts the rows themselves, with the queries the
// dashboard used before the daily counts.
func directCounts(t *testing.T, db *store.DB, tid int64, r app.DashRange) direct {
	t.Helper()
	q := db.ReadDB()
	from, end := store.FormatTime(r.From), store.FormatTime(r.End())
	w, args := "", []any{from, end}
	if tid != 0 {
		w, args = " AND tenant_id = ?", append(args, tid)
	}
	days := func(query string) []app.DayCount {
		rows, err := q.Query(query, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []app.DayCount
		for rows.Next() {
			var c app.DayCount
			if err := rows.Scan(&c.Day, &c.Key, &c.N); err != nil {
				t.Fatal(err)
			}
			out = append(out, c)
		}
		return out
	}
	d := direct{Usage: map[int64][2]int64{}}
	d.Leads = days(`SELECT substr(created_at, 1, 10), CASE WHEN source = '' THEN 'unknown' ELSE source END, count(*)
		FROM leads WHERE created_at >= ? AND created_at < ?` + w + ` GROUP BY 1, 2 ORDER BY 1, 2`)
	d.Runs = days(`SELECT substr(created_at, 1, 10), status, count(*) FROM runs
		WHERE created_at >= ? AND created_at < ? AND status IN ('succeeded', 'failed')` + w + ` GROUP BY 1, 2 ORDER BY 1, 2`)
	rows, err := q.Query(`SELECT t.id,
		(SELECT count(*) FROM runs x WHERE x.tenant_id = t.id AND x.created_at >= ?1 AND x.created_at < ?2),
		(SELECT count(*) FROM crm_people p WHERE p.tenant_id = t.id AND p.created_at >= ?1 AND p.created_at < ?2)
		FROM tenants t WHERE ?3 = 0 OR t.id = ?3`, from, end, tid)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, runs, people int64
		if err := rows.Scan(&id, &runs, &people); err != nil {
			t.Fatal(err)
		}
		d.Usage[id] = [2]int64{runs, people}
	}
	return d
}
