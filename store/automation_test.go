package store_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"orengen/app"
	"orengen/store"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func openAutomation(t *testing.T) (*store.DB, *store.WorkflowStore, *store.ContactStore, *clock) {
	t.Helper()
	db := MustOpenDB(t)
	clk := &clock{t: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
	db.Now = clk.Now
	return db, store.NewWorkflowStore(db), store.NewContactStore(db), clk
}

func saveWorkflow(t *testing.T, ws *store.WorkflowStore, steps ...app.Step) *app.Workflow {
	t.Helper()
	w := &app.Workflow{TenantID: app.HouseTenantID, Name: "wf " + steps[0].Type, Trigger: app.TriggerFormSubmitted, Enabled: true, Definition: &app.Definition{Steps: steps}}
	if err := ws.SaveWorkflow(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	return w
}

func capture(t *testing.T, ws *store.WorkflowStore, email, phone string) *app.Submission {
	t.Helper()
	sub := &app.Submission{TenantID: app.HouseTenantID, Form: "lead-capture",
		Contact: app.ContactInput{FirstName: "Ada", Email: email, Phone: phone},
		Payload: map[string]string{"firstName": "Ada", "email": email, "phone": phone}}
	if err := sub.Contact.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := ws.CaptureSubmission(context.Background(), sub); err != nil {
		t.Fatal(err)
	}
	return sub
}

func TestCaptureSubmission_DedupesAndEnqueues(t *testing.T) {
	ctx := context.Background()
	_, ws, cs, _ := openAutomation(t)
	w := saveWorkflow(t, ws, app.Step{Type: app.StepContact})
	off := saveWorkflow(t, ws, app.Step{Type: app.StepTag, Tag: "x"})
	if err := ws.SetWorkflowEnabled(ctx, off.ID, false); err != nil {
		t.Fatal(err)
	}
	a := capture(t, ws, "ada@example.com", "")
	b := capture(t, ws, "ada@example.com", "+1 512 555 0100")
	c := capture(t, ws, "", "+15125550100") // same phone, normalised
	if a.ContactID != b.ContactID || b.ContactID != c.ContactID {
		t.Fatalf("contacts %d %d %d, want one", a.ContactID, b.ContactID, c.ContactID)
	}
	if len(a.RunIDs) != 1 || a.ID == b.ID {
		t.Fatalf("runs %v (want 1 for the enabled workflow), submissions %d %d", a.RunIDs, a.ID, b.ID)
	}
	runs, err := ws.FindRuns(ctx, app.RunFilter{WorkflowID: w.ID})
	if err != nil || len(runs) != 3 || runs[0].Status != app.RunQueued {
		t.Fatalf("runs %v %v", runs, err)
	}
	ct, err := cs.FindContact(ctx, app.HouseTenantID, a.ContactID)
	if err != nil || ct.Phone != "+15125550100" || ct.Email != "ada@example.com" {
		t.Fatalf("contact %+v %v", ct, err)
	}
	if err := cs.TagContact(ctx, app.HouseTenantID, ct.ID, "vip", false); err != nil {
		t.Fatal(err)
	}
	if ct, _ = cs.FindContact(ctx, app.HouseTenantID, ct.ID); len(ct.Tags) != 1 || ct.Tags[0] != "vip" {
		t.Fatalf("tags %v", ct.Tags)
	}
	if _, err := cs.FindContact(ctx, 999, ct.ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("other tenant: %v", err)
	}
}

func TestClaimRun_LeaseAndReclaim(t *testing.T) {
	ctx := context.Background()
	_, ws, _, clk := openAutomation(t)
	saveWorkflow(t, ws, app.Step{Type: app.StepContact})
	sub := capture(t, ws, "a@example.com", "")
	r1, err := ws.ClaimRun(ctx, "tok1", time.Minute)
	if err != nil || r1 == nil || r1.ID != sub.RunIDs[0] || len(r1.Definition.Steps) != 1 {
		t.Fatalf("claim: %+v %v", r1, err)
	}
	if r2, err := ws.ClaimRun(ctx, "tok2", time.Minute); err != nil || r2 != nil {
		t.Fatalf("second claim while leased: %+v %v", r2, err)
	}
	clk.Add(61 * time.Second) // the worker died: its lease ends
	r2, err := ws.ClaimRun(ctx, "tok2", time.Minute)
	if err != nil || r2 == nil || r2.ID != r1.ID {
		t.Fatalf("reclaim after lease: %+v %v", r2, err)
	}
	rs := &app.RunStep{RunID: r1.ID, StepIndex: 0, StepID: "s", Type: "contact", IdempotencyKey: "k1", Attempt: 1}
	if err := ws.StartStep(ctx, "tok1", rs, clk.Now().Add(time.Minute)); app.ErrorCode(err) != app.ECONFLICT {
		t.Fatalf("old token must lose the run: %v", err)
	}
	if err := ws.StartStep(ctx, "tok2", rs, clk.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
}

// fakeTel records sends per idempotency key.
type fakeTel struct {
	mu    sync.Mutex
	sent  map[string]int
	fail  int // fail this many sends first
	since []time.Time
}

func (f *fakeTel) From() string { return "+15550000000" }

// Ping implements app.Pinger: a test fake has no connection to test.
func (*fakeTel) Ping(context.Context) error {
	return errors.New("a test's Twilio has no connection to test")
}

func (f *fakeTel) SendSMS(ctx context.Context, m app.SMS) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail > 0 {
		f.fail--
		return "", errors.New("twilio: 503")
	}
	f.sent[m.IdempotencyKey]++
	return "SM" + m.IdempotencyKey, nil
}
func (f *fakeTel) PlaceCall(ctx context.Context, c app.Call) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent[c.IdempotencyKey]++
	return "CA" + c.IdempotencyKey, nil
}
func (f *fakeTel) FindSent(ctx context.Context, kind, from, to, body string, since time.Time) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for k, n := range f.sent {
		if n > 0 && strings.HasPrefix(k, "r") {
			return "SM" + k, nil
		}
	}
	return "", nil
}

