package ui_test

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"orengen/app"
	"orengen/app/billing"
)

// ownerMail lists the subjects (and bodies) the outbox holds for to, oldest first.
func (e *tenantEnv) ownerMail(to, subjectPrefix string) []*app.OutboxMessage {
	e.t.Helper()
	msgs, _, err := e.Outbox.FindOutboxMessages(context.Background(), 200)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []*app.OutboxMessage
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].To == to && strings.HasPrefix(msgs[i].Subject, subjectPrefix) {
			out = append(out, msgs[i])
		}
	}
	return out
}

// TestBilling_Dunning: with retries on days 1 and 2 and suspension after
// 3 (saved in Nexus; a bad schedule is a 400 naming the field), a failed
// charge (stripe-mock) is emailed to the client's owner once, charged
// again on each retry day with a new idempotency key, and after 3 days
// the client's usage-heavy steps stop with a message naming the invoice;
// the payment (Stripe's signed event) lifts the suspension at once. The
// clock is explicit: each run is given its "now".
func TestBilling_Dunning(t *testing.T) {
	stripe := startStripe(t)
	e := newTenantEnv(t, "--stripe-api-url", stripe.URL)
	ctx := context.Background()
	for k, v := range map[string]string{app.SecretStripeKey: "sk_test_orengen", app.SecretStripeWebhook: testWebhookSecret} {
		if err := e.App.Vault.Put(ctx, app.GlobalScope, k, v); err != nil {
			t.Fatal(err)
		}
	}
	admin := map[string]string{"orengen_session": e.AdminCookie}
	aID, a := e.A.T.ID, strconv.FormatInt(e.A.T.ID, 10)

	// Settings.
	st, body, _ := e.do(treq{Host: "nexus", Method: "POST", Path: "/billing/dunning", CSRF: true, Cookies: admin, Form: url.Values{"retry_days": {"5, 3"}, "suspend_after_days": {"3"}, "email": {"1"}}})
	if st != 400 || !strings.Contains(body, `id="retry_days-error"`) {
		t.Fatalf("decreasing retry days: %d", st)
	}
	if st, _, _ := e.do(treq{Host: "nexus", Method: "POST", Path: "/billing/dunning", CSRF: true, Cookies: admin, Form: url.Values{"retry_days": {"1, 2"}, "suspend_after_days": {"3"}, "email": {"1"}}}); st != 303 {
		t.Fatalf("save dunning: %d", st)
	}
	if st, body, _ := e.do(treq{Host: "nexus", Method: "GET", Path: "/api/v1/billing/dunning", Bearer: e.AdminKeyRead}); st != 200 || !strings.Contains(body, `"retry_days":[1,2]`) || !strings.Contains(body, `"suspend_after_days":3`) {
		t.Fatalf("dunning API: %d %s", st, body)
	}

	// A on a plan, invoiced, with a card saved through Checkout.
	p := &billing.Plan{Name: "Growth", Interval: billing.Month, PriceMicros: 97_000_000, Active: true}
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
	if st, _, _ := e.do(treq{Host: "portal", Method: "POST", Path: "/billing/card", CSRF: true, Cookies: map[string]string{"psid": e.A.Cookie}}); st != 303 {
		t.Fatalf("card: %d", st)
	}
	cust, _ := e.App.Payments.Customer(ctx, aID)
	now0 := time.Now()
	done := stripeEvent("evt_dun_card", "checkout.session.completed", now0, map[string]any{"id": "cs_dun", "object": "checkout.session", "mode": "setup",
		"customer": cust.CustomerID, "setup_intent": "seti_dun", "metadata": map[string]string{"tenant_id": a}})
	if st, _, _ := e.do(treq{Host: "site", Method: "POST", Path: "/webhooks/stripe", Raw: string(done), ContentType: "application/json",
		Header: map[string]string{"Stripe-Signature": stripeSign(testWebhookSecret, now0, done)}}); st != 200 {
		t.Fatalf("card event: %d", st)
	}

	// The first charge fails (stripe-mock's intent requires a payment method).
	if pay, err := e.App.Payments.PayInvoice(ctx, aID, inv.ID); err != nil || pay.Status != billing.PaymentFailed {
		t.Fatalf("first charge: %+v %v", pay, err)
	}
	owner := e.A.Owner.Email
	run := func(at time.Time, wantCharges int) {
		t.Helper()
		n, err := e.App.Payments.RunDunning(ctx, at)
		if err != nil || n != wantCharges {
			t.Fatalf("dunning at +%s: %d charges, %v; want %d", at.Sub(now0).Round(time.Hour), n, err, wantCharges)
		}
	}
	run(now0, 0)
	run(now0, 0)
	mails := e.ownerMail(owner, "Payment failed: invoice "+inv.Number)
	if len(mails) != 1 || !strings.Contains(mails[0].Body, "requires_payment_method") || !strings.Contains(mails[0].Body, "again on "+now0.AddDate(0, 0, 1).Format("Jan 2, 2006")) ||
		!strings.Contains(mails[0].Body, "/billing") {
		t.Fatalf("failure emails: %+v", mails)
	}
	if err := e.App.Billing.Allow(ctx, aID, billing.SMS); err != nil {
		t.Fatalf("suspended too early: %v", err)
	}

	// Day 1 and day 2: a retry each, each with its own key, each emailed.
	run(now0.Add(25*time.Hour), 1)
	run(now0.Add(25*time.Hour), 0)
	run(now0.Add(49*time.Hour), 1)
	pays, _ := e.App.Payments.PaymentsOf(ctx, aID, inv.ID)
	pis := stripe.of("POST", "/v1/payment_intents")
	if len(pays) != 3 || len(pis) != 3 || pis[1].Key != "orengen-payment-"+strconv.FormatInt(pays[1].ID, 10) || pis[2].Key != "orengen-payment-"+strconv.FormatInt(pays[0].ID, 10) {
		t.Fatalf("retries: %d payments, %d intents", len(pays), len(pis))
	}
	if mails = e.ownerMail(owner, "Payment failed: invoice "+inv.Number); len(mails) != 3 || !strings.Contains(mails[2].Body, "No further attempt") {
		t.Fatalf("failure emails after the retries: %d", len(mails))
	}
	if err := e.App.Billing.Allow(ctx, aID, billing.SMS); err != nil {
		t.Fatalf("suspended before day 3: %v", err)
	}

	// Day 3: no retry left; usage stops, with why.
	run(now0.Add(73*time.Hour), 0)
	run(now0.Add(74*time.Hour), 0)
	err = e.App.Billing.Allow(ctx, aID, billing.SMS)
	if app.ErrorCode(err) != app.EFORBIDDEN || !strings.Contains(app.ErrorMessage(err), inv.Number) || !strings.Contains(app.ErrorMessage(err), "suspended") {
		t.Fatalf("A after day 3: %v", err)
	}
	if err := e.App.Billing.Allow(ctx, e.B.T.ID, billing.SMS); err != nil {
		t.Fatalf("B is suspended too: %v", err)
	}
	if m := e.ownerMail(owner, "Usage suspended"); len(m) != 1 {
		t.Fatalf("suspension emails: %d", len(m))
	}
	_, body, _ = e.do(treq{Host: "portal", Method: "GET", Path: "/billing", Cookies: map[string]string{"psid": e.A.Cookie}})
	if !strings.Contains(body, "billing-suspended") || !strings.Contains(body, inv.Number+" is unpaid") {
		t.Fatalf("portal lacks the suspension: %.3000s", body)
	}

	// Paid (Stripe's event): the suspension is lifted in the same transaction.
	pays, _ = e.App.Payments.PaymentsOf(ctx, aID, inv.ID)
	ok := stripeEvent("evt_dun_paid", "payment_intent.succeeded", now0, map[string]any{"id": pays[0].IntentID, "object": "payment_intent",
		"amount": inv.TotalMicros / 10000, "amount_received": inv.TotalMicros / 10000, "currency": "usd", "customer": cust.CustomerID, "status": "succeeded"})
	if st, body, _ := e.do(treq{Host: "site", Method: "POST", Path: "/webhooks/stripe", Raw: string(ok), ContentType: "application/json",
		Header: map[string]string{"Stripe-Signature": stripeSign(testWebhookSecret, now0, ok)}}); st != 200 || !strings.Contains(body, `"applied":true`) {
		t.Fatalf("paid event: %d %s", st, body)
	}
	if err := e.App.Billing.Allow(ctx, aID, billing.SMS); err != nil {
		t.Fatalf("still suspended after paying: %v", err)
	}
	run(now0.Add(100*time.Hour), 0)
	if m := e.ownerMail(owner, "Payment failed"); len(m) != 3 {
		t.Fatalf("emails after payment: %d", len(m))
	}
}

