package billing_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"orengen/app"
	"orengen/app/billing"
	"orengen/store"
)

// TestBillingFigures measures, for docs/BENCHMARKS.md: usage events
// recorded per second through Service.Record (price table, subscription
// lookup, event + daily rollup + wallet debit in one transaction), alone
// and from 8 goroutines, against a bare one-row write transaction in the
// same run (the floor of any write); and the month-end run for 1,000
// tenants, each with usage in 4 categories and a proration.
// ORENGEN_BENCH_BILLING=1.
func TestBillingFigures(t *testing.T) {
	if os.Getenv("ORENGEN_BENCH_BILLING") != "1" {
		t.Skip("figures: ORENGEN_BENCH_BILLING=1")
	}
	s, db, ts := openBilling(t)
	ctx := context.Background()
	now := day("2026-11-01T00:00:00Z")
	s.Now = func() time.Time { return now }
	wallet := &billing.Plan{Name: "Wallet", Interval: billing.Month, PriceMicros: 49_000_000, MarkupPct: 20, Wallet: true, Active: true}
	if err := s.CreatePlan(ctx, wallet); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Assign(ctx, ts[0].ID, wallet.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TopUp(ctx, ts[0].ID, 1e12, "bench", ""); err != nil {
		t.Fatal(err)
	}
	const n = 5000
	start := time.Now()
	for i := range n {
		if _, err := s.Record(ctx, &billing.Event{TenantID: ts[0].ID, Category: billing.SMS, Source: "bench", SourceID: fmt.Sprint(i), Quantity: 1}); err != nil {
			t.Fatal(err)
		}
	}
	seq := time.Since(start)
	start = time.Now()
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range n / 8 {
				if _, err := s.Record(ctx, &billing.Event{TenantID: ts[0].ID, Category: billing.Email, Source: "bench8", SourceID: fmt.Sprint(w, "-", i), Quantity: 1}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	par := time.Since(start)
	start = time.Now()
	for i := range n {
		if err := db.Update(ctx, func(tx *store.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO billing_adjustments (tenant_id, amount_micros, description, created_at) VALUES (?, 1, 'x', '2026-11-01T00:00:00Z')`, ts[1].ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		_ = i
	}
	bare := time.Since(start)
	t.Logf("usage events: %.0f/s sequential, %.0f/s from 8 goroutines; bare one-row write %.0f/s (Record costs %.2fx a bare write)",
		n/seq.Seconds(), float64(n/8*8)/par.Seconds(), n/bare.Seconds(), seq.Seconds()/bare.Seconds())

	// Month-end: 1,000 tenants on an invoiced plan with usage.
	plan := &billing.Plan{Name: "Monthly", Interval: billing.Month, PriceMicros: 99_000_000, MarkupPct: 25, Active: true,
		Included: map[string]int64{billing.SMS: 100}, Overage: map[string]int64{billing.SMS: 20_000}}
	up := &billing.Plan{Name: "Monthly plus", Interval: billing.Month, PriceMicros: 149_000_000, MarkupPct: 25, Active: true}
	for _, p := range []*billing.Plan{plan, up} {
		if err := s.CreatePlan(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	tenants := store.NewTenantStore(db)
	const nt = 1000
	for i := range nt {
		tn := &app.Tenant{Name: fmt.Sprintf("Client %04d", i)}
		if err := tenants.CreateTenant(ctx, tn); err != nil {
			t.Fatal(err)
		}
		now = day("2026-11-01T00:00:00Z")
		if _, err := s.Assign(ctx, tn.ID, plan.ID); err != nil {
			t.Fatal(err)
		}
		for j, c := range []string{billing.SMS, billing.VoiceMinutes, billing.AITokens, billing.Email} {
			if _, err := s.Record(ctx, &billing.Event{TenantID: tn.ID, Category: c, Source: "m", SourceID: fmt.Sprint(j), Quantity: int64(150 + i%50)}); err != nil {
				t.Fatal(err)
			}
		}
		if i%4 == 0 {
			now = day("2026-11-16T00:00:00Z")
			if _, err := s.Assign(ctx, tn.ID, up.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	now = day("2026-12-01T00:00:00Z")
	start = time.Now()
	got, err := s.CloseDuePeriods(ctx, now)
	el := time.Since(start)
	if err != nil || got < nt {
		t.Fatalf("month end: %d %v", got, err)
	}
	t.Logf("month-end: %d invoices in %v (%.2f ms each)", got, el.Round(time.Millisecond), float64(el.Milliseconds())/float64(got))
}
