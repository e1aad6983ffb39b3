package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"orengen/app"
	"orengen/internal/realtest"
	"orengen/store"
)

const (
	testTwilioSID   = "AC00000000000000000000000000000000"
	testTwilioToken = "testauthtoken0123456789abcdef0123"
	testTwilioFrom  = "+15550001111"
)

// fakeTwilio is Twilio's REST API on loopback: it records calls and
// messages, counts requests per idempotency key (from the status callback
// URL), answers the list endpoints used for reconciliation, and can hold
// its answer (slow) to let a test kill the caller mid-request.
type fakeTwilio struct {
	mu       sync.Mutex
	perKey   map[string]int
	calls    []url.Values
	received chan string
	hold     chan struct{} // nil: answer at once
	srv      *httptest.Server
}

func newFakeTwilio(t *testing.T) *fakeTwilio {
	f := &fakeTwilio{perKey: map[string]int{}, received: make(chan string, 10)}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeTwilio) serve(w http.ResponseWriter, r *http.Request) {
	if u, p, _ := r.BasicAuth(); u != testTwilioSID || p != testTwilioToken {
		http.Error(w, `{"status":401,"message":"auth"}`, 401)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/Calls.json"):
		r.ParseForm()
		cb, _ := url.Parse(r.PostForm.Get("StatusCallback"))
		key := cb.Query().Get("key")
		f.mu.Lock()
		f.perKey[key]++
		f.calls = append(f.calls, r.PostForm)
		n := len(f.calls)
		hold := f.hold
		f.mu.Unlock()
		select {
		case f.received <- key:
		default:
		}
		if hold != nil {
			select {
			case <-hold:
			case <-time.After(10 * time.Second):
			}
		}
		w.WriteHeader(201)
		fmt.Fprintf(w, `{"sid":"CA%032d","status":"queued","to":%q,"from":%q}`, n, r.PostForm.Get("To"), r.PostForm.Get("From"))
	case r.Method == "GET" && strings.HasSuffix(r.URL.Path, "/Calls.json"):
		f.mu.Lock()
		var out []map[string]string
		for i, c := range f.calls {
			if c.Get("To") == r.URL.Query().Get("To") {
				out = append(out, map[string]string{"sid": fmt.Sprintf("CA%032d", i+1), "to": c.Get("To"), "from": c.Get("From"),
					"date_created": time.Now().UTC().Format(time.RFC1123Z), "status": "completed"})
			}
		}
		f.mu.Unlock()
		json.NewEncoder(w).Encode(map[string]any{"calls": out, "next_page_uri": nil})
	default:
		http.Error(w, `{"status":404,"message":"not found"}`, 404)
	}
}

func (f *fakeTwilio) count(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.perKey[key]
}

// newSMTPSink starts a real SMTP server (Mailpit) that takes AUTH
// without TLS, for a serve process that cannot trust a test certificate
// (the TLS modes are tested in package smtp).
func newSMTPSink(t *testing.T) *smtpSink {
	return &smtpSink{SMTPServer: realtest.StartSMTP(t, realtest.Plain), t: t}
}

type smtpSink struct {
	*realtest.SMTPServer
	t *testing.T
}

// messages returns the source of every message received, oldest first.
func (s *smtpSink) messages() []string { return s.Raw(s.t) }

