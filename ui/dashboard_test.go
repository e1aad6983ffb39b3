package ui_test

import (
	"context"
	"strings"
	"testing"

	"orengen/app"
	"orengen/ui"
)

// TestDashboards: the portal home charts the tenant's own data only
// (another tenant's lead source and name never appear); Mission Control
// charts every tenant; a bad date range is 400 naming the field.
func TestDashboards(t *testing.T) {
	e := newTenantEnv(t)
	ctx := context.Background()
	for side, src := range map[*tenantSide]string{e.A: "alphasrc", e.B: "bravosrc"} {
		l := &app.Lead{FirstName: "Dash", Email: "dash@" + side.T.Slug + ".test", Source: src}
		if err := e.Server.Leads.CreateTenantLead(app.NewContextWithTenant(ctx, side.T), l); err != nil {
			t.Fatal(err)
		}
	}
	portal := func(path string) (int, string) {
		st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: path, Cookies: map[string]string{"psid": e.A.Cookie}})
		return st, body
	}
	st, body := portal("/")
	if st != 200 {
		t.Fatalf("portal home: %d", st)
	}
	for _, id := range []string{"chart-leads", "chart-pipeline", "chart-winrate", "chart-runs", "chart-agents", "chart-federal", "chart-usage"} {
		if !strings.Contains(body, `id="`+id+`"`) {
			t.Errorf("portal home: no %s", id)
		}
	}
	if !strings.Contains(body, "alphasrc") || strings.Contains(body, "bravosrc") || strings.Contains(body, e.B.T.Name) {
		t.Errorf("portal home: A's source %v, B's source %v, B's name %v", strings.Contains(body, "alphasrc"), strings.Contains(body, "bravosrc"), strings.Contains(body, e.B.T.Name))
	}
	// A's three open deals of 5,000 USD in the first stage.
	if !strings.Contains(body, "<th scope=\"row\">Lead (USD)</th><td>15,000</td><td>3</td>") {
		t.Errorf("portal pipeline table: %s", between(body, `id="chart-pipeline"`, "</figure>"))
	}
	if !strings.Contains(body, `role="img" aria-labelledby="chart-leads-t chart-leads-d"`) {
		t.Error("leads chart has no accessible name")
	}
	for q, field := range map[string]string{"from=2026-13-01": "from must be a date", "to=soon": "to must be a date",
		"from=2026-12-05&to=2026-11-01": "on or before", "from=2020-01-01&to=2026-12-05": "at most"} {
		if st, body := portal("/?" + q); st != 400 || !strings.Contains(body, field) {
			t.Errorf("%s: %d, want 400 naming %q", q, st, field)
		}
	}
	st, body = portal("/?from=2026-11-01&to=2026-11-07")
	if leads := between(body, `id="chart-leads"`, "</figure>"); st != 200 || strings.Contains(leads, "alphasrc") || !strings.Contains(leads, "No leads in this range") || !strings.Contains(body, `value="2026-11-01"`) {
		t.Errorf("a past range: %d, leads chart %s", st, leads)
	}

	st, body, _ = e.admin("GET", "/", nil)
	if st != 200 || !strings.Contains(body, "Mission Control") {
		t.Fatalf("nexus home: %d", st)
	}
	for _, want := range []string{"alphasrc", "bravosrc", e.A.T.Name, e.B.T.Name, `id="chart-usage"`} {
		if !strings.Contains(body, want) {
			t.Errorf("mission control: no %q", want)
		}
	}
}

// between returns the part of s from the first a to the next b.
func between(s, a, b string) string {
	i := strings.Index(s, a)
	if i < 0 {
		return ""
	}
	s = s[i:]
	if j := strings.Index(s, b); j >= 0 {
		return s[:j]
	}
	return s
}

// TestDevTools: API & developer tools shows the owner's keys with their
// use (never a key itself), the examples (curl, n8n's HTTP node with the
// seed's mutation) and the Swagger UI over the document it serves; the
// GraphQL playground posts to /graphql; Nexus has the same for admins.
func TestDevTools(t *testing.T) {
	e := newTenantEnv(t)
	get := func(path string) (int, string) {
		st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: path, Cookies: map[string]string{"psid": e.A.Cookie}})
		return st, body
	}
	st, body := get("/developers")
	for _, want := range []string{`id="swagger-ui" data-spec="/developers/openapi.json"`, "swagger-ui-bundle.", "n8n-nodes-base.httpRequest", "createContact(data: $data)",
		e.A.KeyRead[:12], "/rest/people?limit=5", "Requests, 30 days"} {
		if st != 200 || !strings.Contains(body, want) {
			t.Errorf("developers page (%d): no %q", st, want)
		}
	}
	if strings.Contains(body, e.A.KeyRead) || strings.Contains(body, e.A.KeyWrite) {
		t.Error("the developers page shows a key")
	}
	if st, body := get("/developers/openapi.json"); st != 200 || !strings.Contains(body, `"openapi":"3.1`) || strings.Contains(body, "/api/v1/tenants") || strings.Contains(body, "Nexus") || !strings.Contains(body, e.A.T.Name+" API") {
		t.Errorf("openapi: %d %.100s", st, body)
	} else {
		checkOpenAPITags(t, "portal", []byte(body))
		if strings.Contains(body, `"name":"Federal"`) || strings.Contains(body, `"name":"Tenants"`) {
			t.Error("the portal's document lists a Nexus module")
		}
	}
	if st, body := get("/developers/graphql"); st != 200 || !strings.Contains(body, `data-endpoint="/graphql"`) || !strings.Contains(body, "PersonFilterInput") {
		t.Errorf("playground: %d", st)
	}
	if st, body, _ := e.admin("GET", "/developers", nil); st != 200 || !strings.Contains(body, "swagger-ui") {
		t.Errorf("nexus developers: %d", st)
	}
}
