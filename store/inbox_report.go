package store

import (
	"context"
	"fmt"
	"time"

	"orengen/app/inbox"
)

// Episodes of conversations (migration 0200) for the inbox reports: kept
// in the transaction that stores a message or changes a thread's status,
// so the reports never drift from the threads.

var _ inbox.ReportStore = (*InboxStore)(nil)

// episodeMessage records message m of conversation convID (just stored
// in tx) in the thread's episode: a customer's message opens an episode
// when none is open (a new or closed thread) and is its customer
// message when it has none; a person's or an agent's reply after that is
// its first response.
func episodeMessage(ctx context.Context, tx *Tx, tenantID, convID int64, m *inbox.Message) error {
	now := FormatTime(tx.now)
	switch {
	case m.Direction == inbox.DirIn:
		res, err := tx.ExecContext(ctx, `UPDATE inbox_episodes SET customer_at = ? WHERE conversation_id = ? AND tenant_id = ? AND closed_at IS NULL AND customer_at IS NULL`,
			now, convID, tenantID)
		if err != nil {
			return fmt.Errorf("episode customer message: %w", err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			return nil
		}
		return openEpisode(ctx, tx, tenantID, convID, now)
	case m.Direction == inbox.DirOut && inbox.Responds(m.Author):
		if _, err := tx.ExecContext(ctx, `UPDATE inbox_episodes SET first_response_at = ? WHERE conversation_id = ? AND tenant_id = ? AND closed_at IS NULL
			AND customer_at IS NOT NULL AND first_response_at IS NULL`, now, convID, tenantID); err != nil {
			return fmt.Errorf("episode first response: %w", err)
		}
	}
	return nil
}

// openEpisode opens an episode of the conversation unless one is open;
// customerAt is its first customer message ("" a person reopened it).
func openEpisode(ctx context.Context, tx *Tx, tenantID, convID int64, customerAt string) error {
	var cust any
	if customerAt != "" {
		cust = customerAt
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO inbox_episodes (tenant_id, conversation_id, channel, assignee, opened_at, customer_at)
		SELECT c.tenant_id, c.id, c.channel, c.assignee, ?, ? FROM inbox_conversations c WHERE c.id = ? AND c.tenant_id = ?
		AND NOT EXISTS (SELECT 1 FROM inbox_episodes e WHERE e.conversation_id = c.id AND e.closed_at IS NULL)`,
		FormatTime(tx.now), cust, convID, tenantID); err != nil {
		return fmt.Errorf("open episode: %w", err)
	}
	return nil
}

// episodeChange follows a thread's change from old to c in tx: closing
// ends its episode (with the assignee then), reopening by hand opens
// one, a new assignee is the open episode's.
func episodeChange(ctx context.Context, tx *Tx, old, c *inbox.Conversation) error {
	closed := func(st string) bool { return st == inbox.StatusClosed }
	switch {
	case closed(c.Status) && !closed(old.Status):
		if _, err := tx.ExecContext(ctx, `UPDATE inbox_episodes SET closed_at = ?, assignee = ? WHERE conversation_id = ? AND tenant_id = ? AND closed_at IS NULL`,
			FormatTime(tx.now), c.Assignee, c.ID, c.TenantID); err != nil {
			return fmt.Errorf("close episode: %w", err)
		}
	case closed(old.Status) && !closed(c.Status):
		return openEpisode(ctx, tx, c.TenantID, c.ID, "")
	case c.Assignee != old.Assignee && !closed(c.Status):
		if _, err := tx.ExecContext(ctx, `UPDATE inbox_episodes SET assignee = ? WHERE conversation_id = ? AND tenant_id = ? AND closed_at IS NULL`,
			c.Assignee, c.ID, c.TenantID); err != nil {
			return fmt.Errorf("episode assignee: %w", err)
		}
	}
	return nil
}

// episodeFailed takes a reply that could not be sent back out of its
// episode: the first response is the next reply that was (or none yet).
func episodeFailed(ctx context.Context, tx *Tx, tenantID, msgID int64) error {
	if _, err := tx.ExecContext(ctx, `UPDATE inbox_episodes SET first_response_at = (
			SELECT min(r.created_at) FROM inbox_messages r WHERE r.conversation_id = inbox_episodes.conversation_id AND r.direction = 'out'
			AND r.status <> 'failed' AND r.author <> 'system' AND r.author NOT LIKE 'system:%' AND r.created_at >= inbox_episodes.customer_at)
		WHERE tenant_id = ? AND closed_at IS NULL AND first_response_at IS NOT NULL
		AND conversation_id = (SELECT conversation_id FROM inbox_messages WHERE id = ? AND tenant_id = ?)`, tenantID, msgID, tenantID); err != nil {
		return fmt.Errorf("episode failed reply: %w", err)
	}
	return nil
}

// FindEpisodes implements inbox.ReportStore.
func (s *InboxStore) FindEpisodes(ctx context.Context, tenantID int64, from, to time.Time) ([]inbox.Episode, error) {
	q := `SELECT tenant_id, conversation_id, channel, assignee, opened_at, COALESCE(customer_at, ''), COALESCE(first_response_at, ''), COALESCE(closed_at, '')
		FROM inbox_episodes WHERE opened_at >= ? AND opened_at < ?`
	args := []any{FormatTime(from), FormatTime(to)}
	if tenantID != 0 {
		q += ` AND tenant_id = ?`
		args = append(args, tenantID)
	}
	rows, err := s.db.read.QueryContext(ctx, q+` ORDER BY opened_at`, args...)
	if err != nil {
		return nil, fmt.Errorf("find episodes: %w", err)
	}
	defer rows.Close()
	var out []inbox.Episode
	parse := func(s string, t *time.Time) error {
		if s == "" {
			return nil
		}
		v, err := ParseTime(s)
		*t = v
		return err
	}
	for rows.Next() {
		var e inbox.Episode
		var opened, cust, first, closed string
		if err := rows.Scan(&e.TenantID, &e.ConversationID, &e.Channel, &e.Assignee, &opened, &cust, &first, &closed); err != nil {
			return nil, fmt.Errorf("scan episode: %w", err)
		}
		for _, p := range []struct {
			s string
			t *time.Time
		}{{opened, &e.OpenedAt}, {cust, &e.CustomerAt}, {first, &e.FirstResponseAt}, {closed, &e.ClosedAt}} {
			if err := parse(p.s, p.t); err != nil {
				return nil, fmt.Errorf("episode time: %w", err)
			}
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
