package billing_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"orengen/app"
	"orengen/app/billing"
)

func day(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// Proration against values computed by hand (shown in the comments).
func TestProrate(t *testing.T) {
	for _, tc := range []struct {
		name           string
		old, new       int64
		start, end, at string
		want           int64
	}{
		// December has 31 days; 16 are left on Dec 16: 63 × 16/31 = 32.516129...
		{"upgrade mid-month", 30_000_000, 93_000_000, "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z", "2026-12-16T00:00:00Z", 32_516_129},
		// 12 of 744 hours left: -63 × 12/744 = -1.016129...
		{"downgrade last day noon", 93_000_000, 30_000_000, "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z", "2026-12-31T12:00:00Z", -1_016_129},
		// 181 of 365 days left of a yearly $1,200: -1200 × 181/365 = -595.068493...
		{"yearly credit", 1_200_000_000, 0, "2026-03-01T00:00:00Z", "2027-03-01T00:00:00Z", "2026-09-01T00:00:00Z", -595_068_493},
		// Half a micro rounds away from zero, both ways.
		{"half up", 0, 1, "2026-12-01T00:00:00Z", "2026-12-03T00:00:00Z", "2026-12-02T00:00:00Z", 1},
		{"half down", 1, 0, "2026-12-01T00:00:00Z", "2026-12-03T00:00:00Z", "2026-12-02T00:00:00Z", -1},
		{"whole period", 10_000_000, 40_000_000, "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z", "2026-11-20T00:00:00Z", 30_000_000},
		{"after the period", 10_000_000, 40_000_000, "2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z", "2027-01-01T00:00:00Z", 0},
	} {
		if got := billing.Prorate(tc.old, tc.new, day(tc.start), day(tc.end), day(tc.at)); got != tc.want {
			t.Errorf("%s: Prorate = %d, want %d", tc.name, got, tc.want)
		}
	}
}

// Assign: the first plan starts a trial; a change during it moves the
// trial to the new plan with no charge; after the trial an upgrade keeps
// the period and records the prorated difference; monthly to yearly
// credits the unused month and starts a new period.
func TestService_AssignProrates(t *testing.T) {
	s, _, ts := openBilling(t)
	ctx := context.Background()
	now := day("2026-12-01T00:00:00Z")
	s.Now = func() time.Time { return now }
	tn := ts[0].ID
	basic := &billing.Plan{Name: "Basic", Interval: billing.Month, PriceMicros: 30_000_000, TrialDays: 14, Active: true}
	pro := &billing.Plan{Name: "Pro", Interval: billing.Month, PriceMicros: 93_000_000, Active: true}
	yearly := &billing.Plan{Name: "Pro yearly", Interval: billing.Year, PriceMicros: 900_000_000, Active: true}
	for _, p := range []*billing.Plan{basic, pro, yearly} {
		if err := s.CreatePlan(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	sub, err := s.Assign(ctx, tn, basic.ID)
	if err != nil || sub.Status != billing.Trialing || !sub.TrialEnd.Equal(day("2026-12-15T00:00:00Z")) || !sub.PeriodEnd.Equal(day("2027-01-01T00:00:00Z")) {
		t.Fatalf("first plan: %+v %v", sub, err)
	}
	now = day("2026-12-05T00:00:00Z") // in the trial: no proration
	if _, err := s.Assign(ctx, tn, pro.ID); err != nil {
		t.Fatal(err)
	}
	if adj, _ := s.Adjustments(ctx, tn); len(adj) != 0 {
		t.Fatalf("a change in the trial was charged: %+v", adj)
	}
	if _, err := s.Assign(ctx, tn, basic.ID); err != nil { // back to Basic, still in the trial
		t.Fatal(err)
	}
	now = day("2026-12-16T00:00:00Z")
	sub, err = s.Assign(ctx, tn, pro.ID)
	if err != nil || sub.PlanID != pro.ID || !sub.PeriodStart.Equal(day("2026-12-01T00:00:00Z")) {
		t.Fatalf("upgrade: %+v %v", sub, err)
	}
	adj, err := s.Adjustments(ctx, tn)
	if err != nil || len(adj) != 1 || adj[0].AmountMicros != 32_516_129 {
		t.Fatalf("upgrade adjustment: %+v %v, want 32516129", adj, err)
	}
	// The same plan again changes nothing.
	if _, err := s.Assign(ctx, tn, pro.ID); err != nil {
		t.Fatal(err)
	}
	if adj, _ := s.Adjustments(ctx, tn); len(adj) != 1 {
		t.Fatalf("re-assigning the same plan added %+v", adj)
	}
	// Monthly to yearly on Dec 31 noon: credit 93 × 12/744 = 1.5; new period from now.
	now = day("2026-12-31T12:00:00Z")
	sub, err = s.Assign(ctx, tn, yearly.ID)
	if err != nil || !sub.PeriodStart.Equal(now) || !sub.PeriodEnd.Equal(day("2027-12-31T12:00:00Z")) {
		t.Fatalf("to yearly: %+v %v", sub, err)
	}
	adj, _ = s.Adjustments(ctx, tn)
	if len(adj) != 2 || adj[1].AmountMicros != -1_500_000 {
		t.Fatalf("credit: %+v, want -1500000", adj)
	}
	// Bad input names its field.
	if _, err := s.Assign(ctx, tn, 9999); app.ErrorField(err) != "plan_id" {
		t.Errorf("unknown plan: %v", err)
	}
	if err := s.CreatePlan(ctx, &billing.Plan{Name: "X", Interval: "week"}); app.ErrorField(err) != "interval" {
		t.Errorf("bad interval: %v", err)
	}
	if err := s.CreatePlan(ctx, &billing.Plan{Name: "Basic", Interval: billing.Month}); app.ErrorCode(err) != app.ECONFLICT {
		t.Errorf("duplicate name: %v", err)
	}
	if err := s.CreatePlan(ctx, &billing.Plan{Name: "Y", Interval: billing.Month, Overage: map[string]int64{"fax": 1}}); app.ErrorField(err) != "overage" {
		t.Errorf("bad overage category: %v", err)
	}
}

// A wallet plan: usage is debited at cost plus markup (or the overage
// price) as it is recorded; when the balance reaches zero texts stop with
// a clear message and nothing is sent; under concurrent usage the
// balance always equals the sum of the wallet's entries.
func TestService_WalletStopsAndBalances(t *testing.T) {
	s, db, ts := openBilling(t)
	ctx := context.Background()
	tn := ts[0].ID
	plan := &billing.Plan{Name: "Prepaid", Interval: billing.Month, MarkupPct: 25, Wallet: true, Overage: map[string]int64{billing.Email: 1000}, Active: true}
	if err := s.CreatePlan(ctx, plan); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Assign(ctx, tn, plan.ID); err != nil {
		t.Fatal(err)
	}
	inner := &fakeTel{}
	tel := s.Telephony(tn, inner)
	if _, err := tel.SendSMS(ctx, app.SMS{Body: "hi"}); app.ErrorCode(err) != app.EFORBIDDEN || inner.n != 0 {
		t.Fatalf("empty wallet: err %v, sent %d; want EFORBIDDEN and nothing sent", err, inner.n)
	} else if msg := app.ErrorMessage(err); msg != "The prepaid wallet is empty: add funds under Billing to resume SMS segments." {
		t.Errorf("message %q", msg)
	}
	if ok, err := s.TopUp(ctx, tn, 20_000, "pay-1", "test"); err != nil || !ok {
		t.Fatal(ok, err)
	}
	if ok, _ := s.TopUp(ctx, tn, 20_000, "pay-1", "test"); ok {
		t.Fatal("the same payment topped up twice")
	}
	if _, err := s.TopUp(ctx, tn, 0, "", ""); app.ErrorField(err) != "amount" {
		t.Errorf("zero top-up: %v", err)
	}
	// 7,900 × 1.25 = 9,875 per segment: two texts take 19,750 of 20,000.
	for range 2 {
		if _, err := tel.SendSMS(ctx, app.SMS{Body: "hi"}); err != nil {
			t.Fatal(err)
		}
	}
	w, _, err := s.Wallet(ctx, tn, 10)
	if err != nil || w.BalanceMicros != 250 {
		t.Fatalf("balance %+v %v, want 250", w, err)
	}
	// An email at the overage price 1,000 takes it below zero; then texts stop.
	if err := s.Mailer(tn, &fakeMailer{}).Send(ctx, &app.Message{To: "a@x.test"}); err != nil {
		t.Fatal(err)
	}
	if _, err := tel.SendSMS(ctx, app.SMS{Body: "hi"}); app.ErrorCode(err) != app.EFORBIDDEN {
		t.Fatalf("overdrawn wallet: %v", err)
	}
	// Concurrent top-ups and usage: the balance is the sum of the entries.
	if _, err := s.TopUp(ctx, tn, 10_000_000, "pay-2", ""); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Go(func() {
			for i := range 30 {
				if w%3 == 0 {
					_, _ = s.TopUp(ctx, tn, 1000, fmt.Sprintf("c%d-%d", w, i), "")
					continue
				}
				_, _ = s.Record(ctx, &billing.Event{TenantID: tn, Category: billing.SMS, Source: "test", SourceID: fmt.Sprintf("%d", i+30*(w%2)), Quantity: 1})
			}
		})
	}
	wg.Wait()
	var bal, sum, n int64
	if err := db.ReadDB().QueryRowContext(ctx, `SELECT balance_micros FROM billing_wallets WHERE tenant_id = ?`, tn).Scan(&bal); err != nil {
		t.Fatal(err)
	}
	if err := db.ReadDB().QueryRowContext(ctx, `SELECT SUM(amount_micros), COUNT(*) FROM billing_wallet_entries WHERE tenant_id = ?`, tn).Scan(&sum, &n); err != nil {
		t.Fatal(err)
	}
	// 2 top-ups + 2×30 concurrent top-ups + 3 sends + 60 distinct usage events.
	if bal != sum || n != 2+60+3+60 {
		t.Fatalf("balance %d, sum of %d entries %d; want equal and 125 entries", bal, n, sum)
	}
	want := int64(20_000+10_000_000+60*1000) - 2*9875 - 1000 - 60*9875
	if bal != want {
		t.Errorf("balance %d, want %d", bal, want)
	}
}
