package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"orengen/app"
	"orengen/app/inbox"
)

// Broadcasts (issue #18): inbox.BroadcastStore on the InboxStore. A
// recipient row is written when its broadcast is; the sender's
// StartRecipient writes the thread message and marks the row sending in
// one transaction before anything goes to the provider.

var _ inbox.BroadcastStore = (*InboxStore)(nil)

const broadcastCols = `id, tenant_id, COALESCE(view_id, 0), view_name, channel, subject, body, rate, status, created_by, created_at, updated_at, finished_at`

func scanBroadcast(row scanner) (*inbox.Broadcast, error) {
	var b inbox.Broadcast
	var fin NullTime
	if err := row.Scan(&b.ID, &b.TenantID, &b.ViewID, &b.ViewName, &b.Channel, &b.Subject, &b.Body, &b.Rate, &b.Status, &b.CreatedBy,
		Time{&b.CreatedAt}, Time{&b.UpdatedAt}, &fin); err != nil {
		return nil, err
	}
	b.FinishedAt = fin.T
	return &b, nil
}

// CreateBroadcast implements inbox.BroadcastStore.
func (s *InboxStore) CreateBroadcast(ctx context.Context, b *inbox.Broadcast, rs []*inbox.Recipient) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		now := FormatTime(tx.now)
		res, err := tx.ExecContext(ctx, `INSERT INTO inbox_broadcasts (tenant_id, view_id, view_name, channel, subject, body, rate, status, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, b.TenantID, nullID(b.ViewID), b.ViewName, b.Channel, b.Subject, b.Body, b.Rate, b.Status, b.CreatedBy, now, now)
		if err != nil {
			return fmt.Errorf("create broadcast: %w", err)
		}
		if b.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		b.CreatedAt, b.UpdatedAt = tx.now, tx.now
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO inbox_broadcast_recipients (tenant_id, broadcast_id, person_id, name, address, status, reason, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return fmt.Errorf("broadcast recipients: %w", err)
		}
		defer stmt.Close()
		for _, r := range rs {
			r.TenantID, r.BroadcastID = b.TenantID, b.ID
			res, err := stmt.ExecContext(ctx, r.TenantID, r.BroadcastID, nullID(r.PersonID), r.Name, r.Address, r.Status, r.Reason, now)
			if err != nil {
				return FormatError(fmt.Errorf("broadcast recipient: %w", err), "A person is listed twice.")
			}
			if r.ID, err = res.LastInsertId(); err != nil {
				return err
			}
		}
		return nil
	})
}

// broadcastReports fills the reports of bs (one tenant's) in one query.
func (s *InboxStore) broadcastReports(ctx context.Context, tenantID int64, bs []*inbox.Broadcast) error {
	if len(bs) == 0 {
		return nil
	}
	byID := map[int64]*inbox.Broadcast{}
	args := []any{tenantID}
	for _, b := range bs {
		byID[b.ID] = b
		args = append(args, b.ID)
	}
	// Replies are the contact's messages in the thread after the send;
	// opt-outs the sent recipients whose person now carries the channel's
	// opt-out tag.
	rows, err := s.db.read.QueryContext(ctx, `SELECT r.broadcast_id, r.status, COALESCE(m.status, ''), CASE WHEN r.status = 'sent' THEN '' ELSE r.reason END,
		CASE WHEN r.status = 'sent' AND m.status IN ('failed', 'undelivered') THEN COALESCE(NULLIF(m.error, ''), 'undelivered') ELSE '' END,
		SUM(CASE WHEN r.status = 'sent' AND EXISTS (SELECT 1 FROM inbox_messages i WHERE i.tenant_id = r.tenant_id AND i.conversation_id = r.conversation_id
			AND i.direction = 'in' AND i.id > r.message_id) THEN 1 ELSE 0 END),
		SUM(CASE WHEN r.status = 'sent' AND EXISTS (SELECT 1 FROM crm_people p, json_each(p.tags) t WHERE p.id = r.person_id AND p.tenant_id = r.tenant_id
			AND t.value = CASE b.channel WHEN 'sms' THEN ? ELSE ? END) THEN 1 ELSE 0 END),
		count(*)
		FROM inbox_broadcast_recipients r JOIN inbox_broadcasts b ON b.id = r.broadcast_id AND b.tenant_id = r.tenant_id
		LEFT JOIN inbox_messages m ON m.id = r.message_id AND m.tenant_id = r.tenant_id
		WHERE r.tenant_id = ? AND r.broadcast_id IN (`+strings.TrimSuffix(strings.Repeat("?,", len(bs)), ",")+`)
		GROUP BY 1, 2, 3, 4, 5`, append([]any{inbox.OptOutTag, inbox.EmailOptOutTag}, args...)...)
	if err != nil {
		return fmt.Errorf("broadcast reports: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var status, delivery, reason, undelivered string
		var replies, optedOut, n int
		if err := rows.Scan(&id, &status, &delivery, &reason, &undelivered, &replies, &optedOut, &n); err != nil {
			return err
		}
		rp := &byID[id].Report
		rp.Total += n
		rp.Replies += replies
		rp.OptedOut += optedOut
		switch status {
		case inbox.RecipientQueued, inbox.RecipientSending:
			rp.Queued += n
		case inbox.RecipientSkipped:
			rp.Skipped += n
			addReason(rp, status, reason, n)
		case inbox.RecipientCancelled:
			rp.Cancelled += n
		case inbox.RecipientFailed:
			rp.Failed += n
			addReason(rp, status, reason, n)
		case inbox.RecipientSent:
			rp.Sent += n
			switch {
			case delivery == "delivered" || delivery == "read":
				rp.Delivered += n
			case undelivered != "":
				rp.Failed += n
				addReason(rp, inbox.RecipientFailed, "after sending: "+undelivered, n)
			}
		}
	}
	return rows.Err()
}

func addReason(rp *inbox.BroadcastReport, status, reason string, n int) {
	if reason == "" {
		reason = "unknown"
	}
	i := slices.IndexFunc(rp.Reasons, func(c inbox.ReasonCount) bool { return c.Status == status && c.Reason == reason })
	if i < 0 {
		rp.Reasons = append(rp.Reasons, inbox.ReasonCount{Status: status, Reason: reason})
		i = len(rp.Reasons) - 1
	}
	rp.Reasons[i].Count += n
}

// FindBroadcast implements inbox.BroadcastStore.
func (s *InboxStore) FindBroadcast(ctx context.Context, tenantID, id int64) (*inbox.Broadcast, error) {
	b, err := scanBroadcast(s.db.read.QueryRowContext(ctx, `SELECT `+broadcastCols+` FROM inbox_broadcasts WHERE id = ? AND tenant_id = ?`, id, tenantID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Broadcast not found.")
	}
	if err != nil {
		return nil, fmt.Errorf("find broadcast: %w", err)
	}
	return b, s.broadcastReports(ctx, tenantID, []*inbox.Broadcast{b})
}

func (s *InboxStore) findBroadcasts(ctx context.Context, q string, args ...any) ([]*inbox.Broadcast, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+broadcastCols+` FROM inbox_broadcasts WHERE `+q, args...)
	if err != nil {
		return nil, fmt.Errorf("find broadcasts: %w", err)
	}
	return scanAll(rows, scanBroadcast)
}

// FindBroadcasts implements inbox.BroadcastStore.
func (s *InboxStore) FindBroadcasts(ctx context.Context, tenantID int64, limit int) ([]*inbox.Broadcast, error) {
	bs, err := s.findBroadcasts(ctx, `tenant_id = ? ORDER BY id DESC LIMIT ?`, tenantID, limit)
	if err != nil {
		return nil, err
	}
	return bs, s.broadcastReports(ctx, tenantID, bs)
}

// ActiveBroadcasts implements inbox.BroadcastStore (every tenant's: the
// sender's).
func (s *InboxStore) ActiveBroadcasts(ctx context.Context) ([]*inbox.Broadcast, error) {
	return s.findBroadcasts(ctx, `status = 'sending' ORDER BY id`)
}

const recipientCols = `r.id, r.tenant_id, r.broadcast_id, COALESCE(r.person_id, 0), r.name, r.address, r.status, r.reason, COALESCE(r.conversation_id, 0), COALESCE(r.message_id, 0),
	COALESCE(m.status, ''), r.sent_at`

func scanRecipient(row scanner) (*inbox.Recipient, error) {
	var r inbox.Recipient
	var sent NullTime
	if err := row.Scan(&r.ID, &r.TenantID, &r.BroadcastID, &r.PersonID, &r.Name, &r.Address, &r.Status, &r.Reason, &r.ConversationID, &r.MessageID,
		&r.Delivery, &sent); err != nil {
		return nil, err
	}
	r.SentAt = sent.T
	return &r, nil
}

const recipientFrom = ` FROM inbox_broadcast_recipients r LEFT JOIN inbox_messages m ON m.id = r.message_id AND m.tenant_id = r.tenant_id`

// FindRecipients implements inbox.BroadcastStore.
func (s *InboxStore) FindRecipients(ctx context.Context, tenantID, broadcastID int64, status string, limit int) ([]*inbox.Recipient, error) {
	q, args := `SELECT `+recipientCols+recipientFrom+` WHERE r.tenant_id = ? AND r.broadcast_id = ?`, []any{tenantID, broadcastID}
	if status != "" {
		q, args = q+` AND r.status = ?`, append(args, status)
	}
	rows, err := s.db.read.QueryContext(ctx, q+` ORDER BY r.id LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("find recipients: %w", err)
	}
	return scanAll(rows, scanRecipient)
}

