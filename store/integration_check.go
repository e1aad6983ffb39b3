package store

import (
	"context"
	"time"

	"orengen/app"
	"orengen/app/platform"
)

// IntegrationCheckStore implements platform.CheckStore.
type IntegrationCheckStore struct{ db *DB }

var _ platform.CheckStore = (*IntegrationCheckStore)(nil)

// NewIntegrationCheckStore returns an IntegrationCheckStore on db.
func NewIntegrationCheckStore(db *DB) *IntegrationCheckStore { return &IntegrationCheckStore{db: db} }

// checkScope is the tenant of ctx, or 0 (the agency's configuration)
// without one.
func checkScope(ctx context.Context) int64 {
	if t := app.TenantFromContext(ctx); t != nil {
		return t.ID
	}
	return 0
}

// FindChecks returns the scope's latest outcomes by integration.
func (s *IntegrationCheckStore) FindChecks(ctx context.Context) (map[string]*platform.Check, error) {
	rows, err := s.db.ReadDB().QueryContext(ctx, `SELECT integration, last_success_at, last_detail, last_error, last_error_at
		FROM integration_checks WHERE tenant_id = ?`, checkScope(ctx))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]*platform.Check{}
	for rows.Next() {
		var key string
		var c platform.Check
		var ok, bad NullTime
		if err := rows.Scan(&key, &ok, &c.LastDetail, &c.LastError, &bad); err != nil {
			return nil, err
		}
		c.LastSuccessAt, c.LastErrorAt = ok.T, bad.T
		out[key] = &c
	}
	return out, rows.Err()
}

// RecordCheck records a test outcome: a success keeps the last error (it
// is history), a failure keeps the last success.
func (s *IntegrationCheckStore) RecordCheck(ctx context.Context, key string, ok bool, detail string, at time.Time) error {
	tid := checkScope(ctx)
	return s.db.Update(ctx, func(tx *Tx) error {
		var err error
		if ok {
			_, err = tx.ExecContext(ctx, `INSERT INTO integration_checks (tenant_id, integration, last_success_at, last_detail) VALUES (?, ?, ?, ?)
				ON CONFLICT (tenant_id, integration) DO UPDATE SET last_success_at = excluded.last_success_at, last_detail = excluded.last_detail`,
				tid, key, FormatTime(at), detail)
		} else {
			_, err = tx.ExecContext(ctx, `INSERT INTO integration_checks (tenant_id, integration, last_error, last_error_at) VALUES (?, ?, ?, ?)
				ON CONFLICT (tenant_id, integration) DO UPDATE SET last_error = excluded.last_error, last_error_at = excluded.last_error_at`,
				tid, key, detail, FormatTime(at))
		}
		return err
	})
}
