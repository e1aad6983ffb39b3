package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"orengen/app"
	"orengen/app/agents"
	"orengen/app/billing"
)

const conversationCols = `c.id, c.tenant_id, c.agent_id, a.name, c.version_id, v.version, c.channel, c.direction, c.status, c.outcome, COALESCE(c.person_id, 0),
	c.visitor, c.external_id, c.taken_over_by, c.summary, c.collected, c.tokens_in, c.tokens_out, c.cost_micros, c.tool_calls, c.turns, c.end_reason,
	c.started_at, c.updated_at, c.ended_at`

const conversationFrom = ` FROM agent_conversations c JOIN agents a ON a.id = c.agent_id JOIN agent_versions v ON v.id = c.version_id`

func scanConversation(row scanner) (*agents.Conversation, error) {
	var c agents.Conversation
	var collected string
	var ended NullTime
	if err := row.Scan(&c.ID, &c.TenantID, &c.AgentID, &c.AgentName, &c.VersionID, &c.Version, &c.Channel, &c.Direction, &c.Status, &c.Outcome, &c.PersonID,
		&c.Visitor, &c.ExternalID, &c.TakenOverBy, &c.Summary, &collected, &c.TokensIn, &c.TokensOut, &c.CostMicros, &c.ToolCalls, &c.Turns, &c.EndReason,
		Time{&c.StartedAt}, Time{&c.UpdatedAt}, &ended); err != nil {
		return nil, err
	}
	c.EndedAt = ended.T
	if err := json.Unmarshal([]byte(collected), &c.Collected); err != nil {
		return nil, fmt.Errorf("conversation %d collected: %w", c.ID, err)
	}
	if c.Collected == nil {
		c.Collected = map[string]string{}
	}
	return &c, nil
}

// CreateConversation stores a new conversation.
func (s *AgentStore) CreateConversation(ctx context.Context, c *agents.Conversation) error {
	if c.Collected == nil {
		c.Collected = map[string]string{}
	}
	col, _ := json.Marshal(c.Collected)
	return s.db.Update(ctx, func(tx *Tx) error {
		if c.StartedAt.IsZero() {
			c.StartedAt = tx.now
		}
		c.UpdatedAt = tx.now
		res, err := tx.ExecContext(ctx, `INSERT INTO agent_conversations (tenant_id, agent_id, version_id, channel, direction, status, person_id, visitor, external_id, collected, started_at, updated_at)
			SELECT ?, a.id, v.id, ?, ?, 'active', ?, ?, ?, ?, ?, ? FROM agents a JOIN agent_versions v ON v.agent_id = a.id WHERE a.id = ? AND a.tenant_id = ? AND v.id = ?`,
			c.TenantID, c.Channel, c.Direction, nullID(c.PersonID), c.Visitor, c.ExternalID, string(col), FormatTime(c.StartedAt), FormatTime(tx.now), c.AgentID, c.TenantID, c.VersionID)
		if err != nil {
			return FormatError(fmt.Errorf("create conversation: %w", err), "Conversation exists.")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "Agent not found.")
		}
		c.ID, err = res.LastInsertId()
		c.Status = agents.StatusActive
		return err
	})
}

