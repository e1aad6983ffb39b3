package billing

import (
	"context"
	"fmt"
	"math/big"
	"strings"
	"time"

	"orengen/app"
)

// Plan intervals.
const (
	Month = "month"
	Year  = "year"
)

// Subscription states.
const (
	Trialing  = "trialing"
	Active    = "active"
	Cancelled = "cancelled"
)

// Plan is what the agency sells a client: a price per month or year,
// usage included per period, the overage price per unit beyond it, the
// markup on pass-through usage without an overage price, a trial, and
// whether usage is prepaid from the wallet (and stops when it is empty).
type Plan struct {
	ID          int64
	Name        string
	Interval    string
	PriceMicros int64
	TrialDays   int
	MarkupPct   int
	// Wallet: usage is paid from the tenant's prepaid wallet, and texts,
	// calls, emails and AI stop with a clear message when it is empty.
	Wallet bool
	// Included units per period and overage micros per unit, by
	// category.
	Included map[string]int64
	Overage  map[string]int64
	// ModulesOff are the portal modules (Modules keys) a tenant on the
	// plan does not see; empty: every module.
	ModulesOff []string
	Active     bool
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Validate checks a plan (EINVALID naming the field).
func (p *Plan) Validate() error {
	p.Name = strings.TrimSpace(p.Name)
	switch {
	case p.Name == "" || len(p.Name) > 80:
		return app.FieldErrorf("name", "Name required (at most 80 characters).")
	case p.Interval != Month && p.Interval != Year:
		return app.FieldErrorf("interval", "Interval must be month or year.")
	case p.PriceMicros < 0 || p.PriceMicros > 1e12:
		return app.FieldErrorf("price", "Price must be between 0 and 1,000,000.")
	case p.TrialDays < 0 || p.TrialDays > 365:
		return app.FieldErrorf("trial_days", "Trial days must be between 0 and 365.")
	case p.MarkupPct < 0 || p.MarkupPct > 1000:
		return app.FieldErrorf("markup_pct", "Markup must be between 0 and 1000 percent.")
	}
	for _, k := range p.ModulesOff {
		if !ValidModule(k) {
			return app.FieldErrorf("modules", "Unknown module %q.", k)
		}
	}
	for _, m := range []struct {
		field string
		v     map[string]int64
	}{{"included", p.Included}, {"overage", p.Overage}} {
		for k, v := range m.v {
			if !ValidCategory(k) {
				return app.FieldErrorf(m.field, "Unknown usage category %q.", k)
			}
			if v < 0 || v > 1e12 {
				return app.FieldErrorf(m.field, "%s for %s must not be negative.", m.field, CategoryLabel(k))
			}
		}
	}
	return nil
}

// UsagePrice is what the client pays for quantity units of category that
// cost the agency costMicros: the overage price per unit when the plan
// sets one, else the cost plus the markup (rounded up to a micro).
func (p *Plan) UsagePrice(category string, quantity, costMicros int64) int64 {
	if per, ok := p.Overage[category]; ok {
		return quantity * per
	}
	return (costMicros*int64(100+p.MarkupPct) + 99) / 100
}

// PeriodEnd is the end of a period of the plan starting at start.
func (p *Plan) PeriodEnd(start time.Time) time.Time {
	if p.Interval == Year {
		return start.AddDate(1, 0, 0)
	}
	return start.AddDate(0, 1, 0)
}

// Subscription is the plan a tenant is on and its current period.
type Subscription struct {
	TenantID    int64
	PlanID      int64
	Status      string
	PeriodStart time.Time
	PeriodEnd   time.Time
	TrialEnd    *time.Time
	// TaxRateBP is the tenant's tax rate in basis points (825 = 8.25%).
	TaxRateBP int
	CreatedAt time.Time
	UpdatedAt time.Time
	Plan      *Plan // filled by the store's finders
}

// InTrial reports whether the subscription is in its trial at t.
func (s *Subscription) InTrial(t time.Time) bool {
	return s.TrialEnd != nil && t.Before(*s.TrialEnd)
}

// Adjustment is an amount for the tenant's next invoice (positive: owed;
// negative: a credit), such as the proration of a plan change.
type Adjustment struct {
	ID           int64
	TenantID     int64
	AmountMicros int64
	Description  string
	InvoiceID    int64
	CreatedAt    time.Time
}

// Prorate is what changing from a plan priced oldPrice to one priced
// newPrice at `at` costs for the rest of the period [start, end): the
// price difference times the share of the period left, rounded to the
// nearest micro (halves away from zero). Negative is a credit. Outside
// the period it is 0.
func Prorate(oldPrice, newPrice int64, start, end, at time.Time) int64 {
	if !at.Before(end) || !end.After(start) {
		return 0
	}
	if at.Before(start) {
		at = start
	}
	left, total := end.Sub(at).Milliseconds(), end.Sub(start).Milliseconds()
	r := new(big.Rat).SetFrac(new(big.Int).Mul(big.NewInt(newPrice-oldPrice), big.NewInt(left)), big.NewInt(total))
	return roundRat(r)
}

// roundRat rounds r to the nearest integer, halves away from zero.
func roundRat(r *big.Rat) int64 {
	num, den := new(big.Int).Set(r.Num()), r.Denom()
	neg := num.Sign() < 0
	num.Abs(num)
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	if new(big.Int).Mul(m, big.NewInt(2)).Cmp(den) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if neg {
		q.Neg(q)
	}
	return q.Int64()
}

// PlanChange is what Assign decides inside the store's transaction.
type PlanChange func(cur *Subscription) (next *Subscription, adj *Adjustment, err error)

// CreatePlan adds a plan. Returns EINVALID naming the field, ECONFLICT
// when the name is taken.
func (s *Service) CreatePlan(ctx context.Context, p *Plan) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return s.store.CreatePlan(ctx, p)
}

