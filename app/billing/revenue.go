package billing

import (
	"context"
	"time"

	"orengen/app"
)

// RevenueMonth is one calendar month (UTC) of the agency's revenue.
type RevenueMonth struct {
	Month          string // 2026-12
	InvoicedMicros int64  // subtotals of the invoices issued, less credit notes
	PaidMicros     int64  // totals of the invoices paid
	Started        int    // clients put on a plan
	Churned        int    // clients taken off their plan
	FailedPayments int
}

// TenantMargin is what a client's usage this period is billed at and
// what it cost the agency.
type TenantMargin struct {
	TenantID     int64
	PlanName     string
	BilledMicros int64
	CostMicros   int64
}

// MarginMicros is billed less cost.
func (m TenantMargin) MarginMicros() int64 { return m.BilledMicros - m.CostMicros }

// FailedPayment is an open invoice whose latest charge failed.
type FailedPayment struct {
	TenantID     int64
	InvoiceID    int64
	Number       string
	Attempt      int
	AmountMicros int64
	Message      string
	At           time.Time
}

// MRR is the monthly recurring revenue of the plans.
type MRR struct {
	MRRMicros        int64 // active subscriptions, yearly prices over 12
	Active, Trialing int
}

// RevenueStore reads what the revenue dashboard shows.
type RevenueStore interface {
	MRR(ctx context.Context) (MRR, error)
	// RevenueMonths returns the months from since on that have anything.
	RevenueMonths(ctx context.Context, since time.Time) ([]RevenueMonth, error)
	FailedPayments(ctx context.Context, limit int) ([]*FailedPayment, error)
	// SubscribedTenants lists the tenants on a plan (not cancelled).
	SubscribedTenants(ctx context.Context) ([]int64, error)
	// CancelSubscription marks the tenant's subscription cancelled
	// (ENOTFOUND without one).
	CancelSubscription(ctx context.Context, tenantID int64) error
}

// Revenue is the agency's revenue dashboard.
type Revenue struct {
	MRR
	Months  []RevenueMonth // the last months, oldest first, every month present
	Margins []TenantMargin // clients on a plan, this period
	Failed  []*FailedPayment
}

// Revenue returns MRR, the last months (invoiced, collected, started,
// churned, failed payments), each subscribed client's usage margin this
// period and the open invoices whose latest charge failed.
func (s *Service) Revenue(ctx context.Context, months int) (*Revenue, error) {
	rs := s.store
	now := s.now()
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -(months - 1), 0)
	out := &Revenue{}
	var err error
	if out.MRR, err = rs.MRR(ctx); err != nil {
		return nil, err
	}
	got, err := rs.RevenueMonths(ctx, first)
	if err != nil {
		return nil, err
	}
	by := map[string]RevenueMonth{}
	for _, m := range got {
		by[m.Month] = m
	}
	for i := range months {
		k := first.AddDate(0, i, 0).Format("2006-01")
		m := by[k]
		m.Month = k
		out.Months = append(out.Months, m)
	}
	ids, err := rs.SubscribedTenants(ctx)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		sum, err := s.Summary(ctx, id)
		if err != nil {
			return nil, err
		}
		m := TenantMargin{TenantID: id}
		if sum.Subscription != nil {
			m.PlanName = sum.Subscription.Plan.Name
		}
		for _, l := range sum.Lines {
			m.BilledMicros += l.PriceMicros
			m.CostMicros += l.CostMicros
		}
		out.Margins = append(out.Margins, m)
	}
	if out.Failed, err = rs.FailedPayments(ctx, 50); err != nil {
		return nil, err
	}
	return out, nil
}

// Cancel takes the tenant off its plan: the period so far is invoiced
// now (unless it has only just started), then the subscription is
// cancelled, which the revenue dashboard counts as churn. Returns
// ENOTFOUND without a plan, ECONFLICT when it is cancelled already.
func (s *Service) Cancel(ctx context.Context, tenantID int64) (*Invoice, error) {
	rs := s.store
	sub, err := s.store.FindSubscription(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if sub.Status == Cancelled {
		return nil, app.Errorf(app.ECONFLICT, "The client is not on a plan.")
	}
	inv, err := s.CloseNow(ctx, tenantID)
	if err != nil && app.ErrorCode(err) != app.ECONFLICT {
		return nil, err
	}
	if err := rs.CancelSubscription(ctx, tenantID); err != nil {
		return nil, err
	}
	return inv, nil
}