func (s *AgentStore) findConversation(ctx context.Context, q queryer, where string, args ...any) (*agents.Conversation, error) {
	c, err := scanConversation(q.QueryRowContext(ctx, `SELECT `+conversationCols+conversationFrom+` WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Conversation not found.")
	}
	return c, err
}

// FindConversation returns a conversation of the tenant (0: any).
func (s *AgentStore) FindConversation(ctx context.Context, tenantID, id int64) (*agents.Conversation, error) {
	if tenantID == 0 {
		return s.findConversation(ctx, s.db.read, `c.id = ?`, id)
	}
	return s.findConversation(ctx, s.db.read, `c.id = ? AND c.tenant_id = ?`, id, tenantID)
}

// FindActiveConversation finds the active thread with a visitor.
func (s *AgentStore) FindActiveConversation(ctx context.Context, tenantID, agentID int64, channel, visitor string) (*agents.Conversation, error) {
	return s.findConversation(ctx, s.db.read, `c.tenant_id = ? AND c.agent_id = ? AND c.channel = ? AND c.visitor = ? AND c.status = 'active' ORDER BY c.id DESC LIMIT 1`,
		tenantID, agentID, channel, visitor)
}

// FindConversationByExternal finds a conversation by its external ID.
func (s *AgentStore) FindConversationByExternal(ctx context.Context, tenantID int64, externalID string) (*agents.Conversation, error) {
	return s.findConversation(ctx, s.db.read, `c.tenant_id = ? AND c.external_id = ? ORDER BY c.id DESC LIMIT 1`, tenantID, externalID)
}

// FindConversations lists conversations, newest first.
func (s *AgentStore) FindConversations(ctx context.Context, f agents.ConversationFilter) ([]*agents.Conversation, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		where = append(where, cond)
		args = append(args, v)
	}
	if f.TenantID != 0 {
		add("c.tenant_id = ?", f.TenantID)
	}
	if f.AgentID != 0 {
		add("c.agent_id = ?", f.AgentID)
	}
	if f.PersonID != 0 {
		add("c.person_id = ?", f.PersonID)
	}
	if f.Status != "" {
		add("c.status = ?", f.Status)
	}
	if f.Channel != "" {
		add("c.channel = ?", f.Channel)
	}
	if f.Outcome != "" {
		add("c.outcome = ?", f.Outcome)
	}
	if f.Since != nil {
		add("c.started_at >= ?", FormatTime(*f.Since))
	}
	if f.BeforeID > 0 {
		add("c.id < ?", f.BeforeID)
	}
	q := `SELECT ` + conversationCols + conversationFrom
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	rows, err := s.db.read.QueryContext(ctx, q+fmt.Sprintf(` ORDER BY c.id DESC LIMIT %d`, limit), args...)
	if err != nil {
		return nil, fmt.Errorf("find conversations: %w", err)
	}
	return scanAll(rows, scanConversation)
}

const turnCols = `id, conversation_id, tenant_id, seq, role, content, tool_calls, tool_call_id, tool_name, tool_args, tool_result, tool_error,
	duration_ms, tokens_in, tokens_out, first_token_ms, latency_ms, model, sources, author, created_at`

func scanTurn(row scanner) (*agents.Turn, error) {
	var t agents.Turn
	var calls, sources string
	if err := row.Scan(&t.ID, &t.ConversationID, &t.TenantID, &t.Seq, &t.Role, &t.Content, &calls, &t.ToolCallID, &t.ToolName, &t.ToolArgs, &t.ToolResult, &t.ToolError,
		&t.DurationMS, &t.TokensIn, &t.TokensOut, &t.FirstTokenMS, &t.LatencyMS, &t.Model, &sources, &t.Author, Time{&t.CreatedAt}); err != nil {
		return nil, err
	}
	if calls != "" {
		if err := json.Unmarshal([]byte(calls), &t.ToolCalls); err != nil {
			return nil, fmt.Errorf("turn %d tool calls: %w", t.ID, err)
		}
	}
	if sources != "" {
		if err := json.Unmarshal([]byte(sources), &t.Sources); err != nil {
			return nil, fmt.Errorf("turn %d sources: %w", t.ID, err)
		}
	}
	return &t, nil
}

// FindTurns returns a conversation's transcript in order.
func (s *AgentStore) FindTurns(ctx context.Context, tenantID, conversationID int64) ([]*agents.Turn, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+turnCols+` FROM agent_turns WHERE conversation_id = ? AND tenant_id = ? ORDER BY seq`, conversationID, tenantID)
	if err != nil {
		return nil, fmt.Errorf("find turns: %w", err)
	}
	return scanAll(rows, scanTurn)
}

// addUsage adds usage rows (upserted per tenant, day, kind and model).
func addUsage(ctx context.Context, tx *Tx, us []agents.Usage) (int64, error) {
	var cost int64
	for i, u := range us {
		if u.Day == "" {
			u.Day = tx.now.UTC().Format("2006-01-02")
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO agent_usage (tenant_id, day, kind, model, tokens_in, tokens_out, quantity, cost_micros) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (tenant_id, day, kind, model) DO UPDATE SET tokens_in = tokens_in + excluded.tokens_in, tokens_out = tokens_out + excluded.tokens_out,
			quantity = quantity + excluded.quantity, cost_micros = cost_micros + excluded.cost_micros`,
			u.TenantID, u.Day, u.Kind, u.Model, u.TokensIn, u.TokensOut, u.Quantity, u.CostMicros); err != nil {
			return 0, fmt.Errorf("add usage: %w", err)
		}
		cost += u.CostMicros
		// Tokens are billable usage too (issue #23): one ledger event per
		// usage line, in the same transaction as the turn it belongs to.
		// Texts and calls are metered where they are sent, not here.
		if u.TenantID > 0 && (u.Kind == agents.UsageTokens || u.Kind == agents.UsageEmbed) {
			e := &billing.Event{TenantID: u.TenantID, Category: billing.AITokens, Source: billing.SourceAgents,
				SourceID: fmt.Sprintf("%d-%d", tx.seq, i), Detail: truncateDetail(u.Kind + " " + u.Model),
				Quantity: int64(u.TokensIn + u.TokensOut), CostMicros: max(u.CostMicros, 0), CostSource: billing.CostProvider}
			if _, err := recordUsage(ctx, tx, e); err != nil {
				return 0, err
			}
		}
	}
	return cost, nil
}

