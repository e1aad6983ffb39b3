package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"orengen/app"
	"orengen/app/inbox"
)

var _ inbox.QuietStore = (*InboxStore)(nil)

// FindQuiet implements inbox.QuietStore.
func (s *InboxStore) FindQuiet(ctx context.Context, tenantID int64) (*inbox.Quiet, error) {
	q := &inbox.Quiet{TenantID: tenantID}
	err := s.db.read.QueryRowContext(ctx, `SELECT enabled, start_at, end_at FROM inbox_quiet_hours WHERE tenant_id = ?`, tenantID).Scan(&q.Enabled, &q.Start, &q.End)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "No quiet hours set.")
	}
	if err != nil {
		return nil, fmt.Errorf("find quiet hours: %w", err)
	}
	return q, nil
}

// SaveQuiet implements inbox.QuietStore.
func (s *InboxStore) SaveQuiet(ctx context.Context, q *inbox.Quiet) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO inbox_quiet_hours (tenant_id, enabled, start_at, end_at, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (tenant_id) DO UPDATE SET enabled = excluded.enabled, start_at = excluded.start_at, end_at = excluded.end_at, updated_at = excluded.updated_at`,
			q.TenantID, q.Enabled, q.Start, q.End, FormatTime(tx.now))
		if err != nil {
			return fmt.Errorf("save quiet hours: %w", err)
		}
		return nil
	})
}
