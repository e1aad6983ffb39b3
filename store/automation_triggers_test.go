package store_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"orengen/app"
	"orengen/store"
)

type runRow struct {
	workflow, contact, deal int64
	payload                 string
}

func runsOf(t *testing.T, db *store.DB) []runRow {
	t.Helper()
	rows, err := db.ReadDB().Query(`SELECT workflow_id, contact_id, deal_id, payload FROM runs ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []runRow
	for rows.Next() {
		var r runRow
		if err := rows.Scan(&r.workflow, &r.contact, &r.deal, &r.payload); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func triggerWorkflow(t *testing.T, ws *store.WorkflowStore, tenantID int64, trigger string, when *app.When) *app.Workflow {
	t.Helper()
	w := &app.Workflow{TenantID: tenantID, Name: "on " + trigger, Trigger: trigger, Enabled: true,
		Definition: &app.Definition{When: when, Steps: []app.Step{{ID: "tag", Type: app.StepTag, Tag: "seen"}}}}
	if err := ws.SaveWorkflow(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	return w
}

func countFor(rs []runRow, w *app.Workflow) int {
	n := 0
	for _, r := range rs {
		if r.workflow == w.ID {
			n++
		}
	}
	return n
}

// TestTriggers_CRMEvents: CRM writes start the workflows whose trigger and
// options match, once each, in the writer's tenant only; a workflow's own
// writes do not start it again.
func TestTriggers_CRMEvents(t *testing.T) {
	e := newCRMEnv(t)
	ws, cs := store.NewWorkflowStore(e.DB), store.NewContactStore(e.DB)
	tr := app.NewTriggers(ws)
	ctx := context.Background()
	created := triggerWorkflow(t, ws, e.TA.ID, app.TriggerContactCreated, nil)
	vip := triggerWorkflow(t, ws, e.TA.ID, app.TriggerTagAdded, &app.When{Tag: "VIP"})
	phones := triggerWorkflow(t, ws, e.TA.ID, app.TriggerContactUpdated, &app.When{Field: "phones"})
	won := triggerWorkflow(t, ws, e.TA.ID, app.TriggerDealStageChanged, &app.When{Stage: "won"})
	other := triggerWorkflow(t, ws, e.TB.ID, app.TriggerContactCreated, nil)

	p := mustPerson(t, e.S, e.A, "Ann", "ann@example.com")
	if err := cs.TagContact(ctx, e.TA.ID, p.ID, "lead", false); err != nil { // not vip
		t.Fatal(err)
	}
	if err := cs.TagContact(ctx, e.TA.ID, p.ID, "vip", false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.S.People.UpdatePerson(e.A, p.ID, app.PersonUpdate{Phones: &[]string{"+1 512 555 0100"}, Fields: app.FieldValues{"title": "CEO"}}); err != nil {
		t.Fatal(err)
	}
	d := &app.Deal{Name: "Site rebuild", PersonIDs: []int64{p.ID}}
	if err := e.S.Deals.CreateDeal(e.A, d); err != nil {
		t.Fatal(err)
	}
	if _, err := e.S.Deals.UpdateDeal(e.A, d.ID, app.DealUpdate{Stage: ptr("Qualified")}); err != nil { // not won
		t.Fatal(err)
	}
	if _, err := e.S.Deals.UpdateDeal(e.A, d.ID, app.DealUpdate{Stage: ptr("Won")}); err != nil {
		t.Fatal(err)
	}
	// The vip workflow's own tag write (actor workflow:ID) is not a new event for it.
	if err := cs.TagContact(app.NewContextWithActor(ctx, "workflow:"+itoa(vip.ID)), e.TA.ID, p.ID, "vip2", false); err != nil {
		t.Fatal(err)
	}
	n, err := tr.Tick(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	rs := runsOf(t, e.DB)
	if n != len(rs) || countFor(rs, created) != 1 || countFor(rs, vip) != 1 || countFor(rs, phones) != 1 || countFor(rs, won) != 1 || countFor(rs, other) != 0 {
		t.Fatalf("tick %d; runs %+v", n, rs)
	}
	for _, r := range rs {
		switch r.workflow {
		case vip.ID:
			if r.contact != p.ID || !contains(r.payload, `"tag":"vip"`) {
				t.Errorf("tag_added run: %+v", r)
			}
		case phones.ID:
			if r.contact != p.ID || !contains(r.payload, `"fields":"phones,title"`) {
				t.Errorf("contact_updated run: %+v", r)
			}
		case won.ID:
			if r.deal != d.ID || r.contact != p.ID || !contains(r.payload, `"old_stage":"Qualified"`) || !contains(r.payload, `"deal_name":"Site rebuild"`) {
				t.Errorf("deal_stage_changed run: %+v", r)
			}
		}
	}
	// A second tick reads nothing new.
	if n, err := tr.Tick(ctx, false); err != nil || n != 0 {
		t.Fatalf("second tick: %d %v", n, err)
	}
	// Tenant B's contact starts B's workflow only.
	mustPerson(t, e.S, e.B, "Bea", "bea@example.com")
	if n, err := tr.Tick(ctx, false); err != nil || n != 1 || countFor(runsOf(t, e.DB), other) != 1 {
		t.Fatalf("tenant B: %d %v", n, err)
	}
}

// TestTriggers_Schedule: the first pass only plans the next time; a due
// time fires once, and a workflow saved again plans anew.
func TestTriggers_Schedule(t *testing.T) {
	e := newCRMEnv(t)
	ws := store.NewWorkflowStore(e.DB)
	now := time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)
	tr := app.NewTriggers(ws)
	tr.Now = func() time.Time { return now }
	ctx := context.Background()
	w := triggerWorkflow(t, ws, e.TA.ID, app.TriggerSchedule, &app.When{Cron: "30 9 * * *"})
	if n, err := tr.Tick(ctx, false); err != nil || n != 0 {
		t.Fatalf("first tick: %d %v", n, err)
	}
	now = now.Add(time.Hour) // 09:00: not yet
	if n, _ := tr.Tick(ctx, false); n != 0 {
		t.Fatalf("09:00: %d runs", n)
	}
	now = now.Add(31 * time.Minute) // 09:31
	if n, err := tr.Tick(ctx, false); err != nil || n != 1 {
		t.Fatalf("09:31: %d %v", n, err)
	}
	if n, _ := tr.Tick(ctx, false); n != 0 {
		t.Fatalf("again at 09:31: %d runs", n)
	}
	rs := runsOf(t, e.DB)
	if len(rs) != 1 || rs[0].workflow != w.ID || !contains(rs[0].payload, `"fired_at":"2026-11-24T09:30:00Z"`) {
		t.Fatalf("runs %+v", rs)
	}
	now = now.Add(24 * time.Hour) // the next day's 09:30 has passed
	if n, _ := tr.Tick(ctx, false); n != 1 {
		t.Fatalf("next day: %d runs", n)
	}
	// A bad cron never reaches the store.
	bad := &app.Workflow{TenantID: e.TA.ID, Name: "bad", Trigger: app.TriggerSchedule, Definition: &app.Definition{When: &app.When{Cron: "61 * * * *"}, Steps: []app.Step{{Type: app.StepTag, Tag: "x"}}}}
	if err := ws.SaveWorkflow(ctx, bad); app.ErrorField(err) != "when" {
		t.Fatalf("bad cron: %v", err)
	}
	tooOften := &app.Workflow{TenantID: e.TA.ID, Name: "often", Trigger: app.TriggerSchedule, Definition: &app.Definition{When: &app.When{Cron: "* * * * *"}, Steps: []app.Step{{Type: app.StepTag, Tag: "x"}}}}
	if err := ws.SaveWorkflow(ctx, tooOften); app.ErrorField(err) != "when" {
		t.Fatalf("every minute: %v", err)
	}
}

// TestTriggers_DateReached: a deal's expected close two days ahead fires
// a "2 days before" workflow once; a custom date on a person fires on the
// day; other tenants' records never.
func TestTriggers_DateReached(t *testing.T) {
	e := newCRMEnv(t)
	ws := store.NewWorkflowStore(e.DB)
	now := time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)
	tr := app.NewTriggers(ws)
	tr.Now = func() time.Time { return now }
	ctx := context.Background()
	cf := store.NewCRMStores(e.DB)
	if err := cf.Fields.CreateCustomField(e.A, &app.CustomField{Object: app.RecordPerson, Key: "renewal", Label: "Renewal", Type: app.CustomDate}); err != nil {
		t.Fatal(err)
	}
	close2 := now.AddDate(0, 0, 2)
	p := &app.Person{FirstName: "Ann", Custom: map[string]any{"renewal": "2026-11-24"}}
	if err := e.S.People.CreatePerson(e.A, p); err != nil {
		t.Fatal(err)
	}
	d := &app.Deal{Name: "Renewal", ExpectedClose: &close2, PersonIDs: []int64{p.ID}}
	if err := e.S.Deals.CreateDeal(e.A, d); err != nil {
		t.Fatal(err)
	}
	far := now.AddDate(0, 0, 9)
	if err := e.S.Deals.CreateDeal(e.A, &app.Deal{Name: "Later", ExpectedClose: &far}); err != nil {
		t.Fatal(err)
	}
	if err := e.S.Deals.CreateDeal(e.B, &app.Deal{Name: "B's", ExpectedClose: &close2}); err != nil {
		t.Fatal(err)
	}
	before := triggerWorkflow(t, ws, e.TA.ID, app.TriggerDateReached, &app.When{Object: app.RecordDeal, Field: "expected_close", OffsetDays: -2})
	renewal := triggerWorkflow(t, ws, e.TA.ID, app.TriggerDateReached, &app.When{Object: app.RecordPerson, Field: "renewal"})
	n, err := tr.Tick(ctx, true)
	if err != nil || n != 2 {
		t.Fatalf("tick: %d %v; runs %+v", n, err, runsOf(t, e.DB))
	}
	rs := runsOf(t, e.DB)
	if countFor(rs, before) != 1 || countFor(rs, renewal) != 1 {
		t.Fatalf("runs %+v", rs)
	}
	for _, r := range rs {
		if r.workflow == before.ID && (r.deal != d.ID || r.contact != p.ID || !contains(r.payload, `"date":"2026-11-26"`)) {
			t.Errorf("deal run %+v", r)
		}
		if r.workflow == renewal.ID && r.contact != p.ID {
			t.Errorf("person run %+v", r)
		}
	}
	if n, _ := tr.Tick(ctx, true); n != 0 {
		t.Fatalf("fired again: %d", n)
	}
	if err := (&app.Workflow{Name: "x", Trigger: app.TriggerDateReached, Definition: &app.Definition{When: &app.When{Object: app.RecordPerson, Field: "expected_close"}, Steps: []app.Step{{Type: app.StepTag, Tag: "x"}}}}).Validate(); app.ErrorField(err) != "when" {
		t.Fatalf("expected_close on a person: %v", err)
	}
}

// TestTriggers_Hook: a workflow is found by its token's hash only.
func TestTriggers_Hook(t *testing.T) {
	e := newCRMEnv(t)
	ws := store.NewWorkflowStore(e.DB)
	ctx := context.Background()
	w := triggerWorkflow(t, ws, e.TA.ID, app.TriggerWebhook, nil)
	if err := ws.SetWorkflowHook(ctx, w.ID, app.HookHash("wh_secret")); err != nil {
		t.Fatal(err)
	}
	got, err := ws.FindWorkflowByHook(ctx, app.HookHash("wh_secret"))
	if err != nil || got.ID != w.ID {
		t.Fatalf("by hook: %v %v", got, err)
	}
	var stored string
	e.DB.ReadDB().QueryRow(`SELECT hook_hash FROM workflows WHERE id = ?`, w.ID).Scan(&stored)
	if stored == "wh_secret" || stored != app.HookHash("wh_secret") {
		t.Fatalf("stored %q", stored)
	}
	for _, h := range []string{"", app.HookHash("wh_other")} {
		if _, err := ws.FindWorkflowByHook(ctx, h); app.ErrorCode(err) != app.ENOTFOUND {
			t.Fatalf("hook %q: %v", h, err)
		}
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// TestEngine_CRMSteps: contact (with fields set from templates), deal,
// deal_stage and task steps write the CRM as the workflow, and a wait
// until a fixed time holds the run until then.
func TestEngine_CRMSteps(t *testing.T) {
	ctx := context.Background()
	db, ws, cs, clk := openAutomation(t)
	saveWorkflow(t, ws,
		app.Step{ID: "c", Type: app.StepContact, Set: map[string]string{"title": "{{upper .Trigger.role}}", "company": "Acme"}},
		app.Step{ID: "d", Type: app.StepDeal, Name: "Website for {{.Contact.FirstName}}", Amount: "1500.50", Stage: "Qualified"},
		app.Step{ID: "until", Type: app.StepWait, Until: "2026-11-25 09:00"},
		app.Step{ID: "m", Type: app.StepDealStage, Stage: "Proposal"},
		app.Step{ID: "t", Type: app.StepTask, Title: "Call {{.Contact.FirstName}} about {{.Contact.Company}}", Due: "24h"})
	sub := &app.Submission{TenantID: app.HouseTenantID, Form: "lead-capture",
		Contact: app.ContactInput{FirstName: "Ada", Email: "ada@example.com"}, Payload: map[string]string{"firstName": "Ada", "email": "ada@example.com", "role": "cto"}}
	if err := sub.Contact.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := ws.CaptureSubmission(ctx, sub); err != nil {
		t.Fatal(err)
	}
	e := newEngine(ws, cs, clk, &fakeTel{sent: map[string]int{}})
	if ran, err := e.RunOnce(ctx); !ran || err != nil {
		t.Fatalf("run: %v %v", ran, err)
	}
	r, _ := ws.FindRun(ctx, sub.RunIDs[0])
	if r.Status != app.RunWaiting || r.DealID == 0 || !r.NextAttemptAt.Equal(time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)) {
		t.Fatalf("after the wait step: %+v", r)
	}
	clk.Add(21 * time.Hour) // 2026-11-25 09:00
	if ran, err := e.RunOnce(ctx); !ran || err != nil {
		t.Fatalf("resume: %v %v", ran, err)
	}
	if r, _ = ws.FindRun(ctx, sub.RunIDs[0]); r.Status != app.RunSucceeded {
		t.Fatalf("run: %+v", r)
	}
	c, err := cs.FindContact(ctx, app.HouseTenantID, r.ContactID)
	if err != nil || c.Title != "CTO" || c.Company != "Acme" {
		t.Fatalf("contact %+v %v", c, err)
	}
	var name, stage, actor string
	var amount int64
	if err := db.ReadDB().QueryRow(`SELECT d.name, d.amount, s.name FROM crm_deals d JOIN crm_stages s ON s.id = d.stage_id WHERE d.id = ?`, r.DealID).Scan(&name, &amount, &stage); err != nil ||
		name != "Website for Ada" || amount != 150050 || stage != "Proposal" {
		t.Fatalf("deal %q %d %q %v", name, amount, stage, err)
	}
	if err := db.ReadDB().QueryRow(`SELECT actor FROM crm_timeline WHERE record_type = 'deal' AND record_id = ? AND field = 'stage'`, r.DealID).Scan(&actor); err != nil ||
		actor != "workflow:"+itoa(r.WorkflowID) {
		t.Fatalf("stage change by %q %v", actor, err)
	}
	var title, due string
	if err := db.ReadDB().QueryRow(`SELECT title, due FROM crm_tasks WHERE record_type = 'person' AND record_id = ?`, r.ContactID).Scan(&title, &due); err != nil ||
		title != "Call Ada about Acme" || !strings.HasPrefix(due, "2026-11-26T09:00") {
		t.Fatalf("task %q due %q %v", title, due, err)
	}
	// A deal step naming an unknown stage fails the run at once, saying why.
	saveWorkflow(t, ws, app.Step{ID: "c", Type: app.StepContact}, app.Step{ID: "bad", Type: app.StepDeal, Name: "x", Stage: "Nope"})
	sub2 := capture(t, ws, "bo@example.com", "")
	for i := 0; i < 3; i++ {
		e.RunOnce(ctx)
	}
	bad, _ := ws.FindRun(ctx, sub2.RunIDs[len(sub2.RunIDs)-1])
	if bad.Status != app.RunFailed || !strings.Contains(bad.Error, "Unknown stage") {
		t.Fatalf("bad stage run: %+v", bad)
	}
}

// TestCaptureSubmission_GroupCommit: concurrent submissions commit
// together, each in its own savepoint: one that fails (an unknown tenant)
// leaves nothing behind and does not stop the others.
func TestCaptureSubmission_GroupCommit(t *testing.T) {
	db, ws, _, _ := openAutomation(t)
	saveWorkflow(t, ws, app.Step{Type: app.StepContact})
	const n = 64
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tenant := app.HouseTenantID
			if i == 17 {
				tenant = 999 // no such tenant: its writes fail on the foreign key
			}
			email := fmt.Sprintf("p%d@example.com", i)
			sub := &app.Submission{TenantID: tenant, Form: "lead-capture", Contact: app.ContactInput{Email: email}, Payload: map[string]string{"email": email}}
			if err := sub.Contact.Validate(); err != nil {
				errs[i] = err
				return
			}
			errs[i] = ws.CaptureSubmission(context.Background(), sub)
			if errs[i] == nil && (sub.ID == 0 || sub.ContactID == 0 || len(sub.RunIDs) != 1) {
				errs[i] = fmt.Errorf("submission %d not filled in: %+v", i, sub)
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if (i == 17) != (err != nil) {
			t.Fatalf("submission %d: %v", i, err)
		}
	}
	var subs, people, runs, bad int
	db.ReadDB().QueryRow(`SELECT (SELECT count(*) FROM form_submissions), (SELECT count(*) FROM crm_people), (SELECT count(*) FROM runs),
		(SELECT count(*) FROM leads WHERE email = 'p17@example.com') + (SELECT count(*) FROM crm_contact_points WHERE value = 'p17@example.com')`).Scan(&subs, &people, &runs, &bad)
	if subs != n-1 || people != n-1 || runs != n-1 || bad != 0 {
		t.Fatalf("submissions %d, people %d, runs %d, rows of the failed one %d", subs, people, runs, bad)
	}
}

// BenchmarkCaptureSubmission: one form submission (lead, CRM person with
// its timeline, submission, run of the seeded workflow) per op, from 32
// goroutines so group commit batches them as the HTTP handlers do.
func BenchmarkCaptureSubmission(b *testing.B) {
	db := MustOpenDB(b)
	ws := store.NewWorkflowStore(db)
	wf := app.LeadCaptureWorkflow()
	wf.Enabled = true
	if _, err := ws.SeedWorkflow(context.Background(), wf); err != nil {
		b.Fatal(err)
	}
	var seq atomic.Int64
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := seq.Add(1)
			email := fmt.Sprintf("b%d@example.com", n)
			sub := &app.Submission{TenantID: app.HouseTenantID, Form: "lead-capture",
				Contact: app.ContactInput{FirstName: "B", Email: email, Phone: fmt.Sprintf("+1512%07d", 2000000+n)},
				Payload: map[string]string{"firstName": "B", "email": email}}
			if err := sub.Contact.Validate(); err != nil {
				b.Fatal(err)
			}
			if err := ws.CaptureSubmission(context.Background(), sub); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "leads/s")
}

// TestCaptureSubmission_FormFilter: a form workflow with when.form runs
// for that form only (by key or built form id), after an edit too.
func TestCaptureSubmission_FormFilter(t *testing.T) {
	_, ws, _, _ := openAutomation(t)
	ctx := context.Background()
	anyForm := saveWorkflow(t, ws, app.Step{Type: app.StepContact})
	site := &app.Workflow{TenantID: app.HouseTenantID, Name: "site only", Trigger: app.TriggerFormSubmitted, Enabled: true,
		Definition: &app.Definition{When: &app.When{Form: "website"}, Steps: []app.Step{{Type: app.StepContact}}}}
	if err := ws.SaveWorkflow(ctx, site); err != nil {
		t.Fatal(err)
	}
	runsFor := func(form, formID string) []int64 {
		sub := &app.Submission{TenantID: app.HouseTenantID, Form: form, Contact: app.ContactInput{Email: "f@example.com"}, Payload: map[string]string{"email": "f@example.com", "form_id": formID}}
		if err := ws.CaptureSubmission(ctx, sub); err != nil {
			t.Fatal(err)
		}
		var wf []int64
		for _, id := range sub.RunIDs {
			r, _ := ws.FindRun(ctx, id)
			wf = append(wf, r.WorkflowID)
		}
		return wf
	}
	if got := runsFor("lead-capture", ""); len(got) != 1 || got[0] != anyForm.ID {
		t.Fatalf("lead-capture started %v", got)
	}
	if got := runsFor("website", ""); len(got) != 2 {
		t.Fatalf("website started %v", got)
	}
	site.Definition.When.Form = "42" // a built form's id
	if err := ws.SaveWorkflow(ctx, site); err != nil {
		t.Fatal(err)
	}
	if got := runsFor("website", ""); len(got) != 1 {
		t.Fatalf("after the edit, website started %v", got)
	}
	if got := runsFor("form:42", "42"); len(got) != 2 {
		t.Fatalf("form 42 started %v", got)
	}
}

// TestTriggers_DateReachedCustomDeal: a custom date on a deal fires with
// the deal, its first person as contact and its name; a person's run
// carries the person's full name.
func TestTriggers_DateReachedCustomDeal(t *testing.T) {
	e := newCRMEnv(t)
	ws := store.NewWorkflowStore(e.DB)
	now := time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)
	tr := app.NewTriggers(ws)
	tr.Now = func() time.Time { return now }
	for _, o := range []string{app.RecordDeal, app.RecordPerson} {
		if err := e.S.Fields.CreateCustomField(e.A, &app.CustomField{Object: o, Key: "signed", Label: "Signed", Type: app.CustomDate}); err != nil {
			t.Fatal(err)
		}
	}
	p := &app.Person{FirstName: "Ann", LastName: "Lee", Custom: map[string]any{"signed": "2026-11-23"}}
	if err := e.S.People.CreatePerson(e.A, p); err != nil {
		t.Fatal(err)
	}
	d := &app.Deal{Name: "Signed deal", PersonIDs: []int64{p.ID}, Custom: map[string]any{"signed": "2026-11-24"}}
	if err := e.S.Deals.CreateDeal(e.A, d); err != nil {
		t.Fatal(err)
	}
	if err := e.S.Deals.CreateDeal(e.A, &app.Deal{Name: "Unsigned"}); err != nil {
		t.Fatal(err)
	}
	deals := triggerWorkflow(t, ws, e.TA.ID, app.TriggerDateReached, &app.When{Object: app.RecordDeal, Field: "signed"})
	people := triggerWorkflow(t, ws, e.TA.ID, app.TriggerDateReached, &app.When{Object: app.RecordPerson, Field: "signed"})
	if n, err := tr.Tick(context.Background(), true); err != nil || n != 2 {
		t.Fatalf("tick: %d %v; runs %+v", n, err, runsOf(t, e.DB))
	}
	for _, r := range runsOf(t, e.DB) {
		switch r.workflow {
		case deals.ID:
			if r.deal != d.ID || r.contact != p.ID || !contains(r.payload, `"name":"Signed deal"`) || !contains(r.payload, `"date":"2026-11-24"`) {
				t.Errorf("deal run %+v", r)
			}
		case people.ID:
			if r.deal != 0 || r.contact != p.ID || !contains(r.payload, `"name":"Ann Lee"`) || !contains(r.payload, `"date":"2026-11-23"`) {
				t.Errorf("person run %+v", r)
			}
		default:
			t.Errorf("run %+v", r)
		}
	}
}