func newEngine(ws *store.WorkflowStore, cs *store.ContactStore, clk *clock, tel *fakeTel) *app.Engine {
	e := app.NewEngine(ws)
	e.Contacts, e.Now, e.Lease, e.BackoffBase = cs, clk.Now, time.Minute, 10*time.Second
	e.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	e.Telephony = func(context.Context, int64) (app.Telephony, error) { return tel, nil }
	e.Mailer = func(context.Context, int64) (app.Mailer, error) { return nil, errors.New("SMTP is not configured") }
	return e
}

func TestEngine_RetryBackoffThenSucceed(t *testing.T) {
	ctx := context.Background()
	_, ws, cs, clk := openAutomation(t)
	saveWorkflow(t, ws, app.Step{ID: "c", Type: app.StepContact}, app.Step{ID: "text", Type: app.StepSMS, Body: "Hi {{.Contact.FirstName}}"},
		app.Step{ID: "w", Type: app.StepWait, Wait: "1h"}, app.Step{ID: "t", Type: app.StepTag, Tag: "texted"})
	sub := capture(t, ws, "a@example.com", "+15125550100")
	tel := &fakeTel{sent: map[string]int{}, fail: 2}
	e := newEngine(ws, cs, clk, tel)
	if ran, err := e.RunOnce(ctx); !ran || err != nil {
		t.Fatalf("run: %v %v", ran, err)
	}
	r, _ := ws.FindRun(ctx, sub.RunIDs[0])
	if r.Status != app.RunQueued || r.StepIndex != 1 || !r.NextAttemptAt.After(clk.Now().Add(9*time.Second)) || !strings.Contains(r.Error, "503") {
		t.Fatalf("after 1st failure: %+v", r)
	}
	if ran, _ := e.RunOnce(ctx); ran {
		t.Fatal("a run in backoff must not be claimed")
	}
	clk.Add(13 * time.Second)
	e.RunOnce(ctx)
	r, _ = ws.FindRun(ctx, sub.RunIDs[0])
	if r.Attempts != 2 || !r.NextAttemptAt.After(clk.Now().Add(19*time.Second)) {
		t.Fatalf("second backoff must double: %+v", r)
	}
	clk.Add(30 * time.Second)
	e.RunOnce(ctx)
	r, _ = ws.FindRun(ctx, sub.RunIDs[0])
	if r.Status != app.RunWaiting || r.StepIndex != 3 || tel.sent[fmt.Sprintf("r%d-s1", r.ID)] != 1 {
		t.Fatalf("after send: %+v sent=%v", r, tel.sent)
	}
	if r.Steps[1].ProviderID == "" || r.Steps[1].Attempt != 3 {
		t.Fatalf("step log: %+v", r.Steps[1])
	}
	if ran, _ := e.RunOnce(ctx); ran {
		t.Fatal("waiting run claimed before its time")
	}
	clk.Add(time.Hour)
	e.RunOnce(ctx)
	r, _ = ws.FindRun(ctx, sub.RunIDs[0])
	if r.Status != app.RunSucceeded {
		t.Fatalf("want succeeded: %+v", r)
	}
	c, _ := cs.FindContact(ctx, app.HouseTenantID, r.ContactID)
	if len(c.Tags) != 1 || c.Tags[0] != "texted" {
		t.Fatalf("tags %v", c.Tags)
	}
}

