package ui_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"orengen/app/billing"
)

// TestBilling_SettleStuckRecharge: a wallet recharge whose charge Stripe
// answered "processing" and whose event never came is asked about once it
// has waited RechargeSettleAfter (not before): still processing, it is
// left; paid (per the intent read back from stripe-mock), the wallet is
// credited once and a late event adds nothing; a later one that failed is
// kept failed with Stripe's reason and credits nothing. The wallet's
// balance stays the sum of its entries.
func TestBilling_SettleStuckRecharge(t *testing.T) {
	e, stripe, aID, a, owner, debit := prepaidWallet(t) // billing_recharge_test.go
	ctx := context.Background()
	hook := func(body []byte) {
		t.Helper()
		if st, out, _ := e.do(treq{Host: "site", Method: "POST", Path: "/webhooks/stripe", Raw: string(body), ContentType: "application/json",
			Header: map[string]string{"Stripe-Signature": stripeSign(testWebhookSecret, time.Now(), body)}}); st != 200 {
			t.Fatalf("webhook: %d %s", st, out)
		}
	}
	if st, _, _ := e.do(treq{Host: "portal", Method: "POST", Path: "/billing/card", CSRF: true, Cookies: owner}); st != 303 {
		t.Fatalf("card setup: %d", st)
	}
	cust, _ := e.App.Payments.Customer(ctx, aID)
	hook(stripeEvent("evt_settle_card", "checkout.session.completed", time.Now(), map[string]any{"id": "cs_settle", "object": "checkout.session", "mode": "setup",
		"customer": cust.CustomerID, "setup_intent": "seti_settle", "metadata": map[string]string{"tenant_id": a}}))
	if cust, _ = e.App.Payments.Customer(ctx, aID); !cust.HasCard() {
		t.Fatal("no card after the Checkout event")
	}
	if _, err := e.App.Payments.SetAutoRecharge(ctx, aID, 5_000_000, 20_000_000); err != nil {
		t.Fatal(err)
	}
	ledger := func() int64 {
		t.Helper()
		bal, sum, _ := e.walletLedger(aID)
		if bal != sum {
			t.Fatalf("balance %d is not the sum of the entries %d", bal, sum)
		}
		return bal
	}
	latest := func() *billing.Recharge {
		t.Helper()
		rs, err := e.App.Payments.Recharges(ctx, aID, 1)
		if err != nil || len(rs) != 1 {
			t.Fatalf("recharges: %v %v", rs, err)
		}
		return rs[0]
	}
	settle := func(at time.Time) int {
		t.Helper()
		e.App.Billing.Now = func() time.Time { return at }
		defer func() { e.App.Billing.Now = nil }()
		n, err := e.App.Payments.SettleRecharges(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	// $10.00 - 6 texts: under $5.00, a charge Stripe answers "processing".
	stripe.Status.Store("processing")
	debit(6)
	r := latest()
	if r.Status != billing.PaymentProcessing || r.IntentID == "" || ledger() != 4_000_000 {
		t.Fatalf("in flight: %+v, balance %d", r, ledger())
	}
	paid := map[string]any{"id": r.IntentID, "status": "succeeded", "amount": 2000, "amount_received": 2000, "currency": "usd", "customer": cust.CustomerID,
		"metadata": map[string]string{"tenant_id": a, "recharge_id": strconv.FormatInt(r.ID, 10)}, "last_payment_error": nil}
	stripe.Read.Store(paid)
	reads := func() int { return len(stripe.of("GET", "/v1/payment_intents/"+r.IntentID)) }
	if n := settle(time.Now()); n != 0 || reads() != 0 {
		t.Fatalf("a fresh recharge was settled (%d) or read (%d times)", n, reads())
	}
	later := time.Now().Add(billing.RechargeSettleAfter + time.Minute)
	still := map[string]any{}
	for k, v := range paid {
		still[k] = v
	}
	still["status"] = "processing"
	stripe.Read.Store(still)
	if n := settle(later); n != 0 || reads() != 1 || latest().Status != billing.PaymentProcessing {
		t.Fatalf("still processing: settled %d, %d reads, %+v", n, reads(), latest())
	}
	stripe.Read.Store(paid)
	if n := settle(later); n != 1 || latest().Status != billing.PaymentSucceeded || ledger() != 24_000_000 {
		t.Fatalf("paid: settled %d, %+v, balance %d", n, latest(), ledger())
	}
	if n := settle(later); n != 0 || ledger() != 24_000_000 {
		t.Fatalf("settled again: %d, balance %d", n, ledger())
	}
	// Stripe's own event, late: nothing more.
	hook(stripeEvent("evt_settle_late", "payment_intent.succeeded", time.Now(), map[string]any{"id": r.IntentID, "object": "payment_intent", "amount": 2000,
		"amount_received": 2000, "currency": "usd", "customer": cust.CustomerID, "status": "succeeded",
		"metadata": map[string]string{"tenant_id": a, "recharge_id": strconv.FormatInt(r.ID, 10)}}))
	if ledger() != 24_000_000 {
		t.Fatalf("the late event credited again: %d", ledger())
	}

	// Another recharge, stuck and then declined: failed with the reason.
	debit(20) // $24.00 - 20 = $4.00: under the threshold again
	r2 := latest()
	if r2.ID == r.ID || r2.Status != billing.PaymentProcessing {
		t.Fatalf("second recharge: %+v", r2)
	}
	stripe.Read.Store(map[string]any{"id": r2.IntentID, "status": "requires_payment_method", "amount": 2000, "currency": "usd", "customer": cust.CustomerID,
		"metadata":           map[string]string{"tenant_id": a, "recharge_id": strconv.FormatInt(r2.ID, 10)},
		"last_payment_error": map[string]any{"type": "card_error", "message": "Your card has insufficient funds.", "decline_code": "insufficient_funds"}})
	if n := settle(later); n != 1 {
		t.Fatalf("declined: settled %d", n)
	}
	if x := latest(); x.Status != billing.PaymentFailed || !strings.Contains(x.Message, "insufficient funds") || ledger() != 4_000_000 {
		t.Fatalf("declined: %+v, balance %d", x, ledger())
	}
}
