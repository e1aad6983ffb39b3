package billing

import (
	"context"
	"fmt"
	"time"

	"orengen/app"
)

// Invoice kinds and states.
const (
	KindInvoice    = "invoice"
	KindCreditNote = "credit_note"

	InvoiceOpen = "open"
	InvoicePaid = "paid"
)

// Invoice is an issued invoice or credit note. Once issued its lines and
// amounts never change (the store refuses it); only Status moves.
type Invoice struct {
	ID             int64
	TenantID       int64
	Number         string // INV-000001, gapless across invoices and credit notes
	Kind           string
	CreditOf       int64
	Currency       string
	PeriodStart    time.Time
	PeriodEnd      time.Time
	PlanName       string
	SubtotalMicros int64
	TaxRateBP      int
	TaxMicros      int64
	TotalMicros    int64
	Status         string
	PaidAt         *time.Time
	IssuedAt       time.Time
	Lines          []*InvoiceLine
	// PaymentStatus and PaymentMessage are the latest payment attempt's
	// ("" : none).
	PaymentStatus  string
	PaymentMessage string
}

// InvoiceLine is one line of an invoice.
type InvoiceLine struct {
	Description  string
	Category     string
	Quantity     int64
	AmountMicros int64
}

// Tax is the tax on subtotal at bp basis points, to the nearest micro
// (halves away from zero).
func Tax(subtotal int64, bp int) int64 {
	n := subtotal * int64(bp)
	if n >= 0 {
		return (n + 5000) / 10000
	}
	return -((-n + 5000) / 10000)
}

// Cents rounds micros to whole cents (halves away from zero): an
// invoice's every amount is in cents, so its printed lines add up.
func Cents(m int64) int64 {
	if m < 0 {
		return -Cents(-m)
	}
	return (m + 5000) / 10000 * 10000
}

// total rounds the lines to cents and fills the subtotal, tax and total.
func (inv *Invoice) total() {
	inv.SubtotalMicros = 0
	for _, l := range inv.Lines {
		l.AmountMicros = Cents(l.AmountMicros)
		inv.SubtotalMicros += l.AmountMicros
	}
	inv.TaxMicros = Cents(Tax(inv.SubtotalMicros, inv.TaxRateBP))
	inv.TotalMicros = inv.SubtotalMicros + inv.TaxMicros
}

// FormatNumber is an invoice number's text.
func FormatNumber(n int64) string { return fmt.Sprintf("INV-%06d", n) }

// InvoicePeriod builds the invoice of a subscription's current period
// (the plan's price unless in its trial, usage beyond what is included
// at the overage price or cost plus markup, usage of a wallet plan being
// prepaid, and the adjustments waiting) and the subscription's next
// period, without saving anything.
func (s *Service) InvoicePeriod(ctx context.Context, sub *Subscription) (*Invoice, []int64, *Subscription, error) {
	plan := sub.Plan
	inv := &Invoice{TenantID: sub.TenantID, Kind: KindInvoice, Currency: "USD", PeriodStart: sub.PeriodStart, PeriodEnd: sub.PeriodEnd,
		PlanName: plan.Name, TaxRateBP: sub.TaxRateBP, Status: InvoiceOpen}
	period := sub.PeriodStart.Format("Jan 2, 2006") + " – " + sub.PeriodEnd.AddDate(0, 0, -1).Format("Jan 2, 2006")
	switch te := sub.TrialEnd; {
	case te != nil && !te.Before(sub.PeriodEnd):
		inv.Lines = append(inv.Lines, &InvoiceLine{Description: plan.Name + " (trial), " + period, Quantity: 1})
	case te != nil && te.After(sub.PeriodStart): // the trial ends in the period: the rest is due
		inv.Lines = append(inv.Lines, &InvoiceLine{Description: plan.Name + ", " + te.Format("Jan 2, 2006") + " (end of trial) – " + sub.PeriodEnd.AddDate(0, 0, -1).Format("Jan 2, 2006"),
			Quantity: 1, AmountMicros: Prorate(0, plan.PriceMicros, sub.PeriodStart, sub.PeriodEnd, *te)})
	default:
		inv.Lines = append(inv.Lines, &InvoiceLine{Description: plan.Name + ", " + period, Quantity: 1, AmountMicros: plan.PriceMicros})
	}
	if !plan.Wallet {
		totals, err := s.store.PeriodUsageTotals(ctx, sub.TenantID, sub.PeriodStart, sub.PeriodEnd)
		if err != nil {
			return nil, nil, nil, err
		}
		by := map[string]*UsageTotal{}
		for _, t := range totals {
			by[t.Category] = t
		}
		for _, c := range Categories {
			t := by[c]
			if t == nil {
				continue
			}
			l := &UsageLine{Category: c, Quantity: t.Quantity, CostMicros: t.CostMicros}
			PriceLine(plan, l)
			if l.Billable == 0 {
				continue
			}
			desc := fmt.Sprintf("%s: %d used, %d included", CategoryLabel(c), l.Quantity, l.Included)
			inv.Lines = append(inv.Lines, &InvoiceLine{Description: desc, Category: c, Quantity: l.Billable, AmountMicros: l.PriceMicros})
		}
	}
	adjs, err := s.store.OpenAdjustments(ctx, sub.TenantID)
	if err != nil {
		return nil, nil, nil, err
	}
	var ids []int64
	for _, a := range adjs {
		inv.Lines = append(inv.Lines, &InvoiceLine{Description: a.Description, Quantity: 1, AmountMicros: a.AmountMicros})
		ids = append(ids, a.ID)
	}
	inv.total()
	next := *sub
	next.PeriodStart, next.PeriodEnd = sub.PeriodEnd, plan.PeriodEnd(sub.PeriodEnd)
	if next.Status == Trialing && (next.TrialEnd == nil || !next.TrialEnd.After(next.PeriodStart)) {
		next.Status = Active
	}
	return inv, ids, &next, nil
}

