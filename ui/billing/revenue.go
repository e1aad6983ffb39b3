package billing

import (
	"fmt"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"orengen/app"
	"orengen/app/billing"
	"orengen/ui/web"
)

// The revenue dashboard (Nexus > Billing › Revenue): MRR, what was
// invoiced and collected per month, clients put on and taken off a plan
// (churn), each client's usage margin this period and the open invoices
// whose latest charge failed.

// RevenueMonths is how many months the dashboard shows.
const RevenueMonths = 12

type marginView struct {
	TenantID                         int64
	Name, Plan, Billed, Cost, Margin string
	Negative                         bool
}

type failedView struct {
	TenantID                                     int64
	Name, Number, Amount, Message, When, Attempt string
}

type revenuePage struct {
	web.Layout
	MRR, ChurnThisMonth, CollectedThisMonth string
	Active, Trialing                        int
	Charts                                  []*web.Chart
	Margins                                 []marginView
	Failed                                  []failedView
	// Dunning is the settings form (nil: payments off).
	Dunning *dunningForm
	Errors  map[string]string
}

// dunningForm is the dunning settings as shown and posted.
type dunningForm struct {
	RetryDays, SuspendAfterDays string
	Email                       bool
}

func money(v float64) string { return billing.FormatMicros(int64(v)) }

func (s *Handler) handleRevenue(c *fiber.Ctx) error { return s.renderRevenue(c, nil, nil) }

func (s *Handler) renderRevenue(c *fiber.Ctx, form *dunningForm, errs map[string]string) error {
	ctx := c.UserContext()
	rev, err := s.Billing.Revenue(ctx, RevenueMonths)
	if err != nil {
		return err
	}
	names := map[int64]string{}
	if ts, err := s.Tenants.ListTenants(ctx); err == nil {
		for _, t := range ts {
			names[t.ID] = t.BrandName()
		}
	} else {
		return err
	}
	p := &revenuePage{MRR: billing.FormatMicros(rev.MRRMicros), Active: rev.Active, Trialing: rev.Trialing}
	last := rev.Months[len(rev.Months)-1]
	p.ChurnThisMonth, p.CollectedThisMonth = strconv.Itoa(last.Churned), billing.FormatMicros(last.PaidMicros)
	var cats []string
	invoiced, paid, started, churned, failed := make([]float64, 0, len(rev.Months)), []float64{}, []float64{}, []float64{}, []float64{}
	for _, m := range rev.Months {
		cats = append(cats, m.Month)
		invoiced = append(invoiced, float64(m.InvoicedMicros))
		paid = append(paid, float64(m.PaidMicros))
		started = append(started, float64(m.Started))
		churned = append(churned, float64(m.Churned))
		failed = append(failed, float64(m.FailedPayments))
	}
	p.Charts = append(p.Charts,
		&web.Chart{ID: "collected", Title: "Collected per month", Description: "Invoice totals paid in each of the last 12 months.", Categories: cats,
			Series: []web.ChartSeries{{Name: "Collected", Values: paid}}, Stacked: true, Format: money, Empty: "Nothing collected yet."},
		&web.Chart{ID: "invoiced", Title: "Invoiced per month", Description: "Invoice subtotals issued in each of the last 12 months, less credit notes.", Categories: cats,
			Series: []web.ChartSeries{{Name: "Invoiced", Values: invoiced}}, Stacked: true, Format: money, Empty: "Nothing invoiced yet."},
		&web.Chart{ID: "churn", Title: "Clients put on and taken off a plan per month", Description: "Subscriptions started and cancelled (churn) per month.", Categories: cats,
			Series: []web.ChartSeries{{Name: "Started", Values: started}, {Name: "Churned", Values: churned}}, Stacked: true, Empty: "No plan started or cancelled yet."},
		&web.Chart{ID: "failed", Title: "Failed payments per month", Description: "Card charges that failed per month.", Categories: cats,
			Series: []web.ChartSeries{{Name: "Failed", Values: failed}}, Stacked: true, Empty: "No failed payment."})
	margin := &web.Chart{ID: "margin", Title: "Usage margin by client, this period", Description: "What each client's usage is billed at less what it cost the agency.",
		Format: money, Empty: "No billed usage this period."}
	var mv []float64
	for _, m := range rev.Margins {
		name := names[m.TenantID]
		p.Margins = append(p.Margins, marginView{TenantID: m.TenantID, Name: name, Plan: m.PlanName, Billed: billing.FormatMicros(m.BilledMicros),
			Cost: billing.FormatMicros(m.CostMicros), Margin: billing.FormatMicros(m.MarginMicros()), Negative: m.MarginMicros() < 0})
		margin.Categories = append(margin.Categories, name)
		mv = append(mv, float64(max(m.MarginMicros(), 0)))
	}
	margin.Series = []web.ChartSeries{{Name: "Margin", Values: mv}}
	p.Charts = append(p.Charts, margin)
	for _, f := range rev.Failed {
		p.Failed = append(p.Failed, failedView{TenantID: f.TenantID, Name: names[f.TenantID], Number: f.Number, Amount: billing.FormatMicros(f.AmountMicros),
			Message: f.Message, When: f.At.Format("Jan 2 15:04"), Attempt: strconv.Itoa(f.Attempt)})
	}
	if s.Payments != nil {
		p.Dunning, p.Errors = form, errs
		if form == nil {
			d, err := s.Payments.Dunning(ctx)
			if err != nil {
				return err
			}
			p.Dunning = &dunningForm{RetryDays: d.RetryText(), SuspendAfterDays: strconv.Itoa(d.SuspendAfterDays), Email: d.Email}
		}
	}
	p.Layout = s.Layout(c, web.HostNexus, "Revenue")
	return s.Render(c, "nexus/billing_revenue", p)
}

// handleCancel takes a client off its plan (its period so far is
// invoiced now).
func (s *Handler) handleCancel(c *fiber.Ctx) error {
	return s.tenantAction(c, "plan_id", func(t *app.Tenant, _ func(string) string) (string, error) {
		inv, err := s.Billing.Cancel(c.UserContext(), t.ID)
		if err != nil {
			return "", err
		}
		if inv != nil {
			return fmt.Sprintf("%s is off its plan; invoice %s issued for the period so far.", t.BrandName(), inv.Number), nil
		}
		return fmt.Sprintf("%s is off its plan.", t.BrandName()), nil
	})
}

// handleDunning saves the dunning settings.
func (s *Handler) handleDunning(c *fiber.Ctx) error {
	g := web.FormGetter(c)
	f := &dunningForm{RetryDays: g("retry_days"), SuspendAfterDays: g("suspend_after_days"), Email: g("email") != ""}
	err := func() error {
		days, err := billing.ParseRetryDays(f.RetryDays)
		if err != nil {
			return err
		}
		n, err := strconv.Atoi(f.SuspendAfterDays)
		if err != nil {
			return app.FieldErrorf("suspend_after_days", "Enter a number of days (0: never suspend).")
		}
		return s.Payments.SaveDunning(c.UserContext(), &billing.DunningSettings{RetryDays: days, Email: f.Email, SuspendAfterDays: n})
	}()
	if err != nil {
		return web.FormError(c, err, "retry_days", func(e map[string]string) error { return s.renderRevenue(c, f, e) })
	}
	s.SetFlash(c, "ok", "Dunning settings saved.")
	return c.Redirect("/billing/revenue#dunning", fiber.StatusSeeOther)
}
