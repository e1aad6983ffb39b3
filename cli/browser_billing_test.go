package cli

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"orengen/app"
	"orengen/app/billing"
	"orengen/internal/realtest"
	"orengen/store"
)

// TestBrowser_BillingCardUpdate: a client's owner opens Billing in its
// portal and sees its plan, its usage this period (the chart and the
// priced lines) and its issued invoice; it starts a card update, and the
// browser is sent to the Stripe Checkout page stripe-mock returned (the
// request is captured and blocked: the test stays on loopback).
func TestBrowser_BillingCardUpdate(t *testing.T) {
	ctx := newBrowserFor(t, 120*time.Second)
	sm := realtest.StartStripeMock(t)
	flags := []string{"--stripe-api-url", sm}
	dir := t.TempDir()
	const email = "owner@billing.test"
	var invNumber string
	tn, password := inboxSetup(t, dir, email, flags, func(sv *App, tn *app.Tenant) {
		bg := context.Background()
		if err := sv.Vault.Put(bg, app.GlobalScope, app.SecretStripeKey, "sk_test_browser"); err != nil {
			t.Fatal(err)
		}
		p := &billing.Plan{Name: "Growth", Interval: billing.Month, PriceMicros: 97_000_000, MarkupPct: 20, Active: true}
		if err := sv.Billing.CreatePlan(bg, p); err != nil {
			t.Fatal(err)
		}
		if _, err := sv.Billing.Assign(bg, tn.ID, p.ID); err != nil {
			t.Fatal(err)
		}
		for i, q := range []int64{120, 80} {
			if _, err := sv.Billing.Record(bg, &billing.Event{TenantID: tn.ID, Category: billing.SMS, Source: "test", SourceID: "browser-" + string(rune('a'+i)),
				Quantity: q, CostMicros: q * 7900, CostSource: billing.CostProvider}); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(5 * time.Millisecond)
		inv, err := sv.Billing.CloseNow(bg, tn.ID)
		if err != nil {
			t.Fatal(err)
		}
		invNumber = inv.Number
		// Usage in the new period, for the chart.
		if _, err := sv.Billing.Record(bg, &billing.Event{TenantID: tn.ID, Category: billing.SMS, Source: "test", SourceID: "browser-now", Quantity: 40,
			CostMicros: 40 * 7900, CostSource: billing.CostProvider}); err != nil {
			t.Fatal(err)
		}
	})
	addr, _, stop := MustRunMain(t, dir, flags...)
	defer stop()
	base := "http://app.localhost:" + addr[strings.LastIndex(addr, ":")+1:]
	defer func() {
		if t.Failed() {
			screenshot(t, ctx, "billing-card-failed")
		}
	}()
	var mu sync.Mutex
	var checkout string
	chromedp.ListenTarget(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok && strings.HasPrefix(e.Request.URL, "https://checkout.stripe.com/") {
			mu.Lock()
			checkout = e.Request.URL
			mu.Unlock()
		}
	})
	var usage, invoices, card string
	var bars int
	if err := chromedp.Run(ctx,
		network.Enable(),
		network.SetBlockedURLs([]string{"https://checkout.stripe.com/*"}),
		loginTasks(base+"/login", email, password),
		waitLoaded("main.content h1", chromedp.ByQuery),
		chromedp.Navigate(base+"/billing"),
		waitLoaded(".billing-chart svg", chromedp.ByQuery),
		chromedp.Evaluate(`Array.from(document.querySelectorAll('.billing-chart rect')).filter(r => +r.getAttribute('height') > 0).length`, &bars),
		chromedp.Text(".billing-usage", &usage, chromedp.ByQuery),
		chromedp.Text(".billing-invoices", &invoices, chromedp.ByQuery),
		chromedp.Text(".billing-card", &card, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	if bars < 1 || !strings.Contains(usage, "SMS segments") || !strings.Contains(usage, "40") {
		t.Fatalf("usage: %d bars, %q", bars, usage)
	}
	if !strings.Contains(invoices, invNumber) || !strings.Contains(invoices, "open") {
		t.Fatalf("invoices: %q (want %s)", invoices, invNumber)
	}
	if !strings.Contains(card, "No card on file") {
		t.Fatalf("card panel: %q", card)
	}
	if err := chromedp.Run(ctx, chromedp.Click(".billing-card button", chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		mu.Lock()
		got := checkout
		mu.Unlock()
		if got != "" {
			break
		}
	}
	mu.Lock()
	got := checkout
	mu.Unlock()
	if !strings.HasPrefix(got, "https://checkout.stripe.com/pay/") {
		t.Fatalf("the browser was not sent to Checkout: %q", got)
	}
	db := openDataDB(t, dir)
	cu, err := store.NewBillingPaymentStore(db).FindCustomer(context.Background(), tn.ID)
	if err != nil || !strings.HasPrefix(cu.CustomerID, "cus_") || cu.HasCard() {
		t.Fatalf("customer: %+v %v", cu, err)
	}
}
