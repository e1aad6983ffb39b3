package store

import (
	"context"
	"fmt"
	"time"

	"orengen/app"
	"orengen/app/billing"
)

// BillingStore implements billing.Store on SQLite.
type BillingStore struct{ db *DB }

var _ billing.Store = (*BillingStore)(nil)

// NewBillingStore returns a BillingStore on db.
func NewBillingStore(db *DB) *BillingStore { return &BillingStore{db: db} }

// RecordUsage implements billing.Store: the event and its day's rollup
// commit together, and a second event with the same tenant, source and
// source id is dropped by the unique index before it touches the rollup.
func (s *BillingStore) RecordUsage(ctx context.Context, e *billing.Event) (bool, error) {
	var recorded bool
	err := s.db.Update(ctx, func(tx *Tx) error {
		var err error
		recorded, err = recordUsage(ctx, tx, e)
		return err
	})
	return recorded, err
}

// recordUsage records e in tx (see RecordUsage).
func recordUsage(ctx context.Context, tx *Tx, e *billing.Event) (bool, error) {
	if e.CreatedAt.IsZero() {
		e.CreatedAt = tx.now
	}
	if e.Day == "" {
		e.Day = e.CreatedAt.UTC().Format("2006-01-02")
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO billing_usage_events (tenant_id, category, source, source_id, detail, quantity, cost_micros, cost_source, day, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, source, source_id) DO NOTHING`,
		e.TenantID, e.Category, e.Source, e.SourceID, e.Detail, e.Quantity, e.CostMicros, e.CostSource, e.Day, FormatTime(e.CreatedAt))
	if err != nil {
		return false, FormatError(fmt.Errorf("record usage: %w", err), "Usage already recorded.")
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, err
	}
	e.ID, _ = res.LastInsertId()
	_, err = tx.ExecContext(ctx, `INSERT INTO billing_usage_daily (tenant_id, day, category, quantity, cost_micros, events) VALUES (?, ?, ?, ?, ?, 1)
		ON CONFLICT (tenant_id, day, category) DO UPDATE SET quantity = quantity + excluded.quantity, cost_micros = cost_micros + excluded.cost_micros, events = events + 1`,
		e.TenantID, e.Day, e.Category, e.Quantity, e.CostMicros)
	if err != nil {
		return false, fmt.Errorf("usage rollup: %w", err)
	}
	if e.WalletDebitMicros > 0 {
		we := &billing.WalletEntry{TenantID: e.TenantID, Kind: billing.EntryUsage, AmountMicros: -e.WalletDebitMicros,
			Ref: fmt.Sprintf("usage:%d", e.ID), Note: e.Category}
		if _, err := addWalletEntry(ctx, tx, we); err != nil {
			return false, err
		}
	}
	return true, nil
}

// Prices implements billing.Store.
func (s *BillingStore) Prices(ctx context.Context) ([]*billing.Price, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT category, unit_micros, per, updated_at FROM billing_prices ORDER BY category`)
	if err != nil {
		return nil, fmt.Errorf("billing prices: %w", err)
	}
	return scanAll(rows, func(r scanner) (*billing.Price, error) {
		var p billing.Price
		err := r.Scan(&p.Category, &p.UnitMicros, &p.Per, Time{&p.UpdatedAt})
		return &p, err
	})
}

// SavePrice implements billing.Store.
func (s *BillingStore) SavePrice(ctx context.Context, p *billing.Price) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		p.UpdatedAt = tx.now
		_, err := tx.ExecContext(ctx, `INSERT INTO billing_prices (category, unit_micros, per, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (category) DO UPDATE SET unit_micros = excluded.unit_micros, per = excluded.per, updated_at = excluded.updated_at`,
			p.Category, p.UnitMicros, p.Per, FormatTime(tx.now))
		return err
	})
}

// DailyUsage implements billing.Store.
func (s *BillingStore) DailyUsage(ctx context.Context, tenantID int64, from, to string) ([]*billing.DayUsage, error) {
	if tenantID <= 0 {
		return nil, app.Errorf(app.EUNAUTHORIZED, "No tenant.")
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT tenant_id, day, category, quantity, cost_micros, events FROM billing_usage_daily
		WHERE tenant_id = ? AND day >= ? AND day <= ? ORDER BY day, category`, tenantID, from, to)
	if err != nil {
		return nil, fmt.Errorf("daily usage: %w", err)
	}
	return scanAll(rows, func(r scanner) (*billing.DayUsage, error) {
		var d billing.DayUsage
		err := r.Scan(&d.TenantID, &d.Day, &d.Category, &d.Quantity, &d.CostMicros, &d.Events)
		return &d, err
	})
}

// PeriodUsageTotals implements billing.Store.
func (s *BillingStore) PeriodUsageTotals(ctx context.Context, tenantID int64, from, to time.Time) ([]*billing.UsageTotal, error) {
	if tenantID <= 0 {
		return nil, app.Errorf(app.EUNAUTHORIZED, "No tenant.")
	}
	fromDay, toDay := from.UTC().Format("2006-01-02"), to.UTC().Format("2006-01-02")
	rows, err := s.db.read.QueryContext(ctx, `SELECT category, SUM(q), SUM(c), SUM(n) FROM (
			SELECT category, quantity AS q, cost_micros AS c, events AS n FROM billing_usage_daily WHERE tenant_id = ?1 AND day > ?2 AND day < ?3
			UNION ALL
			SELECT category, quantity, cost_micros, 1 FROM billing_usage_events WHERE tenant_id = ?1 AND day IN (?2, ?3) AND created_at >= ?4 AND created_at < ?5)
		GROUP BY category ORDER BY category`, tenantID, fromDay, toDay, FormatTime(from), FormatTime(to))
	if err != nil {
		return nil, fmt.Errorf("period usage totals: %w", err)
	}
	return scanAll(rows, scanUsageTotal)
}

// scanUsageTotal reads a (category, quantity, cost, events) row.
func scanUsageTotal(r scanner) (*billing.UsageTotal, error) {
	var u billing.UsageTotal
	err := r.Scan(&u.Category, &u.Quantity, &u.CostMicros, &u.Events)
	return &u, err
}

// UsageTotals implements billing.Store.
func (s *BillingStore) UsageTotals(ctx context.Context, tenantID int64, from, to string) ([]*billing.UsageTotal, error) {
	if tenantID <= 0 {
		return nil, app.Errorf(app.EUNAUTHORIZED, "No tenant.")
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT category, SUM(quantity), SUM(cost_micros), SUM(events) FROM billing_usage_daily
		WHERE tenant_id = ? AND day >= ? AND day <= ? GROUP BY category ORDER BY category`, tenantID, from, to)
	if err != nil {
		return nil, fmt.Errorf("usage totals: %w", err)
	}
	return scanAll(rows, scanUsageTotal)
}