func TestEngine_FailReplayAndReconcile(t *testing.T) {
	ctx := context.Background()
	_, ws, cs, clk := openAutomation(t)
	mailWF := saveWorkflow(t, ws, app.Step{ID: "mail", Type: app.StepNotify, Subject: "s", Body: "b", To: "boss@example.com", Retries: 1})
	sub := capture(t, ws, "a@example.com", "")
	e := newEngine(ws, cs, clk, &fakeTel{sent: map[string]int{}})
	e.RunOnce(ctx)
	r, _ := ws.FindRun(ctx, sub.RunIDs[0])
	if r.Status != app.RunFailed || !strings.Contains(r.Error, "SMTP is not configured") || r.Steps[0].Status != app.StepFailed {
		t.Fatalf("want failed with the reason: %+v", r)
	}
	var got []string
	e.Mailer = func(context.Context, int64) (app.Mailer, error) {
		return mailFunc(func(m *app.Message) { got = append(got, m.To) }), nil
	}
	if err := ws.ReplayRun(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	if err := ws.ReplayRun(ctx, r.ID); app.ErrorCode(err) != app.ECONFLICT {
		t.Fatalf("replay of a queued run: %v", err)
	}
	e.RunOnce(ctx)
	if r, _ = ws.FindRun(ctx, r.ID); r.Status != app.RunSucceeded || len(got) != 1 {
		t.Fatalf("after replay: %+v %v", r, got)
	}

	// A send that happened but was never recorded (crash): the step is
	// left 'started'; the next worker finds it at the provider and does
	// not send again.
	if err := ws.SetWorkflowEnabled(ctx, mailWF.ID, false); err != nil {
		t.Fatal(err)
	}
	saveWorkflow(t, ws, app.Step{ID: "text", Type: app.StepSMS, Body: "hi"})
	sub = capture(t, ws, "b@example.com", "+15125550111")
	runID := sub.RunIDs[0]
	tel := &fakeTel{sent: map[string]int{}}
	e.Telephony = func(context.Context, int64) (app.Telephony, error) { return tel, nil }
	{
		claimed, err := ws.ClaimRun(ctx, "crash", time.Minute)
		if err != nil || claimed == nil || claimed.ID != runID || len(sub.RunIDs) != 1 {
			t.Fatalf("claim: %v %v", claimed, err)
		}
		key := fmt.Sprintf("r%d-s0", runID)
		if err := ws.StartStep(ctx, "crash", &app.RunStep{RunID: runID, StepID: "text", Type: app.StepSMS, IdempotencyKey: key, Attempt: 1}, clk.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		tel.sent[key] = 1 // the provider sent it; then the process died
	}
	clk.Add(2 * time.Minute)
	for i := 0; i < 3; i++ {
		e.RunOnce(ctx)
	}
	r, _ = ws.FindRun(ctx, runID)
	if r.Status != app.RunSucceeded || tel.sent[fmt.Sprintf("r%d-s0", runID)] != 1 || !strings.Contains(r.Steps[0].Output, "reconciled") {
		t.Fatalf("reconcile: %+v %+v sent=%v", r, r.Steps, tel.sent)
	}
}

type mailFunc func(*app.Message)

// Ping implements app.Pinger: a test fake has no connection to test.
func (mailFunc) Ping(context.Context) error {
	return errors.New("a test's mailer has no connection to test")
}

func (f mailFunc) Send(_ context.Context, m *app.Message) error { f(m); return nil }

func TestDeleteOldRuns(t *testing.T) {
	ctx := context.Background()
	db, ws, cs, clk := openAutomation(t)
	saveWorkflow(t, ws, app.Step{Type: app.StepContact})
	for i := 0; i < 5; i++ {
		capture(t, ws, fmt.Sprintf("u%d@example.com", i), "")
	}
	e := newEngine(ws, cs, clk, &fakeTel{sent: map[string]int{}})
	for i := 0; i < 5; i++ {
		e.RunOnce(ctx)
	}
	capture(t, ws, "queued@example.com", "")
	if _, _, err := ws.CreateTwilioEvent(ctx, &app.TwilioEvent{TenantID: app.HouseTenantID, Kind: "sms", SID: "SM1", From: "+15125550100", To: "+15550001111", Body: "hi", Params: map[string]string{"Body": "hi"}}, "", nil); err != nil {
		t.Fatal(err)
	}
	if n, err := ws.DeleteOldRuns(ctx, clk.Now().Add(-time.Hour), 3); err != nil || n != 2 {
		t.Fatalf("keep 3: deleted %d %v", n, err)
	}
	clk.Add(31 * 24 * time.Hour)
	if n, err := ws.DeleteOldRuns(ctx, clk.Now().Add(-30*24*time.Hour), 100); err != nil || n != 3 {
		t.Fatalf("older than 30 days: deleted %d %v", n, err)
	}
	if runs, _ := ws.FindRuns(ctx, app.RunFilter{}); len(runs) != 1 || runs[0].Status != app.RunQueued {
		t.Fatalf("a queued run is never deleted: %v", runs)
	}
	var events int
	if err := db.ReadDB().QueryRow(`SELECT count(*) FROM twilio_events`).Scan(&events); err != nil || events != 0 {
		t.Fatalf("inbound Twilio events older than the retention: %d left (%v)", events, err)
	}
}

func TestDefinitionValidate_NamesStepAndField(t *testing.T) {
	for _, tc := range []struct{ json, want string }{
		{`{"steps":[]}`, "at least one step"},
		{`{"steps":[{"type":"sms"}]}`, `Step 1 (step1), field "body"`},
		{`{"steps":[{"type":"if","field":"contact.phone","op":"empty","then":"nope"}]}`, `field "then": no step has id "nope"`},
		{`{"steps":[{"id":"a","type":"wait","wait":"soon"}]}`, `Step 1 (a), field "wait"`},
		{`{"steps":[{"type":"email","to":"x","subject":"{{.Oops","body":"b"}]}`, `field "subject": template error`},
		{`{"steps":[{"type":"http","url":"ftp://x"}]}`, `field "url"`},
		{`{"steps":[{"type":"sms","bdy":"x"}]}`, `unknown field "bdy"`},
	} {
		_, err := app.ParseDefinition([]byte(tc.json))
		if err == nil || !strings.Contains(app.ErrorMessage(err), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.json, err, tc.want)
		}
	}
	if _, err := app.ParseDefinition([]byte(`{"steps":[{"type":"contact"},{"id":"x","type":"if","field":"email","op":"notempty","then":"end"}]}`)); err != nil {
		t.Fatal(err)
	}
}

// TestUpsertContact_UsesIndexes: finding a contact again reads the
// contact-points index (an ORDER BY once sent SQLite down the primary key).
func TestUpsertContact_UsesIndexes(t *testing.T) {
	db, _, _, _ := openAutomation(t)
	q := `SELECT person_id FROM crm_contact_points WHERE value = 'a@example.com' AND kind = 'email' AND tenant_id = 1 LIMIT 1`
	var id, parent, notused int
	var detail string
	if err := db.ReadDB().QueryRow(`EXPLAIN QUERY PLAN `+q).Scan(&id, &parent, &notused, &detail); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(detail, "INDEX crm_contact_points_value") {
		t.Errorf("plan %q, want the value index", detail)
	}
}

// TestCaptureSubmission_InboxKeepsEveryInquiry: the same person writing
// twice is one CRM person and two leads, each with its own message.
func TestCaptureSubmission_InboxKeepsEveryInquiry(t *testing.T) {
	db, ws, _, _ := openAutomation(t)
	ctx := context.Background()
	var people []int64
	for _, msg := range []string{"First question", "Second question"} {
		sub := &app.Submission{TenantID: app.HouseTenantID, Form: "website", Contact: app.ContactInput{FirstName: "Ada", Email: "ada@example.com", Message: msg},
			Payload: map[string]string{"email": "ada@example.com", "message": msg}}
		if err := sub.Contact.Validate(); err != nil {
			t.Fatal(err)
		}
		if err := ws.CaptureSubmission(ctx, sub); err != nil {
			t.Fatal(err)
		}
		people = append(people, sub.ContactID)
	}
	var leads int
	var msgs string
	db.ReadDB().QueryRow(`SELECT count(*), group_concat(message, '|') FROM (SELECT message FROM leads WHERE email = 'ada@example.com' ORDER BY id)`).Scan(&leads, &msgs)
	if people[0] != people[1] || leads != 2 || msgs != "First question|Second question" {
		t.Fatalf("people %v, leads %d %q", people, leads, msgs)
	}
}

// TestCaptureSubmission_ContactCapsNeverLoseALead: a public form never
// loses a lead to a cap on the contact it merges into. The 11th address
// from a shared office phone, the 11th phone of a shared address and a
// nameless lead with a long address are all stored with their runs; what
// the contact had no room for is on its timeline.
func TestCaptureSubmission_ContactCapsNeverLoseALead(t *testing.T) {
	db, ws, cs, _ := openAutomation(t)
	ctx := context.Background()
	w := saveWorkflow(t, ws, app.Step{Type: app.StepContact})
	submit := func(in app.ContactInput) *app.Submission {
		t.Helper()
		sub := &app.Submission{TenantID: app.HouseTenantID, Form: "lead-capture", Contact: in,
			Payload: map[string]string{"email": in.Email, "phone": in.Phone}}
		if err := sub.Contact.Validate(); err != nil {
			t.Fatalf("input %+v: %v", in, err)
		}
		if err := ws.CaptureSubmission(ctx, sub); err != nil {
			t.Fatalf("submission %+v refused: %v", in, err)
		}
		if sub.ID == 0 || len(sub.RunIDs) != 1 {
			t.Fatalf("submission %+v: id %d runs %v", in, sub.ID, sub.RunIDs)
		}
		return sub
	}
	// One office phone, twelve people writing in from it.
	var office *app.Submission
	for i := 1; i <= 12; i++ {
		office = submit(app.ContactInput{FirstName: "Office", Email: fmt.Sprintf("p%d@example.com", i), Phone: "+15125550100"})
	}
	p, err := store.NewCRMStores(db).People.FindPerson(app.NewContextWithTenant(ctx, &app.Tenant{ID: app.HouseTenantID}), office.ContactID)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Emails) != app.MaxPersonEmails || p.Emails[9] != "p10@example.com" {
		t.Fatalf("contact emails %v, want the first 10", p.Emails)
	}
	// One shared address, twelve phones.
	var shared *app.Submission
	for i := 1; i <= 12; i++ {
		shared = submit(app.ContactInput{FirstName: "Front desk", Email: "desk@example.com", Phone: fmt.Sprintf("+1512555%04d", 200+i)})
	}
	// No name and an address longer than a name may be.
	long := strings.Repeat("a", 60) + "@" + strings.Repeat("b", 50) + ".example.com"
	nameless := submit(app.ContactInput{Email: long})
	ct, err := cs.FindContact(ctx, app.HouseTenantID, nameless.ContactID)
	if err != nil || ct.Email != long || len(ct.FirstName) != app.MaxPersonName {
		t.Fatalf("nameless contact %+v %v", ct, err)
	}

	var leads, subs, runs int
	db.ReadDB().QueryRow(`SELECT (SELECT count(*) FROM leads), (SELECT count(*) FROM form_submissions), (SELECT count(*) FROM runs WHERE workflow_id = ?)`, w.ID).Scan(&leads, &subs, &runs)
	if leads != 25 || subs != 25 || runs != 25 {
		t.Fatalf("leads %d, submissions %d, runs %d; want 25 of each", leads, subs, runs)
	}
	notes := func(id int64) string {
		var s string
		db.ReadDB().QueryRow(`SELECT group_concat(body, '|') FROM crm_timeline WHERE record_type = 'person' AND record_id = ? AND kind = 'note'`, id).Scan(&s)
		return s
	}
	if n := notes(office.ContactID); !strings.Contains(n, "email p11@example.com") || !strings.Contains(n, "email p12@example.com") || strings.Contains(n, "p10@") {
		t.Errorf("office contact notes %q, want p11 and p12 left out", n)
	}
	if n := notes(shared.ContactID); !strings.Contains(n, "phone +15125550211") || !strings.Contains(n, "phone +15125550212") {
		t.Errorf("shared contact notes %q, want the 11th and 12th phone left out", n)
	}
	// The submission keeps what the contact could not.
	var payload string
	db.ReadDB().QueryRow(`SELECT payload FROM form_submissions WHERE id = ?`, office.ID).Scan(&payload)
	if !strings.Contains(payload, "p12@example.com") {
		t.Errorf("submission payload %s lacks the email", payload)
	}
}

