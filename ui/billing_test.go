package ui_test

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ledongthuc/pdf"

	"orengen/app"
	"orengen/app/billing"
	"orengen/twilio/twiliotest"
)

// billingTotals returns a tenant's usage this month by category.
func (e *tenantEnv) billingTotals(tenantID int64) map[string]billing.UsageTotal {
	e.t.Helper()
	now := time.Now()
	us, err := e.App.Billing.UsageTotals(context.Background(), tenantID, now.AddDate(0, 0, -40), now.AddDate(0, 0, 1))
	if err != nil {
		e.t.Fatal(err)
	}
	m := map[string]billing.UsageTotal{}
	for _, u := range us {
		m[u.Category] = *u
	}
	return m
}

// TestBilling_TwilioCallbacksMeteredOnce: signed Twilio status callbacks
// reach the usage ledger through the real webhook route, and the same
// callback delivered twice (Twilio retries) counts once: a call's
// minutes, a text's segments. A text sent from the inbox is metered when
// sent, so its delivery report adds nothing. A forged callback records
// nothing.
func TestBilling_TwilioCallbacksMeteredOnce(t *testing.T) {
	const sid = "AC0123456789abcdef0123456789abcdef"
	tw := twiliotest.Start(sid, testTwilioToken)
	defer tw.Close()
	e := newTenantEnv(t, "--twilio-api-url", tw.URL)
	e.App.Integrations.TTL = time.Nanosecond
	ctx := context.Background()
	for scope, kv := range map[app.VaultScope][2]string{app.GlobalScope: {app.SecretTwilioSID, sid}, app.TenantScope(e.A.T.ID): {app.SecretTwilioFrom, "+15125550111"}} {
		if err := e.App.Vault.Put(ctx, scope, kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	post := func(key string, f url.Values, token string) int {
		t.Helper()
		cb, _ := url.Parse(e.Server.TwilioCallbackURL(e.A.T.ID, key))
		st, _, _ := e.do(treq{Host: "portal", Method: "POST", Path: cb.RequestURI(), Form: f, Header: map[string]string{"X-Twilio-Signature": twilioSign(token, e.Server.URL("portal")+cb.RequestURI(), f)}})
		return st
	}
	call := url.Values{"CallSid": {"CAbill1"}, "CallStatus": {"completed"}, "CallDuration": {"125"}}
	if st := post("bill-call", call, "wrong-token-0123456789abcdef0123"); st != 403 {
		t.Fatalf("forged callback: %d", st)
	}
	if got := e.billingTotals(e.A.T.ID); len(got) != 0 {
		t.Fatalf("a forged callback was metered: %+v", got)
	}
	for range 2 {
		if st := post("bill-call", call, testTwilioToken); st != 204 {
			t.Fatalf("call status: %d", st)
		}
	}
	sms := url.Values{"MessageSid": {"SMbill1"}, "MessageStatus": {"delivered"}, "NumSegments": {"2"}}
	for range 2 {
		if st := post("bill-sms", sms, testTwilioToken); st != 204 {
			t.Fatalf("sms status: %d", st)
		}
	}
	// A text sent through the tenant's metered Twilio client.
	tel, err := e.App.Integrations.Telephony(ctx, e.A.T.ID)
	if err != nil {
		t.Fatal(err)
	}
	sent, err := tel.SendSMS(ctx, app.SMS{From: "+15125550111", To: "+15125550142", Body: "Your quote is ready."})
	if err != nil {
		t.Fatal(err)
	}
	if st := post("bill-sms2", url.Values{"MessageSid": {sent}, "MessageStatus": {"delivered"}}, testTwilioToken); st != 204 {
		t.Fatalf("sms status: %d", st)
	}
	got := e.billingTotals(e.A.T.ID)
	if v := got[billing.VoiceMinutes]; v.Quantity != 3 || v.Events != 1 {
		t.Errorf("voice = %+v, want 3 minutes (125 s) in 1 event", v)
	}
	if v := got[billing.SMS]; v.Quantity != 3 || v.Events != 2 {
		t.Errorf("sms = %+v, want 3 segments in 2 events", v)
	}
	if other := e.billingTotals(e.B.T.ID); len(other) != 0 {
		t.Errorf("B was metered: %+v", other)
	}
}

// billingPlans holds, per test environment, the plan the isolation
// matrix edits.
var billingPlans sync.Map

// billingPlanFixture returns the ID of a plan (created on first use).
func (e *tenantEnv) billingPlanFixture() string {
	if id, ok := billingPlans.Load(e); ok {
		return id.(string)
	}
	p := &billing.Plan{Name: "Isolation plan", Interval: billing.Month, PriceMicros: 49_000_000, Active: true}
	if err := e.App.Billing.CreatePlan(context.Background(), p); err != nil {
		e.t.Fatal(err)
	}
	id := strconv.FormatInt(p.ID, 10)
	billingPlans.Store(e, id)
	return id
}

// isoBillingRequest gives the billing API routes of the matrix a valid
// body (so an admin key's request succeeds) and Nexus's summary its
// tenant.
func (e *tenantEnv) isoBillingRequest(r isoRoute, req *treq) {
	if !strings.HasPrefix(r.Path, "/api/v1/billing/") {
		return
	}
	b := strconv.FormatInt(e.B.T.ID, 10)
	switch r.Method + " " + r.Path {
	case "GET /api/v1/billing/summary", "GET /api/v1/billing/invoices", "GET /api/v1/billing/invoices/:id",
		"GET /api/v1/billing/invoices/:id/payments", "POST /api/v1/billing/invoices/:id/payments", "POST /api/v1/billing/card-setup",
		"GET /api/v1/billing/wallet", "PUT /api/v1/billing/wallet/recharge":
		if r.Method == "PUT" {
			req.JSON = `{"recharge_below_micros":0,"recharge_micros":0}`
		}
		if r.Host == "nexus" {
			req.Path += "?tenant=" + b
		}
	case "POST /api/v1/billing/plans":
		req.JSON = fmt.Sprintf(`{"name":"Iso %d","interval":"month","price_micros":1000000}`, time.Now().UnixNano())
	case "PUT /api/v1/billing/plans/:id":
		req.JSON = `{"name":"Isolation plan","interval":"month","price_micros":49000000}`
	case "POST /api/v1/billing/subscriptions":
		req.JSON = `{"tenant_id":` + b + `,"plan_id":` + e.billingPlanFixture() + `}`
	case "DELETE /api/v1/billing/subscriptions/:tenant": // B on a plan, to be taken off it
		pid, _ := strconv.ParseInt(e.billingPlanFixture(), 10, 64)
		if _, err := e.App.Billing.Assign(context.Background(), e.B.T.ID, pid); err != nil {
			e.t.Fatal(err)
		}
		req.Path = strings.Replace(req.Path, ":tenant", b, 1)
	case "PUT /api/v1/billing/dunning":
		req.JSON = `{"retry_days":[3,5,7],"email":true,"suspend_after_days":14}`
	case "POST /api/v1/billing/wallet-topups":
		req.JSON = `{"tenant_id":` + b + `,"amount_micros":1000,"ref":"iso"}`
	}
}

// billingContractFixture puts tenantID on plan with some usage and a
// wallet entry, so the summary's every part is filled.
func (e *tenantEnv) billingContractFixture(tenantID int64, plan string) string {
	ctx := context.Background()
	pid, _ := strconv.ParseInt(plan, 10, 64)
	if _, err := e.App.Billing.Assign(ctx, tenantID, pid); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.App.Billing.Record(ctx, &billing.Event{TenantID: tenantID, Category: billing.SMS, Source: "test", SourceID: "contract", Quantity: 3}); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.App.Billing.TopUp(ctx, tenantID, 1_000_000, "contract", ""); err != nil {
		e.t.Fatal(err)
	}
	now := time.Now().UTC()
	inv := &billing.Invoice{TenantID: tenantID, Kind: billing.KindInvoice, Currency: "USD", PeriodStart: now.AddDate(0, -2, 0), PeriodEnd: now.AddDate(0, -1, 0), PlanName: "Iso",
		SubtotalMicros: 10_000_000, TotalMicros: 10_000_000, Status: billing.InvoiceOpen, IssuedAt: now,
		Lines: []*billing.InvoiceLine{{Description: "Iso plan", Quantity: 1, AmountMicros: 10_000_000}}}
	if err := e.App.Stores.Billing.IssueInvoice(ctx, inv, nil, nil, nil); err != nil {
		e.t.Fatal(err)
	}
	return strconv.FormatInt(inv.ID, 10)
}

// TestBilling_PlansWalletPages: the admin creates a plan in Nexus (bad
// input is a 400 naming the field, nothing saved), puts client A on it
// and adds funds; A's portal Billing page shows its plan, the usage this
// period priced with the markup, the chart and the wallet; B's shows
// none of it; the API's summary says the same for A's key. With the
// wallet plan and an empty wallet a text stops with the message.
func TestBilling_PlansWalletPages(t *testing.T) {
	e := newTenantEnv(t)
	ctx := context.Background()
	admin := map[string]string{"orengen_session": e.AdminCookie}
	nexus := func(path string, f url.Values) (int, string, string) {
		t.Helper()
		st, body, resp := e.do(treq{Host: "nexus", Method: "POST", Path: path, Form: f, CSRF: true, Cookies: admin})
		return st, body, resp.Header.Get("Location")
	}
	plan := url.Values{"name": {"Growth"}, "interval": {"month"}, "price": {"abc"}, "trial_days": {"0"}, "markup_pct": {"50"}, "wallet": {"1"}, "active": {"1"},
		"included_email": {"2"}, "overage_voice_minutes": {"0.05"}}
	if st, body, _ := nexus("/billing/plans", plan); st != 400 || !strings.Contains(body, "Enter an amount in dollars") {
		t.Fatalf("bad price: %d %.300s", st, body)
	}
	if ps, _ := e.App.Billing.Plans(ctx); len(ps) != 0 {
		t.Fatalf("a bad plan was saved: %+v", ps)
	}
	plan.Set("price", "$49.00")
	if st, _, loc := nexus("/billing/plans", plan); st != 303 || loc != "/billing/plans" {
		t.Fatalf("create plan: %d %q", st, loc)
	}
	ps, err := e.App.Billing.Plans(ctx)
	if err != nil || len(ps) != 1 || ps[0].PriceMicros != 49_000_000 || ps[0].MarkupPct != 50 || !ps[0].Wallet || ps[0].Overage[billing.VoiceMinutes] != 50_000 {
		t.Fatalf("plan saved as %+v %v", ps, err)
	}
	pid := strconv.FormatInt(ps[0].ID, 10)
	_, body, _ := e.do(treq{Host: "nexus", Method: "GET", Path: "/billing/plans", Cookies: admin})
	if !strings.Contains(body, "Growth") || !strings.Contains(body, "$49.00") || !strings.Contains(body, `href="/billing"`) {
		t.Fatalf("plans page: %.2000s", body)
	}
	a := strconv.FormatInt(e.A.T.ID, 10)
	if st, _, _ := nexus("/billing/tenants/"+a+"/plan", url.Values{"plan_id": {pid}}); st != 303 {
		t.Fatalf("assign: %d", st)
	}
	if st, body, _ := nexus("/billing/tenants/"+a+"/wallet", url.Values{"amount": {"-5"}}); st != 400 || !strings.Contains(body, "Enter an amount") {
		t.Fatalf("negative top-up: %d", st)
	}
	// With the wallet empty, a text stops with the message before Twilio.
	tel := e.App.Billing.Telephony(e.A.T.ID, nil)
	if _, err := tel.SendSMS(ctx, app.SMS{Body: "x"}); !strings.Contains(app.ErrorMessage(err), "wallet is empty") {
		t.Fatalf("empty wallet: %v", err)
	}
	if st, _, _ := nexus("/billing/tenants/"+a+"/wallet", url.Values{"amount": {"10"}, "note": {"Check 1042"}}); st != 303 {
		t.Fatalf("top-up: %d", st)
	}
	// Usage: 3 minutes at the overage price 0.05; an SMS at cost 0.0079 + 50%.
	for _, ev := range []*billing.Event{{Category: billing.VoiceMinutes, SourceID: "CA1", Quantity: 3}, {Category: billing.SMS, SourceID: "SM1", Quantity: 1}} {
		ev.TenantID, ev.Source = e.A.T.ID, billing.SourceTwilio
		if _, err := e.App.Billing.Record(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	st, body, _ := e.do(treq{Host: "portal", Method: "GET", Path: "/billing", Cookies: map[string]string{"psid": e.A.Cookie}})
	for _, want := range []string{"Growth", "$49.00 a month", "<svg", "Voice minutes", "$0.15", "$0.01185", "Check 1042", "$9.83815", `href="/billing"`} {
		if st != 200 || !strings.Contains(body, want) {
			t.Fatalf("A's billing page lacks %q: %d %.4000s", want, st, body)
		}
	}
	_, body, _ = e.do(treq{Host: "portal", Method: "GET", Path: "/billing", Cookies: map[string]string{"psid": e.B.Cookie}})
	if strings.Contains(body, "Growth") || strings.Contains(body, "Check 1042") || !strings.Contains(body, "No plan yet") {
		t.Fatalf("B's billing page: %.3000s", body)
	}
	st, body, _ = e.do(treq{Host: "portal", Method: "GET", Path: "/api/v1/billing/summary", Bearer: e.A.KeyRead})
	if st != 200 || !strings.Contains(body, `"plan_name":"Growth"`) || !strings.Contains(body, `"wallet_balance_micros":9838150`) || strings.Contains(body, "cost_micros") {
		t.Fatalf("A's summary: %d %s", st, body)
	}
	_, body, _ = e.do(treq{Host: "nexus", Method: "GET", Path: "/billing", Cookies: admin})
	if !strings.Contains(body, e.A.T.Name) || !strings.Contains(body, "$9.83815") {
		t.Fatalf("Nexus billing: %.3000s", body)
	}
}

// billingInvoices holds, per test environment, B's invoice.
var billingInvoices sync.Map

// billingInvoiceFixture returns the ID of an invoice issued to B
// (created on first use).
func (e *tenantEnv) billingInvoiceFixture() string {
	if id, ok := billingInvoices.Load(e); ok {
		return id.(string)
	}
	now := time.Now().UTC()
	inv := &billing.Invoice{TenantID: e.B.T.ID, Kind: billing.KindInvoice, Currency: "USD", PeriodStart: now.AddDate(0, -1, 0), PeriodEnd: now, PlanName: "Iso",
		SubtotalMicros: 10_000_000, TotalMicros: 10_000_000, Status: billing.InvoiceOpen, IssuedAt: now,
		Lines: []*billing.InvoiceLine{{Description: "Iso plan " + e.B.T.Name, Quantity: 1, AmountMicros: 10_000_000}}}
	if err := e.App.Stores.Billing.IssueInvoice(context.Background(), inv, nil, nil, nil); err != nil {
		e.t.Fatal(err)
	}
	id := strconv.FormatInt(inv.ID, 10)
	billingInvoices.Store(e, id)
	return id
}

// TestBilling_InvoicePages: the admin closes A's period from Nexus; A's
// portal lists the invoice, and its PDF (in the agency's brand, addressed
// to A) reads back with the number and total; a credit note larger than
// the invoice is refused naming the amount, a fitting one is issued with
// the next number; the API lists both for A's key.
func TestBilling_InvoicePages(t *testing.T) {
	e := newTenantEnv(t)
	ctx := context.Background()
	admin := map[string]string{"orengen_session": e.AdminCookie}
	p := &billing.Plan{Name: "Starter", Interval: billing.Month, PriceMicros: 30_000_000, Active: true}
	if err := e.App.Billing.CreatePlan(ctx, p); err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.Billing.Assign(ctx, e.A.T.ID, p.ID); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond) // the period has begun
	a := strconv.FormatInt(e.A.T.ID, 10)
	st, _, resp := e.do(treq{Host: "nexus", Method: "POST", Path: "/billing/tenants/" + a + "/invoice", CSRF: true, Cookies: admin})
	if st != 303 {
		t.Fatalf("invoice now: %d", st)
	}
	_ = resp
	invs, err := e.App.Billing.Invoices(ctx, e.A.T.ID)
	if err != nil || len(invs) != 1 || invs[0].TotalMicros <= 0 || invs[0].TotalMicros > 30_000_000 {
		t.Fatalf("A's invoices %+v %v", invs, err)
	}
	inv := invs[0]
	id := strconv.FormatInt(inv.ID, 10)
	_, body, _ := e.do(treq{Host: "portal", Method: "GET", Path: "/billing", Cookies: map[string]string{"psid": e.A.Cookie}})
	if !strings.Contains(body, inv.Number) || !strings.Contains(body, `href="/billing/invoices/`+id+`/pdf"`) {
		t.Fatalf("A's billing page lacks the invoice: %.4000s", body)
	}
	st, pdfBody, resp := e.do(treq{Host: "portal", Method: "GET", Path: "/billing/invoices/" + id + "/pdf", Cookies: map[string]string{"psid": e.A.Cookie}})
	if st != 200 || resp.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(pdfBody, "%PDF") {
		t.Fatalf("PDF: %d %q", st, resp.Header.Get("Content-Type"))
	}
	text := pdfPlainText(t, []byte(pdfBody))
	for _, want := range []string{"Invoice " + inv.Number, e.A.T.Name, "Starter", "Total USD", billingCents(inv.TotalMicros)} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF text lacks %q: %s", want, text)
		}
	}
	if st, _, _ := e.do(treq{Host: "portal", Method: "GET", Path: "/billing/invoices/" + id + "/pdf", Cookies: map[string]string{"psid": e.B.Cookie}}); st != 404 {
		t.Errorf("B reads A's invoice: %d", st)
	}
	credit := "/billing/tenants/" + a + "/invoices/" + id + "/credit"
	if st, body, _ := e.do(treq{Host: "nexus", Method: "POST", Path: credit, CSRF: true, Cookies: admin, Form: url.Values{"amount": {"1000"}, "reason": {"Too much"}}}); st != 400 || !strings.Contains(body, "at most") {
		t.Fatalf("over-credit: %d", st)
	}
	if st, _, _ := e.do(treq{Host: "nexus", Method: "POST", Path: credit, CSRF: true, Cookies: admin, Form: url.Values{"amount": {"1.50"}, "reason": {"Late start"}}}); st != 303 {
		t.Fatalf("credit: %d", st)
	}
	st, body, _ = e.do(treq{Host: "portal", Method: "GET", Path: "/api/v1/billing/invoices", Bearer: e.A.KeyRead})
	next := billing.FormatNumber(mustNumber(t, inv.Number) + 1)
	if st != 200 || !strings.Contains(body, `"kind":"credit_note"`) || !strings.Contains(body, `"number":"`+next+`"`) || !strings.Contains(body, `"total_micros":-1500000`) {
		t.Fatalf("A's invoices API: %d %s", st, body)
	}
}

func mustNumber(t *testing.T, n string) int64 {
	v, err := strconv.ParseInt(strings.TrimPrefix(n, "INV-"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// billingCents is how the PDF prints an amount.
func billingCents(m int64) string {
	c := (m + 5000) / 10000
	return fmt.Sprintf("$%d.%02d", c/100, c%100)
}

func pdfPlainText(t *testing.T, data []byte) string {
	t.Helper()
	r, err := pdf.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for i := 1; i <= r.NumPage(); i++ {
		s, err := r.Page(i).GetPlainText(nil)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(s)
	}
	return b.String()
}
