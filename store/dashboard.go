package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"orengen/app"
)

// DashboardStore computes the dashboards' aggregates in SQL, each query
// bounded by the range and served by an index (migration 0170), the
// leads and runs per day from the daily counts the triggers of
// migration 0175 keep (new people are counted through the covering index
// crm_people_created: a trigger on people cost the CRM's writes too much,
// migration 0176).
type DashboardStore struct{ db *DB }

// NewDashboardStore returns a DashboardStore.
func NewDashboardStore(db *DB) *DashboardStore { return &DashboardStore{db} }

// Dashboard implements app.DashboardStore: the tenant in ctx, or every
// tenant for an admin's NewContextAcrossTenants.
func (s *DashboardStore) Dashboard(ctx context.Context, r app.DashRange) (*app.Dashboard, error) {
	tid, err := app.CRMReadScope(ctx)
	if err != nil {
		return nil, err
	}
	q := s.db.ReadDB()
	from, end := FormatTime(r.From), FormatTime(r.End())
	d := &app.Dashboard{Range: r, GeneratedAt: s.db.Now().UTC()}
	// tenant is the optional tenant condition of a query on alias a.
	tenant := func(a string) (string, []any) {
		if tid == 0 {
			return "", nil
		}
		return " AND " + a + "tenant_id = ?", []any{tid}
	}
	dayCounts := func(query string, args ...any) ([]app.DayCount, error) {
		rows, err := q.QueryContext(ctx, query, args...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []app.DayCount
		for rows.Next() {
			var c app.DayCount
			if err := rows.Scan(&c.Day, &c.Key, &c.N); err != nil {
				return nil, err
			}
			out = append(out, c)
		}
		return out, rows.Err()
	}
	keyValues := func(query string, args ...any) ([]app.KeyValue, error) {
		rows, err := q.QueryContext(ctx, query, args...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []app.KeyValue
		for rows.Next() {
			var kv app.KeyValue
			if err := rows.Scan(&kv.Key, &kv.Value, &kv.N); err != nil {
				return nil, err
			}
			out = append(out, kv)
		}
		return out, rows.Err()
	}

	// Leads and runs come from the daily counts (dash_daily, kept by
	// triggers: migration 0175), a row per tenant, day and key.
	d1, d2 := r.From.Format(time.DateOnly), r.To.Format(time.DateOnly)
	w, a := tenant("")
	if d.Leads, err = dayCounts(`SELECT day, CASE WHEN key = '' THEN 'unknown' ELSE key END, sum(n)
		FROM dash_daily WHERE metric = 'leads' AND day BETWEEN ? AND ?`+w+` GROUP BY 1, 2 HAVING sum(n) > 0 ORDER BY 1, 2`, append([]any{d1, d2}, a...)...); err != nil {
		return nil, fmt.Errorf("dashboard leads: %w", err)
	}
	w, a = tenant("d.")
	if d.Pipeline, err = keyValues(`SELECT s.name || ' (' || d.currency || ')', sum(d.amount), count(*) FROM crm_deals d JOIN crm_stages s ON s.id = d.stage_id
		WHERE s.won = 0 AND s.lost = 0`+w+` GROUP BY s.name, d.currency ORDER BY min(s.position), s.name, d.currency`, a...); err != nil {
		return nil, fmt.Errorf("dashboard pipeline: %w", err)
	}
	if err := q.QueryRowContext(ctx, `SELECT coalesce(sum(s.won), 0), coalesce(sum(s.lost), 0) FROM crm_deals d JOIN crm_stages s ON s.id = d.stage_id
		WHERE (s.won = 1 OR s.lost = 1) AND d.updated_at >= ? AND d.updated_at < ?`+w, append([]any{from, end}, a...)...).Scan(&d.Won, &d.Lost); err != nil {
		return nil, fmt.Errorf("dashboard win rate: %w", err)
	}
	w, a = tenant("")
	if d.Runs, err = dayCounts(`SELECT day, key, sum(n) FROM dash_daily
		WHERE metric = 'runs' AND day BETWEEN ? AND ? AND key IN ('succeeded', 'failed')`+w+` GROUP BY 1, 2 HAVING sum(n) > 0 ORDER BY 1, 2`, append([]any{d1, d2}, a...)...); err != nil {
		return nil, fmt.Errorf("dashboard runs: %w", err)
	}
	if d.Agents, err = keyValues(`SELECT CASE WHEN status = 'active' THEN 'open' WHEN outcome = '' THEN 'no outcome' ELSE outcome END, count(*), count(*)
		FROM agent_conversations WHERE started_at >= ? AND started_at < ? AND channel <> 'playground'`+w+` GROUP BY 1 ORDER BY 2 DESC, 1`,
		append([]any{from, end}, a...)...); err != nil {
		return nil, fmt.Errorf("dashboard agents: %w", err)
	}
	if d.Federal, err = keyValues(`SELECT stage, sum(estimated_value_cents), count(*) FROM federal_pipeline WHERE 1 = 1`+w+` GROUP BY stage
		ORDER BY CASE stage WHEN 'triage' THEN 0 WHEN 'bid_decision' THEN 1 WHEN 'capture' THEN 2 WHEN 'proposal' THEN 3 WHEN 'submitted' THEN 4
		WHEN 'won' THEN 5 WHEN 'lost' THEN 6 ELSE 7 END`, a...); err != nil {
		return nil, fmt.Errorf("dashboard federal: %w", err)
	}
	if d.Deadlines, err = s.deadlines(ctx, q, tid, r.From); err != nil {
		return nil, err
	}
	if d.Usage, err = s.usage(ctx, q, tid, r); err != nil {
		return nil, err
	}
	return d, nil
}

// deadlines lists the open pursuits' response deadlines from since on,
// soonest first.
func (s *DashboardStore) deadlines(ctx context.Context, q *sql.DB, tid int64, since time.Time) ([]app.Deadline, error) {
	query := `SELECT p.tenant_id, p.notice_id, n.title, p.stage, n.response_deadline, p.estimated_value_cents
		FROM federal_pipeline p JOIN federal_notices n ON n.tenant_id = p.tenant_id AND n.notice_id = p.notice_id
		WHERE p.stage IN ('triage', 'bid_decision', 'capture', 'proposal') AND n.response_deadline >= ?`
	args := []any{since.Format(time.DateOnly)}
	if tid != 0 {
		query += ` AND p.tenant_id = ?`
		args = append(args, tid)
	}
	rows, err := q.QueryContext(ctx, query+` ORDER BY n.response_deadline LIMIT ?`, append(args, app.MaxDeadlines)...)
	if err != nil {
		return nil, fmt.Errorf("dashboard deadlines: %w", err)
	}
	defer rows.Close()
	var out []app.Deadline
	for rows.Next() {
		var d app.Deadline
		var due string
		if err := rows.Scan(&d.TenantID, &d.NoticeID, &d.Title, &d.Stage, &due, &d.Value); err != nil {
			return nil, err
		}
		if d.Due, err = parseDeadline(due); err != nil {
			continue // a deadline SAM.gov wrote in no known form is not charted
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// parseDeadline reads a stored response deadline (RFC 3339 or a date).
func parseDeadline(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	return time.Parse(time.DateOnly, s)
}

// usage is each tenant's API requests, workflow runs, agent cost and new
// people over the range (every tenant, or tid's), busiest first.
func (s *DashboardStore) usage(ctx context.Context, q *sql.DB, tid int64, r app.DashRange) ([]app.TenantUsage, error) {
	d1, d2 := r.From.Format(time.DateOnly), r.To.Format(time.DateOnly)
	query := `SELECT t.id, CASE WHEN t.display_name <> '' THEN t.display_name ELSE t.name END,
		(SELECT coalesce(sum(u.requests), 0) FROM api_keys k JOIN api_key_usage u ON u.key_id = k.id WHERE k.tenant_id = t.id AND u.day BETWEEN ? AND ?) AS api,
		(SELECT coalesce(sum(x.n), 0) FROM dash_daily x WHERE x.metric = 'runs' AND x.tenant_id = t.id AND x.day BETWEEN ? AND ?) AS nruns,
		(SELECT coalesce(sum(g.cost_micros), 0) FROM agent_usage g WHERE g.tenant_id = t.id AND g.day BETWEEN ? AND ?) AS cost,
		(SELECT count(*) FROM crm_people p WHERE p.tenant_id = t.id AND p.created_at >= ? AND p.created_at < ?) AS people
		FROM tenants t`
	args := []any{d1, d2, d1, d2, d1, d2, FormatTime(r.From), FormatTime(r.End())}
	if tid != 0 {
		query += ` WHERE t.id = ?`
		args = append(args, tid)
	}
	rows, err := q.QueryContext(ctx, query+` ORDER BY api + nruns + people DESC, t.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("dashboard usage: %w", err)
	}
	defer rows.Close()
	var out []app.TenantUsage
	for rows.Next() {
		var u app.TenantUsage
		if err := rows.Scan(&u.TenantID, &u.Tenant, &u.APIRequests, &u.Runs, &u.AgentCost, &u.People); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// countDaily adds n to the dashboard's daily count of metric ('leads',
// key: the lead's source as stored; 'runs', key: the run's status) for
// the tenant and the UTC day of at (a FormatTime value), in tx. Every
// insert of a lead or a run calls it in its transaction; updates and
// deletes are counted by the triggers of migration 0175. Inserts were
// too (dash_leads_ai, dash_runs_ai) until issue #13: a table with an
// insert trigger makes SQLite journal every page each insert changes, and
// the two triggers took a fifth of a lead capture's writer time.
func countDaily(ctx context.Context, tx *Tx, metric string, tenantID int64, at, key string, n int) error {
	if n == 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO dash_daily (metric, tenant_id, day, key, n) VALUES (?, ?, substr(?, 1, 10), ?, ?)
		ON CONFLICT DO UPDATE SET n = n + excluded.n`, metric, tenantID, at, key, n); err != nil {
		return fmt.Errorf("count %s: %w", metric, err)
	}
	return nil
}
