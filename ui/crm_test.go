package ui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"orengen/app"
	"orengen/ui"
)

func TestCRMPortal_Forms(t *testing.T) {
	e := newTenantEnv(t)
	cookie := map[string]string{"psid": e.A.Cookie}
	post := func(path string, form url.Values) (int, string, *http.Response) {
		return e.do(treq{Host: ui.HostPortal, Method: "POST", Path: path, Form: form, Cookies: cookie, CSRF: true})
	}
	get := func(path string) (int, string) {
		st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: path, Cookies: cookie})
		return st, body
	}
	// Bad input: the form again, the field named, nothing written.
	st, body, _ := post("/crm/people", url.Values{"first_name": {"Quin"}, "emails": {"quin@"}})
	if st != 400 || !strings.Contains(body, `id="e_emails"`) || !strings.Contains(body, `value="quin@"`) {
		t.Fatalf("bad email: %d %.300s", st, body)
	}
	st, body, _ = post("/crm/deals", url.Values{"name": {"D"}, "amount": {"twelve"}})
	if st != 400 || !strings.Contains(body, `id="e_amount"`) {
		t.Fatalf("bad amount: %d", st)
	}
	ctx := app.NewContextWithTenant(context.Background(), e.A.T)
	if ps, _, _ := e.Server.CRM.FindPeople(ctx, app.PersonFilter{ListOptions: app.ListOptions{Q: "quin"}}); len(ps) != 0 {
		t.Fatal("invalid person written")
	}
	// Create, redirect to the record (PRG), shown with its timeline.
	st, _, resp := post("/crm/people", url.Values{"first_name": {"Quin"}, "emails": {"quin@a.test"}, "phones": {"512-555-0177"}, "tags": {"vip, roofing"}, "consent_sms": {"on"}})
	loc := resp.Header.Get("Location")
	if st != 303 || !strings.HasPrefix(loc, "/crm/people/") {
		t.Fatalf("create: %d %q", st, loc)
	}
	st, body = get(loc)
	if st != 200 || !strings.Contains(body, "15125550177") || !strings.Contains(body, "Created") || !strings.Contains(body, "SMS") {
		t.Fatalf("record: %d %s", st, body[strings.Index(body, "<main"):])
	}
	// Edit: the change is on the timeline with old and new values.
	st, _, _ = post(loc, url.Values{"first_name": {"Quinn"}, "emails": {"quin@a.test"}, "phones": {"512-555-0177"}})
	if st != 303 {
		t.Fatalf("edit: %d", st)
	}
	_, body = get(loc)
	if !strings.Contains(body, "Changed <b>first_name</b> from <q>Quin</q> to <q>Quinn</q>") {
		t.Errorf("timeline lacks the change: %.2000s", body)
	}
	// A note is rendered as markdown with raw HTML escaped.
	post(loc+"/notes", url.Values{"body": {"**Big** lead <img src=x onerror=alert(1)>"}})
	_, body = get(loc)
	if !strings.Contains(body, "<strong>Big</strong>") || strings.Contains(body, "<img src=x") {
		t.Errorf("note: %.3000s", body)
	}
	// Search finds the person by note text and phone.
	for _, q := range []string{"big", "5125550177"} {
		if _, body := get("/crm/people?q=" + q); !strings.Contains(body, "Quinn") {
			t.Errorf("search %q misses Quinn", q)
		}
	}
}

func TestCRMPortal_Kanban(t *testing.T) {
	e := newTenantEnv(t)
	cookie := map[string]string{"psid": e.A.Cookie}
	ctx := app.NewContextWithTenant(context.Background(), e.A.T)
	for i, amt := range []int64{1000, 2550} {
		if err := e.Server.CRM.CreateDeal(ctx, &app.Deal{Name: fmt.Sprintf("Extra %d", i), Amount: amt, StageRef: "Proposal"}); err != nil {
			t.Fatal(err)
		}
	}
	st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/crm/pipeline", Cookies: cookie})
	if st != 200 || !strings.Contains(body, `">Proposal <span class="pill kanban-count">2</span></h2>`) || !strings.Contains(body, "35.50 USD") || !strings.Contains(body, `action="/crm/deals/`) {
		t.Fatalf("kanban: %d %.500s", st, body)
	}
	if strings.Contains(body, "<script>") || strings.Contains(body, " style=") {
		t.Error("inline script or style on the kanban")
	}
	// Move without JavaScript: the card's form.
	ps, _ := e.Server.CRM.Pipelines(ctx)
	won := ps[0].StageByRef("Won")
	path := fmt.Sprintf("/crm/deals/%d/move", e.A.CRM.Deal.ID)
	st, _, _ = e.do(treq{Host: ui.HostPortal, Method: "POST", Path: path, Form: url.Values{"stage": {fmt.Sprint(won.ID)}}, Cookies: cookie, CSRF: true})
	if st != 303 {
		t.Fatalf("move: %d", st)
	}
	d, _ := e.Server.CRM.FindDeal(ctx, e.A.CRM.Deal.ID)
	if d.Stage != "Won" {
		t.Fatalf("stage %q", d.Stage)
	}
	// An unknown stage changes nothing.
	e.do(treq{Host: ui.HostPortal, Method: "POST", Path: path, Form: url.Values{"stage": {"999999"}}, Cookies: cookie, CSRF: true})
	if d, _ := e.Server.CRM.FindDeal(ctx, e.A.CRM.Deal.ID); d.Stage != "Won" {
		t.Fatalf("after a bad move: %q", d.Stage)
	}
}