// recordingMailer keeps what is sent (attachments too: the outbox keeps
// only the text) and passes it on to the harness's mailer.
type recordingMailer struct {
	app.Mailer
	mu   sync.Mutex
	sent []*app.Message
}

// Ping implements app.Pinger: a test fake has no connection to test.
func (*recordingMailer) Ping(context.Context) error {
	return errors.New("a test's mailer has no connection to test")
}

func (r *recordingMailer) Send(ctx context.Context, m *app.Message) error {
	r.mu.Lock()
	r.sent = append(r.sent, m)
	r.mu.Unlock()
	return r.Mailer.Send(ctx, m)
}

// TestBilling_InvoiceEmailed: an issued invoice, and a credit note, are
// emailed to the client's owners (not its members, not another client)
// with the PDF attached, in the agency's name.
func TestBilling_InvoiceEmailed(t *testing.T) {
	e := newTenantEnv(t)
	ctx := context.Background()
	rec := &recordingMailer{Mailer: e.App.Mailer}
	e.App.Mailer = rec
	p := &billing.Plan{Name: "Starter", Interval: billing.Month, PriceMicros: 30_000_000, Active: true}
	if err := e.App.Billing.CreatePlan(ctx, p); err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.Billing.Assign(ctx, e.A.T.ID, p.ID); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)
	admin := map[string]string{"orengen_session": e.AdminCookie}
	a := strconv.FormatInt(e.A.T.ID, 10)
	if st, _, _ := e.do(treq{Host: "nexus", Method: "POST", Path: "/billing/tenants/" + a + "/invoice", CSRF: true, Cookies: admin}); st != 303 {
		t.Fatalf("invoice now: %d", st)
	}
	invs, _ := e.App.Billing.Invoices(ctx, e.A.T.ID)
	if len(invs) != 1 {
		t.Fatalf("invoices: %d", len(invs))
	}
	inv := invs[0]
	rec.mu.Lock()
	sent := append([]*app.Message(nil), rec.sent...)
	rec.mu.Unlock()
	var got *app.Message
	for _, m := range sent {
		if m.To == e.A.Member.Email || m.To == e.B.Owner.Email {
			t.Fatalf("invoice mailed to %s", m.To)
		}
		if m.To == e.A.Owner.Email && strings.HasPrefix(m.Subject, "Invoice "+inv.Number) {
			if got != nil {
				t.Fatal("the invoice was mailed twice")
			}
			got = m
		}
	}
	if got == nil || len(got.Attachments) != 1 || got.Attachments[0].Name != inv.Number+".pdf" || got.Attachments[0].ContentType != "application/pdf" {
		t.Fatalf("invoice email: %+v", got)
	}
	text := pdfPlainText(t, got.Attachments[0].Data)
	for _, want := range []string{"Invoice " + inv.Number, e.A.T.Name, "Starter", billingCents(inv.TotalMicros)} {
		if !strings.Contains(text, want) {
			t.Errorf("attached PDF lacks %q: %s", want, text)
		}
	}
	if !strings.Contains(got.Text, billing.FormatMicros(inv.TotalMicros)) || !strings.Contains(got.Text, "/billing") {
		t.Errorf("invoice email text: %s", got.Text)
	}
	if m := e.ownerMail(e.A.Owner.Email, "Invoice "+inv.Number); len(m) != 1 {
		t.Errorf("outbox: %d messages for the invoice", len(m))
	}
	cn, err := e.App.Billing.CreditNote(ctx, e.A.T.ID, inv.ID, 1_000_000, "Goodwill")
	if err != nil {
		t.Fatal(err)
	}
	if m := e.ownerMail(e.A.Owner.Email, "Credit note "+cn.Number); len(m) != 1 {
		t.Errorf("credit note emails: %d", len(m))
	}
}
