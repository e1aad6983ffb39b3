package ui_test

import (
	"context"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"orengen/app"
	"orengen/store"
)

// TestWorkflows_PortalEditorAndTriggers: a tenant owner builds workflows in
// the portal (bad options are named and nothing is saved), gets a secret
// webhook URL that starts runs in their tenant only, and a signed inbound
// text starts their inbound_sms workflow.
func TestWorkflows_PortalEditorAndTriggers(t *testing.T) {
	e := newTenantEnv(t)
	ctx := context.Background()
	a := map[string]string{"psid": e.A.Cookie}
	ws := store.NewWorkflowStore(e.DB)
	count := func() int { return e.workflowCount(e.A.T.ID) }
	n0 := count()
	if st, body, _ := e.do(treq{Host: "portal", Method: "GET", Path: "/automations/workflows/new", Cookies: a}); st != 200 || !strings.Contains(body, "Cron (schedule)") || strings.Contains(body, "federal_alert") {
		t.Fatalf("editor: %d %.300s", st, body)
	}
	steps := `{"steps":[{"id":"c","type":"contact"},{"id":"t","type":"tag","tag":"from-hook"}]}`
	// A schedule with a bad cron, and one firing every minute: 400 naming the option.
	for _, cron := range []string{"every day", "* * * * *"} {
		form := url.Values{"name": {"Nightly"}, "trigger": {app.TriggerSchedule}, "when_cron": {cron}, "definition": {steps}}
		st, body, _ := e.do(treq{Host: "portal", Method: "POST", Path: "/automations/workflows/new", Form: form, Cookies: a, CSRF: true})
		if st != 400 || !strings.Contains(body, "Trigger option &#34;cron&#34;") || count() != n0 {
			t.Fatalf("cron %q: %d, %d workflows; %.2000s", cron, st, count(), body)
		}
	}
	// A webhook workflow.
	form := url.Values{"name": {"Zapier leads"}, "trigger": {app.TriggerWebhook}, "definition": {steps}}
	st, _, resp := e.do(treq{Host: "portal", Method: "POST", Path: "/automations/workflows/new", Form: form, Cookies: a, CSRF: true})
	if st != 303 || count() != n0+1 {
		t.Fatalf("save: %d", st)
	}
	edit := resp.Header.Get("Location")
	id, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(edit, "/automations/workflows/"), "/edit"), 10, 64)
	w, err := ws.FindWorkflow(ctx, id)
	if err != nil || w.TenantID != e.A.T.ID || w.Trigger != app.TriggerWebhook {
		t.Fatalf("saved workflow %+v %v (location %q)", w, err, edit)
	}
	st, body, _ := e.do(treq{Host: "portal", Method: "POST", Path: "/automations/workflows/" + strconv.FormatInt(id, 10) + "/hook", Cookies: a, CSRF: true})
	m := regexp.MustCompile(`/hooks/(wh_[A-Za-z0-9_-]+)`).FindStringSubmatch(body)
	if st != 200 || m == nil {
		t.Fatalf("hook URL: %d %.600s", st, body)
	}
	hook := "/hooks/" + m[1]
	// Disabled: the URL answers 404 like an unknown one.
	if st, _, _ := e.do(treq{Host: "portal", Method: "POST", Path: hook, JSON: `{"email":"zed@example.com"}`}); st != 404 {
		t.Fatalf("disabled workflow's hook: %d", st)
	}
	if st, _, _ := e.do(treq{Host: "portal", Method: "POST", Path: "/automations/workflows/" + strconv.FormatInt(id, 10) + "/enable", Form: url.Values{"enabled": {"1"}}, Cookies: a, CSRF: true}); st != 303 {
		t.Fatalf("enable: %d", st)
	}
	st, body, _ = e.do(treq{Host: "portal", Method: "POST", Path: hook, JSON: `{"email":"zed@example.com","firstName":"Zed","score":7}`})
	if st != 202 || !strings.Contains(body, `"run_id":`) {
		t.Fatalf("hook: %d %s", st, body)
	}
	runs, err := ws.FindRuns(ctx, app.RunFilter{WorkflowID: id})
	if err != nil || len(runs) != 1 || runs[0].TenantID != e.A.T.ID || runs[0].Payload["email"] != "zed@example.com" || runs[0].Payload["score"] != "7" {
		t.Fatalf("runs %+v %v", runs, err)
	}
	for _, bad := range []treq{
		{Host: "portal", Method: "POST", Path: "/hooks/wh_unknown", JSON: `{}`},
		{Host: "portal", Method: "POST", Path: "/hooks/" + strings.TrimPrefix(m[1], "wh_"), JSON: `{}`},
	} {
		if st, _, _ := e.do(bad); st != 404 {
			t.Fatalf("%s: %d, want 404", bad.Path, st)
		}
	}
	if st, body, _ := e.do(treq{Host: "portal", Method: "POST", Path: hook, JSON: `["not an object"]`}); st != 400 || !strings.Contains(body, "JSON object") {
		t.Fatalf("bad body: %d %s", st, body)
	}
	// A test run from the editor: queued for A's workflow, shown at once.
	st, _, resp = e.do(treq{Host: "portal", Method: "POST", Path: "/automations/workflows/" + strconv.FormatInt(id, 10) + "/run", Cookies: a, CSRF: true})
	if st != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/automations/runs/") {
		t.Fatalf("test run: %d %q", st, resp.Header.Get("Location"))
	}
	if runs, _ := ws.FindRuns(ctx, app.RunFilter{WorkflowID: id}); len(runs) != 2 || runs[0].Payload["manual"] != "true" || !strings.HasPrefix(runs[0].Payload["by"], "user:") {
		t.Fatalf("after the test run: %+v", runs)
	}
	// The run log in the portal shows A's run, not B's.
	if st, body, _ := e.do(treq{Host: "portal", Method: "GET", Path: "/automations/runs", Cookies: a}); st != 200 || !strings.Contains(body, "Zapier leads") || strings.Contains(body, e.B.T.Name) {
		t.Fatalf("run log: %d", st)
	}

	// An inbound text to A's number starts A's inbound_sms workflow.
	sms := &app.Workflow{TenantID: e.A.T.ID, Name: "Texts", Trigger: app.TriggerInboundSMS, Enabled: true,
		Definition: &app.Definition{Steps: []app.Step{{ID: "c", Type: app.StepContact}}}}
	if err := ws.SaveWorkflow(ctx, sms); err != nil {
		t.Fatal(err)
	}
	path := "/twilio/sms?tenant=" + strconv.FormatInt(e.A.T.ID, 10)
	f := url.Values{"From": {"+15125550142"}, "To": {"+15550001111"}, "Body": {"Hi there"}, "MessageSid": {"SM9"}}
	forged := treq{Host: "portal", Method: "POST", Path: path, Form: f, Header: map[string]string{"X-Twilio-Signature": twilioSign("wrong-token", e.Server.URL("portal")+path, f)}}
	if st, _, _ := e.do(forged); st != 403 {
		t.Fatalf("forged text: %d", st)
	}
	signed := forged
	signed.Header = map[string]string{"X-Twilio-Signature": twilioSign(testTwilioToken, e.Server.URL("portal")+path, f)}
	if st, body, _ := e.do(signed); st != 200 {
		t.Fatalf("signed text: %d %s", st, body)
	}
	runs, _ = ws.FindRuns(ctx, app.RunFilter{WorkflowID: sms.ID})
	if len(runs) != 1 || runs[0].Payload["phone"] != "+15125550142" || runs[0].Payload["body"] != "Hi there" || runs[0].TenantID != e.A.T.ID {
		t.Fatalf("inbound_sms runs: %+v", runs)
	}
	// A replay of the signed request (same MessageSid, same parameters):
	// 200 with nothing new stored and no second run.
	events := func() (n int) {
		e.DB.ReadDB().QueryRow(`SELECT count(*) FROM twilio_events WHERE sid = 'SM9'`).Scan(&n)
		return n
	}
	if st, body, _ := e.do(signed); st != 200 || !strings.Contains(body, "<Response>") {
		t.Fatalf("replayed text: %d %s", st, body)
	}
	if runs, _ = ws.FindRuns(ctx, app.RunFilter{WorkflowID: sms.ID}); len(runs) != 1 || events() != 1 {
		t.Fatalf("replayed text stored again: %d runs, %d events", len(runs), events())
	}
	// One URL for every number: a text to A's own number is A's.
	e.Server.Automations.TenantForNumber = func(ctx context.Context, to string) (int64, bool) {
		return e.A.T.ID, to == "+15550002222"
	}
	f2 := url.Values{"From": {"+15125550143"}, "To": {"+15550002222"}, "Body": {"Routed"}, "MessageSid": {"SM10"}}
	routed := treq{Host: "portal", Method: "POST", Path: "/twilio/sms", Form: f2, Header: map[string]string{"X-Twilio-Signature": twilioSign(testTwilioToken, e.Server.URL("portal")+"/twilio/sms", f2)}}
	if st, body, _ := e.do(routed); st != 200 {
		t.Fatalf("routed text: %d %s", st, body)
	}
	if runs, _ = ws.FindRuns(ctx, app.RunFilter{WorkflowID: sms.ID}); len(runs) != 2 || runs[0].Payload["body"] != "Routed" {
		t.Fatalf("text to A's number: %+v", runs)
	}
}

// workflowCount is how many workflows tenant tid has.
func (e *tenantEnv) workflowCount(tid int64) int {
	e.t.Helper()
	wfs, err := store.NewWorkflowStore(e.DB).FindWorkflows(context.Background(), tid)
	if err != nil {
		e.t.Fatal(err)
	}
	return len(wfs)
}
