package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"orengen/app"
	"orengen/app/billing"
)

const planCols = `id, name, interval, price_micros, trial_days, markup_pct, wallet, included, overage, active, created_at, updated_at, modules_off`

func scanPlan(r scanner) (*billing.Plan, error) {
	var p billing.Plan
	var inc, over, off string
	if err := r.Scan(&p.ID, &p.Name, &p.Interval, &p.PriceMicros, &p.TrialDays, &p.MarkupPct, &p.Wallet, &inc, &over, &p.Active, Time{&p.CreatedAt}, Time{&p.UpdatedAt}, &off); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(off), &p.ModulesOff); err != nil {
		return nil, fmt.Errorf("plan %d modules: %w", p.ID, err)
	}
	if err := json.Unmarshal([]byte(inc), &p.Included); err != nil {
		return nil, fmt.Errorf("plan %d included: %w", p.ID, err)
	}
	if err := json.Unmarshal([]byte(over), &p.Overage); err != nil {
		return nil, fmt.Errorf("plan %d overage: %w", p.ID, err)
	}
	return &p, nil
}

// modulesJSON is a plan's switched-off modules as stored.
func modulesJSON(off []string) string {
	if len(off) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(off)
	return string(b)
}

func planJSON(m map[string]int64) string {
	if m == nil {
		return "{}"
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// CreatePlan implements billing.Store.
func (s *BillingStore) CreatePlan(ctx context.Context, p *billing.Plan) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		p.CreatedAt, p.UpdatedAt = tx.now, tx.now
		res, err := tx.ExecContext(ctx, `INSERT INTO billing_plans (name, interval, price_micros, trial_days, markup_pct, wallet, included, overage, active, created_at, updated_at, modules_off)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, p.Name, p.Interval, p.PriceMicros, p.TrialDays, p.MarkupPct, p.Wallet, planJSON(p.Included), planJSON(p.Overage), p.Active,
			FormatTime(tx.now), FormatTime(tx.now), modulesJSON(p.ModulesOff))
		if err != nil {
			return FormatError(err, "A plan with this name exists.")
		}
		p.ID, err = res.LastInsertId()
		return err
	})
}

// UpdatePlan implements billing.Store.
func (s *BillingStore) UpdatePlan(ctx context.Context, p *billing.Plan) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		p.UpdatedAt = tx.now
		res, err := tx.ExecContext(ctx, `UPDATE billing_plans SET name = ?, interval = ?, price_micros = ?, trial_days = ?, markup_pct = ?, wallet = ?, included = ?, overage = ?,
			active = ?, updated_at = ?, modules_off = ? WHERE id = ?`, p.Name, p.Interval, p.PriceMicros, p.TrialDays, p.MarkupPct, p.Wallet, planJSON(p.Included), planJSON(p.Overage), p.Active,
			FormatTime(tx.now), modulesJSON(p.ModulesOff), p.ID)
		if err != nil {
			return FormatError(err, "A plan with this name exists.")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "Plan not found.")
		}
		return nil
	})
}

// FindPlans implements billing.Store.
func (s *BillingStore) FindPlans(ctx context.Context) ([]*billing.Plan, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+planCols+` FROM billing_plans ORDER BY active DESC, name`)
	if err != nil {
		return nil, fmt.Errorf("plans: %w", err)
	}
	return scanAll(rows, scanPlan)
}

// FindPlan implements billing.Store.
func (s *BillingStore) FindPlan(ctx context.Context, id int64) (*billing.Plan, error) {
	p, err := scanPlan(s.db.read.QueryRowContext(ctx, `SELECT `+planCols+` FROM billing_plans WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Plan not found.")
	}
	return p, err
}

type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func findSubscription(ctx context.Context, q queryRower, tenantID int64) (*billing.Subscription, error) {
	var sub billing.Subscription
	var te NullTime
	te.T = nil
	err := q.QueryRowContext(ctx, `SELECT tenant_id, plan_id, status, period_start, period_end, trial_end, tax_rate_bp, created_at, updated_at
		FROM billing_subscriptions WHERE tenant_id = ?`, tenantID).Scan(&sub.TenantID, &sub.PlanID, &sub.Status, Time{&sub.PeriodStart}, Time{&sub.PeriodEnd}, &te,
		&sub.TaxRateBP, Time{&sub.CreatedAt}, Time{&sub.UpdatedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "The tenant is on no plan.")
	} else if err != nil {
		return nil, fmt.Errorf("subscription: %w", err)
	}
	sub.TrialEnd = te.T
	if sub.Plan, err = scanPlan(q.QueryRowContext(ctx, `SELECT `+planCols+` FROM billing_plans WHERE id = ?`, sub.PlanID)); err != nil {
		return nil, fmt.Errorf("subscription plan: %w", err)
	}
	return &sub, nil
}

// FindSubscription implements billing.Store.
func (s *BillingStore) FindSubscription(ctx context.Context, tenantID int64) (*billing.Subscription, error) {
	return findSubscription(ctx, s.db.read, tenantID)
}

// ChangeSubscription implements billing.Store.
func (s *BillingStore) ChangeSubscription(ctx context.Context, tenantID int64, fn billing.PlanChange) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		cur, err := findSubscription(ctx, tx, tenantID)
		if app.ErrorCode(err) == app.ENOTFOUND {
			cur, err = nil, nil
		}
		if err != nil {
			return err
		}
		next, adj, err := fn(cur)
		if err != nil || next == nil {
			return err
		}
		var te any
		if next.TrialEnd != nil {
			te = FormatTime(*next.TrialEnd)
		}
		next.UpdatedAt = tx.now
		if _, err := tx.ExecContext(ctx, `INSERT INTO billing_subscriptions (tenant_id, plan_id, status, period_start, period_end, trial_end, tax_rate_bp, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id) DO UPDATE SET plan_id = excluded.plan_id, status = excluded.status, period_start = excluded.period_start,
			period_end = excluded.period_end, trial_end = excluded.trial_end, tax_rate_bp = excluded.tax_rate_bp, updated_at = excluded.updated_at`,
			tenantID, next.PlanID, next.Status, FormatTime(next.PeriodStart), FormatTime(next.PeriodEnd), te, next.TaxRateBP, FormatTime(tx.now), FormatTime(tx.now)); err != nil {
			return FormatError(fmt.Errorf("save subscription: %w", err), "Conflict.")
		}
		if adj != nil {
			adj.TenantID, adj.CreatedAt = tenantID, tx.now
			res, err := tx.ExecContext(ctx, `INSERT INTO billing_adjustments (tenant_id, amount_micros, description, created_at) VALUES (?, ?, ?, ?)`,
				tenantID, adj.AmountMicros, adj.Description, FormatTime(tx.now))
			if err != nil {
				return fmt.Errorf("save adjustment: %w", err)
			}
			adj.ID, _ = res.LastInsertId()
		}
		return nil
	})
}

