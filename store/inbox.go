package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"orengen/app"
	"orengen/app/inbox"
)

// InboxStore implements inbox.Store: conversations, messages (FTS5) and
// canned replies, every query scoped to a tenant. A message and what it
// changes (the conversation, the CRM person, the person's timeline) are
// one transaction.
type InboxStore struct{ db *DB }

var _ inbox.Store = (*InboxStore)(nil)

// NewInboxStore returns an InboxStore on db.
func NewInboxStore(db *DB) *InboxStore { return &InboxStore{db: db} }

const inboxConvCols = `id, tenant_id, channel, thread_key, address, local_address, contact_name, COALESCE(person_id, 0), subject, status, snoozed_until,
	assignee, labels, unread, last_message_at, last_preview, last_direction, COALESCE(agent_conversation_id, 0), unrouted, created_at, updated_at`

func scanInboxConv(row scanner) (*inbox.Conversation, error) {
	var c inbox.Conversation
	var snoozed NullTime
	var labels string
	if err := row.Scan(&c.ID, &c.TenantID, &c.Channel, &c.ThreadKey, &c.Address, &c.LocalAddress, &c.ContactName, &c.PersonID, &c.Subject, &c.Status, &snoozed,
		&c.Assignee, &labels, &c.Unread, Time{&c.LastMessageAt}, &c.LastPreview, &c.LastDirection, &c.AgentConversationID, &c.Unrouted, Time{&c.CreatedAt}, Time{&c.UpdatedAt}); err != nil {
		return nil, err
	}
	c.SnoozedUntil = snoozed.T
	if err := json.Unmarshal([]byte(labels), &c.Labels); err != nil {
		return nil, fmt.Errorf("conversation %d labels: %w", c.ID, err)
	}
	if c.Labels == nil {
		c.Labels = []string{}
	}
	return &c, nil
}

const inboxMsgCols = `id, tenant_id, conversation_id, direction, author, subject, body, html, attachments, COALESCE(provider_id, ''), in_reply_to, refs, status, error, created_at,
	COALESCE(idem_key, ''), auto`

func scanInboxMsg(row scanner) (*inbox.Message, error) {
	var m inbox.Message
	var att string
	if err := row.Scan(&m.ID, &m.TenantID, &m.ConversationID, &m.Direction, &m.Author, &m.Subject, &m.Body, &m.HTML, &att, &m.ProviderID, &m.InReplyTo, &m.References,
		&m.Status, &m.Error, Time{&m.CreatedAt}, &m.Key, &m.Auto); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(att), &m.Attachments); err != nil {
		return nil, fmt.Errorf("message %d attachments: %w", m.ID, err)
	}
	return &m, nil
}

