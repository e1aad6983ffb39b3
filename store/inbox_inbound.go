package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"orengen/app"
	"orengen/app/inbox"
)

var _ inbox.InboundStore = (*InboxStore)(nil)

const inboundCols = `tenant_id, token, enabled, received, last_at, created_at`

func scanInbound(row scanner) (*inbox.InboundAddress, error) {
	var a inbox.InboundAddress
	var last NullTime
	if err := row.Scan(&a.TenantID, &a.Token, &a.Enabled, &a.Received, &last, Time{&a.CreatedAt}); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, app.Errorf(app.ENOTFOUND, "No inbound address.")
		}
		return nil, fmt.Errorf("find inbound address: %w", err)
	}
	a.LastAt = last.T
	return &a, nil
}

// FindInboundAddress implements inbox.InboundStore. Returns ENOTFOUND.
func (s *InboxStore) FindInboundAddress(ctx context.Context, tenantID int64) (*inbox.InboundAddress, error) {
	return scanInbound(s.db.read.QueryRowContext(ctx, `SELECT `+inboundCols+` FROM inbox_inbound WHERE tenant_id = ?`, tenantID))
}

// FindInboundToken implements inbox.InboundStore. Returns ENOTFOUND.
func (s *InboxStore) FindInboundToken(ctx context.Context, token string) (*inbox.InboundAddress, error) {
	return scanInbound(s.db.read.QueryRowContext(ctx, `SELECT `+inboundCols+` FROM inbox_inbound WHERE token = ?`, token))
}

// SaveInboundAddress implements inbox.InboundStore.
func (s *InboxStore) SaveInboundAddress(ctx context.Context, a *inbox.InboundAddress) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO inbox_inbound (tenant_id, token, enabled, created_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (tenant_id) DO UPDATE SET token = excluded.token, enabled = excluded.enabled`,
			a.TenantID, a.Token, a.Enabled, FormatTime(tx.now))
		return FormatError(err, "The tenant does not exist.")
	})
}

// CountInbound implements inbox.InboundStore.
func (s *InboxStore) CountInbound(ctx context.Context, tenantID int64, at time.Time) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE inbox_inbound SET received = received + 1, last_at = ? WHERE tenant_id = ?`, FormatTime(at), tenantID)
		return err
	})
}
