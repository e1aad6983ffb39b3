package ui_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"orengen/app"
	"orengen/app/billing"
	"orengen/internal/realtest"

	"github.com/stripe/stripe-go/v82/webhook"
)

// stripeCall is one request the application made to Stripe.
type stripeCall struct {
	Method, Path, Key string
	Form              url.Values
}

// stripeRecorder forwards to stripe-mock and records every request, so
// a test asserts on what was sent (stripe-mock answers with fixtures).
type stripeRecorder struct {
	URL   string
	mu    sync.Mutex
	calls []stripeCall
}

func startStripe(t *testing.T) *stripeRecorder {
	t.Helper()
	mock, _ := url.Parse(realtest.StartStripeMock(t))
	r := &stripeRecorder{}
	proxy := httputil.NewSingleHostReverseProxy(mock)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		if req.Method == "GET" {
			form = req.URL.Query()
		}
		r.mu.Lock()
		r.calls = append(r.calls, stripeCall{req.Method, req.URL.Path, req.Header.Get("Idempotency-Key"), form})
		r.mu.Unlock()
		proxy.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	r.URL = srv.URL
	return r
}

// of returns the calls to a method and path prefix.
func (r *stripeRecorder) of(method, path string) []stripeCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []stripeCall
	for _, c := range r.calls {
		if c.Method == method && strings.HasPrefix(c.Path, path) {
			out = append(out, c)
		}
	}
	return out
}

func (r *stripeRecorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls)
}

const testWebhookSecret = "whsec_test_0123456789abcdef"

// stripeSign is the Stripe-Signature header Stripe sends, as Stripe
// documents it: t=<unix>,v1=hex(HMAC-SHA256(secret, "<t>.<body>")).
func stripeSign(secret string, at time.Time, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	ts := strconv.FormatInt(at.Unix(), 10)
	m.Write([]byte(ts + "." + string(body)))
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

// stripeEvent is a webhook body of one event.
func stripeEvent(id, typ string, created time.Time, object map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{"id": id, "object": "event", "type": typ, "created": created.Unix(), "api_version": "2025-08-27.basil",
		"livemode": false, "data": map[string]any{"object": object}})
	return b
}

