package billing_test

import (
	"context"
	"testing"
	"time"

	"orengen/app"
	"orengen/app/billing"
	"orengen/store"
)

// Month-end invoicing: the plan, usage beyond what is included (overage
// price, or cost plus markup), the proration of a plan change and the
// tenant's tax, with totals computed by hand; numbers without gaps across
// invoices and credit notes, also past a refused issue; a second run
// invoices nothing; an issued invoice cannot be changed.
func TestService_InvoicesTotalsAndNumbering(t *testing.T) {
	s, db, ts := openBilling(t)
	ctx := context.Background()
	now := day("2026-11-01T00:00:00Z")
	s.Now = func() time.Time { return now }
	basic := &billing.Plan{Name: "Basic", Interval: billing.Month, PriceMicros: 31_000_000, MarkupPct: 20, Active: true,
		Included: map[string]int64{billing.SMS: 100}, Overage: map[string]int64{billing.SMS: 20_000}}
	pro := &billing.Plan{Name: "Pro", Interval: billing.Month, PriceMicros: 62_000_000, MarkupPct: 20, Active: true,
		Included: map[string]int64{billing.SMS: 100}, Overage: map[string]int64{billing.SMS: 20_000}}
	for _, p := range []*billing.Plan{basic, pro} {
		if err := s.CreatePlan(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	a, b := ts[0].ID, ts[1].ID
	for _, tn := range []int64{a, b} {
		if _, err := s.Assign(ctx, tn, basic.ID); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetTaxRate(ctx, a, 825); err != nil {
		t.Fatal(err)
	}
	// November 16 (15 of 30 days left): Basic -> Pro costs 31 × 15/30 = 15.50.
	now = day("2026-11-16T00:00:00Z")
	if _, err := s.Assign(ctx, a, pro.ID); err != nil {
		t.Fatal(err)
	}
	// 150 texts (50 over at 0.02 = 1.00) and 10 minutes (cost 0.14 + 20% = 0.168 -> 0.17).
	for i := range 150 {
		if _, err := s.Record(ctx, &billing.Event{TenantID: a, Category: billing.SMS, Source: "t", SourceID: "s" + string(rune('A'+i/26)) + string(rune('a'+i%26)), Quantity: 1}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Record(ctx, &billing.Event{TenantID: a, Category: billing.VoiceMinutes, Source: "t", SourceID: "call", Quantity: 10}); err != nil {
		t.Fatal(err)
	}
	now = day("2026-12-01T00:00:00Z")
	n, err := s.CloseDuePeriods(ctx, now)
	if err != nil || n != 2 {
		t.Fatalf("month end: %d %v, want 2 invoices", n, err)
	}
	if n, err := s.CloseDuePeriods(ctx, now); err != nil || n != 0 {
		t.Fatalf("second run: %d %v, want nothing", n, err)
	}
	invs, err := s.Invoices(ctx, a)
	if err != nil || len(invs) != 1 {
		t.Fatalf("A's invoices %+v %v", invs, err)
	}
	inv, err := s.Invoice(ctx, a, invs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	// 62.00 + 1.00 + 0.17 + 15.50 = 78.67; tax 8.25% = 6.490275 -> 6.49; total 85.16.
	if inv.SubtotalMicros != 78_670_000 || inv.TaxMicros != 6_490_000 || inv.TotalMicros != 85_160_000 || len(inv.Lines) != 4 {
		t.Fatalf("invoice %+v lines %d", inv, len(inv.Lines))
	}
	want := []int64{62_000_000, 1_000_000, 170_000, 15_500_000}
	for i, l := range inv.Lines {
		if l.AmountMicros != want[i] {
			t.Errorf("line %d %q = %d, want %d", i, l.Description, l.AmountMicros, want[i])
		}
	}
	bInv, _ := s.Invoices(ctx, b)
	if len(bInv) != 1 || bInv[0].TotalMicros != 31_000_000 {
		t.Fatalf("B's invoice %+v", bInv)
	}
	if got := []string{inv.Number, bInv[0].Number}; !(got[0] == "INV-000001" && got[1] == "INV-000002" || got[0] == "INV-000002" && got[1] == "INV-000001") {
		t.Fatalf("numbers %v", got)
	}
	// The period moved on; the adjustment is invoiced.
	if sub, _ := s.Subscription(ctx, a); !sub.PeriodStart.Equal(now) {
		t.Errorf("period not advanced: %+v", sub)
	}
	if adj, _ := s.Adjustments(ctx, a); len(adj) != 0 {
		t.Errorf("adjustments left: %+v", adj)
	}
	// Credit notes: too much is refused (no number used), then one is issued.
	if _, err := s.CreditNote(ctx, a, inv.ID, 80_000_000, "Outage"); app.ErrorField(err) != "amount" {
		t.Fatalf("over-credit: %v", err)
	}
	if _, err := s.CreditNote(ctx, b, inv.ID, 1_000_000, "Outage"); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("B crediting A's invoice: %v", err)
	}
	cn, err := s.CreditNote(ctx, a, inv.ID, 10_000_000, "Outage on Nov 20")
	if err != nil || cn.Number != "INV-000003" || cn.TotalMicros != -10_830_000 {
		t.Fatalf("credit note %+v %v, want INV-000003 and -10.83", cn, err)
	}
	// Issued documents are immutable.
	if _, err := db.ReadDB().ExecContext(ctx, `UPDATE billing_invoices SET total_micros = 1 WHERE id = ?`, inv.ID); err == nil {
		t.Error("an issued invoice's total changed")
	}
	if _, err := db.ReadDB().ExecContext(ctx, `UPDATE billing_invoice_lines SET amount_micros = 1 WHERE invoice_id = ?`, inv.ID); err == nil {
		t.Error("an issued invoice's line changed")
	}
	// Issuing for a period already invoiced is refused and uses no number.
	dup := &billing.Invoice{TenantID: a, Kind: billing.KindInvoice, Currency: "USD", PeriodStart: inv.PeriodStart, PeriodEnd: inv.PeriodEnd, Status: billing.InvoiceOpen, IssuedAt: now}
	if err := store.NewBillingStore(db).IssueInvoice(ctx, dup, nil, nil, nil); app.ErrorCode(err) != app.ECONFLICT {
		t.Fatalf("second invoice of a period: %v", err)
	}
	now = day("2026-12-20T00:00:00Z")
	if _, err := s.CloseNow(ctx, a); err != nil {
		t.Fatal(err)
	}
	invs, _ = s.Invoices(ctx, a)
	if invs[0].Number != "INV-000004" {
		t.Fatalf("next number %s, want INV-000004", invs[0].Number)
	}
}

func TestTaxAndCents(t *testing.T) {
	for _, tc := range [][3]int64{{78_670_000, 825, 6_490_275}, {-10_000_000, 825, -825_000}, {1, 5000, 1}, {0, 825, 0}} {
		if got := billing.Tax(tc[0], int(tc[1])); got != tc[2] {
			t.Errorf("Tax(%d, %d) = %d, want %d", tc[0], tc[1], got, tc[2])
		}
	}
	for in, want := range map[int64]int64{6_490_278: 6_490_000, 5_000: 10_000, 4_999: 0, -5_000: -10_000, 168_000: 170_000} {
		if got := billing.Cents(in); got != want {
			t.Errorf("Cents(%d) = %d, want %d", in, got, want)
		}
	}
}
