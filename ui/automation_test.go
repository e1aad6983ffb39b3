package ui_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"orengen/app"
	"orengen/store"
	"orengen/ui"
)

func webhookReq(path, contentType, body string) *http.Request {
	req, _ := http.NewRequest("POST", "http://localhost"+path, strings.NewReader(body))
	req.Host = "localhost"
	req.Header.Set("Content-Type", contentType)
	return req
}

func TestWebhookCapture_BadInputWritesNothing(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	ws := store.NewWorkflowStore(e.DB)
	runsBefore, _ := ws.FindRuns(ctx, app.RunFilter{})
	const js = "application/json"
	for _, tc := range []struct {
		name, path, ct, body, field string
	}{
		{"no email or phone", "/webhook/lead-capture", js, `{"firstName":"Ada"}`, "email"},
		{"bad email", "/webhook/lead-capture", js, `{"email":"ada@","phone":""}`, "email"},
		{"bad phone", "/webhook/lead-capture", js, `{"phone":"call me"}`, "phone"},
		{"short phone", "/webhook/lead-capture", js, `{"phone":"12"}`, "phone"},
		{"unknown form", "/webhook/nope", js, `{"email":"a@example.com"}`, "form"},
		{"not json", "/webhook/lead-capture", js, `{"email":`, "body"},
		{"not a string", "/webhook/lead-capture", js, `{"email":["a@example.com"]}`, "email"},
		{"too large", "/webhook/lead-capture", js, `{"email":"a@example.com","message":"` + strings.Repeat("x", 70<<10) + `"}`, "body"},
		{"bad content type", "/webhook/lead-capture", "text/plain", `email=a@example.com`, "body"},
		{"bad form email", "/webhook/lead-capture", "application/x-www-form-urlencoded", `email=nope`, "email"},
	} {
		resp, body := e.do(webhookReq(tc.path, tc.ct, tc.body))
		if resp.StatusCode != 400 || !strings.Contains(body, `"field":"`+tc.field+`"`) {
			t.Errorf("%s: %d %.200s, want 400 naming %q", tc.name, resp.StatusCode, body, tc.field)
		}
	}
	if _, total, _ := store.NewLeadStore(e.DB).FindLeads(ctx, 10); total != 0 {
		t.Errorf("%d leads written by bad input", total)
	}
	if runs, _ := ws.FindRuns(ctx, app.RunFilter{}); len(runs) != len(runsBefore) {
		t.Errorf("runs written by bad input: %d, were %d", len(runs), len(runsBefore))
	}

	// A good post from another origin (no CSRF token): 201, a contact and
	// a run of the enabled workflow, together.
	req := webhookReq("/webhook/lead-capture", js, `{"firstName":"Ada","email":"ada@example.com","phone":"+15125550100","source":"ads"}`)
	req.Header.Set("Origin", "https://landing.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, body := e.do(req)
	if resp.StatusCode != 201 || !strings.Contains(body, `"contact_id":`) || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("capture: %d %s", resp.StatusCode, body)
	}
	if runs, _ := ws.FindRuns(ctx, app.RunFilter{}); len(runs) != len(runsBefore)+1 || runs[0].Payload["source"] != "ads" {
		t.Fatalf("runs after capture: %d", len(runs))
	}
	pre, _ := http.NewRequest("OPTIONS", "http://localhost/webhook/lead-capture", nil)
	pre.Host = "localhost"
	if resp, _ := e.do(pre); resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Methods") == "" {
		t.Fatalf("preflight: %d", resp.StatusCode)
	}

	// The per-IP limit.
	e.Server.LeadRateLimit = 2
	e.reopen()
	codes := []int{}
	for i := 0; i < 3; i++ {
		resp, _ := e.do(webhookReq("/webhook/lead-capture", js, `{"email":"b@example.com"}`))
		codes = append(codes, resp.StatusCode)
	}
	if codes[2] != 429 {
		t.Fatalf("rate limit: %v", codes)
	}
}

