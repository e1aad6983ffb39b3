package ui_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"orengen/app"
	"orengen/internal/realtest"
	"orengen/llm/llmtest"
	"orengen/twilio/twiliotest"
	"orengen/ui"
)

// TestIntegrationsHub: Nexus > Integrations lists every integration with
// where each secret comes from (never a value); "Test connection" makes
// a harmless real call to the loopback fakes (Twilio's REST API, an
// OpenAI-compatible endpoint, Mailpit) and records its outcome, a wrong
// credential fails with the provider's reason and no secret. A client's
// owner sees only its Twilio and SMTP, tests its own SMTP server, and
// never another client's outcome; the API answers the same.
func TestIntegrationsHub(t *testing.T) {
	const sid = "AC0123456789abcdef0123456789abcdef"
	tw := twiliotest.Start(sid, testTwilioToken)
	defer tw.Close()
	model := llmtest.Start()
	defer model.Close()
	model.Key = "sk-hub-test-key-0123456789"
	mail := realtest.StartSMTP(t, realtest.Plain)
	e := newTenantEnv(t, "--twilio-api-url", tw.URL, "--openai-url", model.URL, "--openai-model", "gpt-4o-mini")
	e.App.Integrations.TTL = time.Nanosecond // a secret changed below is read anew
	ctx := context.Background()
	put := func(scope app.VaultScope, name, value string) {
		t.Helper()
		if err := e.App.Vault.Put(ctx, scope, name, value); err != nil {
			t.Fatal(err)
		}
	}

	st, body, _ := e.admin("GET", "/integrations", nil)
	for _, want := range []string{"Twilio", "SMTP (email)", "OpenAI-compatible model", "SAM.gov", "Grants.gov", "Backup replicas", `href="/integrations/twilio"`} {
		if st != 200 || !strings.Contains(body, want) {
			t.Errorf("nexus list (%d): no %q", st, want)
		}
	}
	// Only the auth token is set (globally): Twilio is not configured.
	_, body, _ = e.admin("GET", "/integrations/twilio", nil)
	if !strings.Contains(body, "not configured") || !strings.Contains(body, "vault (global)") || !strings.Contains(body, "not set") || strings.Contains(body, testTwilioToken) {
		t.Errorf("twilio before: %.3000s", body)
	}
	put(app.GlobalScope, app.SecretTwilioSID, sid)
	put(app.GlobalScope, app.SecretTwilioFrom, "+15125550100")
	st, body, _ = e.admin("POST", "/integrations/twilio/test", nil)
	if st != 200 || !strings.Contains(body, "Test passed") || strings.Contains(body, testTwilioToken) {
		t.Fatalf("twilio test: %d %.3000s", st, body)
	}
	if n := len(tw.Messages()) + len(tw.Calls()); n != 0 {
		t.Errorf("the test sent %d messages or calls", n)
	}
	// A wrong token: Twilio's 401, recorded; the last success stays.
	const wrongToken = "wrongtoken0123456789abcdef012345"
	put(app.GlobalScope, app.SecretTwilioToken, wrongToken)
	st, body, _ = e.admin("POST", "/integrations/twilio/test", nil)
	if st != 200 || !strings.Contains(body, "Test failed") || !strings.Contains(body, "Authenticate") || strings.Contains(body, wrongToken) {
		t.Errorf("twilio wrong token: %d %.3000s", st, body)
	}
	put(app.GlobalScope, app.SecretTwilioToken, testTwilioToken)
	if _, body, _ = e.admin("POST", "/integrations/twilio/test", nil); !strings.Contains(body, "Test passed") {
		t.Errorf("twilio after the token is fixed: %.2000s", body)
	}

	// The model: the key from the vault, the list of models; no model runs.
	_, body, _ = e.admin("POST", "/integrations/model/test", nil)
	if !strings.Contains(body, "Test failed") || !strings.Contains(body, "no API key") {
		t.Errorf("model without a key: %.2000s", body)
	}
	put(app.GlobalScope, app.SecretOpenAIKey, model.Key)
	_, body, _ = e.admin("POST", "/integrations/model/test", nil)
	if !strings.Contains(body, "Test passed") || !strings.Contains(body, "gpt-4o-mini") || strings.Contains(body, model.Key) || len(model.Requests()) != 0 {
		t.Errorf("model: %.2000s", body)
	}
	// SAM.gov without a key fails, naming what to add.
	_, body, _ = e.admin("POST", "/integrations/sam/test", nil)
	if !strings.Contains(body, "Test failed") || !strings.Contains(body, "sam_api_key") {
		t.Errorf("sam: %.2000s", body)
	}

	// The API (admin key): the same outcomes; a read key may not test.
	stc, m := e.adminAPI("GET", "/api/v1/integrations", "")
	got := map[string]map[string]any{}
	for _, it := range m["data"].([]any) {
		x := it.(map[string]any)
		got[x["key"].(string)] = x
	}
	if stc != 200 || got["twilio"]["passed"] != true || got["model"]["passed"] != true || got["sam"]["passed"] != false || got["twilio"]["configured"] != true {
		t.Errorf("api list: %d %v", stc, m)
	}
	if raw, _ := json.Marshal(m); strings.Contains(string(raw), testTwilioToken) || strings.Contains(string(raw), model.Key) {
		t.Error("the API shows a secret")
	}
	if st, _, _ := e.do(treq{Host: ui.HostNexus, Method: "POST", Path: "/api/v1/integrations/model/test", Bearer: e.AdminKeyRead}); st != http.StatusForbidden {
		t.Errorf("read key test: %d", st)
	}

	// Tenant A's owner: its Twilio (the agency's, shared) and SMTP only.
	portal := func(c, method, path string) (int, string) {
		st, body, _ := e.do(treq{Host: ui.HostPortal, Method: method, Path: path, Cookies: map[string]string{"psid": c}, CSRF: method != "GET"})
		return st, body
	}
	st, body = portal(e.A.Cookie, "GET", "/integrations")
	if st != 200 || !strings.Contains(body, "Twilio") || !strings.Contains(body, "SMTP") || strings.Contains(body, "SAM.gov") || strings.Contains(body, "OpenAI") {
		t.Errorf("portal list: %d %.2000s", st, body)
	}
	if st, _ := portal(e.A.Cookie, "GET", "/integrations/sam"); st != http.StatusNotFound {
		t.Errorf("portal sam: %d", st)
	}
	_, body = portal(e.A.Cookie, "GET", "/integrations/twilio")
	if !strings.Contains(body, "vault (the agency&#39;s, shared)") || strings.Contains(body, "Test passed") {
		t.Errorf("portal twilio: %.2000s", body)
	}
	// A's own SMTP server (Mailpit): the test greets and quits.
	put(app.TenantScope(e.A.T.ID), app.SecretSMTPURL, mail.URL("bot@alpha.test"))
	st, body = portal(e.A.Cookie, "POST", "/integrations/smtp/test")
	if st != 200 || !strings.Contains(body, "Test passed") || !strings.Contains(body, "vault (this client&#39;s own)") {
		t.Errorf("portal smtp test: %d %.3000s", st, body)
	}
	if msgs := mail.Messages(t); len(msgs) != 0 {
		t.Errorf("the SMTP test sent %d messages", len(msgs))
	}
	// B sees neither A's secret source nor A's test.
	_, body = portal(e.B.Cookie, "GET", "/integrations/smtp")
	if strings.Contains(body, "Test passed") || strings.Contains(body, "this client&#39;s own") {
		t.Errorf("B sees A's SMTP: %.2000s", body)
	}
	// A's key: the same two, A's outcome.
	st, body, _ = e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/api/v1/integrations", Bearer: e.A.KeyRead})
	if st != 200 || strings.Count(body, `"key":`) != 2 || !strings.Contains(body, `"passed":true`) {
		t.Errorf("tenant api: %d %s", st, body)
	}
	st, body, _ = e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/api/v1/integrations", Bearer: e.B.KeyRead})
	if st != 200 || strings.Contains(body, `"passed":true`) {
		t.Errorf("B's api: %d %s", st, body)
	}
	if st, _, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/api/v1/integrations/sam/test", Bearer: e.A.KeyWrite}); st != http.StatusNotFound {
		t.Errorf("tenant key on sam: %d", st)
	}
}