// TestBilling_StripePayments: a client saves its card through Stripe
// Checkout (setup mode) from the portal and its issued invoice is charged
// off-session, against stripe-mock, with every write carrying an
// idempotency key derived from our ids; Stripe's signed events settle
// it: a bad signature is a 400 that changes nothing, a replayed event
// changes nothing, a late failure does not undo a payment, a currency
// that is not the invoice's is refused; another tenant can neither pay
// nor see the invoice.
func TestBilling_StripePayments(t *testing.T) {
	stripe := startStripe(t)
	e := newTenantEnv(t, "--stripe-api-url", stripe.URL)
	ctx := context.Background()
	for k, v := range map[string]string{app.SecretStripeKey: "sk_test_orengen", app.SecretStripeWebhook: testWebhookSecret} {
		if err := e.App.Vault.Put(ctx, app.GlobalScope, k, v); err != nil {
			t.Fatal(err)
		}
	}
	aID := e.A.T.ID
	a := strconv.FormatInt(aID, 10)
	owner := map[string]string{"psid": e.A.Cookie}
	p := &billing.Plan{Name: "Growth", Interval: billing.Month, PriceMicros: 97_000_000, Active: true}
	if err := e.App.Billing.CreatePlan(ctx, p); err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.Billing.Assign(ctx, aID, p.ID); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)
	inv, err := e.App.Billing.CloseNow(ctx, aID)
	if err != nil || inv.TotalMicros <= 0 {
		t.Fatalf("invoice: %+v %v", inv, err)
	}
	invID := strconv.FormatInt(inv.ID, 10)
	payPath := "/api/v1/billing/invoices/" + invID + "/payments"

	// No card yet: the page offers one, a charge is refused with why.
	_, body, resp := e.do(treq{Host: "portal", Method: "GET", Path: "/billing", Cookies: owner})
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' https://checkout.stripe.com;") {
		t.Fatalf("the billing page's CSP stops the redirect to Checkout: %s", csp)
	}
	if !strings.Contains(body, "No card on file") || !strings.Contains(body, `action="/billing/card"`) {
		t.Fatalf("portal billing without a card: %.3000s", body)
	}
	if st, body, _ := e.do(treq{Host: "portal", Method: "POST", Path: payPath, Bearer: e.A.KeyWrite}); st != 409 || !strings.Contains(body, "No card on file") {
		t.Fatalf("pay without a card: %d %s", st, body)
	}
	if n := stripe.count(); n != 0 {
		t.Fatalf("Stripe was called %d times before any card", n)
	}

	// Update card: a customer (once) and a Checkout session in setup mode.
	var checkout string
	for i := range 2 {
		st, _, resp := e.do(treq{Host: "portal", Method: "POST", Path: "/billing/card", CSRF: true, Cookies: owner})
		checkout = resp.Header.Get("Location")
		if st != 303 || !strings.HasPrefix(checkout, "https://checkout.stripe.com/") {
			t.Fatalf("card update %d: %d %q %v", i, st, checkout, resp.Header.Values("Set-Cookie"))
		}
	}
	custs := stripe.of("POST", "/v1/customers")
	if len(custs) != 1 || custs[0].Key != "orengen-customer-"+a || custs[0].Form.Get("metadata[tenant_id]") != a || custs[0].Form.Get("name") != e.A.T.BrandName() {
		t.Fatalf("customer calls: %+v", custs)
	}
	cust, err := e.App.Payments.Customer(ctx, aID)
	if err != nil || cust == nil || cust.CustomerID == "" || cust.HasCard() {
		t.Fatalf("customer after setup: %+v %v", cust, err)
	}
	sessions := stripe.of("POST", "/v1/checkout/sessions")
	if len(sessions) != 2 || sessions[0].Key == sessions[1].Key || !strings.HasPrefix(sessions[0].Key, "orengen-card-setup-") {
		t.Fatalf("session calls: %+v", sessions)
	}
	f := sessions[0].Form
	if f.Get("mode") != "setup" || f.Get("customer") != cust.CustomerID || f.Get("client_reference_id") != a || f.Get("currency") != "usd" ||
		!strings.HasSuffix(f.Get("success_url"), "/billing?card=saved") || f.Get("payment_method_types[0]") != "card" {
		t.Fatalf("session form: %v", f)
	}

	hook := func(body []byte, sig string) (int, string) {
		t.Helper()
		st, out, _ := e.do(treq{Host: "site", Method: "POST", Path: "/webhooks/stripe", Raw: string(body), ContentType: "application/json",
			Header: map[string]string{"Stripe-Signature": sig}})
		return st, out
	}
	now := time.Now()
	done := stripeEvent("evt_card_1", "checkout.session.completed", now, map[string]any{"id": "cs_test_1", "object": "checkout.session", "mode": "setup",
		"customer": cust.CustomerID, "setup_intent": "seti_test_1", "metadata": map[string]string{"tenant_id": a}})
	before := stripe.count()
	for _, sig := range []string{"", stripeSign("whsec_wrong", now, done), stripeSign(testWebhookSecret, now.Add(-time.Hour), done), stripeSign(testWebhookSecret, now, append(done, ' '))} {
		if st, out := hook(done, sig); st != 400 || !strings.Contains(out, "Stripe-Signature") {
			t.Fatalf("bad signature %q: %d %s", sig, st, out)
		}
	}
	if c, _ := e.App.Payments.Customer(ctx, aID); c.HasCard() || stripe.count() != before {
		t.Fatalf("a bad signature changed something: %+v, %d Stripe calls", c, stripe.count()-before)
	}
	if st, out := hook(done, stripeSign(testWebhookSecret, now, done)); st != 200 || !strings.Contains(out, `"applied":true`) {
		t.Fatalf("card event: %d %s", st, out)
	}
	if gets := stripe.of("GET", "/v1/setup_intents/seti_test_1"); len(gets) != 1 || gets[0].Form.Get("expand[0]") != "payment_method" {
		t.Fatalf("setup intent read: %+v", gets)
	}
	ups := stripe.of("POST", "/v1/customers/"+cust.CustomerID)
	if len(ups) != 1 || ups[0].Key != "orengen-card-evt_card_1" || !strings.HasPrefix(ups[0].Form.Get("invoice_settings[default_payment_method]"), "pm_") {
		t.Fatalf("default payment method: %+v", ups)
	}
	cust, _ = e.App.Payments.Customer(ctx, aID)
	if !cust.HasCard() || cust.Card.Last4 != "4242" || cust.Card.Brand != "visa" {
		t.Fatalf("card: %+v", cust.Card)
	}
	before = stripe.count()
	if st, out := hook(done, stripeSign(testWebhookSecret, now, done)); st != 200 || !strings.Contains(out, `"applied":false`) || stripe.count() != before {
		t.Fatalf("replayed card event: %d %s (%d Stripe calls)", st, out, stripe.count()-before)
	}
	_, body, _ = e.do(treq{Host: "portal", Method: "GET", Path: "/billing", Cookies: owner})
	if !strings.Contains(body, "Visa ending in 4242") || !strings.Contains(body, `action="/billing/invoices/`+invID+`/pay"`) {
		t.Fatalf("portal billing with a card: %.4000s", body)
	}

	_, body, _ = e.do(treq{Host: "nexus", Method: "GET", Path: "/billing", Cookies: map[string]string{"orengen_session": e.AdminCookie}})
	if !strings.Contains(body, "Visa ending in 4242") || !strings.Contains(body, `action="/billing/tenants/`+a+`/invoices/`+invID+`/pay"`) {
		t.Fatalf("Nexus billing lacks A's card or pay button: %.4000s", body)
	}

	// B neither pays nor lists A's invoice payments.
	if st, _, _ := e.do(treq{Host: "portal", Method: "POST", Path: payPath, Bearer: e.B.KeyWrite}); st != 404 {
		t.Fatalf("B pays A's invoice: %d", st)
	}
	if st, _, _ := e.do(treq{Host: "portal", Method: "POST", Path: "/billing/invoices/" + invID + "/pay", CSRF: true, Cookies: map[string]string{"psid": e.B.Cookie}}); st != 404 {
		t.Fatalf("B pays A's invoice in the portal: %d", st)
	}

	// Charge: stripe-mock's fixture intent is not succeeded (it
	// "requires a payment method"), so the attempt fails with why.
	st, out, _ := e.do(treq{Host: "portal", Method: "POST", Path: payPath, Bearer: e.A.KeyWrite})
	var pay1 struct {
		Data struct {
			ID              int64
			Status, Message string
		}
	}
	if st != 201 || json.Unmarshal([]byte(out), &pay1) != nil || pay1.Data.Status != billing.PaymentFailed || !strings.Contains(pay1.Data.Message, "requires_payment_method") {
		t.Fatalf("charge: %d %s", st, out)
	}
	pis := stripe.of("POST", "/v1/payment_intents")
	due := strconv.FormatInt(inv.TotalMicros/10000, 10)
	if len(pis) != 1 || pis[0].Key != "orengen-payment-"+strconv.FormatInt(pay1.Data.ID, 10) {
		t.Fatalf("payment intents: %+v", pis)
	}
	pf := pis[0].Form
	if pf.Get("amount") != due || pf.Get("currency") != "usd" || pf.Get("customer") != cust.CustomerID || pf.Get("payment_method") != cust.Card.PaymentMethodID ||
		pf.Get("off_session") != "true" || pf.Get("confirm") != "true" || pf.Get("metadata[invoice_id]") != invID || pf.Get("metadata[tenant_id]") != a {
		t.Fatalf("payment intent form: %v", pf)
	}
	_, body, _ = e.do(treq{Host: "portal", Method: "GET", Path: "/billing", Cookies: owner})
	if !strings.Contains(body, "payment failed") {
		t.Fatalf("portal lacks the failed payment: %.4000s", body)
	}
	// Retry from the portal: a new attempt, a new key.
	if st, _, _ := e.do(treq{Host: "portal", Method: "POST", Path: "/billing/invoices/" + invID + "/pay", CSRF: true, Cookies: owner}); st != 303 {
		t.Fatalf("portal pay: %d", st)
	}
	pays, _ := e.App.Payments.PaymentsOf(ctx, aID, inv.ID)
	pis = stripe.of("POST", "/v1/payment_intents")
	if len(pis) != 2 || len(pays) != 2 || pis[1].Key != "orengen-payment-"+strconv.FormatInt(pays[0].ID, 10) || pays[0].Attempt != 2 {
		t.Fatalf("retry: %+v %+v", pis, pays)
	}
	intent := pays[0].IntentID

	// Stripe's event settles it: the invoice is paid, once.
	pi := func(id, typ, cur string, amount int64, created time.Time) []byte {
		return stripeEvent(id, typ, created, map[string]any{"id": intent, "object": "payment_intent", "amount": amount, "amount_received": amount,
			"currency": cur, "customer": cust.CustomerID, "status": "succeeded",
			"metadata": map[string]string{"tenant_id": a, "invoice_id": invID, "payment_id": strconv.FormatInt(pays[0].ID, 10)}})
	}
	wrongCur := pi("evt_pay_eur", "payment_intent.succeeded", "eur", inv.TotalMicros/10000, now)
	if st, out := hook(wrongCur, stripeSign(testWebhookSecret, now, wrongCur)); st != 200 {
		t.Fatalf("currency mismatch event: %d %s", st, out)
	}
	if got, _ := e.App.Billing.Invoice(ctx, aID, inv.ID); got.Status != billing.InvoiceOpen {
		t.Fatalf("a payment in EUR paid a USD invoice: %s", got.Status)
	}
	ok := pi("evt_pay_ok", "payment_intent.succeeded", "usd", inv.TotalMicros/10000, now)
	for i := range 2 {
		if st, out := hook(ok, stripeSign(testWebhookSecret, now, ok)); st != 200 || !strings.Contains(out, fmt.Sprintf(`"applied":%v`, i == 0)) {
			t.Fatalf("succeeded event %d: %d %s", i, st, out)
		}
	}
	late := pi("evt_pay_late_fail", "payment_intent.payment_failed", "usd", inv.TotalMicros/10000, now.Add(-time.Minute))
	if st, _ := hook(late, stripeSign(testWebhookSecret, now, late)); st != 200 {
		t.Fatalf("late failure: %d", st)
	}
	got, _ := e.App.Billing.Invoice(ctx, aID, inv.ID)
	pays, _ = e.App.Payments.PaymentsOf(ctx, aID, inv.ID)
	if got.Status != billing.InvoicePaid || got.PaidAt == nil || pays[0].Status != billing.PaymentSucceeded {
		t.Fatalf("after the events: invoice %s, payment %+v", got.Status, pays[0])
	}
	st, out, _ = e.do(treq{Host: "portal", Method: "GET", Path: "/api/v1/billing/invoices/" + invID, Bearer: e.A.KeyRead})
	if st != 200 || !strings.Contains(out, `"status":"paid"`) || !strings.Contains(out, `"payment_status":"succeeded"`) {
		t.Fatalf("invoice API: %d %s", st, out)
	}
	before = stripe.count()
	if st, out, _ := e.do(treq{Host: "portal", Method: "POST", Path: payPath, Bearer: e.A.KeyWrite}); st != 409 || !strings.Contains(out, "paid already") || stripe.count() != before {
		t.Fatalf("paying a paid invoice: %d %s", st, out)
	}
}