// twilioSign computes X-Twilio-Signature as Twilio does for form POSTs.
func twilioSign(token, u string, form url.Values) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(u)
	for _, k := range keys {
		b.WriteString(k + form.Get(k))
	}
	m := hmac.New(sha1.New, []byte(token))
	m.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func TestTwilioWebhooks_Signature(t *testing.T) {
	e := newTestEnv(t)
	base := e.Server.URL(ui.HostPortal)
	form := url.Values{"From": {"+15125550100"}, "To": {"+15550001111"}, "Body": {"STOP"}, "MessageSid": {"SM1"}}
	post := func(path string, f url.Values, sig string) (int, string) {
		req, _ := http.NewRequest("POST", "http://app.localhost"+path, strings.NewReader(f.Encode()))
		req.Host = "app.localhost"
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Twilio-Signature", sig)
		resp, body := e.do(req)
		return resp.StatusCode, body
	}
	if st, body := post("/twilio/sms", form, twilioSign(testTwilioToken, base+"/twilio/sms", form)); st != 200 || !strings.Contains(body, "<Response>") {
		t.Fatalf("valid: %d %s", st, body)
	}
	tampered := url.Values{"From": {"+15125550100"}, "To": {"+15550001111"}, "Body": {"YES"}, "MessageSid": {"SM1"}}
	if st, _ := post("/twilio/sms", tampered, twilioSign(testTwilioToken, base+"/twilio/sms", form)); st != 403 {
		t.Fatalf("tampered body: %d, want 403", st)
	}
	if st, _ := post("/twilio/sms", form, twilioSign(testTwilioToken, "https://evil.example/twilio/sms", form)); st != 403 {
		t.Fatalf("wrong URL: %d, want 403", st)
	}
	if st, _ := post("/twilio/voice", form, ""); st != 403 {
		t.Fatalf("unsigned: %d, want 403", st)
	}
	if st, _ := post("/twilio/sms?tenant=1", form, twilioSign(testTwilioToken, base+"/twilio/sms", form)); st != 403 {
		t.Fatalf("query not signed: %d, want 403", st)
	}
	st := url.Values{"CallSid": {"CA1"}, "CallStatus": {"completed"}}
	path := "/twilio/status?key=r1-s2&tenant=1"
	if code, body := post(path, st, twilioSign(testTwilioToken, base+path, st)); code != 204 {
		t.Fatalf("status callback: %d %s", code, body)
	}
	if code, body := post("/twilio/voice", form, twilioSign(testTwilioToken, base+"/twilio/voice", form)); code != 200 || !strings.Contains(body, "<Say>") {
		t.Fatalf("voice: %d %s", code, body)
	}
	// The key pressed during a call's gather: 1 connects to the signed
	// forward number.
	gather := e.Server.TwilioGatherURL(1, "r1-s2", "+15125550199")
	path = strings.TrimPrefix(gather, base)
	digits := url.Values{"CallSid": {"CA1"}, "Digits": {"1"}}
	if code, body := post(path, digits, twilioSign(testTwilioToken, gather, digits)); code != 200 || !strings.Contains(body, "<Dial>+15125550199</Dial>") {
		t.Fatalf("gather: %d %s", code, body)
	}
	// A spoken "yes please" does the same as pressing 1; "no" does not.
	speech := url.Values{"CallSid": {"CA1"}, "SpeechResult": {"Yes, please."}}
	if code, body := post(path, speech, twilioSign(testTwilioToken, gather, speech)); code != 200 || !strings.Contains(body, "<Dial>+15125550199</Dial>") {
		t.Fatalf("spoken yes: %d %s", code, body)
	}
	no := url.Values{"CallSid": {"CA1"}, "SpeechResult": {"No thank you"}}
	if code, body := post(path, no, twilioSign(testTwilioToken, gather, no)); code != 200 || strings.Contains(body, "<Dial>") || !strings.Contains(body, "Goodbye") {
		t.Fatalf("spoken no: %d %s", code, body)
	}
	forged := strings.Replace(path, "15125550199", "19005550000", 1)
	if code, _ := post(forged, digits, twilioSign(testTwilioToken, gather, digits)); code != 403 {
		t.Fatalf("forged forward number: %d, want 403", code)
	}
}

func TestAutomationsNexus_EditValidateEnableReplay(t *testing.T) {
	e := newTestEnv(t)
	b := e.signedIn(app.RoleOwner)
	resp, body := b.post(ui.HostNexus+".localhost", "/automations/new", "/automations/new", url.Values{"name": {"Bad"}, "definition": {`{"steps":[{"id":"t","type":"sms"}]}`}})
	if resp.StatusCode != 400 || !strings.Contains(body, "Step 1 (t), field &#34;body&#34;") {
		t.Fatalf("invalid definition: %d %.300s", resp.StatusCode, body)
	}
	resp, _ = b.post(ui.HostNexus+".localhost", "/automations/new", "/automations/new", url.Values{"name": {"Tagger"}, "definition": {`{"steps":[{"type":"contact"},{"type":"tag","tag":"new"}]}`}})
	if resp.StatusCode != 303 {
		t.Fatalf("save: %d", resp.StatusCode)
	}
	_, body = b.request("GET", ui.HostNexus+".localhost", "/automations", nil)
	if !strings.Contains(body, "Tagger") || !strings.Contains(body, "Lead capture") {
		t.Fatalf("list: %.500s", body)
	}
	_, body = b.request("GET", ui.HostNexus+".localhost", "/automations/runs?status=queued&since=2000-01-01", nil)
	if !strings.Contains(body, "Lead capture v1") {
		t.Fatalf("run log: %.500s", body)
	}
	resp, _ = b.post(ui.HostNexus+".localhost", "/automations/runs/1", "/automations/runs/1/replay", url.Values{})
	if resp.StatusCode != 303 {
		t.Fatalf("replay of a queued run: %d", resp.StatusCode)
	}
}
