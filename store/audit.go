package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"orengen/app"
)

// AuditStore implements app.AuditStore.
type AuditStore struct{ db *DB }

var _ app.AuditStore = (*AuditStore)(nil)

// NewAuditStore returns an AuditStore on db.
func NewAuditStore(db *DB) *AuditStore { return &AuditStore{db: db} }

// CreateAuditEntry appends an entry.
func (s *AuditStore) CreateAuditEntry(ctx context.Context, e *app.AuditEntry) error {
	tx, err := s.db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT INTO audit_log (at, actor_kind, actor_id, actor, tenant_id, action, target, detail, ip, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		FormatTime(e.At), e.ActorKind, e.ActorID, e.Actor, e.TenantID, e.Action, e.Target, e.Detail, e.IP, e.UserAgent)
	if err != nil {
		return fmt.Errorf("write audit entry: %w", err)
	}
	if e.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	return tx.Commit()
}

// FindAuditEntries returns matching entries newest first and their count.
func (s *AuditStore) FindAuditEntries(ctx context.Context, f app.AuditFilter) ([]*app.AuditEntry, int, error) {
	if f.Limit <= 0 {
		f.Limit = 100 // a zero filter means "the newest page", not "no rows"
	}
	where, args := []string{"1 = 1"}, []any{}
	if f.Action != "" {
		where, args = append(where, `(action = ? OR action LIKE ? ESCAPE '\')`), append(args, f.Action, likeEscape(f.Action)+".%")
	}
	if f.Actor != "" {
		where, args = append(where, `actor LIKE ? ESCAPE '\'`), append(args, "%"+likeEscape(f.Actor)+"%")
	}
	if f.TenantID != nil {
		where, args = append(where, `tenant_id = ?`), append(args, *f.TenantID)
	}
	if f.Since != nil {
		where, args = append(where, `at >= ?`), append(args, FormatTime(*f.Since))
	}
	if f.Until != nil {
		where, args = append(where, `at < ?`), append(args, FormatTime(*f.Until))
	}
	w := strings.Join(where, " AND ")
	var total int
	if err := s.db.read.QueryRowContext(ctx, `SELECT count(*) FROM audit_log WHERE `+w, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count audit: %w", err)
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT id, at, actor_kind, actor_id, actor, tenant_id, action, target, detail, ip, user_agent FROM audit_log WHERE `+w+
		` ORDER BY id DESC LIMIT ? OFFSET ?`, append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("find audit: %w", err)
	}
	defer rows.Close()
	var out []*app.AuditEntry
	for rows.Next() {
		var e app.AuditEntry
		if err := rows.Scan(&e.ID, Time{&e.At}, &e.ActorKind, &e.ActorID, &e.Actor, &e.TenantID, &e.Action, &e.Target, &e.Detail, &e.IP, &e.UserAgent); err != nil {
			return nil, 0, err
		}
		out = append(out, &e)
	}
	return out, total, rows.Err()
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// PruneAudit deletes entries older than before.
func (s *AuditStore) PruneAudit(ctx context.Context, before time.Time) (int64, error) {
	tx, err := s.db.BeginTx(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `DELETE FROM audit_log WHERE at < ?`, FormatTime(before))
	if err != nil {
		return 0, fmt.Errorf("prune audit: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, tx.Commit()
}

// OutboxStore implements app.OutboxStore.
type OutboxStore struct{ db *DB }

var _ app.OutboxStore = (*OutboxStore)(nil)

// NewOutboxStore returns an OutboxStore on db.
func NewOutboxStore(db *DB) *OutboxStore { return &OutboxStore{db: db} }

// CreateOutboxMessage records an outgoing message.
func (s *OutboxStore) CreateOutboxMessage(ctx context.Context, m *app.OutboxMessage) error {
	// Through the group commit: a workflow's notify and email steps record
	// one per run, beside the run's own writes.
	return s.db.Group(ctx, func(ctx context.Context, tx *Tx) error {
		m.CreatedAt = tx.now
		res, err := tx.ExecContext(ctx, `INSERT INTO outbox (tenant_id, to_addr, from_name, subject, body, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			m.TenantID, m.To, m.FromName, m.Subject, m.Body, m.Status, FormatTime(tx.now))
		if err != nil {
			return fmt.Errorf("record outgoing email: %w", err)
		}
		m.ID, err = res.LastInsertId()
		return err
	})
}

const outboxColumns = `id, tenant_id, to_addr, from_name, subject, body, status, created_at, sent_at`

func scanOutbox(row interface{ Scan(...any) error }) (*app.OutboxMessage, error) {
	var m app.OutboxMessage
	var sent NullTime
	if err := row.Scan(&m.ID, &m.TenantID, &m.To, &m.FromName, &m.Subject, &m.Body, &m.Status, Time{&m.CreatedAt}, &sent); err != nil {
		return nil, err
	}
	m.SentAt = sent.T
	return &m, nil
}

// FindOutboxMessages returns the newest messages first and the total.
func (s *OutboxStore) FindOutboxMessages(ctx context.Context, limit int) ([]*app.OutboxMessage, int, error) {
	var total int
	if err := s.db.read.QueryRowContext(ctx, `SELECT count(*) FROM outbox`).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+outboxColumns+` FROM outbox ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("find outbox: %w", err)
	}
	defer rows.Close()
	var out []*app.OutboxMessage
	for rows.Next() {
		m, err := scanOutbox(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, m)
	}
	return out, total, rows.Err()
}

// FindOutboxMessageByID returns ENOTFOUND if there is no such message.
func (s *OutboxStore) FindOutboxMessageByID(ctx context.Context, id int64) (*app.OutboxMessage, error) {
	m, err := scanOutbox(s.db.read.QueryRowContext(ctx, `SELECT `+outboxColumns+` FROM outbox WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Message not found.")
	} else if err != nil {
		return nil, fmt.Errorf("find outbox message: %w", err)
	}
	return m, nil
}
