package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"orengen/app"
	"orengen/app/inbox"
)

// Calls of Conversations (migration 0201): a call message's details,
// stored with the message and merged as Twilio's callbacks arrive.

var _ inbox.CallStore = (*InboxStore)(nil)

const inboxCallCols = `call_sid, direction, status, duration, recording_sid, recording_duration, transcript, ai`

// callFields are the destinations of inboxCallCols.
func callFields(k *inbox.Call) []any {
	return []any{&k.SID, &k.Direction, &k.Status, &k.Duration, &k.RecordingSID, &k.RecordingDuration, &k.Transcript, &k.AI}
}

func scanInboxCall(row scanner, k *inbox.Call) error { return row.Scan(callFields(k)...) }

// insertInboxCall stores the call of message m (just inserted in tx).
func insertInboxCall(ctx context.Context, tx *Tx, m *inbox.Message, k *inbox.Call) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO inbox_calls (message_id, tenant_id, conversation_id, call_sid, direction, status, duration, recording_sid,
		recording_duration, transcript, ai, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.ID, m.TenantID, m.ConversationID, k.SID, m.Direction, k.Status, k.Duration, k.RecordingSID, k.RecordingDuration, k.Transcript, k.AI, FormatTime(tx.now)); err != nil {
		return FormatError(fmt.Errorf("add call: %w", err), "This call is stored already.")
	}
	m.Call = k
	return nil
}

// UpdateCall implements inbox.CallStore.
func (s *InboxStore) UpdateCall(ctx context.Context, tenantID int64, k *inbox.Call) (convID, msgID int64, found bool, err error) {
	err = s.db.Update(ctx, func(tx *Tx) error {
		var cur inbox.Call
		err := tx.QueryRowContext(ctx, `SELECT message_id, conversation_id, `+inboxCallCols+` FROM inbox_calls WHERE tenant_id = ? AND call_sid = ?`, tenantID, k.SID).Scan(
			append([]any{&msgID, &convID}, callFields(&cur)...)...)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("find call: %w", err)
		}
		found = true
		next := cur
		if inbox.CallRank(k.Status) > inbox.CallRank(cur.Status) {
			next.Status = k.Status
		}
		next.Duration = max(cur.Duration, k.Duration)
		if k.RecordingSID != "" && cur.RecordingSID == "" {
			next.RecordingSID = k.RecordingSID
		}
		next.RecordingDuration = max(cur.RecordingDuration, k.RecordingDuration)
		if k.Transcript != "" {
			next.Transcript = k.Transcript
		}
		next.AI = cur.AI || k.AI
		*k = next
		if next == cur {
			return nil // a retried callback: nothing changes
		}
		now := FormatTime(tx.now)
		if _, err := tx.ExecContext(ctx, `UPDATE inbox_calls SET status = ?, duration = ?, recording_sid = ?, recording_duration = ?, transcript = ?, ai = ?, updated_at = ?
			WHERE message_id = ? AND tenant_id = ?`, next.Status, next.Duration, next.RecordingSID, next.RecordingDuration, next.Transcript, next.AI, now, msgID, tenantID); err != nil {
			return fmt.Errorf("update call: %w", err)
		}
		body := inbox.CallText(&next)
		if _, err := tx.ExecContext(ctx, `UPDATE inbox_messages SET body = ?, status = ?, updated_at = ? WHERE id = ? AND tenant_id = ?`, body, next.Status, now, msgID, tenantID); err != nil {
			return fmt.Errorf("update call message: %w", err)
		}
		// The thread's preview follows when the call is its last message.
		_, err = tx.ExecContext(ctx, `UPDATE inbox_conversations SET last_preview = ?, updated_at = ? WHERE id = ? AND tenant_id = ?
			AND NOT EXISTS (SELECT 1 FROM inbox_messages WHERE conversation_id = ? AND id > ? AND direction <> 'note')`,
			inbox.Preview(body, 140), now, convID, tenantID, convID, msgID)
		return err
	})
	return convID, msgID, found, err
}

// FindCall implements inbox.CallStore.
func (s *InboxStore) FindCall(ctx context.Context, tenantID, convID, msgID int64) (*inbox.Call, error) {
	var k inbox.Call
	err := scanInboxCall(s.db.read.QueryRowContext(ctx, `SELECT `+inboxCallCols+` FROM inbox_calls WHERE message_id = ? AND conversation_id = ? AND tenant_id = ?`,
		msgID, convID, tenantID), &k)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Call not found.")
	}
	if err != nil {
		return nil, fmt.Errorf("find call: %w", err)
	}
	return &k, nil
}

// attachCalls sets the Call of the call messages among ms (conversation
// convID's).
func attachCalls(ctx context.Context, q *sql.DB, tenantID, convID int64, ms []*inbox.Message) error {
	rows, err := q.QueryContext(ctx, `SELECT message_id, `+inboxCallCols+` FROM inbox_calls WHERE conversation_id = ? AND tenant_id = ?`, convID, tenantID)
	if err != nil {
		return fmt.Errorf("find calls: %w", err)
	}
	defer rows.Close()
	byID := map[int64]*inbox.Message{}
	for _, m := range ms {
		byID[m.ID] = m
	}
	for rows.Next() {
		var id int64
		k := &inbox.Call{}
		if err := rows.Scan(append([]any{&id}, callFields(k)...)...); err != nil {
			return fmt.Errorf("scan call: %w", err)
		}
		if m := byID[id]; m != nil {
			m.Call = k
		}
	}
	return rows.Err()
}
