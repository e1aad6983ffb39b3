package ui_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"orengen/app"
)

// TestNexus_FirstRunChecklist: the dashboard's checklist checks each item
// when drawn; optional integrations missing read "not set up", never an
// error, and items turn done as the admin does them.
func TestNexus_FirstRunChecklist(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	b := e.signedIn(app.RoleStaff)
	item := func(key string) string {
		t.Helper()
		resp, body := b.request("GET", "nexus.localhost", "/", nil)
		if resp.StatusCode != 200 {
			t.Fatalf("dashboard: %d", resp.StatusCode)
		}
		m := regexp.MustCompile(`(?s)<li class="check-([a-z_]+)" data-check="` + key + `">(.*?)</li>`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no checklist item %s", key)
		}
		return m[1] + " | " + m[2]
	}
	for key, want := range map[string]string{"domain": "not_set_up", "smtp": "", "model": "not_set_up", "client": "not_set_up", "backups": "not_set_up", "lead_form": "not_set_up"} {
		got := item(key)
		if want != "" && !strings.HasPrefix(got, want+" |") {
			t.Errorf("%s: %s, want %s", key, got, want)
		}
		if strings.HasPrefix(got, "not_set_up") && (!strings.Contains(got, "not set up") || !strings.Contains(got, `<a href="/`)) {
			t.Errorf("%s: not labelled \"not set up\" with a link to fix it: %s", key, got)
		}
	}
	// The harness stored only the global Twilio auth token (it signs
	// webhooks): with no account SID nor number Twilio is not set up.
	if got := item("twilio"); !strings.HasPrefix(got, "not_set_up |") {
		t.Errorf("twilio: %s", got)
	}
	// An account SID without a number is partly set up: a problem to fix,
	// naming what lacks.
	actx := app.NewContextWithAdmin(ctx, &app.Admin{ID: 1, Email: "owner@example.com", Role: app.RoleOwner})
	if err := e.Server.Vault.Put(actx, app.GlobalScope, app.SecretTwilioSID, "AC0123"); err != nil {
		t.Fatal(err)
	}
	e.Server.Providers.TTL = 1
	if got := item("twilio"); !strings.HasPrefix(got, "problem |") || !strings.Contains(got, "twilio_from missing") {
		t.Errorf("twilio partly set up: %s", got)
	}

	// A first client.
	if err := e.Server.Tenants.CreateTenant(ctx, &app.Tenant{Name: "First Client"}, ""); err != nil {
		t.Fatal(err)
	}
	if got := item("client"); !strings.HasPrefix(got, "done |") || !strings.Contains(got, "1 client.") {
		t.Errorf("client after creating one: %s", got)
	}
	// A lead through the marketing site's form.
	visitor := e.browser()
	if resp, _ := visitor.request("POST", "localhost", "/leads", url.Values{"first_name": {"Fay"}, "email": {"fay@example.com"}, "page": {""}}); resp.StatusCode != 303 {
		t.Fatalf("lead form: %d", resp.StatusCode)
	}
	if got := item("lead_form"); !strings.HasPrefix(got, "done |") {
		t.Errorf("lead form after a lead: %s", got)
	}
	// Twilio completed in the vault.
	if err := e.Server.Vault.Put(actx, app.GlobalScope, app.SecretTwilioFrom, "+15125550100"); err != nil {
		t.Fatal(err)
	}
	if got := item("twilio"); !strings.HasPrefix(got, "done |") || !strings.Contains(got, "15125550100") {
		t.Errorf("twilio when complete: %s", got)
	}
	// A model key without an endpoint is a problem to fix.
	if err := e.Server.Vault.Put(actx, app.GlobalScope, app.SecretOpenAIKey, "sk-test"); err != nil {
		t.Fatal(err)
	}
	if got := item("model"); !strings.HasPrefix(got, "problem |") || !strings.Contains(got, "--openai-url") {
		t.Errorf("model key without an endpoint: %s", got)
	}
	if resp, body := b.request("GET", "nexus.localhost", "/", nil); resp.StatusCode != 200 || !regexp.MustCompile(`Getting started <span class="pill">3 of 7 done`).MatchString(body) {
		t.Errorf("summary: %v", regexp.MustCompile(`Getting started <span class="pill">[^<]*`).FindString(body))
	}
}
