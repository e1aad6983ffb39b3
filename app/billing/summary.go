package billing

import (
	"context"
	"time"

	"orengen/app"
)

// UsageLine is a category's usage in a period and what the client pays
// for it under its plan.
type UsageLine struct {
	Category   string
	Label      string
	Quantity   int64
	Included   int64
	Billable   int64 // units beyond the included ones
	CostMicros int64 // what the units cost the agency
	// PriceMicros is what the client pays: the billable units at the
	// overage price, else their share of the cost plus the markup (all
	// units on a wallet plan, debited as they were used).
	PriceMicros int64
}

// PriceLine fills a line's Billable and PriceMicros under plan (nil: the
// cost, no markup).
func PriceLine(plan *Plan, l *UsageLine) {
	if plan == nil {
		l.Billable, l.PriceMicros = l.Quantity, l.CostMicros
		return
	}
	if !plan.Wallet {
		l.Included = plan.Included[l.Category]
	}
	l.Billable = max(l.Quantity-l.Included, 0)
	if l.Billable == 0 {
		return
	}
	cost := l.CostMicros
	if l.Billable < l.Quantity && l.Quantity > 0 {
		cost = (l.CostMicros*l.Billable + l.Quantity - 1) / l.Quantity
	}
	l.PriceMicros = plan.UsagePrice(l.Category, l.Billable, cost)
}

// DayTotal is a day's usage price (for the chart).
type DayTotal struct {
	Day         time.Time
	PriceMicros int64
}

// Summary is a tenant's billing this period: its plan, the usage by
// category priced under it, the days for the chart and the wallet.
type Summary struct {
	Subscription *Subscription // nil: on no plan
	From, To     time.Time     // the period (this month without a plan)
	Lines        []*UsageLine
	Days         []DayTotal
	UsageMicros  int64
	Wallet       *Wallet
	Entries      []*WalletEntry
	Adjustments  []*Adjustment
}

// Summary returns the tenant's billing for its current period.
func (s *Service) Summary(ctx context.Context, tenantID int64) (*Summary, error) {
	out := &Summary{}
	sub, err := s.store.FindSubscription(ctx, tenantID)
	switch {
	case err == nil:
		out.Subscription = sub
		out.From, out.To = sub.PeriodStart, sub.PeriodEnd
	case app.ErrorCode(err) == app.ENOTFOUND:
		now := s.now()
		out.From = time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
		out.To = out.From.AddDate(0, 1, 0)
	default:
		return nil, err
	}
	last := out.To.Add(-time.Nanosecond)
	totals, err := s.store.PeriodUsageTotals(ctx, tenantID, out.From, out.To)
	if err != nil {
		return nil, err
	}
	var plan *Plan
	if out.Subscription != nil {
		plan = out.Subscription.Plan
	}
	byCat := map[string]*UsageTotal{}
	for _, t := range totals {
		byCat[t.Category] = t
	}
	for _, c := range Categories {
		t := byCat[c]
		l := &UsageLine{Category: c, Label: CategoryLabel(c)}
		if t != nil {
			l.Quantity, l.CostMicros = t.Quantity, t.CostMicros
		}
		if t == nil && (plan == nil || plan.Included[c] == 0) {
			continue
		}
		PriceLine(plan, l)
		out.UsageMicros += l.PriceMicros
		out.Lines = append(out.Lines, l)
	}
	days, err := s.DailyUsage(ctx, tenantID, out.From, last)
	if err != nil {
		return nil, err
	}
	idx := map[string]int{}
	for d := out.From; d.Before(out.To) && len(out.Days) < 400; d = d.AddDate(0, 0, 1) {
		idx[day(d)] = len(out.Days)
		out.Days = append(out.Days, DayTotal{Day: d})
	}
	for _, d := range days {
		i, ok := idx[d.Day]
		if !ok {
			continue
		}
		price := d.CostMicros
		if plan != nil {
			price = (d.CostMicros*int64(100+plan.MarkupPct) + 99) / 100
		}
		out.Days[i].PriceMicros += price
	}
	if out.Wallet, out.Entries, err = s.Wallet(ctx, tenantID, 20); err != nil {
		return nil, err
	}
	if out.Adjustments, err = s.Adjustments(ctx, tenantID); err != nil {
		return nil, err
	}
	return out, nil
}