// CloseDuePeriods invoices every subscription whose period ended at or
// before now, each in one transaction (the invoice with its gapless
// number, the adjustments it took, the next period), until none is due.
// A period already invoiced is skipped. It returns the invoices issued.
func (s *Service) CloseDuePeriods(ctx context.Context, now time.Time) (int, error) {
	n := 0
	for {
		subs, err := s.store.DueSubscriptions(ctx, now, 200)
		if err != nil {
			return n, err
		}
		if len(subs) == 0 {
			return n, nil
		}
		for _, sub := range subs {
			if _, err := s.closePeriod(ctx, sub); err != nil {
				return n, fmt.Errorf("invoice tenant %d: %w", sub.TenantID, err)
			}
			n++
		}
	}
}

func (s *Service) closePeriod(ctx context.Context, sub *Subscription) (*Invoice, error) {
	inv, adj, next, err := s.InvoicePeriod(ctx, sub)
	if err != nil {
		return nil, err
	}
	inv.IssuedAt = s.now()
	if err := s.store.IssueInvoice(ctx, inv, adj, sub, next); err != nil {
		return nil, err
	}
	s.emailIssued(ctx, inv)
	return inv, nil
}

// emailIssued emails an issued document to the client's owners with its
// PDF attached. The document is issued whatever happens to the email: a
// failure is logged (the client also finds it in its portal).
func (s *Service) emailIssued(ctx context.Context, inv *Invoice) {
	if s.Notify == nil || s.BrandOf == nil || s.RenderPDF == nil {
		return
	}
	b, client, err := s.BrandOf(ctx, inv.TenantID)
	if err == nil {
		var pdf []byte
		if pdf, err = s.RenderPDF(inv, b, client); err == nil {
			kind, verb := "Invoice", "is due"
			if inv.Kind == KindCreditNote {
				kind, verb = "Credit note", "is credited"
			}
			text := fmt.Sprintf("%s,\n\n%s %s from %s is attached: %s %s.\n\nPeriod: %s – %s\nPlan: %s\nSubtotal: %s\nTax: %s\nTotal: %s\n",
				client, kind, inv.Number, b.Name, FormatMicros(inv.TotalMicros), verb, inv.PeriodStart.Format("Jan 2, 2006"),
				inv.PeriodEnd.AddDate(0, 0, -1).Format("Jan 2, 2006"), inv.PlanName, FormatMicros(inv.SubtotalMicros), FormatMicros(inv.TaxMicros), FormatMicros(inv.TotalMicros))
			if inv.Kind == KindInvoice && inv.TotalMicros > 0 {
				text += "\nWith a card on file it is charged automatically; otherwise pay it under Billing in your portal.\n"
			}
			err = s.Notify(ctx, inv.TenantID, fmt.Sprintf("%s %s from %s: %s", kind, inv.Number, b.Name, FormatMicros(inv.TotalMicros)), text,
				[]app.Attachment{{Name: inv.Number + ".pdf", ContentType: "application/pdf", Data: pdf}})
		}
	}
	if err != nil {
		s.logger().Warn("billing: email invoice", "tenant", inv.TenantID, "invoice", inv.Number, "err", err)
	}
}