func truncateDetail(s string) string {
	if len(s) > 100 {
		return s[:100]
	}
	return s
}

// AddTurns appends turns with their usage and updates the totals.
func (s *AgentStore) AddTurns(ctx context.Context, c *agents.Conversation, turns []*agents.Turn, usage []agents.Usage) error {
	var in, out, users, tools int
	for _, u := range usage {
		in += u.TokensIn
		out += u.TokensOut
	}
	for _, t := range turns {
		switch t.Role {
		case agents.RoleUser:
			users++
		case agents.RoleTool:
			tools++
		}
	}
	var cost int64
	err := s.db.Update(ctx, func(tx *Tx) error {
		var err error
		if cost, err = addUsage(ctx, tx, usage); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE agent_conversations SET tokens_in = tokens_in + ?, tokens_out = tokens_out + ?, cost_micros = cost_micros + ?,
			tool_calls = tool_calls + ?, turns = turns + ?, updated_at = ? WHERE id = ? AND tenant_id = ?`, in, out, cost, tools, users, FormatTime(tx.now), c.ID, c.TenantID)
		if err != nil {
			return fmt.Errorf("update conversation: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "Conversation not found.")
		}
		if len(turns) == 0 {
			return nil
		}
		var seq int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM agent_turns WHERE conversation_id = ?`, c.ID).Scan(&seq); err != nil {
			return err
		}
		for _, t := range turns {
			seq++
			calls, sources := "", ""
			if len(t.ToolCalls) > 0 {
				b, _ := json.Marshal(t.ToolCalls)
				calls = string(b)
			}
			if len(t.Sources) > 0 {
				b, _ := json.Marshal(t.Sources)
				sources = string(b)
			}
			if t.CreatedAt.IsZero() {
				t.CreatedAt = tx.now
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO agent_turns (conversation_id, tenant_id, seq, role, content, tool_calls, tool_call_id, tool_name, tool_args, tool_result, tool_error,
				duration_ms, tokens_in, tokens_out, first_token_ms, latency_ms, model, sources, author, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				c.ID, c.TenantID, seq, t.Role, t.Content, calls, t.ToolCallID, t.ToolName, t.ToolArgs, t.ToolResult, t.ToolError,
				t.DurationMS, t.TokensIn, t.TokensOut, t.FirstTokenMS, t.LatencyMS, t.Model, sources, t.Author, FormatTime(t.CreatedAt))
			if err != nil {
				return fmt.Errorf("add turn: %w", err)
			}
			t.Seq = seq
			if t.ID, err = res.LastInsertId(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	c.TokensIn += in
	c.TokensOut += out
	c.CostMicros += cost
	c.ToolCalls += tools
	c.Turns += users
	return nil
}

func (s *AgentStore) updateConversation(ctx context.Context, tenantID, id int64, set string, args ...any) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		args = append(args, FormatTime(tx.now), id, tenantID)
		res, err := tx.ExecContext(ctx, `UPDATE agent_conversations SET `+set+`, updated_at = ? WHERE id = ? AND tenant_id = ?`, args...)
		if err != nil {
			return FormatError(err, "Conflict.")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "Conversation not found.")
		}
		return nil
	})
}

