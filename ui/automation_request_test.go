package ui_test

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"orengen/app"
	"orengen/store"
)

// TestAutomationRequests_Flow: tenant A's owner requests an automation,
// the admin approves it, the workflow is created in A's tenant, A sees it
// and its runs; B sees none of it.
func TestAutomationRequests_Flow(t *testing.T) {
	e := newTenantEnv(t)
	ctx := context.Background()
	a := map[string]string{"psid": e.A.Cookie}
	b := map[string]string{"psid": e.B.Cookie}
	admin := map[string]string{"orengen_session": e.AdminCookie}

	// The catalogue.
	st, body, _ := e.do(treq{Host: "portal", Method: "GET", Path: "/automations", Cookies: a})
	if st != 200 || !strings.Contains(body, "Call new leads within a minute") || !strings.Contains(body, "Text new leads") || !strings.Contains(body, "Email me each new lead") {
		t.Fatalf("catalogue: %d %.400s", st, body)
	}
	// Bad input: the field is named, nothing is stored.
	form := url.Values{"template": {"call-new-leads"}, "forward_to": {"call me"}, "business_name": {"Alpha Plumbing"}, "notify_email": {"boss@alpha.test"}}
	st, body, _ = e.do(treq{Host: "portal", Method: "POST", Path: "/automations/request", Form: form, Cookies: a, CSRF: true})
	if st != 400 || !strings.Contains(body, "is not a valid phone number") {
		t.Fatalf("bad phone: %d %.400s", st, body)
	}
	form.Set("forward_to", "+1 512 555 0100")
	form.Set("notify_email", "not-an-email")
	if st, body, _ = e.do(treq{Host: "portal", Method: "POST", Path: "/automations/request", Form: form, Cookies: a, CSRF: true}); st != 400 || !strings.Contains(body, "valid email") {
		t.Fatalf("bad email: %d %.400s", st, body)
	}
	form.Del("business_name")
	form.Set("notify_email", "boss@alpha.test")
	if st, body, _ = e.do(treq{Host: "portal", Method: "POST", Path: "/automations/request", Form: form, Cookies: a, CSRF: true}); st != 400 || !strings.Contains(body, "required") {
		t.Fatalf("missing required: %d %.400s", st, body)
	}
	rs := store.NewAutomationRequestStore(e.DB)
	if list, _ := rs.FindAutomationRequests(ctx, e.A.T.ID); len(list) != 1 { // the fixture only
		t.Fatalf("a refused request was stored: %d requests", len(list))
	}
	// A member may not request.
	member := map[string]string{"psid": e.portalSession(e.A.Member)}
	form.Set("business_name", "Alpha Plumbing")
	if st, _, _ = e.do(treq{Host: "portal", Method: "POST", Path: "/automations/request", Form: form, Cookies: member, CSRF: true}); st != 403 {
		t.Fatalf("member request: %d, want 403", st)
	}

	// A valid request.
	st, _, _ = e.do(treq{Host: "portal", Method: "POST", Path: "/automations/request", Form: form, Cookies: a, CSRF: true})
	if st != 303 {
		t.Fatalf("request: %d", st)
	}
	list, err := rs.FindAutomationRequests(ctx, e.A.T.ID)
	if err != nil || len(list) != 2 || list[0].Template != "call-new-leads" || list[0].Params["forward_to"] != "+15125550100" || list[0].CreatedBy != e.A.Owner.ID {
		t.Fatalf("stored request: %+v %v", list[0], err)
	}
	req := list[0]
	reqPath := "/automations/requests/" + strconv.FormatInt(req.ID, 10)
	if st, body, _ = e.do(treq{Host: "portal", Method: "GET", Path: "/automations", Cookies: a}); !strings.Contains(body, "pending review") {
		t.Fatalf("A's list: %d %.600s", st, body)
	}
	// B never sees A's request.
	if st, _, _ = e.do(treq{Host: "portal", Method: "GET", Path: reqPath, Cookies: b}); st != 404 {
		t.Fatalf("B on A's request: %d, want 404", st)
	}

	// Nexus lists it pending, with what it needs; approval without Twilio
	// creates the workflow disabled and says why.
	e.Server.Automations.Missing = func(ctx context.Context, tenantID int64) []string {
		if tenantID == e.A.T.ID {
			return []string{"Twilio"}
		}
		return nil
	}
	st, body, _ = e.do(treq{Host: "nexus", Method: "GET", Path: "/automations", Cookies: admin})
	if st != 200 || !strings.Contains(body, "Call new leads within a minute") || !strings.Contains(body, "15125550100") || !strings.Contains(body, "Needs Twilio") {
		i := strings.Index(body, "<h2>Requests")
		t.Fatalf("nexus requests: %d %d %s", st, i, body[max(i, 0):])
	}
	st, _, resp := e.do(treq{Host: "nexus", Method: "POST", Path: reqPath + "/approve", Cookies: admin, CSRF: true})
	if st != 303 {
		t.Fatalf("approve: %d", st)
	}
	for _, c := range resp.Cookies() {
		if c.Name == "flash" {
			admin["flash"] = c.Value
		}
	}
	_, body, _ = e.do(treq{Host: "nexus", Method: "GET", Path: "/automations", Cookies: admin})
	if !strings.Contains(body, "created disabled") || !strings.Contains(body, "Twilio") {
		t.Fatalf("nexus after approval does not say what is missing: %.2000s", body)
	}
	delete(admin, "flash")
	got, err := rs.FindAutomationRequest(ctx, e.A.T.ID, req.ID)
	if err != nil || got.Status != app.RequestApproved || got.WorkflowID == 0 || got.DecidedBy != e.Admin.ID {
		t.Fatalf("approved request: %+v %v", got, err)
	}
	ws := store.NewWorkflowStore(e.DB)
	w, err := ws.FindWorkflow(ctx, got.WorkflowID)
	if err != nil || w.TenantID != e.A.T.ID || w.Enabled || w.Trigger != app.TriggerFormSubmitted {
		t.Fatalf("workflow: %+v %v", w, err)
	}
	if call := w.Definition.Steps[1]; call.Forward != "+15125550100" || !strings.Contains(call.Say, "Alpha Plumbing") || strings.Contains(call.Say, ".Param") || w.Definition.Steps[2].To != "boss@alpha.test" {
		t.Fatalf("parameters not substituted: %+v", w.Definition.Steps)
	}
	// Approving again conflicts and creates nothing more.
	e.do(treq{Host: "nexus", Method: "POST", Path: reqPath + "/approve", Cookies: admin, CSRF: true})
	if wfs, _ := ws.FindWorkflows(ctx, e.A.T.ID); len(wfs) != 2 { // the fixture's webhook workflow and the approved one
		t.Fatalf("A has %d workflows after a second approval, want 2", len(wfs))
	}

	// With Twilio configured the admin enables it; a lead of A runs it.
	e.Server.Automations.Missing = nil
	if st, _, _ = e.do(treq{Host: "nexus", Method: "POST", Path: "/automations/" + strconv.FormatInt(w.ID, 10) + "/enable", Form: url.Values{"enabled": {"1"}}, Cookies: admin, CSRF: true}); st != 303 {
		t.Fatalf("enable: %d", st)
	}
	sub := &app.Submission{TenantID: e.A.T.ID, Form: "lead-capture", Contact: app.ContactInput{FirstName: "Lena", Email: "lena@example.com"}, Payload: map[string]string{"email": "lena@example.com"}}
	if err := ws.CaptureSubmission(ctx, sub); err != nil || len(sub.RunIDs) != 1 {
		t.Fatalf("capture for A: %v runs %v", err, sub.RunIDs)
	}
	st, body, _ = e.do(treq{Host: "portal", Method: "GET", Path: reqPath, Cookies: a})
	if st != 200 || !strings.Contains(body, "approved") || !strings.Contains(body, "queued") || !strings.Contains(body, ">"+strconv.FormatInt(sub.RunIDs[0], 10)+"<") || !strings.Contains(body, "runs on every new lead") {
		t.Fatalf("A's automation page: %d %.2000s", st, body)
	}
	st, body, _ = e.do(treq{Host: "portal", Method: "GET", Path: "/", Cookies: a})
	if st != 200 || !strings.Contains(body, "Call new leads within a minute") || !strings.Contains(body, reqPath) {
		t.Fatalf("A's dashboard: %d %.2000s", st, body)
	}
	// B sees neither the request, the workflow, nor its runs.
	for _, p := range []string{"/automations", "/"} {
		_, body, _ = e.do(treq{Host: "portal", Method: "GET", Path: p, Cookies: b})
		if strings.Contains(body, "Call new leads within a minute</a>") || strings.Contains(body, reqPath) || strings.Contains(body, "15125550100") {
			t.Fatalf("B's %s shows A's automation: %.2000s", p, body)
		}
	}
	if st, _, _ = e.do(treq{Host: "portal", Method: "GET", Path: reqPath, Cookies: b}); st != 404 {
		t.Fatalf("B on A's approved request: %d, want 404", st)
	}

	// Reject needs a reason; the client sees it.
	bPath := "/automations/requests/" + strconv.FormatInt(e.B.AutoRequestID, 10)
	e.do(treq{Host: "nexus", Method: "POST", Path: bPath + "/reject", Cookies: admin, CSRF: true})
	if r, _ := rs.FindAutomationRequest(ctx, 0, e.B.AutoRequestID); r.Status != app.RequestPending {
		t.Fatalf("rejected without a reason: %+v", r)
	}
	e.do(treq{Host: "nexus", Method: "POST", Path: bPath + "/reject", Form: url.Values{"note": {"Your plan has no email automations."}}, Cookies: admin, CSRF: true})
	_, body, _ = e.do(treq{Host: "portal", Method: "GET", Path: "/automations", Cookies: b})
	if !strings.Contains(body, "rejected") || !strings.Contains(body, "Your plan has no email automations.") {
		t.Fatalf("B's rejected request: %.2000s", body)
	}

	// Audit: request, approve, reject.
	entries, _, err := store.NewAuditStore(e.DB).FindAuditEntries(ctx, app.AuditFilter{Action: "automation_request", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, en := range entries {
		seen[en.Action] = true
		if strings.HasPrefix(en.Action, "automation_request.") && en.Action != "automation_request.create" && en.TenantID == 0 {
			t.Errorf("%s is not tied to the client's tenant", en.Action)
		}
	}
	for _, act := range []string{"automation_request.create", "automation_request.approve", "automation_request.reject"} {
		if !seen[act] {
			t.Errorf("no audit entry %s in %d", act, len(entries))
		}
	}
}
