package ui_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"orengen/app"
	"orengen/httpx"
	"orengen/internal/realtest"
	"orengen/ui"
)

// hookSink records webhook requests and answers with the next status.
type hookSink struct {
	mu     sync.Mutex
	status []int
	got    []*http.Request
	bodies [][]byte
}

func (h *hookSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	h.got, h.bodies = append(h.got, r), append(h.bodies, b)
	code := 200
	if len(h.status) > 0 {
		code, h.status = h.status[0], h.status[1:]
	}
	w.WriteHeader(code)
}

// allowOnly is the guarded outbound client as wired for webhooks, with an
// allow-list holding srv alone: the guard stays on for everything else.
func allowOnly(t *testing.T, srv *httptest.Server) *http.Client {
	t.Helper()
	g, err := httpx.ParseAllow(srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	return httpx.New(g, httpx.Options{Timeout: app.WebhookTimeout, MaxRedirects: -1})
}

// TestWebhooks_PrivateTargetRefused: the production wiring's client (no
// allow-list) refuses a receiver on loopback at dial time; the delivery
// records the refusal and how to allow it, and the receiver gets nothing.
func TestWebhooks_PrivateTargetRefused(t *testing.T) {
	e := newTenantEnv(t)
	sink := &hookSink{}
	srv := httptest.NewServer(sink)
	defer srv.Close()
	owner := map[string]string{"psid": e.A.Cookie}
	for _, u := range []string{srv.URL + "/a", strings.Replace(srv.URL, "127.0.0.1", "localhost", 1) + "/b"} {
		if st, _, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/webhooks", Cookies: owner, CSRF: true,
			Form: url.Values{"url": {u}, "event_person.created": {"1"}}}); st != 200 {
			t.Fatalf("create %s: %d", u, st)
		}
	}
	ctx := app.NewContextWithTenant(context.Background(), e.A.T)
	if err := e.Server.CRM.CreatePerson(ctx, &app.Person{FirstName: "Probe", Emails: []string{"probe@alpha.test"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Server.Webhooks.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	ds, _ := e.Server.Webhooks.RecentDeliveries(ctx, 20)
	_, port, _ := strings.Cut(srv.Listener.Addr().String(), ":")
	want := "refused 127.0.0.1:" + port + ": a loopback address; an admin can allow it with --outbound-allow"
	seen := 0
	for _, d := range ds {
		if !strings.HasPrefix(d.URL, "http://127.0.0.1:"+port+"/") && !strings.HasPrefix(d.URL, "http://localhost:"+port+"/") {
			continue
		}
		seen++
		if d.Status != "pending" || d.LastStatusCode != 0 || d.LastError != want {
			t.Errorf("%s: %s %d %q, want the refusal %q", d.URL, d.Status, d.LastStatusCode, d.LastError, want)
		}
	}
	if seen != 2 {
		t.Fatalf("%d deliveries to loopback, want 2: %+v", seen, ds)
	}
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if len(sink.got) != 0 {
		t.Fatalf("the loopback receiver got %d requests", len(sink.got))
	}
}

func TestWebhooks_SignedDeliveryRetryRedeliver(t *testing.T) {
	e := newTenantEnv(t)
	sink := &hookSink{}
	srv := httptest.NewServer(sink)
	defer srv.Close()
	owner := map[string]string{"psid": e.A.Cookie}

	// Bad input: the form again with the field named, nothing stored.
	for _, tc := range []struct {
		form  url.Values
		field string
	}{
		{url.Values{"url": {"ftp://x.example"}, "event_person.created": {"1"}}, "http:// or https://"},
		{url.Values{"url": {srv.URL}}, "Choose at least one event."},
	} {
		st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/webhooks", Form: tc.form, Cookies: owner, CSRF: true})
		if st != 400 || !strings.Contains(body, tc.field) {
			t.Fatalf("%v: %d", tc.form, st)
		}
	}
	st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/webhooks", Cookies: owner, CSRF: true,
		Form: url.Values{"url": {srv.URL + "/crm"}, "event_person.created": {"1"}, "event_opportunity.stage_changed": {"1"}}})
	secret := regexp.MustCompile(`whsec_[A-Za-z0-9_-]+`).FindString(body)
	if st != 200 || secret == "" {
		t.Fatalf("create: %d, secret %q", st, secret)
	}
	// A member cannot manage webhooks.
	if st, _, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/webhooks", Cookies: map[string]string{"psid": e.portalSession(e.A.Member)}}); st != 403 {
		t.Fatalf("member: %d", st)
	}

	svc := app.NewWebhookService(e.App.Stores.Webhooks)
	svc.Vault, svc.HTTP = e.Server.Webhooks.Vault, allowOnly(t, srv)
	ctx := app.NewContextWithTenant(context.Background(), e.A.T)
	if _, err := svc.Tick(ctx); err != nil { // old events are already fanned out
		t.Fatal(err)
	}
	sink.mu.Lock()
	sink.got, sink.bodies = nil, nil
	sink.status = []int{500}
	sink.mu.Unlock()
	p := &app.Person{FirstName: "Hook", LastName: "Test", Emails: []string{"hook@alpha.test"}}
	if err := e.Server.CRM.CreatePerson(ctx, p); err != nil {
		t.Fatal(err)
	}
	// First attempt: the receiver fails; the delivery waits to be retried.
	if _, err := svc.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	ds, _ := e.Server.Webhooks.RecentDeliveries(ctx, 10)
	var d *app.WebhookDelivery
	for _, x := range ds {
		if x.URL == srv.URL+"/crm" && x.Event == "person.created" && strings.Contains(x.Payload, `"record_id":`+jsonInt(p.ID)) {
			d = x
		}
	}
	if d == nil || d.Status != "pending" || d.Attempts != 1 || d.LastStatusCode != 500 || time.Until(d.NextAttemptAt) < 5*time.Second {
		t.Fatalf("after a 500: %+v", d)
	}
	// Nothing is sent again before the backoff...
	if n, _ := svc.Tick(ctx); n != 0 {
		t.Fatalf("retried %d deliveries before the backoff", n)
	}
	// ...unless the owner sends it again from the page: at once, through
	// the server's own (guarded) client, here allowed to reach srv alone.
	e.Server.Webhooks.HTTP = svc.HTTP
	if st, _, resp := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/webhooks/deliveries/" + jsonInt(d.ID) + "/redeliver", Cookies: owner, CSRF: true}); st != 303 {
		t.Fatalf("redeliver: %d", st)
	} else if flash := flashOf(t, resp); !strings.Contains(flash, "Delivered: the receiver answered 200") {
		t.Fatalf("redeliver flash %q", flash)
	}
	sink.mu.Lock()
	if len(sink.got) != 2 {
		t.Fatalf("receiver got %d requests, want 2", len(sink.got))
	}
	r, b := sink.got[1], sink.bodies[1]
	sink.mu.Unlock()
	if r.Header.Get("X-Webhook-Event") != "person.created" || !app.VerifyWebhook(secret, r.Header.Get("X-Webhook-Signature"), b, time.Now(), 5*time.Minute) {
		t.Fatalf("bad signature or event: %v", r.Header)
	}
	if app.VerifyWebhook(secret, r.Header.Get("X-Webhook-Signature"), append(b, ' '), time.Now(), 5*time.Minute) {
		t.Fatal("a tampered body verified")
	}
	// The header recomputed outside this code base, as a receiver would
	// from docs/CRM.md: HMAC-SHA256 of UNIX + "." + body, by openssl.
	if got, want := r.Header.Get("X-Webhook-Signature"), opensslWebhookSignature(t, secret, r.Header.Get("X-Webhook-Signature"), b); got != want {
		t.Fatalf("signature %s, openssl computes %s", got, want)
	}
	var payload struct {
		Event string `json:"event"`
		Data  struct {
			RecordID int64  `json:"record_id"`
			APIPath  string `json:"api_path"`
		} `json:"data"`
	}
	if err := json.Unmarshal(b, &payload); err != nil || payload.Data.RecordID != p.ID || payload.Data.APIPath != "/api/v1/people/"+jsonInt(p.ID) {
		t.Fatalf("payload %s (%v)", b, err)
	}
	ds, _ = e.Server.Webhooks.RecentDeliveries(ctx, 10)
	for _, x := range ds {
		if x.ID == d.ID && (x.Status != "succeeded" || x.DeliveredAt == nil) {
			t.Fatalf("after redelivery: %+v", x)
		}
	}
	// A stage change is its own event.
	pls, err := e.Server.CRM.Pipelines(ctx)
	if err != nil || len(pls) == 0 {
		t.Fatal(err)
	}
	stage := ""
	for _, st := range pls[0].Stages {
		if st.Name != e.A.CRM.Deal.Stage {
			stage = st.Name
		}
	}
	if _, err := e.Server.CRM.UpdateDeal(ctx, e.A.CRM.Deal.ID, app.DealUpdate{Stage: &stage}); err != nil {
		t.Fatal(err)
	}
	svc.Tick(ctx)
	sink.mu.Lock()
	last := sink.got[len(sink.got)-1].Header.Get("X-Webhook-Event")
	sink.mu.Unlock()
	if last != "opportunity.stage_changed" {
		t.Fatalf("stage change sent as %q", last)
	}
	// The guarded client refuses private targets not on its allow-list
	// (B's fixture points at 127.0.0.1:9): no request left the server.
	bctx := app.NewContextWithTenant(context.Background(), e.B.T)
	bds, _ := e.Server.Webhooks.RecentDeliveries(bctx, 10)
	if len(bds) == 0 || !strings.Contains(bds[0].LastError, "refused 127.0.0.1:9: a loopback address") {
		t.Fatalf("B's delivery to 127.0.0.1: %+v", bds)
	}
	// The page shows the log.
	if _, body, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/webhooks", Cookies: owner}); !strings.Contains(body, "delivered") || !strings.Contains(body, srv.URL) {
		t.Fatal("delivery log not shown")
	}
}

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }

// opensslWebhookSignature recomputes "t=UNIX,v1=HEX" for the timestamp in
// header with openssl dgst -hmac, independently of app.SignWebhook.
func opensslWebhookSignature(t *testing.T, secret, header string, body []byte) string {
	t.Helper()
	openssl := realtest.LookPath(t, "openssl", "apt-get install -y openssl")
	ts, _, _ := strings.Cut(strings.TrimPrefix(header, "t="), ",")
	cmd := exec.Command(openssl, "dgst", "-sha256", "-hmac", secret)
	cmd.Stdin = bytes.NewReader(append([]byte(ts+"."), body...))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("openssl: %v", err)
	}
	// "SHA2-256(stdin)= HEX" (older versions print "(stdin)= HEX").
	_, hexSum, ok := strings.Cut(strings.TrimSpace(string(out)), "= ")
	if !ok {
		t.Fatalf("openssl output %q", out)
	}
	return "t=" + ts + ",v1=" + hexSum
}