// TestWorkflowStore_SeedWorkflow: a seed is created once; a restart's
// seeding of one the tenant has is a no-op that does not even validate
// it; a new seed that is invalid is refused (EINVALID) and not written.
func TestWorkflowStore_SeedWorkflow(t *testing.T) {
	ctx := context.Background()
	_, ws, _, _ := openAutomation(t)
	created, err := ws.SeedWorkflow(ctx, app.LeadCaptureWorkflow())
	if err != nil || !created {
		t.Fatalf("first seed: created %v, %v", created, err)
	}
	again := app.LeadCaptureWorkflow()
	again.Name = "" // invalid, but never looked at: the seed exists
	if created, err := ws.SeedWorkflow(ctx, again); err != nil || created {
		t.Fatalf("existing seed: created %v, %v; want false, nil", created, err)
	}
	bad := app.LeadCaptureWorkflow()
	bad.Seed, bad.Name = "other-seed", ""
	if created, err := ws.SeedWorkflow(ctx, bad); app.ErrorCode(err) != app.EINVALID || created {
		t.Fatalf("invalid new seed: created %v, %v; want EINVALID", created, err)
	}
	good := app.LeadCaptureWorkflow()
	good.Seed = "other-seed"
	if created, err := ws.SeedWorkflow(ctx, good); err != nil || !created {
		t.Fatalf("valid new seed after the invalid one: created %v, %v; want true (nothing was written)", created, err)
	}
}

