package store

import (
	"context"
	"fmt"
	"time"

	"orengen/app"
	"orengen/app/billing"
)

var _ billing.RevenueStore = (*BillingStore)(nil)

// MRR implements billing.RevenueStore.
func (s *BillingStore) MRR(ctx context.Context) (billing.MRR, error) {
	var m billing.MRR
	err := s.db.read.QueryRowContext(ctx, `SELECT
		COALESCE(SUM(CASE WHEN s.status = 'active' THEN CASE p.interval WHEN 'year' THEN p.price_micros / 12 ELSE p.price_micros END ELSE 0 END), 0),
		COALESCE(SUM(s.status = 'active'), 0), COALESCE(SUM(s.status = 'trialing'), 0)
		FROM billing_subscriptions s JOIN billing_plans p ON p.id = s.plan_id`).Scan(&m.MRRMicros, &m.Active, &m.Trialing)
	if err != nil {
		return m, fmt.Errorf("mrr: %w", err)
	}
	return m, nil
}

// RevenueMonths implements billing.RevenueStore. Stored times are UTC
// RFC 3339, so their first 7 characters are the month.
func (s *BillingStore) RevenueMonths(ctx context.Context, since time.Time) ([]billing.RevenueMonth, error) {
	by := map[string]*billing.RevenueMonth{}
	var order []string
	month := func(k string) *billing.RevenueMonth {
		if by[k] == nil {
			by[k] = &billing.RevenueMonth{Month: k}
			order = append(order, k)
		}
		return by[k]
	}
	from := FormatTime(since)
	for _, q := range []struct {
		sql string
		add func(m *billing.RevenueMonth, a, b int64)
	}{
		{`SELECT substr(issued_at, 1, 7), SUM(subtotal_micros), 0 FROM billing_invoices WHERE issued_at >= ? GROUP BY 1`,
			func(m *billing.RevenueMonth, a, _ int64) { m.InvoicedMicros = a }},
		{`SELECT substr(paid_at, 1, 7), SUM(total_micros), 0 FROM billing_invoices WHERE status = 'paid' AND paid_at >= ? GROUP BY 1`,
			func(m *billing.RevenueMonth, a, _ int64) { m.PaidMicros = a }},
		{`SELECT substr(at, 1, 7), SUM(kind = 'start'), SUM(kind = 'cancel') FROM billing_subscription_changes WHERE at >= ? GROUP BY 1`,
			func(m *billing.RevenueMonth, a, b int64) { m.Started, m.Churned = int(a), int(b) }},
		{`SELECT substr(updated_at, 1, 7), COUNT(*), 0 FROM billing_payments WHERE status = 'failed' AND updated_at >= ? GROUP BY 1`,
			func(m *billing.RevenueMonth, a, _ int64) { m.FailedPayments = int(a) }},
	} {
		rows, err := s.db.read.QueryContext(ctx, q.sql, from)
		if err != nil {
			return nil, fmt.Errorf("revenue months: %w", err)
		}
		for rows.Next() {
			var k string
			var a, b int64
			if err := rows.Scan(&k, &a, &b); err != nil {
				rows.Close()
				return nil, fmt.Errorf("revenue months: %w", err)
			}
			q.add(month(k), a, b)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	out := make([]billing.RevenueMonth, 0, len(order))
	for _, k := range order {
		out = append(out, *by[k])
	}
	return out, nil
}

// FailedPayments implements billing.RevenueStore.
func (s *BillingStore) FailedPayments(ctx context.Context, limit int) ([]*billing.FailedPayment, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT p.tenant_id, p.invoice_id, i.number, p.attempt, p.amount_micros, p.message, p.updated_at
		FROM billing_payments p JOIN billing_invoices i ON i.id = p.invoice_id
		WHERE p.status = 'failed' AND i.status = 'open' AND p.attempt = (SELECT MAX(q.attempt) FROM billing_payments q WHERE q.invoice_id = p.invoice_id)
		ORDER BY p.updated_at DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("failed payments: %w", err)
	}
	return scanAll(rows, func(r scanner) (*billing.FailedPayment, error) {
		var f billing.FailedPayment
		err := r.Scan(&f.TenantID, &f.InvoiceID, &f.Number, &f.Attempt, &f.AmountMicros, &f.Message, Time{&f.At})
		return &f, err
	})
}

// SubscribedTenants implements billing.RevenueStore.
func (s *BillingStore) SubscribedTenants(ctx context.Context) ([]int64, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT tenant_id FROM billing_subscriptions WHERE status != 'cancelled' ORDER BY tenant_id`)
	if err != nil {
		return nil, fmt.Errorf("subscribed tenants: %w", err)
	}
	return scanAll(rows, func(r scanner) (int64, error) {
		var id int64
		err := r.Scan(&id)
		return id, err
	})
}

// CancelSubscription implements billing.RevenueStore.
func (s *BillingStore) CancelSubscription(ctx context.Context, tenantID int64) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE billing_subscriptions SET status = 'cancelled', updated_at = ? WHERE tenant_id = ? AND status != 'cancelled'`,
			FormatTime(tx.now), tenantID)
		if err != nil {
			return fmt.Errorf("cancel subscription: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "The client is not on a plan.")
		}
		return nil
	})
}