func findInboxConv(ctx context.Context, q queryer, tid, id int64) (*inbox.Conversation, error) {
	where, args := "id = ?", []any{id}
	if tid != 0 {
		where, args = "id = ? AND tenant_id = ?", []any{id, tid}
	}
	c, err := scanInboxConv(q.QueryRowContext(ctx, `SELECT `+inboxConvCols+` FROM inbox_conversations WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Conversation not found.")
	}
	if err != nil {
		return nil, fmt.Errorf("find conversation: %w", err)
	}
	return c, nil
}

// FindConversation implements inbox.Store.
func (s *InboxStore) FindConversation(ctx context.Context, tenantID, id int64) (*inbox.Conversation, error) {
	return findInboxConv(ctx, s.db.read, tenantID, id)
}

// FindConversationByAgent implements inbox.Store.
func (s *InboxStore) FindConversationByAgent(ctx context.Context, tenantID, agentConvID int64) (*inbox.Conversation, error) {
	c, err := scanInboxConv(s.db.read.QueryRowContext(ctx, `SELECT `+inboxConvCols+` FROM inbox_conversations WHERE agent_conversation_id = ? AND tenant_id = ?`, agentConvID, tenantID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Conversation not found.")
	}
	if err != nil {
		return nil, fmt.Errorf("find conversation: %w", err)
	}
	return c, nil
}

// FindConversations implements inbox.Store: newest last message first,
// paged by the (last_message_at, id) cursor.
func (s *InboxStore) FindConversations(ctx context.Context, f inbox.Filter) ([]*inbox.Conversation, error) {
	var where []string
	var args []any
	if f.TenantID != 0 {
		where, args = append(where, "tenant_id = ?"), append(args, f.TenantID)
	}
	switch f.Status {
	case "":
		where = append(where, "status <> 'closed'")
	case "all":
	default:
		where, args = append(where, "status = ?"), append(args, f.Status)
	}
	if f.Channel != "" {
		where, args = append(where, "channel = ?"), append(args, f.Channel)
	}
	switch f.Assignee {
	case "":
	case "none":
		where = append(where, "assignee = ''")
	default:
		where, args = append(where, "assignee = ?"), append(args, f.Assignee)
	}
	if f.Label != "" {
		where, args = append(where, "EXISTS (SELECT 1 FROM json_each(labels) WHERE value = ?)"), append(args, strings.ToLower(f.Label))
	}
	if f.PersonID != 0 {
		where, args = append(where, "person_id = ?"), append(args, f.PersonID)
	}
	if f.Query != "" {
		if ftsQuery(f.Query) == "" {
			return []*inbox.Conversation{}, nil
		}
		sub := `id IN (SELECT m.conversation_id FROM inbox_messages_fts JOIN inbox_messages m ON m.id = inbox_messages_fts.rowid WHERE inbox_messages_fts MATCH ?`
		args = append(args, ftsQuery(f.Query))
		if f.TenantID != 0 {
			sub += ` AND m.tenant_id = ?`
			args = append(args, f.TenantID)
		}
		where = append(where, sub+`)`)
	}
	if !f.BeforeAt.IsZero() {
		where = append(where, "(last_message_at < ? OR last_message_at = ? AND id < ?)")
		at := FormatTime(f.BeforeAt)
		args = append(args, at, at, f.BeforeID)
	}
	q := `SELECT ` + inboxConvCols + ` FROM inbox_conversations`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY last_message_at DESC, id DESC LIMIT ?`
	args = append(args, f.Limit)
	rows, err := s.db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("find conversations: %w", err)
	}
	defer rows.Close()
	out := []*inbox.Conversation{}
	for rows.Next() {
		c, err := scanInboxConv(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// FindMessages implements inbox.Store.
func (s *InboxStore) FindMessages(ctx context.Context, tenantID, convID int64) ([]*inbox.Message, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+inboxMsgCols+` FROM inbox_messages WHERE conversation_id = ? AND tenant_id = ? ORDER BY id`, convID, tenantID)
	if err != nil {
		return nil, fmt.Errorf("find messages: %w", err)
	}
	defer rows.Close()
	out := []*inbox.Message{}
	for rows.Next() {
		m, err := scanInboxMsg(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, attachCalls(ctx, s.db.read, tenantID, convID, out)
}

// Receive implements inbox.Store.
func (s *InboxStore) Receive(ctx context.Context, in *inbox.Inbound) (*inbox.Conversation, *inbox.Message, bool, error) {
	m := in.Message
	// An outbound message comes this way only when the team's own mail
	// is copied in (BCC to the inbound address): it opens nothing and
	// counts as read.
	m.TenantID = in.TenantID
	if m.Direction != inbox.DirOut {
		m.Direction = inbox.DirIn
	}
	if err := m.Validate(); err != nil {
		return nil, nil, false, err
	}
	if in.TenantID <= 0 {
		return nil, nil, false, app.Errorf(app.EINVALID, "Message has no tenant.")
	}
	var c *inbox.Conversation
	dup := false
	err := s.db.Update(ctx, func(tx *Tx) error {
		tid := in.TenantID
		if m.ProviderID != "" {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM inbox_messages WHERE tenant_id = ? AND provider_id = ?`, tid, m.ProviderID).Scan(&n); err != nil {
				return fmt.Errorf("dedupe message: %w", err)
			}
			if n > 0 {
				dup = true
				return nil
			}
		}
		personID, err := inboundPerson(ctx, tx, in)
		if err != nil {
			return err
		}
		now := FormatTime(tx.now)
		convID, created, err := inboundThread(ctx, tx, in, &m, personID)
		if err != nil {
			return err
		}
		m.ConversationID = convID
		if err := insertInboxMsg(ctx, tx, &m); err != nil {
			return err
		}
		if err := insertInboxAttachments(ctx, tx, &m); err != nil {
			return err
		}
		if err := episodeMessage(ctx, tx, tid, convID, &m); err != nil {
			return err
		}
		if in.Call != nil {
			if err := insertInboxCall(ctx, tx, &m, in.Call); err != nil {
				return err
			}
		}
		// A message reopens a closed or snoozed thread and counts unread.
		isIn := m.Direction == inbox.DirIn
		unread := 0
		if isIn {
			unread = 1
		}
		if _, err := tx.ExecContext(ctx, `UPDATE inbox_conversations SET unread = unread + ?, last_message_at = ?, last_preview = ?, last_direction = ?,
			status = CASE WHEN ? AND status IN ('closed', 'snoozed') THEN 'open' ELSE status END,
			snoozed_until = CASE WHEN ? AND status IN ('closed', 'snoozed') THEN NULL ELSE snoozed_until END,
			person_id = COALESCE(person_id, ?), contact_name = CASE WHEN contact_name = '' THEN ? ELSE contact_name END,
			agent_conversation_id = COALESCE(agent_conversation_id, ?), updated_at = ? WHERE id = ? AND tenant_id = ?`,
			unread, now, inbox.Preview(firstNonEmpty(m.Body, m.Subject), 140), m.Direction, isIn, isIn, nullID(personID), in.ContactName, nullID(in.AgentConversationID), now, convID, tid); err != nil {
			return fmt.Errorf("update conversation: %w", err)
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
			if err := inboxTimeline(ctx, tx, c, &m); err != nil {
				return err
			}
			if in.Consent != nil {
				if err := setSMSConsent(ctx, tx, tid, c.PersonID, *in.Consent, in.LocalAddress, m.Body); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, false, err
	}
	if dup {
		return nil, nil, true, nil
	}
	return c, &m, false, nil
}

// inboundPerson is the CRM person of an inbound message: found by email,
// then phone, created when unknown; the person the message names when it
// gives neither; 0 for none.
func inboundPerson(ctx context.Context, tx *Tx, in *inbox.Inbound) (int64, error) {
	tid := in.TenantID
	personID := int64(0)
	if in.PersonID > 0 && in.Email == "" && in.Phone == "" {
		if err := tx.QueryRowContext(ctx, `SELECT id FROM crm_people WHERE tenant_id = ? AND id = ?`, tid, in.PersonID).Scan(&personID); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("thread person: %w", err)
		}
	}
	if in.Email != "" || in.Phone != "" {
		ci := app.ContactInput{TenantID: tid, Email: in.Email, Phone: in.Phone, Source: in.Source, Actor: "inbox:" + in.Channel}
		if n := strings.Fields(in.ContactName); len(n) > 0 {
			ci.FirstName = n[0]
			ci.LastName = strings.Join(n[1:], " ")
		}
		if ci.Validate() == nil {
			id, _, err := upsertPerson(ctx, tx, &ci)
			if err != nil {
				return 0, err
			}
			personID = id
		}
	}
	return personID, nil
}

// inboundThread is the thread of an inbound message m: found by the
// Message-IDs it refers to (email), else by its thread key; created when
// there is none (created is true).
func inboundThread(ctx context.Context, tx *Tx, in *inbox.Inbound, m *inbox.Message, personID int64) (convID int64, created bool, err error) {
	tid := in.TenantID
	if len(in.ThreadRefs) > 0 {
		ph := strings.TrimSuffix(strings.Repeat("?,", len(in.ThreadRefs)), ",")
		args := []any{tid}
		for _, r := range in.ThreadRefs {
			args = append(args, r)
		}
		err := tx.QueryRowContext(ctx, `SELECT conversation_id FROM inbox_messages WHERE tenant_id = ? AND provider_id IN (`+ph+`) ORDER BY id DESC LIMIT 1`, args...).Scan(&convID)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return 0, false, fmt.Errorf("thread message: %w", err)
		}
	}
	key := in.ThreadKey
	if key == "" {
		key = m.ProviderID
	}
	if convID == 0 && key != "" {
		err := tx.QueryRowContext(ctx, `SELECT id FROM inbox_conversations WHERE tenant_id = ? AND channel = ? AND thread_key = ?`, tid, in.Channel, key).Scan(&convID)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return 0, false, fmt.Errorf("find thread: %w", err)
		}
	}
	now := FormatTime(tx.now)
	created = convID == 0
	if convID == 0 {
		if key == "" {
			key = fmt.Sprintf("msg:%d", tx.seq)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO inbox_conversations (tenant_id, channel, thread_key, address, local_address, contact_name, person_id, subject,
			last_message_at, agent_conversation_id, unrouted, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			tid, in.Channel, key, in.Address, in.LocalAddress, in.ContactName, nullID(personID), m.Subject, now, nullID(in.AgentConversationID), in.Unrouted, now, now)
		if err != nil {
			return 0, false, FormatError(fmt.Errorf("create conversation: %w", err), "The conversation exists already.")
		}
		if convID, err = res.LastInsertId(); err != nil {
			return 0, false, err
		}
		if in.Unrouted {
			if _, err := tx.ExecContext(ctx, `UPDATE inbox_conversations SET labels = '["unrouted number"]' WHERE id = ?`, convID); err != nil {
				return 0, false, err
			}
		}
	}
	return convID, created, nil
}

func insertInboxMsg(ctx context.Context, tx *Tx, m *inbox.Message) error {
	att := []byte("[]")
	if len(m.Attachments) > 0 {
		att, _ = json.Marshal(m.Attachments)
	}
	var pid any
	if m.ProviderID != "" {
		pid = m.ProviderID
	}
	var key any
	if m.Key != "" {
		key = m.Key
		// A failed send under this key gives it up: the step sends anew
		// (the failed message stays in the thread as it was).
		if _, err := tx.ExecContext(ctx, `UPDATE inbox_messages SET idem_key = NULL WHERE tenant_id = ? AND idem_key = ? AND status = ?`,
			m.TenantID, m.Key, inbox.DeliveryFailed); err != nil {
			return fmt.Errorf("release message key: %w", err)
		}
	}
	now := FormatTime(tx.now)
	res, err := tx.ExecContext(ctx, `INSERT INTO inbox_messages (tenant_id, conversation_id, direction, author, subject, body, html, attachments, provider_id,
		in_reply_to, refs, status, error, idem_key, auto, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.TenantID, m.ConversationID, m.Direction, m.Author, m.Subject, m.Body, m.HTML, string(att), pid, m.InReplyTo, m.References, m.Status, m.Error, key, m.Auto, now, now)
	if err != nil {
		return FormatError(fmt.Errorf("add message: %w", err), "This message is stored already.")
	}
	m.CreatedAt = tx.now
	m.ID, err = res.LastInsertId()
	return err
}

// insertInboxAttachments stores the files of a new message that are to
// be kept, in its transaction, and names them by ID in its JSON.
func insertInboxAttachments(ctx context.Context, tx *Tx, m *inbox.Message) error {
	stored := false
	for i := range m.Attachments {
		a := &m.Attachments[i]
		if !a.Stored || a.Data == nil {
			a.Stored, a.Data = false, nil
			continue
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO inbox_attachments (tenant_id, message_id, conversation_id, name, type, size, data, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, m.TenantID, m.ID, m.ConversationID, a.Name, a.Type, len(a.Data), a.Data, FormatTime(tx.now)).Scan(&a.ID)
		if err != nil {
			return fmt.Errorf("store attachment: %w", err)
		}
		a.Size, a.Data, stored = int64(len(a.Data)), nil, true
	}
	if !stored {
		return nil
	}
	b, _ := json.Marshal(m.Attachments)
	if _, err := tx.ExecContext(ctx, `UPDATE inbox_messages SET attachments = ? WHERE id = ?`, string(b), m.ID); err != nil {
		return fmt.Errorf("name attachments: %w", err)
	}
	return nil
}

// FindHours implements inbox.Store.
func (s *InboxStore) FindHours(ctx context.Context, tenantID int64) (*inbox.Hours, error) {
	h := &inbox.Hours{TenantID: tenantID}
	var days string
	err := s.db.read.QueryRowContext(ctx, `SELECT enabled, days, open_at, close_at, away_text FROM inbox_hours WHERE tenant_id = ?`, tenantID).
		Scan(&h.Enabled, &days, &h.Open, &h.Close, &h.AwayText)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "No business hours saved.")
	}
	if err != nil {
		return nil, fmt.Errorf("find hours: %w", err)
	}
	h.Days = []int{}
	for _, d := range strings.Split(days, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(d)); err == nil {
			h.Days = append(h.Days, n)
		}
	}
	return h, nil
}

// SaveHours implements inbox.Store.
func (s *InboxStore) SaveHours(ctx context.Context, h *inbox.Hours) error {
	days := make([]string, len(h.Days))
	for i, d := range h.Days {
		days[i] = strconv.Itoa(d)
	}
	return s.db.Update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO inbox_hours (tenant_id, enabled, days, open_at, close_at, away_text, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (tenant_id) DO UPDATE SET enabled = excluded.enabled, days = excluded.days, open_at = excluded.open_at, close_at = excluded.close_at,
			away_text = excluded.away_text, updated_at = excluded.updated_at`, h.TenantID, h.Enabled, strings.Join(days, ","), h.Open, h.Close, h.AwayText, FormatTime(tx.now))
		if err != nil {
			return FormatError(fmt.Errorf("save hours: %w", err), "The tenant does not exist.")
		}
		return nil
	})
}

// NextRoundRobin implements inbox.Store.
func (s *InboxStore) NextRoundRobin(ctx context.Context, tenantID int64, members []string) (string, error) {
	if len(members) == 0 {
		return "", app.FieldErrorf("assignee", "No team member to assign.")
	}
	var next string
	err := s.db.Update(ctx, func(tx *Tx) error {
		var last string
		err := tx.QueryRowContext(ctx, `SELECT last_assignee FROM inbox_round_robin WHERE tenant_id = ?`, tenantID).Scan(&last)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("round robin: %w", err)
		}
		next = members[0]
		for _, m := range members {
			if m > last {
				next = m
				break
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO inbox_round_robin (tenant_id, last_assignee, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (tenant_id) DO UPDATE SET last_assignee = excluded.last_assignee, updated_at = excluded.updated_at`, tenantID, next, FormatTime(tx.now))
		return err
	})
	return next, err
}

// FindAttachment implements inbox.Store.
func (s *InboxStore) FindAttachment(ctx context.Context, tenantID, convID, id int64) (*inbox.Attachment, error) {
	a := &inbox.Attachment{ID: id, Stored: true}
	err := s.db.read.QueryRowContext(ctx, `SELECT name, type, size, data FROM inbox_attachments WHERE id = ? AND tenant_id = ? AND conversation_id = ?`, id, tenantID, convID).
		Scan(&a.Name, &a.Type, &a.Size, &a.Data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Attachment not found.")
	}
	if err != nil {
		return nil, fmt.Errorf("find attachment: %w", err)
	}
	return a, nil
}

// inboxTimeline writes a message on its person's timeline.
func inboxTimeline(ctx context.Context, tx *Tx, c *inbox.Conversation, m *inbox.Message) error {
	kind, what := c.Channel, ""
	switch c.Channel {
	case inbox.ChannelSMS:
		kind, what = app.TimelineSMS, "Text"
	case inbox.ChannelEmail:
		kind, what = app.TimelineEmail, "Email"
	case inbox.ChannelCall:
		kind, what = app.TimelineCall, "Call"
	default:
		what = "Chat message"
	}
	dir := "received from " + c.Address
	if m.Direction == inbox.DirOut {
		dir = "sent to " + c.Address
	}
	body := fmt.Sprintf("%s %s (conversation %d)", what, dir, c.ID)
	if m.Subject != "" {
		body += "\nSubject: " + m.Subject
	}
	if b := inbox.Preview(m.Body, 500); b != "" {
		body += "\n" + b
	}
	// Field and New say which message it is (its direction and ID): the
	// webhooks' message.received and message.sent come from this entry,
	// written in the message's transaction (app.EventFor).
	e := &app.TimelineEntry{TenantID: c.TenantID, RecordType: app.RecordPerson, RecordID: c.PersonID, Kind: kind, Body: body, RefType: app.RefConversation, RefID: c.ID,
		Field: m.Direction, New: strconv.FormatInt(m.ID, 10)}
	if m.Author != "" {
		e.Actor = m.Author
	} else {
		e.Actor = "inbox:" + c.Channel
	}
	return AddTimelineEntryTx(ctx, tx, e)
}

// inboxCreatedTimeline writes a new conversation on its person's
// timeline, in the transaction that created it: the webhooks'
// conversation.created comes from this entry (field "created").
func inboxCreatedTimeline(ctx context.Context, tx *Tx, c *inbox.Conversation) error {
	e := &app.TimelineEntry{TenantID: c.TenantID, RecordType: app.RecordPerson, RecordID: c.PersonID, Kind: app.TimelineConversation, RefType: app.RefConversation, RefID: c.ID,
		Field: app.ConversationCreatedField, New: c.Channel, Actor: "inbox:" + c.Channel,
		Body: fmt.Sprintf("Conversation %d started (%s with %s)", c.ID, c.Channel, c.Address)}
	return AddTimelineEntryTx(ctx, tx, e)
}

// LatestConversation implements inbox.Store.
func (s *InboxStore) LatestConversation(ctx context.Context, tenantID, personID int64) (*inbox.Conversation, error) {
	c, err := scanInboxConv(s.db.read.QueryRowContext(ctx, `SELECT `+inboxConvCols+` FROM inbox_conversations WHERE tenant_id = ? AND person_id = ?
		ORDER BY last_message_at DESC, id DESC LIMIT 1`, tenantID, personID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "The contact has no conversation.")
	}
	if err != nil {
		return nil, fmt.Errorf("latest conversation: %w", err)
	}
	return c, nil
}

// FindMessageByKey implements inbox.Store.
func (s *InboxStore) FindMessageByKey(ctx context.Context, tenantID int64, key string) (*inbox.Message, error) {
	m, err := scanInboxMsg(s.db.read.QueryRowContext(ctx, `SELECT `+inboxMsgCols+` FROM inbox_messages WHERE tenant_id = ? AND idem_key = ?`, tenantID, key))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Message not found.")
	}
	if err != nil {
		return nil, fmt.Errorf("find message by key: %w", err)
	}
	return m, nil
}

// setSMSConsent records a STOP (optIn false) or START on the person: the
// consent flag, the opt-out tag, and a timeline line.
func setSMSConsent(ctx context.Context, tx *Tx, tid, personID int64, optIn bool, number, word string) error {
	old, err := findPerson(ctx, tx, personID, tid)
	if err != nil {
		return err
	}
	p := *old
	p.Emails, p.Phones = slices.Clone(old.Emails), slices.Clone(old.Phones)
	p.Tags = slices.DeleteFunc(slices.Clone(old.Tags), func(t string) bool { return t == inbox.OptOutTag })
	if !optIn {
		p.Tags = append(p.Tags, inbox.OptOutTag)
	}
	p.Consent.SMS = optIn
	ctx = app.NewContextWithActor(ctx, "inbox:sms")
	if !slices.Equal(personFields(old), personFields(&p)) {
		if err := replacePerson(ctx, tx, tid, old, &p); err != nil {
			return err
		}
	}
	what := "opted out of texts"
	if optIn {
		what = "opted back in to texts"
	}
	e := timeline(ctx, tx, tid, app.RecordPerson, personID, app.TimelineSMS)
	e.Body = fmt.Sprintf("Texted %q to %s: %s (SMS consent recorded).", strings.TrimSpace(word), number, what)
	return AddTimelineEntryTx(ctx, tx, e)
}

// SMSOptedOut implements inbox.Store.
func (s *InboxStore) SMSOptedOut(ctx context.Context, tenantID int64, phone string) (bool, error) {
	id, err := findPersonByContact(ctx, s.db.read, tenantID, "", phone)
	if err != nil || id == 0 {
		return false, err
	}
	p, err := findPerson(ctx, s.db.read, id, tenantID)
	if err != nil {
		return false, err
	}
	return slices.Contains(p.Tags, inbox.OptOutTag), nil
}

// AddMessage implements inbox.Store.
func (s *InboxStore) AddMessage(ctx context.Context, tenantID, convID int64, m *inbox.Message) error {
	if m.Direction == inbox.DirIn {
		return app.Errorf(app.EINVALID, "Inbound messages arrive through Receive.")
	}
	if err := m.Validate(); err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx *Tx) error {
		c, err := findInboxConv(ctx, tx, tenantID, convID)
		if err != nil {
			return err
		}
		m.TenantID, m.ConversationID = c.TenantID, c.ID
		if err := insertInboxMsg(ctx, tx, m); err != nil {
			return err
		}
		if m.Direction == inbox.DirNote {
			_, err := tx.ExecContext(ctx, `UPDATE inbox_conversations SET updated_at = ? WHERE id = ?`, FormatTime(tx.now), c.ID)
			return err
		}
		if err := episodeMessage(ctx, tx, c.TenantID, c.ID, m); err != nil {
			return err
		}
		// A reply answers the thread: it is read, and the preview is ours.
		if _, err := tx.ExecContext(ctx, `UPDATE inbox_conversations SET last_message_at = ?, last_preview = ?, last_direction = 'out', unread = 0, updated_at = ? WHERE id = ?`,
			FormatTime(tx.now), inbox.Preview(m.Body, 140), FormatTime(tx.now), c.ID); err != nil {
			return fmt.Errorf("update conversation: %w", err)
		}
		if c.PersonID != 0 {
			return inboxTimeline(ctx, tx, c, m)
		}
		return nil
	})
}

// SetMessageDelivery implements inbox.Store.
func (s *InboxStore) SetMessageDelivery(ctx context.Context, tenantID, msgID int64, providerID, status, errText string) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		var pid any
		if providerID != "" {
			pid = providerID
		}
		res, err := tx.ExecContext(ctx, `UPDATE inbox_messages SET provider_id = COALESCE(?, provider_id), status = ?, error = ?, updated_at = ? WHERE id = ? AND tenant_id = ?`,
			pid, status, errText, FormatTime(tx.now), msgID, tenantID)
		if err != nil {
			return FormatError(fmt.Errorf("set delivery: %w", err), "Another message has this provider ID.")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "Message not found.")
		}
		if status == inbox.DeliveryFailed {
			return episodeFailed(ctx, tx, tenantID, msgID)
		}
		return nil
	})
}