// prepareAutomationData puts Twilio credentials in the vault (global) and
// an owner admin, the address of notify steps, into a new data dir.
func prepareAutomationData(t *testing.T, dir string) {
	t.Helper()
	ctx := context.Background()
	sv := openApp(t, dir)
	defer sv.Close()
	for k, v := range map[string]string{app.SecretTwilioSID: testTwilioSID, app.SecretTwilioToken: testTwilioToken, app.SecretTwilioFrom: testTwilioFrom} {
		if err := sv.Vault.Put(ctx, app.GlobalScope, k, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := sv.Auth.Admins.CreateAdmin(ctx, &app.Admin{Email: "boss@example.com", Role: app.RoleOwner, PasswordHash: "x"}); err != nil {
		t.Fatal(err)
	}
}

func postLead(t *testing.T, addr, body, contentType string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", "http://"+addr+"/webhook/lead-capture", strings.NewReader(body))
	req.Host = "localhost"
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func waitFor(t *testing.T, what string, d time.Duration, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func openDataDB(t *testing.T, dir string) *store.DB {
	t.Helper()
	db := store.NewDB(filepath.Join(dir, "orengen.db"))
	if err := db.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

const seedLead = `{"firstName":"Ada","lastName":"Lovelace","email":"Ada@Example.com","phone":"+1 (512) 555-0100","source":"landing"}`

// TestLeadCapture_EndToEnd: the seed payload through a real serve reaches
// a fake Twilio (the call, with its TwiML) and a real SMTP conversation.
func TestLeadCapture_EndToEnd(t *testing.T) {
	// The background jobs' start delay never ends in this test: a lead
	// captured right after a start is worked at once all the same (its
	// enqueue wakes a worker).
	defer func(d time.Duration) { BackgroundStartDelay = d }(BackgroundStartDelay)
	BackgroundStartDelay = time.Hour
	dir := t.TempDir()
	prepareAutomationData(t, dir)
	tw, sink := newFakeTwilio(t), newSMTPSink(t)
	cfgFile := filepath.Join(dir, "orengen.env")
	os.WriteFile(cfgFile, []byte("ORENGEN_SMTP_URL="+sink.URL("bot@example.com")+"\nORENGEN_METRICS_TOKEN=e2e-metrics-token-0123456789\n"), 0o600)
	addr, _, stop := MustRunMain(t, dir, "--config", cfgFile, "--twilio-api-url", tw.srv.URL)

	status, body := postLead(t, addr, seedLead, "application/json")
	if status != 201 {
		t.Fatalf("capture: %d %s", status, body)
	}
	var got struct{ ID, ContactID int64 }
	json.Unmarshal([]byte(strings.Replace(body, "contact_id", "contactid", 1)), &got)
	if got.ID == 0 || got.ContactID == 0 {
		t.Fatalf("answer %s", body)
	}
	// Same person again, form-encoded: same contact.
	status, body2 := postLead(t, addr, "firstName=Ada&email=ada%40example.com", "application/x-www-form-urlencoded")
	if status != 201 || !strings.Contains(body2, fmt.Sprintf(`"contact_id":%d`, got.ContactID)) {
		t.Fatalf("dedupe: %d %s (first %s)", status, body2, body)
	}

	waitFor(t, "the call and two emails", 15*time.Second, func() bool { return len(sink.messages()) >= 2 })
	tw.mu.Lock()
	calls := append([]url.Values(nil), tw.calls...)
	tw.mu.Unlock()
	if len(calls) != 2 { // the second post has no phone, but its contact has
		t.Fatalf("calls: %d, want 2", len(calls))
	}
	c := calls[0]
	if c.Get("To") != "+15125550100" || c.Get("From") != testTwilioFrom ||
		!strings.Contains(c.Get("Twiml"), "<Say>Hello Ada, thank you") || !strings.Contains(c.Get("Twiml"), `<Gather input="dtmf speech" numDigits="1" timeout="8" speechTimeout="auto" action="http://app.localhost:`) ||
		!strings.Contains(c.Get("Twiml"), `/twilio/voice?key=r`) ||
		!strings.Contains(c.Get("StatusCallback"), "/twilio/status?key=r") {
		t.Fatalf("call request: %v", c)
	}
	var msg string
	for _, m := range sink.messages() { // the first submission's (the second has no source)
		if strings.Contains(m, "Source: landing") {
			msg = m
		}
	}
	for _, want := range []string{"Subject: New lead: Ada Lovelace", "To: <boss@example.com>", "Phone: +15125550100", "Source: landing"} {
		if !strings.Contains(msg, want) {
			t.Errorf("email lacks %q:\n%s", want, msg)
		}
	}
	// The work shows in /metrics: two runs (contact, if, call, notify),
	// two calls and two emails handed to their providers, nothing queued.
	waitFor(t, "both runs to finish in the metrics", 10*time.Second, func() bool {
		return strings.Contains(scrapeMetrics(t, addr, "e2e-metrics-token-0123456789"), `orengen_workflow_runs_finished_total{status="succeeded"} 2`)
	})
	m := scrapeMetrics(t, addr, "e2e-metrics-token-0123456789")
	for _, want := range []string{
		`orengen_workflow_steps_total{outcome="succeeded",type="contact"} 2`,
		`orengen_workflow_steps_total{outcome="succeeded",type="if"} 2`,
		`orengen_workflow_steps_total{outcome="succeeded",type="call"} 2`,
		`orengen_workflow_steps_total{outcome="succeeded",type="notify"} 2`,
		`orengen_messages_total{channel="call",outcome="sent"} 2`,
		`orengen_messages_total{channel="email",outcome="sent"} 2`,
		`orengen_outbox_depth{queue="workflow_runs"} 0`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(m, `outcome="failed"`) {
		t.Errorf("/metrics counts failures:\n%s", m)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	db := openDataDB(t, dir)
	ct, err := store.NewContactStore(db).FindContact(context.Background(), app.HouseTenantID, got.ContactID)
	if err != nil || ct.Email != "ada@example.com" || ct.FirstName != "Ada" || ct.LastName != "Lovelace" || ct.Phone != "+15125550100" {
		t.Fatalf("contact: %+v %v", ct, err)
	}
	// The contact is a CRM person: the rep sees it, with both form
	// submissions and the call in its timeline.
	var people, forms, callEntries int
	if err := db.ReadDB().QueryRow(`SELECT (SELECT count(*) FROM crm_people WHERE tenant_id = 1 AND id = ? AND emails = '["ada@example.com"]'),
		(SELECT count(*) FROM crm_timeline WHERE record_type = 'person' AND record_id = ? AND kind = 'form' AND actor = 'form:lead-capture'),
		(SELECT count(*) FROM crm_timeline WHERE record_type = 'person' AND record_id = ? AND kind = 'call' AND actor LIKE 'workflow:%')`,
		got.ContactID, got.ContactID, got.ContactID).Scan(&people, &forms, &callEntries); err != nil || people != 1 || forms != 2 || callEntries != 2 {
		t.Fatalf("CRM person %d: people %d, form entries %d, call entries %d (%v)", got.ContactID, people, forms, callEntries, err)
	}
	runs, err := store.NewWorkflowStore(db).FindRuns(context.Background(), app.RunFilter{})
	if err != nil || len(runs) != 2 {
		t.Fatalf("runs: %v %v", runs, err)
	}
	for _, r := range runs {
		if r.Status != app.RunSucceeded {
			t.Errorf("run %d: %s %s", r.ID, r.Status, r.Error)
		}
	}
}

// TestLeadCapture_KillDuringSend: serve is killed with SIGKILL while the
// provider holds its answer to the call; after a restart the run ends
// exactly once: the call is found at the provider, not placed again.
func TestLeadCapture_KillDuringSend(t *testing.T) {
	dir := t.TempDir()
	prepareAutomationData(t, dir)
	tw, sink := newFakeTwilio(t), newSMTPSink(t)
	tw.hold = make(chan struct{})
	start := func() (*exec.Cmd, string) {
		cmd, addr, _ := startServeChild(t, []string{"ORENGEN_SMTP_URL=" + sink.URL("bot@example.com")},
			"--data-dir", dir, "--backup-dir", "", "--twilio-api-url", tw.srv.URL, "--automation-lease", "1s")
		return cmd, addr
	}
	cmd, addr := start()
	if status, body := postLead(t, addr, seedLead, "application/json"); status != 201 {
		t.Fatalf("capture: %d %s", status, body)
	}
	var key string
	select {
	case key = <-tw.received:
	case <-time.After(15 * time.Second):
		t.Fatal("the call never reached the provider")
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL while the provider holds its answer
		t.Fatal(err)
	}
	cmd.Wait()
	close(tw.hold)

	start()
	waitFor(t, "the notification email after the restart", 20*time.Second, func() bool { return len(sink.messages()) >= 1 })
	if n := tw.count(key); n != 1 {
		t.Fatalf("call requests for %s: %d, want exactly 1", key, n)
	}
	time.Sleep(200 * time.Millisecond)
	if n := len(sink.messages()); n != 1 {
		t.Fatalf("emails: %d, want 1", n)
	}
}

// scrapeMetrics reads /metrics on the nexus host with the metrics token.
func scrapeMetrics(t *testing.T, addr, token string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+addr+"/metrics", nil)
	req.Host = "nexus.localhost"
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics: %d %s", resp.StatusCode, b)
	}
	return string(b)
}