func TestCRMNexus_AllTenants(t *testing.T) {
	e := newTenantEnv(t)
	admin := map[string]string{"orengen_session": e.AdminCookie}
	st, body, _ := e.do(treq{Host: ui.HostNexus, Method: "GET", Path: "/crm/people", Cookies: admin})
	if st != 200 || !strings.Contains(body, e.A.CRM.Person.FirstName) || !strings.Contains(body, e.B.CRM.Person.FirstName) || !strings.Contains(body, "<th>Tenant</th>") {
		t.Fatalf("nexus people: %d %.300s", st, body)
	}
	st, body, _ = e.do(treq{Host: ui.HostNexus, Method: "GET", Path: fmt.Sprintf("/crm/people?tenant=%d", e.A.T.ID), Cookies: admin})
	if st != 200 || !strings.Contains(body, e.A.CRM.Person.FirstName) || strings.Contains(body, e.B.CRM.Person.FirstName) {
		t.Fatalf("tenant filter: %d", st)
	}
	st, body, _ = e.do(treq{Host: ui.HostNexus, Method: "GET", Path: fmt.Sprintf("/crm/deals/%d", e.B.CRM.Deal.ID), Cookies: admin})
	if st != 200 || !strings.Contains(body, e.B.T.Name) || !strings.Contains(body, "Timeline") {
		t.Fatalf("nexus deal: %d %.300s", st, body)
	}
	// The kanban of every tenant, read-only, then one tenant's.
	st, body, _ = e.do(treq{Host: ui.HostNexus, Method: "GET", Path: "/crm/pipeline", Cookies: admin})
	if st != 200 || !strings.Contains(body, e.A.CRM.Deal.Name) || !strings.Contains(body, e.B.CRM.Deal.Name) || strings.Contains(body, "/move") || !strings.Contains(body, `class="kanban-col"`) {
		t.Fatalf("nexus kanban: %d %.300s", st, body)
	}
	st, body, _ = e.do(treq{Host: ui.HostNexus, Method: "GET", Path: fmt.Sprintf("/crm/pipeline?tenant=%d", e.B.T.ID), Cookies: admin})
	if st != 200 || strings.Contains(body, e.A.CRM.Deal.Name) || !strings.Contains(body, e.B.CRM.Deal.Name) {
		t.Fatalf("nexus kanban, tenant B: %d", st)
	}
	if st, _, _ = e.do(treq{Host: ui.HostNexus, Method: "GET", Path: "/crm/pipeline?tenant=999999", Cookies: admin}); st != 404 {
		t.Errorf("unknown tenant: %d", st)
	}
}

func TestCRMPortal_Settings(t *testing.T) {
	e := newTenantEnv(t)
	owner := map[string]string{"psid": e.A.Cookie}
	member := map[string]string{"psid": e.portalSession(e.A.Member)}
	post := func(cookies map[string]string, path string, form url.Values) (int, string) {
		st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: path, Form: form, Cookies: cookies, CSRF: true})
		return st, body
	}
	if st, _ := post(member, "/crm/settings/fields", url.Values{"object": {"person"}, "key": {"budget"}, "type": {"number"}}); st != 403 {
		t.Errorf("member adds a field: %d", st)
	}
	if st, body := post(owner, "/crm/settings/fields", url.Values{"object": {"person"}, "key": {"Budget!"}, "type": {"number"}}); st != 400 || !strings.Contains(body, "lowercase letters") {
		t.Errorf("bad key: %d", st)
	}
	if st, _ := post(owner, "/crm/settings/fields", url.Values{"object": {"person"}, "key": {"budget"}, "label": {"Budget"}, "type": {"number"}}); st != 303 {
		t.Fatalf("add field: %d", st)
	}
	path := fmt.Sprintf("/crm/people/%d", e.A.CRM.Person.ID)
	base := url.Values{"first_name": {"Alpha"}, "emails": {e.A.CRM.Person.Emails[0]}}
	bad := url.Values{"custom.budget": {"lots"}}
	for k, v := range base {
		bad[k] = v
	}
	if st, body := post(owner, path, bad); st != 400 || !strings.Contains(body, "Budget must be a number") {
		t.Errorf("bad custom value: %d", st)
	}
	base.Set("custom.budget", "1500")
	if st, _ := post(owner, path, base); st != 303 {
		t.Fatalf("set custom value: %d", st)
	}
	ctx := app.NewContextWithTenant(context.Background(), e.A.T)
	if p, _ := e.Server.CRM.FindPerson(ctx, e.A.CRM.Person.ID); p.Custom["budget"] != 1500.0 {
		t.Errorf("custom: %v", p.Custom)
	}
	// Pipelines: rename a stage line by line; a bad line is reported.
	pid := e.A.PipelineID
	if st, body := post(owner, fmt.Sprintf("/crm/settings/pipelines/%d", pid), url.Values{"name": {"Sales"}, "stages": {"Lead | lots"}}); st != 400 || !strings.Contains(body, "Line 1") {
		t.Errorf("bad stage line: %d", st)
	}
	stages := "Lead | 10\nQualified | 30\nProposal | 50\nNegotiation | 80\nWon | 100 | won\nLost | 0 | lost\nOn hold | 5"
	if st, _ := post(owner, fmt.Sprintf("/crm/settings/pipelines/%d", pid), url.Values{"name": {"Sales"}, "stages": {stages}}); st != 303 {
		t.Fatalf("save pipeline: %d", st)
	}
	ps, _ := e.Server.CRM.Pipelines(ctx)
	if len(ps[0].Stages) != 7 || ps[0].Stages[1].Probability != 30 || ps[0].Stages[6].Name != "On hold" {
		t.Errorf("stages: %+v", ps[0].Stages)
	}
}