// CloseNow ends the tenant's current period now (the month-end run for
// one tenant, e.g. on cancellation) and issues its invoice. Returns
// ENOTFOUND without a plan.
func (s *Service) CloseNow(ctx context.Context, tenantID int64) (*Invoice, error) {
	sub, err := s.store.FindSubscription(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if !now.After(sub.PeriodStart) {
		return nil, app.Errorf(app.ECONFLICT, "The period has only just started: nothing to invoice yet.")
	}
	if now.Before(sub.PeriodEnd) {
		sub.PeriodEnd = now
	}
	return s.closePeriod(ctx, sub)
}

// CreditNote issues a credit note of amountMicros against one of the
// tenant's invoices (at most its total less earlier credits), with the
// invoice's tax rate. Returns ENOTFOUND, or EINVALID naming "amount" or
// "reason".
func (s *Service) CreditNote(ctx context.Context, tenantID, invoiceID, amountMicros int64, reason string) (*Invoice, error) {
	orig, err := s.store.FindInvoice(ctx, tenantID, invoiceID)
	if err != nil {
		return nil, err
	}
	if orig.Kind != KindInvoice {
		return nil, app.FieldErrorf("invoice_id", "Only an invoice can be credited.")
	}
	if reason == "" || len(reason) > 200 {
		return nil, app.FieldErrorf("reason", "Reason required (at most 200 characters).")
	}
	credited, err := s.store.CreditedMicros(ctx, invoiceID)
	if err != nil {
		return nil, err
	}
	if amountMicros <= 0 || amountMicros > orig.SubtotalMicros-credited {
		return nil, app.FieldErrorf("amount", "Amount must be more than 0 and at most %s (the invoice less earlier credits, before tax).", FormatMicros(orig.SubtotalMicros-credited))
	}
	cn := &Invoice{TenantID: tenantID, Kind: KindCreditNote, CreditOf: orig.ID, Currency: orig.Currency, PeriodStart: orig.PeriodStart, PeriodEnd: orig.PeriodEnd,
		PlanName: orig.PlanName, TaxRateBP: orig.TaxRateBP, Status: InvoiceOpen, IssuedAt: s.now(),
		Lines: []*InvoiceLine{{Description: "Credit for " + orig.Number + ": " + reason, Quantity: 1, AmountMicros: -amountMicros}}}
	cn.total()
	if err := s.store.IssueInvoice(ctx, cn, nil, nil, nil); err != nil {
		return nil, err
	}
	s.emailIssued(ctx, cn)
	return cn, nil
}

// Invoices lists a tenant's invoices and credit notes, newest first.
func (s *Service) Invoices(ctx context.Context, tenantID int64) ([]*Invoice, error) {
	return s.store.FindInvoices(ctx, tenantID)
}

// Invoice returns one of the tenant's documents with its lines. Returns
// ENOTFOUND (also for another tenant's).
func (s *Service) Invoice(ctx context.Context, tenantID, id int64) (*Invoice, error) {
	return s.store.FindInvoice(ctx, tenantID, id)
}

// Brand is who issues an invoice: the agency.
type Brand struct {
	Name         string
	Color        string // #rrggbb
	SupportEmail string
}

// InvoicePDF returns one of the tenant's documents as a PDF in brand,
// addressed to client. Returns ENOTFOUND (also for another tenant's).
func (s *Service) InvoicePDF(ctx context.Context, tenantID, id int64, b Brand, client string) ([]byte, *Invoice, error) {
	inv, err := s.store.FindInvoice(ctx, tenantID, id)
	if err != nil {
		return nil, nil, err
	}
	if s.RenderPDF == nil {
		return nil, nil, app.Errorf(app.ENOTFOUND, "PDF invoices are not available.")
	}
	data, err := s.RenderPDF(inv, b, client)
	return data, inv, err
}