// deliveryRank orders Twilio's statuses so a late callback never moves a
// message back (delivered stays delivered when "sent" arrives after it).
var deliveryRank = map[string]int{"accepted": 1, "queued": 1, "sending": 2, "sent": 3, "delivered": 4, "undelivered": 4, "failed": 4, "read": 5}

// SetDeliveryByProvider implements inbox.Store.
func (s *InboxStore) SetDeliveryByProvider(ctx context.Context, tenantID int64, providerID, status, errText string) (bool, error) {
	found := false
	err := s.db.Update(ctx, func(tx *Tx) error {
		var id int64
		var cur string
		err := tx.QueryRowContext(ctx, `SELECT id, status FROM inbox_messages WHERE tenant_id = ? AND provider_id = ? AND direction = 'out'`, tenantID, providerID).Scan(&id, &cur)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("find message: %w", err)
		}
		found = true
		if deliveryRank[status] < deliveryRank[cur] {
			return nil
		}
		_, err = tx.ExecContext(ctx, `UPDATE inbox_messages SET status = ?, error = ?, updated_at = ? WHERE id = ?`, status, errText, FormatTime(tx.now), id)
		return err
	})
	return found, err
}

// UpdateConversation implements inbox.Store.
func (s *InboxStore) UpdateConversation(ctx context.Context, tenantID, id int64, upd inbox.Update) (*inbox.Conversation, error) {
	var c *inbox.Conversation
	err := s.db.Update(ctx, func(tx *Tx) error {
		old, err := findInboxConv(ctx, tx, tenantID, id)
		if err != nil {
			return err
		}
		sets, args := []string{"updated_at = ?"}, []any{FormatTime(tx.now)}
		if upd.Status != nil {
			sets, args = append(sets, "status = ?"), append(args, *upd.Status)
			if *upd.Status != inbox.StatusSnoozed {
				sets = append(sets, "snoozed_until = NULL")
			}
		}
		if upd.SnoozedUntil != nil {
			sets, args = append(sets, "snoozed_until = ?"), append(args, FormatTime(*upd.SnoozedUntil))
		}
		if upd.Assignee != nil {
			sets, args = append(sets, "assignee = ?"), append(args, *upd.Assignee)
		}
		if upd.Labels != nil {
			b, _ := json.Marshal(*upd.Labels)
			sets, args = append(sets, "labels = ?"), append(args, string(b))
		}
		args = append(args, old.ID, old.TenantID)
		if _, err := tx.ExecContext(ctx, `UPDATE inbox_conversations SET `+strings.Join(sets, ", ")+` WHERE id = ? AND tenant_id = ?`, args...); err != nil {
			return fmt.Errorf("update conversation: %w", err)
		}
		if c, err = findInboxConv(ctx, tx, old.TenantID, old.ID); err != nil {
			return err
		}
		if err := episodeChange(ctx, tx, old, c); err != nil {
			return err
		}
		if c.Status == inbox.StatusClosed && old.Status != inbox.StatusClosed && c.PersonID != 0 {
			// The conversation_closed trigger reads this entry after
			// the transaction commits, like the CRM triggers.
			return AddTimelineEntryTx(ctx, tx, &app.TimelineEntry{TenantID: c.TenantID, RecordType: app.RecordPerson, RecordID: c.PersonID,
				Kind: app.TimelineConversation, RefType: app.RefConversation, RefID: c.ID, Field: app.ConversationClosedField, New: c.Channel,
				Actor: app.ActorFromContext(ctx), Body: fmt.Sprintf("Conversation %d closed (%s with %s)", c.ID, c.Channel, c.Address)})
		}
		return nil
	})
	return c, err
}

