package billing_test

import (
	"context"
	"testing"
	"time"

	"orengen/app/billing"
)

// TestService_MarginCountsPeriodBoundaryOnce: a period starts mid-day
// (the plan was assigned at 14:00). Usage in the morning of the day the
// next period starts belongs to the period that ended, and is invoiced
// there; the revenue dashboard's margin of the new period counts only
// the usage since 14:00, and the next invoice does not bill the morning
// again. (Before the fix usage was taken by whole days, so the boundary
// day counted in both periods.)
func TestService_MarginCountsPeriodBoundaryOnce(t *testing.T) {
	s, _, ts := openBilling(t)
	ctx := context.Background()
	acme := ts[0].ID
	now := time.Date(2026, 11, 6, 14, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	p := &billing.Plan{Name: "Pro", Interval: billing.Month, PriceMicros: 20_000_000, Active: true}
	if err := s.CreatePlan(ctx, p); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Assign(ctx, acme, p.ID); err != nil {
		t.Fatal(err)
	}
	// 4 minutes in the morning of Dec 6 (old period), 7 in the afternoon
	// (new period), at the price table's 14,000 micros a minute.
	rec := func(id string, at time.Time, minutes int64) {
		t.Helper()
		if _, err := s.Record(ctx, &billing.Event{TenantID: acme, Category: billing.VoiceMinutes, Source: "test", SourceID: id, Quantity: minutes, CreatedAt: at}); err != nil {
			t.Fatal(err)
		}
	}
	boundary := time.Date(2026, 12, 6, 14, 0, 0, 0, time.UTC)
	rec("morning", boundary.Add(-5*time.Hour), 4)
	now = boundary.Add(time.Hour)
	if n, err := s.CloseDuePeriods(ctx, now); err != nil || n != 1 {
		t.Fatalf("close: %d %v", n, err)
	}
	rec("afternoon", boundary.Add(2*time.Hour), 7)
	invoiced := func() int64 {
		invs, err := s.Invoices(ctx, acme)
		if err != nil {
			t.Fatal(err)
		}
		var minutes int64
		for _, inv := range invs {
			full, err := s.Invoice(ctx, acme, inv.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range full.Lines {
				if l.Category == billing.VoiceMinutes {
					minutes += l.Quantity
				}
			}
		}
		return minutes
	}
	if got := invoiced(); got != 4 {
		t.Fatalf("first invoice bills %d minutes, want the morning's 4", got)
	}
	now = boundary.AddDate(0, 0, 1)
	rev, err := s.Revenue(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(rev.Margins) != 1 || rev.Margins[0].CostMicros != 7*14_000 {
		t.Fatalf("margin of the new period = %+v, want the afternoon's cost %d only", rev.Margins, 7*14_000)
	}
	sum, err := s.Summary(ctx, acme)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range sum.Lines {
		if l.Category == billing.VoiceMinutes && l.Quantity != 7 {
			t.Fatalf("usage this period = %d minutes, want 7", l.Quantity)
		}
	}
	// The next period's invoice bills the afternoon only: 11 minutes in all.
	now = boundary.AddDate(0, 1, 0).Add(time.Hour)
	if n, err := s.CloseDuePeriods(ctx, now); err != nil || n != 1 {
		t.Fatalf("close 2: %d %v", n, err)
	}
	if got := invoiced(); got != 11 {
		t.Fatalf("both invoices bill %d minutes, want 4 + 7", got)
	}
}
