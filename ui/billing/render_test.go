package billing

import (
	"testing"
	"time"

	"orengen/app"
	"orengen/app/billing"
	"orengen/ui/web"
)

// pageData maps every page template of this package to its data. A
// template added without an entry here fails TestTemplates_EveryPage.
var pageData = map[string]func() any{}

func init() {
	now := time.Date(2026, 12, 5, 13, 0, 0, 0, time.UTC)
	te := now.AddDate(0, 0, 14)
	plan := &billing.Plan{ID: 1, Name: "Pro", Interval: billing.Month, PriceMicros: 93_000_000, Wallet: true, Active: true, Included: map[string]int64{billing.SMS: 500}}
	sum := &billing.Summary{Subscription: &billing.Subscription{TenantID: 2, PlanID: 1, Status: billing.Trialing, TrialEnd: &te, TaxRateBP: 825, Plan: plan},
		From: now, To: now.AddDate(0, 1, 0), Lines: []*billing.UsageLine{{Category: billing.SMS, Label: "SMS", Quantity: 600, Included: 500, Billable: 100, CostMicros: 1, PriceMicros: 2}},
		Days: []billing.DayTotal{{Day: now, PriceMicros: 5}, {Day: now.AddDate(0, 0, 1)}}, Wallet: &billing.Wallet{BalanceMicros: 5},
		Entries:     []*billing.WalletEntry{{Kind: "topup", AmountMicros: 5, BalanceMicros: 5, Note: "n", CreatedAt: now}},
		Adjustments: []*billing.Adjustment{{AmountMicros: 3, Description: "d", CreatedAt: now}}}
	withInv := func() *summaryView {
		v := view(sum)
		v.Invoices = []invoiceView{{ID: 3, Number: "INV-000003", Kind: "Invoice", Issued: "Dec 1, 2026", Total: "$1.00", Status: "open", URL: "/billing/invoices/3/pdf", Credit: true}}
		v.RechargeAction, v.RechargeOn, v.RechargeBelow, v.RechargeAmount = "/billing/wallet/recharge", true, "10", "50"
		v.RechargeNotice, v.RechargeFailed, v.RechargeError = "Auto-recharge failed", true, "x"
		return v
	}
	pageData["portal/billing"] = func() any { return &portalPage{S: withInv(), Notice: "n", Suspended: "s"} }
	pageData["nexus/billing"] = func() any {
		return &nexusPage{Rows: []tenantRow{{T: &app.Tenant{ID: 2, Name: "Acme"}, S: withInv(), PlanID: 1}}, Plans: []*billing.Plan{plan},
			Errors: map[string]string{"amount": "x"}, ErrTenant: 2}
	}
	pageData["nexus/billing_revenue"] = func() any {
		return &revenuePage{MRR: "$1.00", Active: 1, Trialing: 1, Charts: []*web.Chart{{ID: "x", Title: "X", Categories: []string{"2026-12"}, Series: []web.ChartSeries{{Name: "a", Values: []float64{1}}}, Stacked: true}},
			Margins: []marginView{{TenantID: 2, Name: "Acme", Plan: "Pro", Billed: "$2", Cost: "$1", Margin: "-$1", Negative: true}},
			Failed:  []failedView{{TenantID: 2, Name: "Acme", Number: "INV-000003", Amount: "$1", Message: "declined", When: "Dec 1", Attempt: "2"}},
			Dunning: &dunningForm{RetryDays: "3, 5", SuspendAfterDays: "14", Email: true}, Errors: map[string]string{"retry_days": "x", "suspend_after_days": "y"}}
	}
	pageData["nexus/billing_plans"] = func() any {
		return &plansPage{Plans: []*planView{planViewOf(plan)}, Form: formOf(plan), Errors: map[string]string{"name": "x"}, Categories: categories(), Plan: planViewOf(plan)}
	}
}

func TestTemplates_EveryPage(t *testing.T) {
	for _, err := range web.CheckPages(Templates, pageData) {
		t.Error(err)
	}
}
