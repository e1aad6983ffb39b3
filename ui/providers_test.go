package ui_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"orengen/app"
	"orengen/llm/llmtest"
	"orengen/twilio/twiliotest"
	"orengen/ui"
)

// TestIntegrations_ProviderURLsWithoutRestart (issue #15): Nexus, and an
// admin API key, change the Twilio-compatible API's and the model's base
// URL and the model on the integration's page; the next request goes to
// the new server, no restart. Bad values are refused naming the field and
// change nothing; a client cannot change them; "" goes back to the flag.
func TestIntegrations_ProviderURLsWithoutRestart(t *testing.T) {
	const sid = "AC0123456789abcdef0123456789abcdef"
	tw1, tw2 := twiliotest.Start(sid, testTwilioToken), twiliotest.Start(sid, testTwilioToken)
	defer tw1.Close()
	defer tw2.Close()
	m1, m2 := llmtest.Start(), llmtest.Start()
	defer m1.Close()
	defer m2.Close()
	m1.Key, m2.Key = "sk-first-server-0123456789", "sk-second-server-0123456789"
	host := func(u string) string { x, _ := url.Parse(u); return x.Host }
	// The second servers are on loopback: the admin allows them, as the
	// page says a private address needs.
	e := newTenantEnv(t, "--twilio-api-url", tw1.URL, "--openai-url", m1.URL, "--openai-model", "gpt-4o-mini",
		"--outbound-allow", host(tw2.URL)+","+host(m2.URL))
	ctx := context.Background()
	for name, v := range map[string]string{app.SecretTwilioSID: sid, app.SecretTwilioFrom: "+15125550100", app.SecretOpenAIKey: m2.Key} {
		if err := e.App.Vault.Put(ctx, app.GlobalScope, name, v); err != nil {
			t.Fatal(err)
		}
	}
	e.App.Integrations.TTL = 1
	sms := func() {
		t.Helper()
		tel, err := e.App.Integrations.Telephony(ctx, app.HouseTenantID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tel.SendSMS(ctx, app.SMS{From: "+15125550100", To: "+15125550111", Body: "hi"}); err != nil {
			t.Fatalf("send: %v", err)
		}
	}
	sms()
	if len(tw1.Messages()) != 1 || len(tw2.Messages()) != 0 {
		t.Fatalf("before: first %d, second %d messages", len(tw1.Messages()), len(tw2.Messages()))
	}
	// The page offers the field with the flag's value as the default.
	st, body, _ := e.admin("GET", "/integrations/twilio", nil)
	if st != 200 || !strings.Contains(body, `action="/integrations/twilio/settings"`) || !strings.Contains(body, `name="base_url"`) || !strings.Contains(body, tw1.URL+" (--twilio-api-url)") {
		t.Fatalf("twilio page: %d %.3000s", st, body)
	}
	st, _, resp := e.admin("POST", "/integrations/twilio/settings", url.Values{"base_url": {tw2.URL}})
	if st != 303 || flashOf(t, resp) != "ok|Settings saved: they apply from the next request." {
		t.Fatalf("save: %d", st)
	}
	sms()
	if len(tw1.Messages()) != 1 || len(tw2.Messages()) != 1 {
		t.Fatalf("after: first %d, second %d messages", len(tw1.Messages()), len(tw2.Messages()))
	}
	if _, body, _ = e.admin("GET", "/integrations/twilio", nil); !strings.Contains(body, `value="`+tw2.URL+`"`) || !strings.Contains(body, `<td class="mono">`+tw2.URL+`</td>`) {
		t.Errorf("after save: %.3000s", body)
	}
	// A bad URL: the field named, nothing changed.
	for _, bad := range []string{"ftp://x.test", "https://user:pw@api.twilio.com", "not a url"} {
		st, _, resp := e.admin("POST", "/integrations/twilio/settings", url.Values{"base_url": {bad}})
		if f := flashOf(t, resp); st != 303 || !strings.HasPrefix(f, "error|") || !strings.Contains(f, "base URL") {
			t.Errorf("bad %q: %d %s", bad, st, f)
		}
	}
	sms()
	if len(tw2.Messages()) != 2 {
		t.Errorf("after bad values: second %d messages", len(tw2.Messages()))
	}

	// The model, through the API: the key is the second server's, so the
	// test fails on the first and passes once the URL moves.
	if _, m := e.adminAPI("POST", "/api/v1/integrations/model/test", ""); m["data"].(map[string]any)["passed"] != false {
		t.Fatalf("model test on the first server: %v", m)
	}
	stc, m := e.adminAPI("PUT", "/api/v1/integrations/model/settings", `{"base_url": "`+m2.URL+`"}`)
	if stc != 200 || m["data"].(map[string]any)["settings"].(map[string]any)["Base URL"] != m2.URL {
		t.Fatalf("api save: %d %v", stc, m)
	}
	if _, m := e.adminAPI("POST", "/api/v1/integrations/model/test", ""); m["data"].(map[string]any)["passed"] != true {
		t.Fatalf("model test on the second server: %v", m)
	}
	if got := e.App.Agents.DefaultBaseURL(ctx); got != m2.URL {
		t.Errorf("agents' endpoint: %q", got)
	}
	if p := e.App.Providers.Current(ctx); p.ModelURL != m2.URL || p.Model != "gpt-4o-mini" || p.TwilioAPIURL != tw2.URL {
		t.Errorf("federal's endpoint: %+v", p)
	}
	// The model name: one the server does not list fails the test.
	if stc, _ = e.adminAPI("PUT", "/api/v1/integrations/model/settings", `{"model": "no-such-model"}`); stc != 200 {
		t.Fatalf("api model: %d", stc)
	}
	if _, m := e.adminAPI("POST", "/api/v1/integrations/model/test", ""); m["data"].(map[string]any)["passed"] != false || !strings.Contains(m["data"].(map[string]any)["last_error"].(string), "no-such-model") {
		t.Errorf("model name: %v", m)
	}
	// Bad input: a number, an unknown field, a URL with a query.
	for body, field := range map[string]string{`{"model": 5}`: "model", `{"colour": "red"}`: "colour", `{"base_url": "https://x.test/v1?a=b"}`: "base_url"} {
		stc, m := e.adminAPI("PUT", "/api/v1/integrations/model/settings", body)
		raw, _ := json.Marshal(m)
		if stc != 400 || !strings.Contains(strings.ToLower(string(raw)), field) {
			t.Errorf("%s: %d %v", body, stc, m)
		}
	}
	// A client's key may not change them.
	if st, _, _ := e.do(treq{Host: ui.HostPortal, Method: "PUT", Path: "/api/v1/integrations/twilio/settings", JSON: `{"base_url": "https://evil.test"}`, Bearer: e.A.KeyWrite}); st != 403 && st != 404 {
		t.Errorf("tenant key: %d", st)
	}
	// "" goes back to the flag.
	if stc, _ = e.adminAPI("PUT", "/api/v1/integrations/twilio/settings", `{"base_url": ""}`); stc != 200 {
		t.Fatalf("reset: %d", stc)
	}
	sms()
	if len(tw1.Messages()) != 2 || len(tw2.Messages()) != 2 {
		t.Errorf("after reset: first %d, second %d", len(tw1.Messages()), len(tw2.Messages()))
	}
}
