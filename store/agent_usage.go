package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"orengen/app"
	"orengen/app/agents"
)

// DayCost returns the tenant's cost on day.
func (s *AgentStore) DayCost(ctx context.Context, tenantID int64, day string) (int64, error) {
	var c int64
	err := s.db.read.QueryRowContext(ctx, `SELECT COALESCE(SUM(cost_micros), 0) FROM agent_usage WHERE tenant_id = ? AND day = ?`, tenantID, day).Scan(&c)
	return c, err
}

// AddUsage adds usage that belongs to no turn, counted on the
// conversation (0: none, like embedding the knowledge).
func (s *AgentStore) AddUsage(ctx context.Context, conversationID int64, us []agents.Usage) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		cost, err := addUsage(ctx, tx, us)
		if err != nil || conversationID == 0 {
			return err
		}
		var in, out int
		for _, u := range us {
			in += u.TokensIn
			out += u.TokensOut
		}
		_, err = tx.ExecContext(ctx, `UPDATE agent_conversations SET tokens_in = tokens_in + ?, tokens_out = tokens_out + ?, cost_micros = cost_micros + ? WHERE id = ?`,
			in, out, cost, conversationID)
		return err
	})
}

// UsageReport sums usage per tenant, month, kind and model.
func (s *AgentStore) UsageReport(ctx context.Context, tenantID int64, since time.Time) ([]*agents.UsageRow, error) {
	q := `SELECT u.tenant_id, t.name, substr(u.day, 1, 7), u.kind, u.model, SUM(u.tokens_in), SUM(u.tokens_out), SUM(u.quantity), SUM(u.cost_micros)
		FROM agent_usage u JOIN tenants t ON t.id = u.tenant_id WHERE u.day >= ?`
	args := []any{since.UTC().Format("2006-01-02")}
	if tenantID != 0 {
		q += ` AND u.tenant_id = ?`
		args = append(args, tenantID)
	}
	rows, err := s.db.read.QueryContext(ctx, q+` GROUP BY u.tenant_id, substr(u.day, 1, 7), u.kind, u.model ORDER BY substr(u.day, 1, 7) DESC, t.name, u.kind, u.model`, args...)
	if err != nil {
		return nil, fmt.Errorf("usage report: %w", err)
	}
	return scanAll(rows, func(row scanner) (*agents.UsageRow, error) {
		var r agents.UsageRow
		err := row.Scan(&r.TenantID, &r.TenantName, &r.Month, &r.Kind, &r.Model, &r.TokensIn, &r.TokensOut, &r.Quantity, &r.CostMicros)
		return &r, err
	})
}

// Prices returns the price table by key.
func (s *AgentStore) Prices(ctx context.Context) ([]*agents.Price, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT key, in_per_mtok, out_per_mtok, unit, updated_at FROM agent_prices ORDER BY key`)
	if err != nil {
		return nil, fmt.Errorf("prices: %w", err)
	}
	return scanAll(rows, func(row scanner) (*agents.Price, error) {
		var p agents.Price
		err := row.Scan(&p.Key, &p.InPerMTok, &p.OutPerMTok, &p.Unit, Time{&p.UpdatedAt})
		return &p, err
	})
}

// SavePrice inserts or replaces a line of the price table.
func (s *AgentStore) SavePrice(ctx context.Context, p *agents.Price) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		p.UpdatedAt = tx.now
		_, err := tx.ExecContext(ctx, `INSERT INTO agent_prices (key, in_per_mtok, out_per_mtok, unit, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET in_per_mtok = excluded.in_per_mtok, out_per_mtok = excluded.out_per_mtok, unit = excluded.unit, updated_at = excluded.updated_at`,
			p.Key, p.InPerMTok, p.OutPerMTok, p.Unit, FormatTime(tx.now))
		return err
	})
}

// DeletePrice removes a line of the price table.
func (s *AgentStore) DeletePrice(ctx context.Context, key string) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM agent_prices WHERE key = ?`, key)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "Price not found.")
		}
		return nil
	})
}

// FindSettings returns a tenant's settings (defaults when never saved).
func (s *AgentStore) FindSettings(ctx context.Context, tenantID int64) (*agents.Settings, error) {
	st := &agents.Settings{TenantID: tenantID}
	err := s.db.read.QueryRowContext(ctx, `SELECT daily_budget_micros FROM agent_settings WHERE tenant_id = ?`, tenantID).Scan(&st.DailyBudgetMicros)
	if errors.Is(err, sql.ErrNoRows) {
		return st, nil
	}
	return st, err
}

// SaveSettings stores a tenant's settings.
func (s *AgentStore) SaveSettings(ctx context.Context, st *agents.Settings) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO agent_settings (tenant_id, daily_budget_micros, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (tenant_id) DO UPDATE SET daily_budget_micros = excluded.daily_budget_micros, updated_at = excluded.updated_at`,
			st.TenantID, st.DailyBudgetMicros, FormatTime(tx.now))
		return FormatError(err, "Conflict.")
	})
}