// MarkRead implements inbox.Store.
func (s *InboxStore) MarkRead(ctx context.Context, tenantID, id int64) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE inbox_conversations SET unread = 0 WHERE id = ? AND tenant_id = ?`, id, tenantID)
		return err
	})
}

// WakeSnoozed implements inbox.Store.
func (s *InboxStore) WakeSnoozed(ctx context.Context, now time.Time) (int, error) {
	var n int64
	err := s.db.Update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE inbox_conversations SET status = 'open', snoozed_until = NULL, updated_at = ? WHERE status = 'snoozed' AND snoozed_until <= ?`,
			FormatTime(tx.now), FormatTime(now))
		if err != nil {
			return fmt.Errorf("wake snoozed: %w", err)
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return int(n), err
}

// FindCanned implements inbox.Store.
func (s *InboxStore) FindCanned(ctx context.Context, tenantID int64) ([]*inbox.Canned, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT id, tenant_id, name, body FROM inbox_canned WHERE tenant_id = ? ORDER BY name`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("find canned replies: %w", err)
	}
	defer rows.Close()
	out := []*inbox.Canned{}
	for rows.Next() {
		var c inbox.Canned
		if err := rows.Scan(&c.ID, &c.TenantID, &c.Name, &c.Body); err != nil {
			return nil, err
		}
		out = append(out, &c)
	}
	return out, rows.Err()
}

// SaveCanned implements inbox.Store: a reply with the same name is
// replaced.
func (s *InboxStore) SaveCanned(ctx context.Context, c *inbox.Canned) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO inbox_canned (tenant_id, name, body, created_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (tenant_id, name) DO UPDATE SET body = excluded.body RETURNING id`, c.TenantID, c.Name, c.Body, FormatTime(tx.now)).Scan(&c.ID)
		return FormatError(err, "The tenant does not exist.")
	})
}

// DeleteCanned implements inbox.Store. Returns ENOTFOUND.
func (s *InboxStore) DeleteCanned(ctx context.Context, tenantID, id int64) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM inbox_canned WHERE id = ? AND tenant_id = ?`, id, tenantID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "Canned reply not found.")
		}
		return nil
	})
}

// CountThread counts the tenant's threads of channel with key.
func (s *InboxStore) CountThread(ctx context.Context, tenantID int64, channel, key string) (int, error) {
	var n int
	err := s.db.read.QueryRowContext(ctx, `SELECT count(*) FROM inbox_conversations WHERE tenant_id = ? AND channel = ? AND thread_key = ?`, tenantID, channel, key).Scan(&n)
	return n, err
}
