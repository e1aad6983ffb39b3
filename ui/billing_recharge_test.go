package ui_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"orengen/app"
	"orengen/app/billing"
	"orengen/internal/realtest"
)

// intentProxy forwards to stripe-mock and records every request like
// stripeRecorder; a created PaymentIntent's answer is held for Delay and
// its status replaced by Status (empty: stripe-mock's own,
// requires_payment_method), so a test can have a charge in flight
// (processing) or paid at once (succeeded).
type intentProxy struct {
	*stripeRecorder
	Status atomic.Value // string
	Delay  time.Duration
	// Read, when set (map[string]any), overwrites those fields of a
	// PaymentIntent read back (GET /v1/payment_intents/ID).
	Read atomic.Value
}

func startIntentProxy(t *testing.T) *intentProxy {
	t.Helper()
	mock, _ := url.Parse(realtest.StartStripeMock(t))
	p := &intentProxy{stripeRecorder: &stripeRecorder{}}
	p.Status.Store("")
	rp := httputil.NewSingleHostReverseProxy(mock)
	dir := rp.Director
	rp.Director = func(r *http.Request) { dir(r); r.Header.Del("Accept-Encoding") }
	rp.ModifyResponse = func(resp *http.Response) error {
		over := map[string]any{}
		switch {
		case resp.Request.Method == "GET" && strings.HasPrefix(resp.Request.URL.Path, "/v1/payment_intents/"):
			if r, ok := p.Read.Load().(map[string]any); ok {
				over = r
			}
		case resp.Request.Method == "POST" && resp.Request.URL.Path == "/v1/payment_intents":
			time.Sleep(p.Delay)
			if st, _ := p.Status.Load().(string); st != "" {
				over["status"] = st
			}
		}
		if len(over) == 0 {
			return nil
		}
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			return err
		}
		for k, v := range over {
			m[k] = v
		}
		body, _ = json.Marshal(m)
		resp.Body, resp.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
		return nil
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		if req.Method == "GET" {
			form = req.URL.Query()
		}
		p.mu.Lock()
		p.calls = append(p.calls, stripeCall{req.Method, req.URL.Path, req.Header.Get("Idempotency-Key"), form})
		p.mu.Unlock()
		rp.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// walletLedger is a tenant's wallet balance and the sum of its entries.
func (e *tenantEnv) walletLedger(tenantID int64) (balance, sum int64, entries []*billing.WalletEntry) {
	e.t.Helper()
	w, es, err := e.App.Billing.Wallet(context.Background(), tenantID, 500)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, x := range es {
		sum += x.AmountMicros
	}
	return w.BalanceMicros, sum, es
}

// prepaidWallet is tenant A on a prepaid wallet plan holding $10.00, a
// text costing $1.00 from the wallet, and Stripe (stripe-mock behind the
// intent proxy) configured; debit sends n texts' usage.
func prepaidWallet(t *testing.T) (e *tenantEnv, stripe *intentProxy, aID int64, a string, owner map[string]string, debit func(n int)) {
	t.Helper()
	stripe = startIntentProxy(t)
	e = newTenantEnv(t, "--stripe-api-url", stripe.URL)
	ctx := context.Background()
	for k, v := range map[string]string{app.SecretStripeKey: "sk_test_orengen", app.SecretStripeWebhook: testWebhookSecret} {
		if err := e.App.Vault.Put(ctx, app.GlobalScope, k, v); err != nil {
			t.Fatal(err)
		}
	}
	aID = e.A.T.ID
	a = strconv.FormatInt(aID, 10)
	owner = map[string]string{"psid": e.A.Cookie}
	// A text costs $1.00 and the plan pays usage from the wallet at cost.
	if err := e.App.Billing.SavePrice(ctx, &billing.Price{Category: billing.SMS, UnitMicros: 1_000_000, Per: 1}); err != nil {
		t.Fatal(err)
	}
	p := &billing.Plan{Name: "Prepaid", Interval: billing.Month, PriceMicros: 10_000_000, Wallet: true, Active: true}
	if err := e.App.Billing.CreatePlan(ctx, p); err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.Billing.Assign(ctx, aID, p.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.Billing.TopUp(ctx, aID, 10_000_000, "seed", "opening balance"); err != nil {
		t.Fatal(err)
	}
	texts := 0
	debit = func(n int) {
		t.Helper()
		for range n {
			texts++
			if ok, err := e.App.Billing.Record(ctx, &billing.Event{TenantID: aID, Category: billing.SMS, Source: "test", SourceID: "sms-" + strconv.Itoa(texts), Quantity: 1}); err != nil || !ok {
				t.Fatalf("debit %d: %v %v", texts, ok, err)
			}
		}
	}
	return e, stripe, aID, a, owner, debit
}

// TestBilling_WalletAutoRecharge: a client on a wallet plan sets an
// auto-recharge (portal form and API; refused without a card, bad input
// naming the field); usage debits that take the wallet under the
// threshold charge the card once through Stripe (stripe-mock), even when
// several debits cross it at the same time while the charge is in flight,
// with the idempotency key orengen-recharge-<id>; Stripe's signed
// payment_intent.succeeded credits the wallet exactly once (a replay, or
// an event after a synchronous success, adds nothing); a failed recharge
// is shown to the client with why and not retried on the next debit; the
// wallet's balance is always the sum of its entries; B sees none of A's.
func TestBilling_WalletAutoRecharge(t *testing.T) {
	e, stripe, aID, a, owner, debit := prepaidWallet(t)
	ctx := context.Background()
	api := func(bearer, method, path, body string) (int, string) {
		t.Helper()
		st, out, _ := e.do(treq{Host: "portal", Method: method, Path: path, Bearer: bearer, JSON: body})
		return st, out
	}
	recharge := func(below, amount string) (int, string) {
		t.Helper()
		st, body, _ := e.do(treq{Host: "portal", Method: "POST", Path: "/billing/wallet/recharge", CSRF: true, Cookies: owner,
			Form: url.Values{"recharge_below": {below}, "recharge_amount": {amount}}})
		return st, body
	}

	// No card: refused with why, nothing saved, Stripe not called.
	if st, body := recharge("5", "20"); st != 409 || !strings.Contains(body, "No card on file") {
		t.Fatalf("auto-recharge without a card: %d %.2000s", st, body)
	}
	if st, out := api(e.A.KeyWrite, "PUT", "/api/v1/billing/wallet/recharge", `{"recharge_below_micros":5000000,"recharge_micros":20000000}`); st != 409 || !strings.Contains(out, "No card on file") {
		t.Fatalf("API auto-recharge without a card: %d %s", st, out)
	}
	// Bad input names the field.
	for _, c := range []struct{ below, amount, field string }{{"5", "abc", "dollars"}, {"5", "1", "between 5 and 10,000"}, {"0", "20", "threshold above 0"}} {
		if st, body := recharge(c.below, c.amount); st != 400 || !strings.Contains(body, c.field) {
			t.Fatalf("bad input %+v: %d %.2000s", c, st, body)
		}
	}
	if st, out := api(e.A.KeyWrite, "PUT", "/api/v1/billing/wallet/recharge", `{"recharge_below_micros":5000000,"recharge_micros":1}`); st != 400 || !strings.Contains(out, "recharge_amount") {
		t.Fatalf("API bad amount: %d %s", st, out)
	}
	if st, _ := api(e.A.KeyRead, "PUT", "/api/v1/billing/wallet/recharge", `{"recharge_below_micros":0,"recharge_micros":0}`); st != 403 {
		t.Fatalf("read key sets the auto-recharge: %d", st)
	}
	if w, _, _ := e.App.Billing.Wallet(ctx, aID, 1); w.RechargeMicros != 0 || stripe.count() != 0 {
		t.Fatalf("refused settings changed something: %+v, %d Stripe calls", w, stripe.count())
	}

	// A card, saved through Checkout and Stripe's event.
	if st, _, _ := e.do(treq{Host: "portal", Method: "POST", Path: "/billing/card", CSRF: true, Cookies: owner}); st != 303 {
		t.Fatalf("card setup: %d", st)
	}
	cust, _ := e.App.Payments.Customer(ctx, aID)
	hook := func(body []byte) string {
		t.Helper()
		st, out, _ := e.do(treq{Host: "site", Method: "POST", Path: "/webhooks/stripe", Raw: string(body), ContentType: "application/json",
			Header: map[string]string{"Stripe-Signature": stripeSign(testWebhookSecret, time.Now(), body)}})
		if st != 200 {
			t.Fatalf("webhook: %d %s", st, out)
		}
		return out
	}
	hook(stripeEvent("evt_rc_card", "checkout.session.completed", time.Now(), map[string]any{"id": "cs_rc", "object": "checkout.session", "mode": "setup",
		"customer": cust.CustomerID, "setup_intent": "seti_rc", "metadata": map[string]string{"tenant_id": a}}))
	if cust, _ = e.App.Payments.Customer(ctx, aID); !cust.HasCard() {
		t.Fatal("no card after the Checkout event")
	}

	// On: $20.00 when under $5.00. The wallet holds $10.00: nothing to charge yet.
	if st, _ := recharge("5", "20"); st != 303 {
		t.Fatalf("auto-recharge: %d", st)
	}
	_, body, _ := e.do(treq{Host: "portal", Method: "GET", Path: "/billing", Cookies: owner})
	if !strings.Contains(body, "falls under <strong>$5.00</strong>, <strong>$20.00</strong> is charged") || !strings.Contains(body, `action="/billing/wallet/recharge"`) {
		t.Fatalf("portal lacks the auto-recharge: %.6000s", body)
	}
	if n := len(stripe.of("POST", "/v1/payment_intents")); n != 0 {
		t.Fatalf("%d charges above the threshold", n)
	}

	// Round 1: 8 debits at once take $10.00 to $2.00, crossing the
	// threshold three times while the charge is in flight (processing): one
	// charge, one recharge.
	stripe.Status.Store("processing")
	stripe.Delay = 300 * time.Millisecond
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.App.Billing.Record(ctx, &billing.Event{TenantID: aID, Category: billing.SMS, Source: "test", SourceID: fmt.Sprintf("burst-%d", i), Quantity: 1})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	pis := stripe.of("POST", "/v1/payment_intents")
	rs, _ := e.App.Payments.Recharges(ctx, aID, 10)
	if len(pis) != 1 || len(rs) != 1 {
		t.Fatalf("concurrent debits: %d charges, %d recharges (want 1 and 1)", len(pis), len(rs))
	}
	r1 := rs[0]
	f := pis[0].Form
	if pis[0].Key != "orengen-recharge-"+strconv.FormatInt(r1.ID, 10) || f.Get("amount") != "2000" || f.Get("currency") != "usd" || f.Get("customer") != cust.CustomerID ||
		f.Get("payment_method") != cust.Card.PaymentMethodID || f.Get("off_session") != "true" || f.Get("confirm") != "true" ||
		f.Get("metadata[recharge_id]") != strconv.FormatInt(r1.ID, 10) || f.Get("metadata[tenant_id]") != a || f.Get("metadata[invoice_id]") != "" {
		t.Fatalf("recharge charge: key %q form %v", pis[0].Key, f)
	}
	if r1.Status != billing.PaymentProcessing || r1.IntentID == "" || r1.AmountMicros != 20_000_000 {
		t.Fatalf("recharge in flight: %+v", r1)
	}
	if bal, sum, _ := e.walletLedger(aID); bal != 2_000_000 || sum != bal {
		t.Fatalf("before the event: balance %d, entries %d (want 2000000)", bal, sum)
	}
	debit(1) // $1.00: under the threshold, but one is in flight
	if n := len(stripe.of("POST", "/v1/payment_intents")); n != 1 {
		t.Fatalf("a debit while a recharge is in flight charged again: %d charges", n)
	}
	_, body, _ = e.do(treq{Host: "portal", Method: "GET", Path: "/billing", Cookies: owner})
	if !strings.Contains(body, "Auto-recharge of $20.00 is being charged to the card") {
		t.Fatalf("portal lacks the recharge in flight: %.6000s", body)
	}

	// Stripe's event credits it once; a replay adds nothing.
	intent := func(id, typ string, r *billing.Recharge, cents int64, cur string) []byte {
		return stripeEvent(id, typ, time.Now(), map[string]any{"id": r.IntentID, "object": "payment_intent", "amount": cents, "amount_received": cents,
			"currency": cur, "customer": cust.CustomerID, "status": "succeeded", "metadata": map[string]string{"tenant_id": a, "recharge_id": strconv.FormatInt(r.ID, 10)}})
	}
	if out := hook(intent("evt_rc_eur", "payment_intent.succeeded", r1, 2000, "eur")); !strings.Contains(out, `"applied":true`) {
		t.Fatalf("EUR event: %s", out)
	}
	if bal, _, _ := e.walletLedger(aID); bal != 1_000_000 {
		t.Fatalf("a EUR payment credited the USD wallet: %d", bal)
	}
	ok1 := intent("evt_rc_ok1", "payment_intent.succeeded", r1, 2000, "usd")
	for i := range 2 {
		if out := hook(ok1); !strings.Contains(out, fmt.Sprintf(`"applied":%v`, i == 0)) {
			t.Fatalf("succeeded event %d: %s", i, out)
		}
	}
	hook(intent("evt_rc_late_fail", "payment_intent.payment_failed", r1, 2000, "usd")) // late: does not undo it
	bal, sum, es := e.walletLedger(aID)
	if bal != 21_000_000 || sum != bal {
		t.Fatalf("after the event: balance %d, entries %d (want 21000000)", bal, sum)
	}
	credits := 0
	for _, x := range es {
		if x.Kind == billing.EntryTopUp && x.Ref == r1.WalletRef() {
			credits++
		}
	}
	if rs, _ = e.App.Payments.Recharges(ctx, aID, 10); credits != 1 || rs[0].Status != billing.PaymentSucceeded {
		t.Fatalf("credits of recharge 1: %d, status %s", credits, rs[0].Status)
	}

	// Round 2: Stripe answers succeeded at once: credited by the answer,
	// and its event adds nothing.
	stripe.Status.Store("succeeded")
	stripe.Delay = 0
	debit(17) // $21.00 → $4.00 → recharged to $24.00
	rs, _ = e.App.Payments.Recharges(ctx, aID, 10)
	if len(rs) != 2 || rs[0].Status != billing.PaymentSucceeded {
		t.Fatalf("round 2 recharges: %+v", rs)
	}
	if bal, sum, _ := e.walletLedger(aID); bal != 24_000_000 || sum != bal {
		t.Fatalf("round 2: balance %d, entries %d (want 24000000)", bal, sum)
	}
	if out := hook(intent("evt_rc_ok2", "payment_intent.succeeded", rs[0], 2000, "usd")); !strings.Contains(out, `"applied":true`) {
		t.Fatalf("round 2 event: %s", out)
	}
	if bal, sum, _ := e.walletLedger(aID); bal != 24_000_000 || sum != bal {
		t.Fatalf("round 2 event credited again: balance %d, entries %d", bal, sum)
	}

	// Round 3: stripe-mock's own answer (requires_payment_method): the
	// recharge fails, the client reads why, the next debit does not retry.
	stripe.Status.Store("")
	debit(20) // $24.00 → $4.00
	rs, _ = e.App.Payments.Recharges(ctx, aID, 10)
	if len(rs) != 3 || rs[0].Status != billing.PaymentFailed || !strings.Contains(rs[0].Message, "requires_payment_method") {
		t.Fatalf("round 3 recharges: %+v", rs[0])
	}
	debit(1)
	if n := len(stripe.of("POST", "/v1/payment_intents")); n != 3 {
		t.Fatalf("a debit after a failed recharge charged again: %d charges (want 3)", n)
	}
	_, body, _ = e.do(treq{Host: "portal", Method: "GET", Path: "/billing", Cookies: owner})
	if !strings.Contains(body, "Auto-recharge of $20.00 failed on") || !strings.Contains(body, "requires_payment_method") || !strings.Contains(body, `role="alert"`) {
		t.Fatalf("portal lacks the failed recharge: %.6000s", body)
	}
	st, out := api(e.A.KeyRead, "GET", "/api/v1/billing/wallet", "")
	var w struct {
		Data struct {
			BalanceMicros int64 `json:"balance_micros"`
			RechargeBelow int64 `json:"recharge_below_micros"`
			Recharge      int64 `json:"recharge_micros"`
			Recharges     []struct {
				Status, Message string
			}
			Entries []struct {
				AmountMicros int64 `json:"amount_micros"`
			}
		}
	}
	if st != 200 || json.Unmarshal([]byte(out), &w) != nil || w.Data.BalanceMicros != 3_000_000 || w.Data.RechargeBelow != 5_000_000 || w.Data.Recharge != 20_000_000 ||
		len(w.Data.Recharges) != 3 || w.Data.Recharges[0].Status != "failed" || !strings.Contains(w.Data.Recharges[0].Message, "requires_payment_method") {
		t.Fatalf("API wallet: %d %s", st, out)
	}
	// Saving the settings again is a change: it retries at once (the
	// wallet is under the threshold), through the API.
	stripe.Status.Store("succeeded")
	st, out = api(e.A.KeyWrite, "PUT", "/api/v1/billing/wallet/recharge", `{"recharge_below_micros":5000000,"recharge_micros":25000000}`)
	if st != 200 || !strings.Contains(out, `"recharge_started":{`) || !strings.Contains(out, `"status":"succeeded"`) {
		t.Fatalf("API settings retry: %d %s", st, out)
	}
	if bal, sum, _ := e.walletLedger(aID); bal != 28_000_000 || sum != bal {
		t.Fatalf("after the retry: balance %d, entries %d (want 28000000)", bal, sum)
	}

	// B sees only its own wallet; Nexus turns A's auto-recharge off.
	st, out = api(e.B.KeyRead, "GET", "/api/v1/billing/wallet", "")
	if st != 200 || !strings.Contains(out, `"recharges":[]`) || strings.Contains(out, "requires_payment_method") {
		t.Fatalf("B's wallet: %d %s", st, out)
	}
	st, _, _ = e.do(treq{Host: "nexus", Method: "POST", Path: "/billing/tenants/" + a + "/recharge", CSRF: true,
		Cookies: map[string]string{"orengen_session": e.AdminCookie}, Form: url.Values{"recharge_below": {""}, "recharge_amount": {""}}})
	if w, _, _ := e.App.Billing.Wallet(ctx, aID, 1); st != 303 || w.RechargeMicros != 0 || w.RechargeBelowMicros != 0 {
		t.Fatalf("Nexus turns it off: %d %+v", st, w)
	}
	debit(30)
	if n := len(stripe.of("POST", "/v1/payment_intents")); n != 4 {
		t.Fatalf("charged with auto-recharge off: %d charges (want 4)", n)
	}
}