// SetConversationPerson links the conversation to a person of its tenant.
func (s *AgentStore) SetConversationPerson(ctx context.Context, tenantID, id, personID int64) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		if err := CheckRecordTx(ctx, tx, app.RecordPerson, personID, tenantID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE agent_conversations SET person_id = ?, updated_at = ? WHERE id = ? AND tenant_id = ?`, personID, FormatTime(tx.now), id, tenantID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "Conversation not found.")
		}
		return nil
	})
}

// SetConversationExternal records a conversation's external ID.
func (s *AgentStore) SetConversationExternal(ctx context.Context, tenantID, id int64, externalID string) error {
	return s.updateConversation(ctx, tenantID, id, `external_id = ?`, externalID)
}

// SetCollected stores the fields collected so far.
func (s *AgentStore) SetCollected(ctx context.Context, tenantID, id int64, collected map[string]string) error {
	b, _ := json.Marshal(collected)
	return s.updateConversation(ctx, tenantID, id, `collected = ?`, string(b))
}

// SetTakeover sets who answers instead of the agent ("" = the agent).
func (s *AgentStore) SetTakeover(ctx context.Context, tenantID, id int64, by string) error {
	return s.updateConversation(ctx, tenantID, id, `taken_over_by = ?`, by)
}

// IdleConversations lists active conversations idle since before.
func (s *AgentStore) IdleConversations(ctx context.Context, channel string, before time.Time, limit int) ([]*agents.Conversation, error) {
	q := `SELECT ` + conversationCols + conversationFrom + ` WHERE c.status = 'active' AND c.updated_at < ?`
	args := []any{FormatTime(before)}
	if channel != "" {
		q += ` AND c.channel = ?`
		args = append(args, channel)
	}
	rows, err := s.db.read.QueryContext(ctx, q+fmt.Sprintf(` ORDER BY c.updated_at LIMIT %d`, max(1, limit)), args...)
	if err != nil {
		return nil, fmt.Errorf("idle conversations: %w", err)
	}
	return scanAll(rows, scanConversation)
}

// FinishConversation ends an active conversation: the outcome and
// summary, the collected fields written to the person and the timeline
// entry commit together, or nothing does.
func (s *AgentStore) FinishConversation(ctx context.Context, c *agents.Conversation, f *agents.Finish) error {
	col, _ := json.Marshal(f.Collected)
	if f.Collected == nil {
		col = []byte("{}")
	}
	var ended time.Time
	err := s.db.Update(ctx, func(tx *Tx) error {
		ended = tx.now
		var pid sql.NullInt64
		err := tx.QueryRowContext(ctx, `UPDATE agent_conversations SET status = 'ended', outcome = ?, summary = ?, collected = ?, end_reason = ?, ended_at = ?, updated_at = ?
			WHERE id = ? AND tenant_id = ? AND status = 'active' RETURNING person_id`,
			f.Outcome, f.Summary, string(col), f.Reason, FormatTime(tx.now), FormatTime(tx.now), c.ID, c.TenantID).Scan(&pid)
		if errors.Is(err, sql.ErrNoRows) {
			return app.Errorf(app.ECONFLICT, "This conversation has already ended.")
		} else if err != nil {
			return fmt.Errorf("finish conversation: %w", err)
		}
		if !pid.Valid {
			return nil // no contact, or it was deleted meanwhile
		}
		tctx := app.NewContextWithTenant(ctx, &app.Tenant{ID: c.TenantID})
		if f.Timeline != nil {
			tctx = app.NewContextWithActor(tctx, f.Timeline.Actor)
		}
		if len(f.PersonFields) > 0 {
			if err := applyPersonFields(tctx, tx, c.TenantID, pid.Int64, f.PersonFields); err != nil {
				return err
			}
		}
		if f.Timeline != nil {
			e := *f.Timeline
			e.TenantID, e.RecordType, e.RecordID = c.TenantID, app.RecordPerson, pid.Int64
			if err := AddTimelineEntryTx(tctx, tx, &e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	c.Status, c.Outcome, c.Summary, c.EndedAt = agents.StatusEnded, f.Outcome, f.Summary, &ended
	return nil
}

// applyPersonFields writes collected values to a person inside tx: names
// and title replace, an email or phone is added, a company is found or
// created by name, custom:KEY values are checked against the tenant's
// custom fields. Returns EINVALID naming the field for a value the CRM
// refuses.
func applyPersonFields(ctx context.Context, tx *Tx, tid, personID int64, fields map[string]string) error {
	old, err := findPerson(ctx, tx, personID, tid)
	if err != nil {
		return err
	}
	p := *old
	p.Emails, p.Phones, p.Tags = slices.Clone(old.Emails), slices.Clone(old.Phones), slices.Clone(old.Tags)
	custom := map[string]any{}
	for k, v := range old.Custom {
		custom[k] = v
	}
	defs, err := findCustomFields(ctx, tx, tid, app.RecordPerson)
	if err != nil {
		return err
	}
	for field, v := range fields {
		switch field {
		case "first_name":
			p.FirstName = v
		case "last_name":
			p.LastName = v
		case "title":
			p.Title = v
		case "email":
			if e := strings.ToLower(v); !slices.Contains(p.Emails, e) {
				p.Emails = append(p.Emails, e)
			}
		case "phone":
			if !slices.Contains(p.Phones, v) {
				p.Phones = append(p.Phones, v)
			}
		case "company":
			if p.CompanyID == 0 {
				if p.CompanyID, err = importCompanyID(ctx, tx, tid, v); err != nil {
					return err
				}
			}
		default:
			if k, ok := strings.CutPrefix(field, "custom:"); ok {
				i := slices.IndexFunc(defs, func(d *app.CustomField) bool { return d.Key == k })
				if i < 0 {
					return app.FieldErrorf("custom."+k, "The contact has no custom field %q; define it in CRM settings.", k)
				}
				x, err := app.CustomFromText(defs[i], v)
				if err != nil {
					return err
				}
				custom[k] = x
			}
		}
	}
	p.Custom = custom
	if err := p.Validate(); err != nil {
		return err
	}
	if err := checkCustom(ctx, tx, tid, app.RecordPerson, &p.Custom); err != nil {
		return err
	}
	return replacePerson(ctx, tx, tid, old, &p)
}

// FindPersonByContact returns the tenant's person with the normalised
// email, else phone (0 when none).
func (s *AgentStore) FindPersonByContact(ctx context.Context, tenantID int64, email, phone string) (int64, error) {
	return findPersonByContact(ctx, s.db.read, tenantID, strings.ToLower(strings.TrimSpace(email)), phone)
}
