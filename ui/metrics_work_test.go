package ui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"orengen/app"
	"orengen/internal/realtest"
	"orengen/smtp"
	"orengen/store"
	"orengen/twilio"
	"orengen/ui"
)

// scrapeMetric returns the value of the sample named exactly name{labels}
// in a /metrics body (0 when absent).
func scrapeMetric(t *testing.T, body, series string) float64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` ([0-9.e+-]+)$`).FindStringSubmatch(body)
	if m == nil {
		return 0
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestMetrics_Work does the work and reads it back from /metrics:
// webhook deliveries (a 500, then a success), the pending delivery as
// outbox depth, emails through a real SMTP server (one delivered, one
// refused) and SMS through a loopback Twilio (one sent, one refused).
// Workflow runs and steps are scraped after a real lead in
// TestLeadCapture_EndToEnd.
func TestMetrics_Work(t *testing.T) {
	e := newTenantEnv(t)
	e.Server.Metrics.Queues = store.NewQueues(e.DB)
	owner := map[string]string{"psid": e.A.Cookie}
	scrape := func() string {
		st, body, _ := e.admin("GET", "/metrics", nil)
		if st != 200 {
			t.Fatalf("/metrics: %d", st)
		}
		return body
	}

	// Webhooks: the receiver fails once, then takes the redelivery.
	sink := &hookSink{}
	srv := httptest.NewServer(sink)
	defer srv.Close()
	if st, _, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/webhooks", Cookies: owner, CSRF: true,
		Form: url.Values{"url": {srv.URL}, "event_person.created": {"1"}}}); st != 200 {
		t.Fatalf("create webhook: %d", st)
	}
	svc := app.NewWebhookService(e.App.Stores.Webhooks)
	svc.Vault, svc.HTTP, svc.Meter = e.Server.Webhooks.Vault, allowOnly(t, srv), e.Server.Metrics
	ctx := app.NewContextWithTenant(context.Background(), e.A.T)
	// Events from before the test go out first, uncounted.
	flush := app.NewWebhookService(e.App.Stores.Webhooks)
	flush.Vault, flush.HTTP = e.Server.Webhooks.Vault, allowOnly(t, srv)
	if _, err := flush.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	sink.mu.Lock()
	sink.status = []int{500}
	sink.mu.Unlock()
	// The fixtures leave work queued (other tenants' deliveries, runs):
	// depths are compared with this.
	base := scrape()
	depth := func(body, queue string) float64 {
		return scrapeMetric(t, body, `orengen_outbox_depth{queue="`+queue+`"}`) - scrapeMetric(t, base, `orengen_outbox_depth{queue="`+queue+`"}`)
	}
	// Counters too: the fixtures' own deliveries were counted already.
	delta := func(body, series string) float64 {
		return scrapeMetric(t, body, series) - scrapeMetric(t, base, series)
	}
	if !strings.Contains(base, `orengen_outbox_depth{queue="workflow_runs"}`) || !strings.Contains(base, `orengen_outbox_depth{queue="webhook_deliveries"}`) {
		t.Fatalf("no outbox depth in /metrics:\n%.3000s", base)
	}
	if err := e.Server.CRM.CreatePerson(ctx, &app.Person{FirstName: "Metric", Emails: []string{"metric@alpha.test"}}); err != nil {
		t.Fatal(err)
	}
	// Two subscriptions take person.created: this sink (500) and the
	// fixture's, whose port refuses connections. Both wait to retry.
	if n, err := svc.Tick(ctx); err != nil || n != 2 {
		t.Fatalf("first delivery: %d %v", n, err)
	}
	body := scrape()
	if got := delta(body, `orengen_webhook_deliveries_total{outcome="retry"}`); got != 2 {
		t.Errorf("retry deliveries %v, want 2", got)
	}
	if got := depth(body, "webhook_deliveries"); got != 2 {
		t.Errorf("pending deliveries grew by %v, want 2", got)
	}
	ds, _ := e.Server.Webhooks.RecentDeliveries(ctx, 10)
	var pending int64
	for _, d := range ds {
		if d.Status == "pending" && d.URL == srv.URL {
			pending = d.ID
		}
	}
	// Redelivery sends at once through the server's own client (here
	// allowed to reach this sink, as the worker's is).
	e.Server.Webhooks.HTTP = svc.HTTP
	if st, _, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/webhooks/deliveries/" + strconv.FormatInt(pending, 10) + "/redeliver", Cookies: owner, CSRF: true}); st != 303 {
		t.Fatalf("redeliver: %d", st)
	}

	// Email through Mailpit (STARTTLS and AUTH): one delivered, one refused.
	mail := realtest.StartSMTP(t, realtest.STARTTLS)
	for _, pass := range []string{mail.Password, "wrong-password"} {
		c, err := smtp.ParseURL(fmt.Sprintf("smtp://%s:%s@%s:%d?from=bot@example.test", mail.Username, pass, mail.Host, mail.Port))
		if err != nil {
			t.Fatal(err)
		}
		m := &smtp.Mailer{Config: *c, TLS: mail.TLS, Meter: e.Server.Metrics}
		m.Send(context.Background(), &app.Message{To: "owner@example.test", Subject: "metrics", Text: "x"})
	}
	if n := len(mail.Messages(t)); n != 1 {
		t.Fatalf("mailpit got %d messages, want 1", n)
	}

	// SMS through Twilio's API on loopback: one sent, one refused (400).
	tw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		if r.PostForm.Get("To") == "+15005550001" {
			w.WriteHeader(400)
			fmt.Fprint(w, `{"code":21211,"message":"The 'To' number is not a valid phone number.","status":400}`)
			return
		}
		w.WriteHeader(201)
		fmt.Fprint(w, `{"sid":"SM00000000000000000000000000000001","status":"queued"}`)
	}))
	defer tw.Close()
	client, err := twilio.New(twilio.Config{AccountSID: "AC00000000000000000000000000000000", AuthToken: "token0123456789", From: "+15125550199",
		APIURL: tw.URL, Meter: e.Server.Metrics})
	if err != nil {
		t.Fatal(err)
	}
	for _, to := range []string{"+15125550100", "+15005550001"} {
		client.SendSMS(context.Background(), app.SMS{From: client.From(), To: to, Body: "hi"})
	}

	body = scrape()
	for series, want := range map[string]float64{
		`orengen_webhook_deliveries_total{outcome="retry"}`:        2,
		`orengen_webhook_deliveries_total{outcome="succeeded"}`:    1,
		`orengen_messages_total{channel="email",outcome="sent"}`:   1,
		`orengen_messages_total{channel="email",outcome="failed"}`: 1,
		`orengen_messages_total{channel="sms",outcome="sent"}`:     1,
		`orengen_messages_total{channel="sms",outcome="failed"}`:   1,
	} {
		if got := delta(body, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	// Of the two deliveries, this sink's went out; the fixture's waits.
	if got := depth(body, "webhook_deliveries"); got != 1 {
		t.Errorf("pending deliveries grew by %v, want 1", got)
	}
}