// NextRecipient implements inbox.BroadcastStore.
func (s *InboxStore) NextRecipient(ctx context.Context, tenantID, broadcastID int64) (*inbox.Recipient, error) {
	r, err := scanRecipient(s.db.read.QueryRowContext(ctx, `SELECT `+recipientCols+recipientFrom+` WHERE r.tenant_id = ? AND r.broadcast_id = ? AND r.status = 'queued'
		ORDER BY r.id LIMIT 1`, tenantID, broadcastID))
	if err == nil {
		return r, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("next recipient: %w", err)
	}
	// Nobody is left: the broadcast is done (unless a recipient is still
	// being sent, which the sender finishes first: it is one goroutine).
	err = s.db.Update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE inbox_broadcasts SET status = 'done', finished_at = ?, updated_at = ? WHERE id = ? AND tenant_id = ? AND status = 'sending'
			AND NOT EXISTS (SELECT 1 FROM inbox_broadcast_recipients WHERE broadcast_id = ? AND status IN ('queued', 'sending'))`,
			FormatTime(tx.now), FormatTime(tx.now), broadcastID, tenantID, broadcastID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("finish broadcast: %w", err)
	}
	return nil, app.Errorf(app.ENOTFOUND, "No recipient left.")
}

// StartRecipient implements inbox.BroadcastStore.
func (s *InboxStore) StartRecipient(ctx context.Context, r *inbox.Recipient, channel string, th inbox.Thread, m *inbox.Message) (*inbox.Conversation, error) {
	m.TenantID = r.TenantID
	if err := m.Validate(); err != nil {
		return nil, err
	}
	var c *inbox.Conversation
	err := s.db.Update(ctx, func(tx *Tx) error {
		tid := r.TenantID
		res, err := tx.ExecContext(ctx, `UPDATE inbox_broadcast_recipients SET status = 'sending', address = ?, updated_at = ? WHERE id = ? AND tenant_id = ? AND status = 'queued'
			AND EXISTS (SELECT 1 FROM inbox_broadcasts WHERE id = ? AND tenant_id = ? AND status = 'sending')`,
			r.Address, FormatTime(tx.now), r.ID, tid, r.BroadcastID, tid)
		if err != nil {
			return fmt.Errorf("start recipient: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ECONFLICT, "The recipient is no longer queued.")
		}
		var convID int64
		err = tx.QueryRowContext(ctx, `SELECT id FROM inbox_conversations WHERE tenant_id = ? AND channel = ? AND thread_key = ?`, tid, channel, th.ThreadKey).Scan(&convID)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("find thread: %w", err)
		}
		now := FormatTime(tx.now)
		created := convID == 0
		if created {
			res, err := tx.ExecContext(ctx, `INSERT INTO inbox_conversations (tenant_id, channel, thread_key, address, local_address, contact_name, person_id, subject,
				last_message_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				tid, channel, th.ThreadKey, th.Address, th.LocalAddress, th.ContactName, nullID(r.PersonID), th.Subject, now, now, now)
			if err != nil {
				return FormatError(fmt.Errorf("create conversation: %w", err), "The conversation exists already.")
			}
			if convID, err = res.LastInsertId(); err != nil {
				return err
			}
		}
		m.ConversationID = convID
		if err := insertInboxMsg(ctx, tx, m); err != nil {
			return err
		}
		// Like a reply: the preview is ours; the thread stays as it is
		// (a broadcast opens no closed thread; an answer will).
		if _, err := tx.ExecContext(ctx, `UPDATE inbox_conversations SET last_message_at = ?, last_preview = ?, last_direction = 'out', person_id = COALESCE(person_id, ?),
			updated_at = ? WHERE id = ? AND tenant_id = ?`, now, inbox.Preview(m.Body, 140), nullID(r.PersonID), now, convID, tid); err != nil {
			return fmt.Errorf("update conversation: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE inbox_broadcast_recipients SET conversation_id = ?, message_id = ? WHERE id = ?`, convID, m.ID, r.ID); err != nil {
			return fmt.Errorf("start recipient: %w", err)
		}
		if c, err = findInboxConv(ctx, tx, tid, convID); err != nil {
			return err
		}
		if c.PersonID != 0 {
			if created {
				if err := inboxCreatedTimeline(ctx, tx, c); err != nil {
					return err
				}
			}
			return inboxTimeline(ctx, tx, c, m)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	r.Status, r.ConversationID, r.MessageID = inbox.RecipientSending, c.ID, m.ID
	return c, nil
}

// FinishRecipient implements inbox.BroadcastStore.
func (s *InboxStore) FinishRecipient(ctx context.Context, r *inbox.Recipient, status, reason, providerID string) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		var sent any
		if status == inbox.RecipientSent {
			sent = FormatTime(tx.now)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE inbox_broadcast_recipients SET status = ?, reason = ?, sent_at = ?, updated_at = ? WHERE id = ? AND tenant_id = ?`,
			status, reason, sent, FormatTime(tx.now), r.ID, r.TenantID); err != nil {
			return fmt.Errorf("finish recipient: %w", err)
		}
		if r.MessageID == 0 {
			return nil
		}
		delivery, errText := inbox.DeliverySent, ""
		if status == inbox.RecipientFailed {
			delivery, errText = inbox.DeliveryFailed, reason
		}
		var pid any
		if providerID != "" {
			pid = providerID
		}
		if _, err := tx.ExecContext(ctx, `UPDATE inbox_messages SET provider_id = COALESCE(?, provider_id), status = ?, error = ?, updated_at = ? WHERE id = ? AND tenant_id = ?`,
			pid, delivery, errText, FormatTime(tx.now), r.MessageID, r.TenantID); err != nil {
			return FormatError(fmt.Errorf("set delivery: %w", err), "Another message has this provider ID.")
		}
		return nil
	})
}

// CancelBroadcast implements inbox.BroadcastStore.
func (s *InboxStore) CancelBroadcast(ctx context.Context, tenantID, id int64) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		var status string
		err := tx.QueryRowContext(ctx, `SELECT status FROM inbox_broadcasts WHERE id = ? AND tenant_id = ?`, id, tenantID).Scan(&status)
		if errors.Is(err, sql.ErrNoRows) {
			return app.Errorf(app.ENOTFOUND, "Broadcast not found.")
		}
		if err != nil {
			return fmt.Errorf("cancel broadcast: %w", err)
		}
		if status != inbox.BroadcastSending {
			return app.Errorf(app.ECONFLICT, "The broadcast is %s already.", status)
		}
		now := FormatTime(tx.now)
		if _, err := tx.ExecContext(ctx, `UPDATE inbox_broadcasts SET status = 'cancelled', finished_at = ?, updated_at = ? WHERE id = ? AND tenant_id = ?`, now, now, id, tenantID); err != nil {
			return fmt.Errorf("cancel broadcast: %w", err)
		}
		_, err = tx.ExecContext(ctx, `UPDATE inbox_broadcast_recipients SET status = 'cancelled', updated_at = ? WHERE broadcast_id = ? AND tenant_id = ? AND status = 'queued'`,
			now, id, tenantID)
		return err
	})
}

// FailInterrupted implements inbox.BroadcastStore (every tenant's: the
// sender's, at its start).
func (s *InboxStore) FailInterrupted(ctx context.Context) (int, error) {
	n := 0
	err := s.db.Update(ctx, func(tx *Tx) error {
		now := FormatTime(tx.now)
		if _, err := tx.ExecContext(ctx, `UPDATE inbox_messages SET status = 'failed', error = ?, updated_at = ? WHERE id IN
			(SELECT message_id FROM inbox_broadcast_recipients WHERE status = 'sending' AND message_id IS NOT NULL) AND status = 'queued'`,
			inbox.ReasonInterrupted, now); err != nil {
			return fmt.Errorf("interrupted messages: %w", err)
		}
		res, err := tx.ExecContext(ctx, `UPDATE inbox_broadcast_recipients SET status = 'failed', reason = ?, updated_at = ? WHERE status = 'sending'`, inbox.ReasonInterrupted, now)
		if err != nil {
			return fmt.Errorf("interrupted recipients: %w", err)
		}
		m, _ := res.RowsAffected()
		n = int(m)
		return nil
	})
	return n, err
}

// UnsubscribeEmail implements inbox.BroadcastStore.
func (s *InboxStore) UnsubscribeEmail(ctx context.Context, tenantID, personID int64) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		old, err := findPerson(ctx, tx, personID, tenantID)
		if err != nil {
			return err
		}
		if slices.Contains(old.Tags, inbox.EmailOptOutTag) && !old.Consent.Email {
			return nil
		}
		p := *old
		p.Emails, p.Phones = slices.Clone(old.Emails), slices.Clone(old.Phones)
		p.Tags = append(slices.DeleteFunc(slices.Clone(old.Tags), func(t string) bool { return t == inbox.EmailOptOutTag }), inbox.EmailOptOutTag)
		p.Consent.Email = false
		ctx := app.NewContextWithActor(ctx, "inbox:unsubscribe")
		if err := replacePerson(ctx, tx, tenantID, old, &p); err != nil {
			return err
		}
		e := timeline(ctx, tx, tenantID, app.RecordPerson, personID, app.TimelineEmail)
		e.Body = "Unsubscribed from broadcast emails with the link in one (email consent recorded)."
		return AddTimelineEntryTx(ctx, tx, e)
	})
}
