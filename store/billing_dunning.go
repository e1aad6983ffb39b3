package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"orengen/app/billing"
)

var _ billing.DunningStore = (*BillingPaymentStore)(nil)

// DunningSettings implements billing.DunningStore.
func (s *BillingPaymentStore) DunningSettings(ctx context.Context) (*billing.DunningSettings, error) {
	var d billing.DunningSettings
	var days string
	err := s.db.read.QueryRowContext(ctx, `SELECT retry_days, email, suspend_after_days, updated_at FROM billing_dunning_settings WHERE id = 1`).
		Scan(&days, &d.Email, &d.SuspendAfterDays, Time{&d.UpdatedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("dunning settings: %w", err)
	}
	d.RetryDays = []int{}
	for f := range strings.SplitSeq(days, ",") {
		if n, err := strconv.Atoi(f); err == nil {
			d.RetryDays = append(d.RetryDays, n)
		}
	}
	return &d, nil
}

// SaveDunningSettings implements billing.DunningStore.
func (s *BillingPaymentStore) SaveDunningSettings(ctx context.Context, d *billing.DunningSettings) error {
	var days []string
	for _, n := range d.RetryDays {
		days = append(days, strconv.Itoa(n))
	}
	return s.db.Update(ctx, func(tx *Tx) error {
		d.UpdatedAt = tx.now
		_, err := tx.ExecContext(ctx, `INSERT INTO billing_dunning_settings (id, retry_days, email, suspend_after_days, updated_at) VALUES (1, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET retry_days = excluded.retry_days, email = excluded.email, suspend_after_days = excluded.suspend_after_days, updated_at = excluded.updated_at`,
			strings.Join(days, ","), d.Email, d.SuspendAfterDays, FormatTime(tx.now))
		return err
	})
}

// OverdueInvoices implements billing.DunningStore.
func (s *BillingPaymentStore) OverdueInvoices(ctx context.Context) ([]*billing.Overdue, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT i.tenant_id, i.id, i.number, p.attempt,
		(SELECT MIN(q.created_at) FROM billing_payments q WHERE q.invoice_id = i.id), p.message,
		EXISTS (SELECT 1 FROM billing_suspensions x WHERE x.tenant_id = i.tenant_id)
		FROM billing_invoices i JOIN billing_payments p ON p.invoice_id = i.id
		WHERE i.status = 'open' AND p.status = 'failed' AND p.attempt = (SELECT MAX(q.attempt) FROM billing_payments q WHERE q.invoice_id = i.id)
		ORDER BY i.id`)
	if err != nil {
		return nil, fmt.Errorf("overdue invoices: %w", err)
	}
	return scanAll(rows, func(r scanner) (*billing.Overdue, error) {
		var o billing.Overdue
		err := r.Scan(&o.TenantID, &o.InvoiceID, &o.Number, &o.Attempts, Time{&o.FirstFailure}, &o.Message, &o.Suspended)
		return &o, err
	})
}

// AddNotice implements billing.DunningStore.
func (s *BillingPaymentStore) AddNotice(ctx context.Context, tenantID, invoiceID int64, step string) (bool, error) {
	added := false
	err := s.db.Update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO billing_dunning_notices (invoice_id, step, tenant_id, sent_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			invoiceID, step, tenantID, FormatTime(tx.now))
		if err != nil {
			return fmt.Errorf("dunning notice: %w", err)
		}
		n, _ := res.RowsAffected()
		added = n > 0
		return nil
	})
	return added, err
}

// Suspend implements billing.DunningStore.
func (s *BillingPaymentStore) Suspend(ctx context.Context, tenantID, invoiceID int64) (bool, error) {
	added := false
	err := s.db.Update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO billing_suspensions (tenant_id, invoice_id, since)
			SELECT ?, id, ? FROM billing_invoices WHERE id = ? AND tenant_id = ? AND status = 'open' ON CONFLICT DO NOTHING`,
			tenantID, FormatTime(tx.now), invoiceID, tenantID)
		if err != nil {
			return fmt.Errorf("suspend: %w", err)
		}
		n, _ := res.RowsAffected()
		added = n > 0
		return nil
	})
	return added, err
}

func findSuspension(ctx context.Context, db *DB, tenantID int64) (*billing.Suspension, error) {
	var sus billing.Suspension
	err := db.read.QueryRowContext(ctx, `SELECT x.tenant_id, x.invoice_id, i.number, x.since FROM billing_suspensions x JOIN billing_invoices i ON i.id = x.invoice_id
		WHERE x.tenant_id = ?`, tenantID).Scan(&sus.TenantID, &sus.InvoiceID, &sus.Number, Time{&sus.Since})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("suspension: %w", err)
	}
	return &sus, nil
}

// FindSuspension implements billing.DunningStore.
func (s *BillingPaymentStore) FindSuspension(ctx context.Context, tenantID int64) (*billing.Suspension, error) {
	return findSuspension(ctx, s.db, tenantID)
}

// FindSuspension returns the tenant's suspension (nil: none): billing's
// usage gate reads it.
func (s *BillingStore) FindSuspension(ctx context.Context, tenantID int64) (*billing.Suspension, error) {
	return findSuspension(ctx, s.db, tenantID)
}