// TestCaptureSubmission_IndexesEachRead: every index on leads and runs is
// one a query reads; each costs every lead a write (and, with the
// dashboard's triggers, a journaled page). A new one goes here with the
// query that needs it. Before issue #13 leads carried leads_created_at and
// leads_tenant_created and runs carried runs_tenant_created, which nothing
// read after the dashboards moved to dash_daily.
func TestCaptureSubmission_IndexesEachRead(t *testing.T) {
	db, _, _, _ := openAutomation(t)
	want := map[string]string{
		"leads_tenant":  "a tenant's leads, newest first (TenantStore.FindLeads)",
		"runs_due":      "the next run to claim (ClaimRun), the queue depth",
		"runs_lease":    "runs whose lease ran out (ClaimRun)",
		"runs_tenant":   "a tenant's runs (FindRuns)",
		"runs_workflow": "a workflow's runs",
		"runs_contact":  "a contact's runs (timeline, GDPR export)",
		"runs_created":  "run retention (DeleteOldRuns)",
	}
	rows, err := db.ReadDB().Query(`SELECT name, tbl_name FROM sqlite_schema WHERE type = 'index' AND tbl_name IN ('leads', 'runs') AND sql IS NOT NULL`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[string]bool{}
	for rows.Next() {
		var name, tbl string
		if err := rows.Scan(&name, &tbl); err != nil {
			t.Fatal(err)
		}
		got[name] = true
		if _, ok := want[name]; !ok {
			t.Errorf("index %s on %s: which query reads it? Add it here with that query, or drop it", name, tbl)
		}
	}
	for name := range want {
		if !got[name] {
			t.Errorf("index %s is gone; its query (%s) now scans", name, want[name])
		}
	}
}
