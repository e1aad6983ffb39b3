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

var _ inbox.MailboxStore = (*InboxStore)(nil)

const mailboxCols = `tenant_id, host, port, security, username, address, enabled, uid_validity, last_uid, imported, last_error, last_poll_at`

func scanMailbox(row scanner) (*inbox.Mailbox, error) {
	var m inbox.Mailbox
	var at NullTime
	if err := row.Scan(&m.TenantID, &m.Host, &m.Port, &m.Security, &m.Username, &m.Address, &m.Enabled, &m.UIDValidity, &m.LastUID, &m.Imported, &m.LastError, &at); err != nil {
		return nil, err
	}
	m.LastPollAt = at.T
	return &m, nil
}

// FindMailbox implements inbox.MailboxStore. Returns ENOTFOUND.
func (s *InboxStore) FindMailbox(ctx context.Context, tenantID int64) (*inbox.Mailbox, error) {
	m, err := scanMailbox(s.db.read.QueryRowContext(ctx, `SELECT `+mailboxCols+` FROM inbox_mailboxes WHERE tenant_id = ?`, tenantID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "No mailbox is connected.")
	}
	if err != nil {
		return nil, fmt.Errorf("find mailbox: %w", err)
	}
	return m, nil
}

// FindMailboxes implements inbox.MailboxStore.
func (s *InboxStore) FindMailboxes(ctx context.Context) ([]*inbox.Mailbox, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+mailboxCols+` FROM inbox_mailboxes WHERE enabled = 1 ORDER BY tenant_id`)
	if err != nil {
		return nil, fmt.Errorf("find mailboxes: %w", err)
	}
	defer rows.Close()
	var out []*inbox.Mailbox
	for rows.Next() {
		m, err := scanMailbox(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// SaveMailbox implements inbox.MailboxStore: another host or user name
// starts reading from the beginning (Message-IDs dedupe).
func (s *InboxStore) SaveMailbox(ctx context.Context, m *inbox.Mailbox) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO inbox_mailboxes (tenant_id, host, port, security, username, address, enabled, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (tenant_id) DO UPDATE SET
				uid_validity = CASE WHEN host = excluded.host AND username = excluded.username THEN uid_validity ELSE 0 END,
				last_uid = CASE WHEN host = excluded.host AND username = excluded.username THEN last_uid ELSE 0 END,
				host = excluded.host, port = excluded.port, security = excluded.security, username = excluded.username,
				address = excluded.address, enabled = excluded.enabled, updated_at = excluded.updated_at`,
			m.TenantID, m.Host, m.Port, m.Security, m.Username, m.Address, m.Enabled, FormatTime(tx.now))
		return FormatError(err, "The tenant does not exist.")
	})
}

// SetMailboxPosition implements inbox.MailboxStore.
func (s *InboxStore) SetMailboxPosition(ctx context.Context, tenantID int64, uidValidity, lastUID uint32, imported int64, errText string, at time.Time) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE inbox_mailboxes SET uid_validity = ?, last_uid = ?, imported = ?, last_error = ?, last_poll_at = ? WHERE tenant_id = ?`,
			uidValidity, lastUID, imported, errText, FormatTime(at), tenantID)
		return err
	})
}