// isoNeedsStripe: the isolation matrix runs without Stripe, so an admin
// key's charge or card setup is refused for the state (no card on file:
// 409; Stripe not connected: 400), not for access; TestBilling_StripePayments
// runs them with Stripe.
func isoNeedsStripe(path string, status int) bool {
	return (path == "/api/v1/billing/invoices/:id/payments" || path == "/api/v1/billing/card-setup") && (status == 409 || status == 400)
}

// TestBillingStripeFigures measures, against stripe-mock on loopback, a
// payment round trip through billing (attempt recorded, PaymentIntent
// created with its idempotency key, answer recorded) next to the same
// PaymentIntent request sent to stripe-mock alone, and the signed
// webhook's handling rate (verify, dedupe, apply, record) next to
// stripe-go's signature check and parse alone. Run with
// ORENGEN_BENCH_BILLING=1 (make bench); docs/BENCHMARKS.md has the figures.
func TestBillingStripeFigures(t *testing.T) {
	if os.Getenv("ORENGEN_BENCH_BILLING") != "1" {
		t.Skip("figures: set ORENGEN_BENCH_BILLING=1")
	}
	stripe := startStripe(t)
	e := newTenantEnv(t, "--stripe-api-url", stripe.URL)
	ctx := context.Background()
	for k, v := range map[string]string{app.SecretStripeKey: "sk_test_orengen", app.SecretStripeWebhook: testWebhookSecret} {
		if err := e.App.Vault.Put(ctx, app.GlobalScope, k, v); err != nil {
			t.Fatal(err)
		}
	}
	aID, a := e.A.T.ID, strconv.FormatInt(e.A.T.ID, 10)
	p := &billing.Plan{Name: "Bench", Interval: billing.Month, PriceMicros: 97_000_000, Active: true}
	if err := e.App.Billing.CreatePlan(ctx, p); err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.Billing.Assign(ctx, aID, p.ID); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)
	inv, err := e.App.Billing.CloseNow(ctx, aID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.Payments.StartCardSetup(ctx, aID, "Bench", "", "https://x/ok", "https://x/c"); err != nil {
		t.Fatal(err)
	}
	cust, _ := e.App.Payments.Customer(ctx, aID)
	now := time.Now()
	done := stripeEvent("evt_bench_card", "checkout.session.completed", now, map[string]any{"id": "cs_b", "object": "checkout.session", "mode": "setup",
		"customer": cust.CustomerID, "setup_intent": "seti_b", "metadata": map[string]string{"tenant_id": a}})
	if _, _, err := e.App.Payments.HandleEvent(ctx, done, stripeSign(testWebhookSecret, now, done)); err != nil {
		t.Fatal(err)
	}
	cust, _ = e.App.Payments.Customer(ctx, aID)
	const n = 300
	// Payment round trips (stripe-mock answers "requires_payment_method":
	// each is a failed attempt, so the next one is a new attempt).
	start := time.Now()
	for range n {
		if _, err := e.App.Payments.PayInvoice(ctx, aID, inv.ID); err != nil {
			t.Fatal(err)
		}
	}
	ours := time.Since(start)
	form := url.Values{"amount": {strconv.FormatInt(inv.TotalMicros/10000, 10)}, "currency": {"usd"}, "customer": {cust.CustomerID},
		"payment_method": {cust.Card.PaymentMethodID}, "off_session": {"true"}, "confirm": {"true"}}
	client := &http.Client{}
	start = time.Now()
	for i := range n {
		req, _ := http.NewRequest("POST", stripe.URL+"/v1/payment_intents", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Idempotency-Key", "bench-"+strconv.Itoa(i))
		req.SetBasicAuth("sk_test_orengen", "")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	alone := time.Since(start)
	// Webhooks: distinct signed payment_failed events for the latest
	// attempt's intent, each verified, deduplicated and applied.
	pays, _ := e.App.Payments.PaymentsOf(ctx, aID, inv.ID)
	bodies := make([][]byte, n)
	for i := range bodies {
		bodies[i] = stripeEvent("evt_bench_"+strconv.Itoa(i), "payment_intent.payment_failed", now, map[string]any{"id": pays[0].IntentID, "object": "payment_intent",
			"amount": inv.TotalMicros / 10000, "currency": "usd", "customer": cust.CustomerID, "status": "requires_payment_method"})
	}
	start = time.Now()
	for _, b := range bodies {
		if st, out, _ := e.do(treq{Host: "site", Method: "POST", Path: "/webhooks/stripe", Raw: string(b), ContentType: "application/json",
			Header: map[string]string{"Stripe-Signature": stripeSign(testWebhookSecret, now, b)}}); st != 200 || !strings.Contains(out, `"applied":true`) {
			t.Fatalf("webhook: %d %s", st, out)
		}
	}
	hooks := time.Since(start)
	start = time.Now()
	for _, b := range bodies {
		if _, err := webhook.ConstructEventWithOptions(b, stripeSign(testWebhookSecret, now, b), testWebhookSecret, webhook.ConstructEventOptions{IgnoreAPIVersionMismatch: true}); err != nil {
			t.Fatal(err)
		}
	}
	verify := time.Since(start)
	rate := func(d time.Duration) float64 { return float64(n) / d.Seconds() }
	t.Logf("payment round trip through billing: %.0f /s (%.2f ms each); stripe-mock alone: %.0f /s (%.2f ms); ratio %.2fx",
		rate(ours), ours.Seconds()*1000/n, rate(alone), alone.Seconds()*1000/n, ours.Seconds()/alone.Seconds())
	t.Logf("signed webhooks handled (HTTP, verify, dedupe, apply, record): %.0f /s; stripe-go's verify+parse alone: %.0f /s; ratio %.1fx",
		rate(hooks), rate(verify), hooks.Seconds()/verify.Seconds())
}
