package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"orengen/app"
	"orengen/app/billing"
	"time"
)

// Wallet auto-recharge (billing.PaymentStore): at most one recharge in
// flight per tenant (a partial unique index), credited once (the wallet
// entry's unique ref).

// SetAutoRecharge implements billing.PaymentStore.
func (s *BillingPaymentStore) SetAutoRecharge(ctx context.Context, tenantID, belowMicros, amountMicros int64) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		now := FormatTime(tx.now)
		_, err := tx.ExecContext(ctx, `INSERT INTO billing_wallets (tenant_id, balance_micros, recharge_below_micros, recharge_micros, recharge_set_at, updated_at)
			VALUES (?, 0, ?, ?, ?, ?) ON CONFLICT (tenant_id) DO UPDATE SET recharge_below_micros = excluded.recharge_below_micros,
			recharge_micros = excluded.recharge_micros, recharge_set_at = excluded.recharge_set_at`, tenantID, belowMicros, amountMicros, now, now)
		return FormatError(err, "Conflict.")
	})
}

const rechargeCols = `id, tenant_id, amount_micros, currency, status, intent_ref, message, created_at, updated_at`

func scanRecharge(r scanner) (*billing.Recharge, error) {
	var x billing.Recharge
	err := r.Scan(&x.ID, &x.TenantID, &x.AmountMicros, &x.Currency, &x.Status, &x.IntentID, &x.Message, Time{&x.CreatedAt}, Time{&x.UpdatedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Recharge not found.")
	}
	return &x, err
}

// StartRecharge implements billing.PaymentStore.
func (s *BillingPaymentStore) StartRecharge(ctx context.Context, r *billing.Recharge, st billing.RechargeStart) (bool, error) {
	started := false
	err := s.db.Update(ctx, func(tx *Tx) error {
		var bal, below, amount int64
		var setAt, cardAt NullTime
		err := tx.QueryRowContext(ctx, `SELECT w.balance_micros, w.recharge_below_micros, w.recharge_micros, w.recharge_set_at, c.updated_at
			FROM billing_wallets w LEFT JOIN billing_customers c ON c.tenant_id = w.tenant_id WHERE w.tenant_id = ?`, r.TenantID).
			Scan(&bal, &below, &amount, &setAt, &cardAt)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		} else if err != nil {
			return fmt.Errorf("recharge wallet: %w", err)
		}
		if amount <= 0 || bal >= below {
			return nil
		}
		last, err := scanRecharge(tx.QueryRowContext(ctx, `SELECT `+rechargeCols+` FROM billing_recharges WHERE tenant_id = ? ORDER BY id DESC LIMIT 1`, r.TenantID))
		if err != nil && app.ErrorCode(err) != app.ENOTFOUND {
			return fmt.Errorf("last recharge: %w", err)
		}
		if err == nil {
			switch last.Status {
			case billing.PaymentPending:
				if last.CreatedAt.Before(st.StaleBefore) {
					*r, started = *last, true // no answer was recorded: ask again with the same key
				}
				return nil
			case billing.PaymentProcessing:
				return nil
			case billing.PaymentFailed:
				changed := (setAt.T != nil && setAt.T.After(last.UpdatedAt)) || (cardAt.T != nil && cardAt.T.After(last.UpdatedAt))
				if last.UpdatedAt.After(st.RetryBefore) && !changed {
					return nil
				}
			}
		}
		now := FormatTime(tx.now)
		res, err := tx.ExecContext(ctx, `INSERT INTO billing_recharges (tenant_id, amount_micros, currency, status, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, r.TenantID, amount, r.Currency, billing.PaymentPending, now, now)
		if err != nil {
			return fmt.Errorf("start recharge: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // another one is in flight
		}
		r.ID, _ = res.LastInsertId()
		r.AmountMicros, r.Status, r.CreatedAt, r.UpdatedAt = amount, billing.PaymentPending, tx.now, tx.now
		started = true
		return nil
	})
	return started, err
}

// finishRecharge moves a recharge (never away from succeeded) and, when
// it succeeded, credits the wallet once (ref "recharge:<id>").
func finishRecharge(ctx context.Context, tx *Tx, tenantID, id int64, intentID, status, message string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE billing_recharges SET status = ?, message = ?, intent_ref = CASE WHEN ? != '' THEN ? ELSE intent_ref END, updated_at = ?
		WHERE id = ? AND tenant_id = ? AND status != 'succeeded'`, status, message, intentID, intentID, FormatTime(tx.now), id, tenantID); err != nil {
		return fmt.Errorf("recharge: %w", err)
	}
	if status != billing.PaymentSucceeded {
		return nil
	}
	r, err := scanRecharge(tx.QueryRowContext(ctx, `SELECT `+rechargeCols+` FROM billing_recharges WHERE id = ? AND tenant_id = ?`, id, tenantID))
	if err != nil {
		return err
	}
	_, err = addWalletEntry(ctx, tx, &billing.WalletEntry{TenantID: tenantID, Kind: billing.EntryTopUp, AmountMicros: r.AmountMicros,
		Ref: r.WalletRef(), Note: "Auto-recharge (card)"})
	return err
}

// FinishRecharge implements billing.PaymentStore.
func (s *BillingPaymentStore) FinishRecharge(ctx context.Context, r *billing.Recharge) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		r.UpdatedAt = tx.now
		return finishRecharge(ctx, tx, r.TenantID, r.ID, r.IntentID, r.Status, r.Message)
	})
}

// FindRecharges implements billing.PaymentStore.
func (s *BillingPaymentStore) FindRecharges(ctx context.Context, tenantID int64, limit int) ([]*billing.Recharge, error) {
	if limit <= 0 || limit > 100 {
		limit = 10
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+rechargeCols+` FROM billing_recharges WHERE tenant_id = ? ORDER BY id DESC LIMIT ?`, tenantID, limit)
	if err != nil {
		return nil, fmt.Errorf("recharges: %w", err)
	}
	return scanAll(rows, scanRecharge)
}

// FindRecharge implements billing.PaymentStore.
func (s *BillingPaymentStore) FindRecharge(ctx context.Context, tenantID, id int64) (*billing.Recharge, error) {
	return scanRecharge(s.db.read.QueryRowContext(ctx, `SELECT `+rechargeCols+` FROM billing_recharges WHERE id = ? AND tenant_id = ?`, id, tenantID))
}

// FindRechargeByIntent implements billing.PaymentStore.
func (s *BillingPaymentStore) FindRechargeByIntent(ctx context.Context, intentID string) (*billing.Recharge, error) {
	if intentID == "" {
		return nil, app.Errorf(app.ENOTFOUND, "Recharge not found.")
	}
	return scanRecharge(s.db.read.QueryRowContext(ctx, `SELECT `+rechargeCols+` FROM billing_recharges WHERE intent_ref = ? ORDER BY id DESC LIMIT 1`, intentID))
}

// FindProcessingRecharges implements billing.PaymentStore.
func (s *BillingPaymentStore) FindProcessingRecharges(ctx context.Context, before time.Time) ([]*billing.Recharge, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+rechargeCols+` FROM billing_recharges WHERE status = ? AND updated_at < ? ORDER BY id LIMIT 100`,
		billing.PaymentProcessing, FormatTime(before))
	if err != nil {
		return nil, fmt.Errorf("processing recharges: %w", err)
	}
	return scanAll(rows, scanRecharge)
}