// UpdatePlan saves a plan's fields; tenants on it keep their period and
// are billed the new price from their next invoice. Returns EINVALID,
// ENOTFOUND or ECONFLICT.
func (s *Service) UpdatePlan(ctx context.Context, p *Plan) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return s.store.UpdatePlan(ctx, p)
}

// Plans lists the plans by name.
func (s *Service) Plans(ctx context.Context) ([]*Plan, error) { return s.store.FindPlans(ctx) }

// Plan returns one plan. Returns ENOTFOUND.
func (s *Service) Plan(ctx context.Context, id int64) (*Plan, error) {
	return s.store.FindPlan(ctx, id)
}

// Subscription returns the tenant's subscription with its plan, or
// ENOTFOUND when it is on none.
func (s *Service) Subscription(ctx context.Context, tenantID int64) (*Subscription, error) {
	return s.store.FindSubscription(ctx, tenantID)
}

// Assign puts a tenant on a plan at the current time. A first plan
// starts its trial (if any) and its first period now. A change within
// the same interval keeps the period and records the prorated price
// difference for the next invoice (nothing during a trial); a change
// between monthly and yearly credits the unused rest of the old period
// and starts a new one now. Re-assigning the current plan changes
// nothing. Returns EINVALID naming "plan_id" for an unknown or retired
// plan.
func (s *Service) Assign(ctx context.Context, tenantID, planID int64) (*Subscription, error) {
	plan, err := s.store.FindPlan(ctx, planID)
	if app.ErrorCode(err) == app.ENOTFOUND || err == nil && !plan.Active {
		return nil, app.FieldErrorf("plan_id", "Choose an active plan.")
	} else if err != nil {
		return nil, err
	}
	now := s.now()
	var out *Subscription
	err = s.store.ChangeSubscription(ctx, tenantID, func(cur *Subscription) (*Subscription, *Adjustment, error) {
		next := &Subscription{TenantID: tenantID, PlanID: plan.ID, Status: Active, PeriodStart: now, PeriodEnd: plan.PeriodEnd(now), Plan: plan}
		if cur == nil {
			if plan.TrialDays > 0 {
				te := now.AddDate(0, 0, plan.TrialDays)
				next.Status, next.TrialEnd = Trialing, &te
			}
			out = next
			return next, nil, nil
		}
		next.TaxRateBP = cur.TaxRateBP
		if cur.PlanID == plan.ID && cur.Status != Cancelled {
			out = cur
			return nil, nil, nil
		}
		if cur.InTrial(now) { // nothing paid yet: the new plan takes the trial's place
			next.PeriodStart, next.PeriodEnd, next.Status, next.TrialEnd = cur.PeriodStart, cur.PeriodEnd, Trialing, cur.TrialEnd
			out = next
			return next, nil, nil
		}
		var adj *Adjustment
		old := cur.Plan
		switch {
		case cur.Status == Cancelled:
		case old.Interval == plan.Interval:
			next.PeriodStart, next.PeriodEnd = cur.PeriodStart, cur.PeriodEnd
			if a := Prorate(old.PriceMicros, plan.PriceMicros, cur.PeriodStart, cur.PeriodEnd, now); a != 0 {
				adj = &Adjustment{TenantID: tenantID, AmountMicros: a,
					Description: fmt.Sprintf("Plan change %s → %s, prorated %s – %s", old.Name, plan.Name, now.Format("Jan 2"), cur.PeriodEnd.Format("Jan 2, 2006"))}
			}
		default:
			if a := Prorate(old.PriceMicros, 0, cur.PeriodStart, cur.PeriodEnd, now); a != 0 {
				adj = &Adjustment{TenantID: tenantID, AmountMicros: a,
					Description: fmt.Sprintf("Unused %s (%s – %s)", old.Name, now.Format("Jan 2"), cur.PeriodEnd.Format("Jan 2, 2006"))}
			}
		}
		out = next
		return next, adj, nil
	})
	return out, err
}

// SetTaxRate sets the tenant's tax rate in basis points (0-10000).
// Returns EINVALID naming "tax_rate" or ENOTFOUND without a plan.
func (s *Service) SetTaxRate(ctx context.Context, tenantID int64, bp int) error {
	if bp < 0 || bp > 10000 {
		return app.FieldErrorf("tax_rate", "Tax rate must be between 0 and 100%%.")
	}
	return s.store.ChangeSubscription(ctx, tenantID, func(cur *Subscription) (*Subscription, *Adjustment, error) {
		if cur == nil {
			return nil, nil, app.Errorf(app.ENOTFOUND, "The tenant is on no plan.")
		}
		cur.TaxRateBP = bp
		return cur, nil, nil
	})
}

// Adjustments returns the tenant's adjustments not yet invoiced.
func (s *Service) Adjustments(ctx context.Context, tenantID int64) ([]*Adjustment, error) {
	return s.store.OpenAdjustments(ctx, tenantID)
}