// OpenAdjustments implements billing.Store.
func (s *BillingStore) OpenAdjustments(ctx context.Context, tenantID int64) ([]*billing.Adjustment, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT id, tenant_id, amount_micros, description, created_at FROM billing_adjustments
		WHERE tenant_id = ? AND invoice_id IS NULL ORDER BY id`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("adjustments: %w", err)
	}
	return scanAll(rows, func(r scanner) (*billing.Adjustment, error) {
		var a billing.Adjustment
		err := r.Scan(&a.ID, &a.TenantID, &a.AmountMicros, &a.Description, Time{&a.CreatedAt})
		return &a, err
	})
}

// FindWallet implements billing.Store.
func (s *BillingStore) FindWallet(ctx context.Context, tenantID int64) (*billing.Wallet, error) {
	w := &billing.Wallet{TenantID: tenantID}
	err := s.db.read.QueryRowContext(ctx, `SELECT balance_micros, recharge_below_micros, recharge_micros, updated_at FROM billing_wallets WHERE tenant_id = ?`, tenantID).
		Scan(&w.BalanceMicros, &w.RechargeBelowMicros, &w.RechargeMicros, Time{&w.UpdatedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return w, nil
	}
	return w, err
}

// AddWalletEntry implements billing.Store.
func (s *BillingStore) AddWalletEntry(ctx context.Context, e *billing.WalletEntry) (bool, error) {
	var added bool
	err := s.db.Update(ctx, func(tx *Tx) error {
		var err error
		added, err = addWalletEntry(ctx, tx, e)
		return err
	})
	return added, err
}

// addWalletEntry appends e and moves the wallet's balance in tx; the
// unique (tenant, kind, ref) index makes a repeat a no-op.
func addWalletEntry(ctx context.Context, tx *Tx, e *billing.WalletEntry) (bool, error) {
	if _, err := tx.ExecContext(ctx, `INSERT INTO billing_wallets (tenant_id, balance_micros, updated_at) VALUES (?, 0, ?) ON CONFLICT (tenant_id) DO NOTHING`,
		e.TenantID, FormatTime(tx.now)); err != nil {
		return false, FormatError(fmt.Errorf("wallet: %w", err), "Conflict.")
	}
	var bal int64
	if err := tx.QueryRowContext(ctx, `SELECT balance_micros FROM billing_wallets WHERE tenant_id = ?`, e.TenantID).Scan(&bal); err != nil {
		return false, fmt.Errorf("wallet balance: %w", err)
	}
	e.BalanceMicros, e.CreatedAt = bal+e.AmountMicros, tx.now
	res, err := tx.ExecContext(ctx, `INSERT INTO billing_wallet_entries (tenant_id, kind, amount_micros, balance_micros, ref, note, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (tenant_id, kind, ref) DO NOTHING`, e.TenantID, e.Kind, e.AmountMicros, e.BalanceMicros, e.Ref, e.Note, FormatTime(tx.now))
	if err != nil {
		return false, fmt.Errorf("wallet entry: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, err
	}
	e.ID, _ = res.LastInsertId()
	_, err = tx.ExecContext(ctx, `UPDATE billing_wallets SET balance_micros = ?, updated_at = ? WHERE tenant_id = ?`, e.BalanceMicros, FormatTime(tx.now), e.TenantID)
	return true, err
}

// FindWalletEntries implements billing.Store.
func (s *BillingStore) FindWalletEntries(ctx context.Context, tenantID int64, limit int) ([]*billing.WalletEntry, error) {
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT id, tenant_id, kind, amount_micros, balance_micros, ref, note, created_at FROM billing_wallet_entries
		WHERE tenant_id = ? ORDER BY id DESC LIMIT ?`, tenantID, limit)
	if err != nil {
		return nil, fmt.Errorf("wallet entries: %w", err)
	}
	return scanAll(rows, func(r scanner) (*billing.WalletEntry, error) {
		var e billing.WalletEntry
		err := r.Scan(&e.ID, &e.TenantID, &e.Kind, &e.AmountMicros, &e.BalanceMicros, &e.Ref, &e.Note, Time{&e.CreatedAt})
		return &e, err
	})
}
