package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"orengen/app"
	"orengen/app/billing"
)

// DueSubscriptions implements billing.Store.
func (s *BillingStore) DueSubscriptions(ctx context.Context, now time.Time, limit int) ([]*billing.Subscription, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT tenant_id FROM billing_subscriptions WHERE period_end <= ? AND status != 'cancelled' ORDER BY period_end, tenant_id LIMIT ?`,
		FormatTime(now), limit)
	if err != nil {
		return nil, fmt.Errorf("due subscriptions: %w", err)
	}
	ids, err := scanAll(rows, func(r scanner) (int64, error) {
		var id int64
		err := r.Scan(&id)
		return id, err
	})
	if err != nil {
		return nil, err
	}
	var out []*billing.Subscription
	for _, id := range ids {
		sub, err := findSubscription(ctx, s.db.read, id)
		if err != nil {
			return nil, err
		}
		out = append(out, sub)
	}
	return out, nil
}

// IssueInvoice implements billing.Store. The number is taken from the
// counter in the same transaction, so a failure anywhere leaves no gap.
func (s *BillingStore) IssueInvoice(ctx context.Context, inv *billing.Invoice, adjustmentIDs []int64, cur, next *billing.Subscription) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		if next != nil {
			res, err := tx.ExecContext(ctx, `UPDATE billing_subscriptions SET period_start = ?, period_end = ?, status = ?, updated_at = ?
				WHERE tenant_id = ? AND period_start = ? AND plan_id = ?`, FormatTime(next.PeriodStart), FormatTime(next.PeriodEnd), next.Status, FormatTime(tx.now),
				cur.TenantID, FormatTime(cur.PeriodStart), cur.PlanID)
			if err != nil {
				return fmt.Errorf("advance period: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return app.Errorf(app.ECONFLICT, "The subscription changed meanwhile; try again.")
			}
		}
		var n int64
		if err := tx.QueryRowContext(ctx, `UPDATE billing_counters SET next = next + 1 WHERE name = 'invoice' RETURNING next - 1`).Scan(&n); err != nil {
			return fmt.Errorf("invoice number: %w", err)
		}
		inv.Number = billing.FormatNumber(n)
		var creditOf any
		if inv.CreditOf != 0 {
			creditOf = inv.CreditOf
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO billing_invoices (tenant_id, number, kind, credit_of, currency, period_start, period_end, plan_name,
			subtotal_micros, tax_rate_bp, tax_micros, total_micros, status, issued_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			inv.TenantID, inv.Number, inv.Kind, creditOf, inv.Currency, FormatTime(inv.PeriodStart), FormatTime(inv.PeriodEnd), inv.PlanName,
			inv.SubtotalMicros, inv.TaxRateBP, inv.TaxMicros, inv.TotalMicros, inv.Status, FormatTime(inv.IssuedAt))
		if err != nil {
			return FormatError(fmt.Errorf("issue invoice: %w", err), "This period is invoiced already.")
		}
		inv.ID, _ = res.LastInsertId()
		for i, l := range inv.Lines {
			if _, err := tx.ExecContext(ctx, `INSERT INTO billing_invoice_lines (invoice_id, position, description, category, quantity, amount_micros) VALUES (?, ?, ?, ?, ?, ?)`,
				inv.ID, i+1, l.Description, l.Category, l.Quantity, l.AmountMicros); err != nil {
				return fmt.Errorf("invoice line: %w", err)
			}
		}
		for _, id := range adjustmentIDs {
			res, err := tx.ExecContext(ctx, `UPDATE billing_adjustments SET invoice_id = ? WHERE id = ? AND tenant_id = ? AND invoice_id IS NULL`, inv.ID, id, inv.TenantID)
			if err != nil {
				return fmt.Errorf("invoice adjustment: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return app.Errorf(app.ECONFLICT, "An adjustment was invoiced meanwhile; try again.")
			}
		}
		return nil
	})
}

const invoiceCols = `id, tenant_id, number, kind, COALESCE(credit_of, 0), currency, period_start, period_end, plan_name, subtotal_micros, tax_rate_bp, tax_micros, total_micros, status, paid_at, issued_at,
	COALESCE((SELECT p.status || ' ' || p.message FROM billing_payments p WHERE p.invoice_id = billing_invoices.id ORDER BY p.attempt DESC LIMIT 1), '')`

func scanInvoice(r scanner) (*billing.Invoice, error) {
	var inv billing.Invoice
	var paid NullTime
	var pay string
	err := r.Scan(&inv.ID, &inv.TenantID, &inv.Number, &inv.Kind, &inv.CreditOf, &inv.Currency, Time{&inv.PeriodStart}, Time{&inv.PeriodEnd}, &inv.PlanName,
		&inv.SubtotalMicros, &inv.TaxRateBP, &inv.TaxMicros, &inv.TotalMicros, &inv.Status, &paid, Time{&inv.IssuedAt}, &pay)
	inv.PaidAt = paid.T
	inv.PaymentStatus, inv.PaymentMessage, _ = strings.Cut(pay, " ")
	return &inv, err
}

// FindInvoices implements billing.Store.
func (s *BillingStore) FindInvoices(ctx context.Context, tenantID int64) ([]*billing.Invoice, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+invoiceCols+` FROM billing_invoices WHERE tenant_id = ? ORDER BY id DESC LIMIT 500`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("invoices: %w", err)
	}
	return scanAll(rows, scanInvoice)
}

// FindInvoice implements billing.Store.
func (s *BillingStore) FindInvoice(ctx context.Context, tenantID, id int64) (*billing.Invoice, error) {
	inv, err := scanInvoice(s.db.read.QueryRowContext(ctx, `SELECT `+invoiceCols+` FROM billing_invoices WHERE id = ? AND tenant_id = ?`, id, tenantID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Invoice not found.")
	} else if err != nil {
		return nil, fmt.Errorf("invoice: %w", err)
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT description, category, quantity, amount_micros FROM billing_invoice_lines WHERE invoice_id = ? ORDER BY position`, id)
	if err != nil {
		return nil, fmt.Errorf("invoice lines: %w", err)
	}
	inv.Lines, err = scanAll(rows, func(r scanner) (*billing.InvoiceLine, error) {
		var l billing.InvoiceLine
		err := r.Scan(&l.Description, &l.Category, &l.Quantity, &l.AmountMicros)
		return &l, err
	})
	return inv, err
}

// CreditedMicros implements billing.Store.
func (s *BillingStore) CreditedMicros(ctx context.Context, invoiceID int64) (int64, error) {
	var n int64
	err := s.db.read.QueryRowContext(ctx, `SELECT COALESCE(-SUM(subtotal_micros), 0) FROM billing_invoices WHERE credit_of = ? AND kind = 'credit_note'`, invoiceID).Scan(&n)
	return n, err
}
