package ui_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"orengen/app/billing"
)

// TestBilling_RevenueDashboard: Nexus › Billing › Revenue and its API
// show MRR (a yearly plan counts a twelfth), clients put on and taken off
// a plan this month (churn), each client's usage margin (billed at cost
// plus markup less the provider's cost) and the open invoices whose
// latest charge failed, with the failure's reason. Taking a client off
// its plan invoices its period so far and drops it from MRR.
func TestBilling_RevenueDashboard(t *testing.T) {
	e := newTenantEnv(t)
	ctx := context.Background()
	admin := map[string]string{"orengen_session": e.AdminCookie}
	monthly := &billing.Plan{Name: "Monthly", Interval: billing.Month, PriceMicros: 97_000_000, MarkupPct: 50, Active: true}
	yearly := &billing.Plan{Name: "Yearly", Interval: billing.Year, PriceMicros: 1_200_000_000, Active: true}
	for _, p := range []*billing.Plan{monthly, yearly} {
		if err := e.App.Billing.CreatePlan(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.App.Billing.Assign(ctx, e.A.T.ID, monthly.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.Billing.Assign(ctx, e.B.T.ID, yearly.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.Billing.Record(ctx, &billing.Event{TenantID: e.A.T.ID, Category: billing.SMS, Source: "test", SourceID: "rev-1", Quantity: 100,
		CostMicros: 790_000, CostSource: billing.CostProvider}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)
	inv, err := e.App.Billing.CloseNow(ctx, e.A.T.ID)
	if err != nil {
		t.Fatal(err)
	}
	// A's charge was declined.
	pay := &billing.Payment{TenantID: e.A.T.ID, InvoiceID: inv.ID, AmountMicros: inv.TotalMicros, Currency: "usd"}
	if err := e.App.Stores.Payments.StartPayment(ctx, pay); err != nil {
		t.Fatal(err)
	}
	pay.IntentID, pay.Status, pay.Message = "pi_declined", billing.PaymentFailed, "Your card was declined. (insufficient_funds)"
	if err := e.App.Stores.Payments.FinishPayment(ctx, pay); err != nil {
		t.Fatal(err)
	}
	// More usage in A's new period. Its margin counts only this event:
	// the first one was invoiced with the period that ended (a period is
	// its instants, not whole days).
	if _, err := e.App.Billing.Record(ctx, &billing.Event{TenantID: e.A.T.ID, Category: billing.SMS, Source: "test", SourceID: "rev-2", Quantity: 100,
		CostMicros: 790_000, CostSource: billing.CostProvider}); err != nil {
		t.Fatal(err)
	}

	type revenue struct {
		Data struct {
			MRR    int64 `json:"mrr_micros"`
			Active int
			Months []struct {
				Month            string
				Started, Churned int
				FailedPayments   int   `json:"failed_payments"`
				InvoicedMicros   int64 `json:"invoiced_micros"`
			}
			Margins []struct {
				TenantID     int64 `json:"tenant_id"`
				BilledMicros int64 `json:"billed_micros"`
				CostMicros   int64 `json:"cost_micros"`
				MarginMicros int64 `json:"margin_micros"`
			}
			Failed []struct {
				Number, Message string
			} `json:"failed_payments"`
		}
	}
	read := func() revenue {
		t.Helper()
		st, body, _ := e.do(treq{Host: "nexus", Method: "GET", Path: "/api/v1/billing/revenue", Bearer: e.AdminKeyRead})
		var r revenue
		if st != 200 || json.Unmarshal([]byte(body), &r) != nil {
			t.Fatalf("revenue API: %d %s", st, body)
		}
		return r
	}
	r := read()
	if r.Data.MRR != 197_000_000 || r.Data.Active != 2 || len(r.Data.Months) != 12 {
		t.Fatalf("MRR %d active %d months %d, want 197000000, 2, 12", r.Data.MRR, r.Data.Active, len(r.Data.Months))
	}
	now := r.Data.Months[11]
	if now.Month != time.Now().UTC().Format("2006-01") || now.Started != 2 || now.Churned != 0 || now.FailedPayments != 1 || now.InvoicedMicros != inv.SubtotalMicros {
		t.Fatalf("this month: %+v (invoice subtotal %d)", now, inv.SubtotalMicros)
	}
	var aMargin int64 = -1
	for _, m := range r.Data.Margins {
		if m.TenantID == e.A.T.ID {
			if m.BilledMicros != 1_185_000 || m.CostMicros != 790_000 {
				t.Fatalf("A's margin: %+v, want billed 1185000 (cost + 50%%), cost 790000", m)
			}
			aMargin = m.MarginMicros
		}
	}
	if aMargin != 395_000 || len(r.Data.Failed) != 1 || r.Data.Failed[0].Number != inv.Number || !strings.Contains(r.Data.Failed[0].Message, "insufficient_funds") {
		t.Fatalf("margin %d, failed %+v", aMargin, r.Data.Failed)
	}

	// B is taken off its plan from Nexus: churn, and out of MRR.
	b := strconv.FormatInt(e.B.T.ID, 10)
	if st, _, _ := e.do(treq{Host: "nexus", Method: "POST", Path: "/billing/tenants/" + b + "/cancel", CSRF: true, Cookies: admin}); st != 303 {
		t.Fatalf("cancel: %d", st)
	}
	if invs, _ := e.App.Billing.Invoices(ctx, e.B.T.ID); len(invs) != 1 || invs[0].PlanName != "Yearly" {
		t.Fatalf("B's period so far is not invoiced: %+v", invs)
	}
	r = read()
	if r.Data.MRR != 97_000_000 || r.Data.Months[11].Churned != 1 {
		t.Fatalf("after B left: MRR %d, churned %d", r.Data.MRR, r.Data.Months[11].Churned)
	}
	if st, body, _ := e.do(treq{Host: "nexus", Method: "DELETE", Path: "/api/v1/billing/subscriptions/" + b, Bearer: e.AdminKeyW}); st != 409 || !strings.Contains(body, "not on a plan") {
		t.Fatalf("cancelling twice: %d %s", st, body)
	}
	_, body, _ := e.do(treq{Host: "nexus", Method: "GET", Path: "/billing/revenue", Cookies: admin})
	for _, want := range []string{`<strong class="revenue-mrr">$97.00</strong>`, `<strong class="revenue-churn">1</strong>`, `id="churn"`, `id="margin"`, `id="collected"`,
		inv.Number, "insufficient_funds", "$0.79", e.A.T.BrandName()} {
		if !strings.Contains(body, want) {
			t.Errorf("revenue page lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("%.6000s", body)
	}
	// Put back on a plan: a resume, not a new start.
	if _, err := e.App.Billing.Assign(ctx, e.B.T.ID, monthly.ID); err != nil {
		t.Fatal(err)
	}
	if r = read(); r.Data.MRR != 194_000_000 || r.Data.Months[11].Started != 2 {
		t.Fatalf("after B came back: MRR %d, started %d", r.Data.MRR, r.Data.Months[11].Started)
	}
}
