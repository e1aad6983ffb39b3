package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"orengen/app"
)

var _ app.TriggerStore = (*WorkflowStore)(nil)

// findTriggered returns the enabled workflows with one of the triggers.
func findTriggered(ctx context.Context, q querier, triggers []string) ([]*app.Workflow, error) {
	args := make([]any, len(triggers))
	for i, t := range triggers {
		args[i] = t
	}
	rows, err := q.QueryContext(ctx, `SELECT `+workflowColumns+` FROM workflows w JOIN workflow_versions v ON v.workflow_id = w.id AND v.version = w.version
		WHERE w.enabled = 1 AND w.trigger IN (?`+strings.Repeat(", ?", len(triggers)-1)+`) ORDER BY w.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("find workflows: %w", err)
	}
	return scanAll(rows, scanWorkflow)
}

// FindTriggered implements app.TriggerStore.
func (s *WorkflowStore) FindTriggered(ctx context.Context, triggers ...string) ([]*app.Workflow, error) {
	return findTriggered(ctx, s.db.read, triggers)
}

func insertRun(ctx context.Context, tx *Tx, spec app.RunSpec) (int64, error) {
	payload, _ := json.Marshal(spec.Payload)
	now := FormatTime(tx.now)
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO runs (tenant_id, workflow_id, version_id, status, next_attempt_at, payload, contact_id, deal_id, created_at, updated_at)
		VALUES (?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?) RETURNING id`,
		spec.Workflow.TenantID, spec.Workflow.ID, spec.Workflow.VersionID, now, string(payload), spec.ContactID, spec.DealID, now, now).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("enqueue run: %w", err)
	}
	return id, countDaily(ctx, tx, "runs", spec.Workflow.TenantID, now, "queued", 1)
}

// EnqueueRun implements app.TriggerStore.
func (s *WorkflowStore) EnqueueRun(ctx context.Context, spec app.RunSpec) (int64, error) {
	var id int64
	err := s.db.Update(ctx, func(tx *Tx) error {
		var err error
		id, err = insertRun(ctx, tx, spec)
		return err
	})
	return id, err
}

// FanOutCRMEvents implements app.TriggerStore. Entries one transaction
// wrote on one record form one event.
func (s *WorkflowStore) FanOutCRMEvents(ctx context.Context, limit int, runsFor func(*app.CRMEvent, []*app.Workflow) []app.RunSpec) (int, error) {
	if behind, err := timelineBehind(ctx, s.db, "automation_cursor"); err != nil || !behind {
		return 0, err
	}
	n := 0
	err := s.db.Update(ctx, func(tx *Tx) error {
		ws, err := findTriggered(ctx, tx, app.CRMTriggers)
		if err != nil {
			return err
		}
		if len(ws) == 0 { // no workflow listens: skip what was written, unread
			_, err := tx.ExecContext(ctx, `UPDATE automation_cursor SET timeline_id = coalesce((SELECT max(id) FROM crm_timeline), 0) WHERE id = 1`)
			return err
		}
		entries, err := timelineAfterCursor(ctx, tx, "automation_cursor", limit)
		if err != nil || len(entries) == 0 {
			return err
		}
		n = len(entries)
		byTenant := map[int64][]*app.Workflow{}
		for _, w := range ws {
			byTenant[w.TenantID] = append(byTenant[w.TenantID], w)
		}
		for i := 0; i < len(entries); {
			e := entries[i]
			j := i + 1
			for j < len(entries) && entries[j].Tx == e.Tx && entries[j].RecordType == e.RecordType && entries[j].RecordID == e.RecordID {
				j++
			}
			ev := &app.CRMEvent{Entries: entries[i:j]}
			i = j
			tws := byTenant[e.TenantID]
			if len(tws) == 0 || (e.RecordType != app.RecordPerson && e.RecordType != app.RecordDeal) {
				continue
			}
			if e.RecordType == app.RecordDeal {
				err := tx.QueryRowContext(ctx, `SELECT name, coalesce((SELECT min(person_id) FROM crm_deal_people WHERE deal_id = d.id), 0) FROM crm_deals d WHERE id = ?`, e.RecordID).
					Scan(&ev.DealName, &ev.DealPersonID)
				if errors.Is(err, sql.ErrNoRows) {
					continue // deleted since
				} else if err != nil {
					return err
				}
			}
			if e.RecordType == app.RecordPerson {
				if err := eventMessage(ctx, tx, ev); err != nil {
					return err
				}
			}
			for _, spec := range runsFor(ev, tws) {
				if _, err := insertRun(ctx, tx, spec); err != nil {
					return err
				}
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE automation_cursor SET timeline_id = ? WHERE id = 1`, entries[len(entries)-1].ID)
		return err
	})
	return n, err
}

// eventMessage reads the inbound inbox message of a person event (the
// entry with ref conversation and field "in") for message_received; an
// automatic answer, or a message deleted since, leaves ev.Message nil.
func eventMessage(ctx context.Context, tx *Tx, ev *app.CRMEvent) error {
	for _, en := range ev.Entries {
		if en.RefType != app.RefConversation || en.Field != "in" {
			continue
		}
		id, err := strconv.ParseInt(en.New, 10, 64)
		if err != nil {
			return nil
		}
		var m app.EventMessage
		var auto bool
		err = tx.QueryRowContext(ctx, `SELECT m.id, m.conversation_id, c.channel, c.address, m.subject, m.body, m.auto FROM inbox_messages m
			JOIN inbox_conversations c ON c.id = m.conversation_id WHERE m.id = ? AND m.tenant_id = ?`, id, en.TenantID).
			Scan(&m.ID, &m.ConversationID, &m.Channel, &m.From, &m.Subject, &m.Body, &auto)
		if errors.Is(err, sql.ErrNoRows) || auto {
			return nil
		}
		if err != nil {
			return fmt.Errorf("event message: %w", err)
		}
		ev.Message = &m
		return nil
	}
	return nil
}

// FireSchedules implements app.TriggerStore.
func (s *WorkflowStore) FireSchedules(ctx context.Context, now time.Time, next func(*app.Workflow, time.Time) (time.Time, error)) (int, error) {
	var due bool
	if err := s.db.read.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM workflows WHERE enabled = 1 AND trigger = ? AND (next_fire_at IS NULL OR next_fire_at <= ?))`,
		app.TriggerSchedule, FormatTime(now)).Scan(&due); err != nil || !due {
		return 0, err
	}
	fired := 0
	err := s.db.Update(ctx, func(tx *Tx) error {
		fired = 0
		rows, err := tx.QueryContext(ctx, `SELECT `+workflowColumns+`, w.next_fire_at FROM workflows w JOIN workflow_versions v ON v.workflow_id = w.id AND v.version = w.version
			WHERE w.enabled = 1 AND w.trigger = ? AND (w.next_fire_at IS NULL OR w.next_fire_at <= ?)`, app.TriggerSchedule, FormatTime(now))
		if err != nil {
			return err
		}
		type due struct {
			w  *app.Workflow
			at *time.Time
		}
		var ds []due
		for rows.Next() {
			var d due
			var w app.Workflow
			var def string
			if err := rows.Scan(&w.ID, &w.TenantID, &w.Name, &w.Trigger, &w.Enabled, &w.Version, &w.Seed, Time{&w.CreatedAt}, Time{&w.UpdatedAt},
				&w.VersionID, &def, timePtr{&d.at}); err != nil {
				rows.Close()
				return err
			}
			if err := json.Unmarshal([]byte(def), &w.Definition); err != nil {
				rows.Close()
				return fmt.Errorf("workflow %d: definition: %w", w.ID, err)
			}
			d.w = &w
			ds = append(ds, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, d := range ds {
			nextAt, err := next(d.w, now)
			if err != nil {
				return fmt.Errorf("workflow %d: cron: %w", d.w.ID, err)
			}
			if d.at != nil {
				spec := app.RunSpec{Workflow: d.w, Payload: map[string]string{"fired_at": d.at.UTC().Format(time.RFC3339), "cron": d.w.WhenOf().Cron}}
				if _, err := insertRun(ctx, tx, spec); err != nil {
					return err
				}
				fired++
			}
			if _, err := tx.ExecContext(ctx, `UPDATE workflows SET next_fire_at = ? WHERE id = ?`, FormatTime(nextAt), d.w.ID); err != nil {
				return err
			}
		}
		return nil
	})
	return fired, err
}

// FireDates implements app.TriggerStore.
func (s *WorkflowStore) FireDates(ctx context.Context, w *app.Workflow, today time.Time) (int, error) {
	wh := w.WhenOf()
	target := today.UTC().AddDate(0, 0, -wh.OffsetDays)
	from, to := target.AddDate(0, 0, -6).Format("2006-01-02"), target.Format("2006-01-02")
	k := storeKinds[wh.Object]
	if k == nil || k.contact == "" {
		return 0, app.FieldErrorf("when", "Unknown date trigger object %q.", wh.Object)
	}
	// A built-in date column, or a custom date (its JSON path twice: the
	// select and the condition).
	date, cond, args := `substr(json_extract(r.custom, ?), 1, 10)`, `substr(json_extract(r.custom, ?), 1, 10) BETWEEN ? AND ?`, []any{`$."` + wh.Field + `"`}
	if col, ok := k.dateColumns[wh.Field]; ok {
		date, args = `substr(r.`+col+`, 1, 10)`, nil
		cond = `r.` + col + ` IS NOT NULL AND ` + date + ` BETWEEN ? AND ?`
	}
	q := `SELECT r.id, ` + date + ` AS d, ` + k.name + `, ` + k.contact + ` FROM ` + recordTable[wh.Object] + ` r WHERE r.tenant_id = ? AND ` + cond
	if len(args) == 1 {
		args = append(args, w.TenantID, args[0], from, to)
	} else {
		args = append(args, w.TenantID, from, to)
	}
	q += ` AND NOT EXISTS (SELECT 1 FROM automation_date_fired f WHERE f.workflow_id = ? AND f.record_id = r.id AND f.on_date = d) ORDER BY r.id LIMIT 500`
	args = append(args, w.ID)
	fired := 0
	err := s.db.Update(ctx, func(tx *Tx) error {
		fired = 0
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("date trigger query: %w", err)
		}
		type hit struct {
			id, person int64
			date, name string
		}
		var hits []hit
		for rows.Next() {
			var h hit
			if err := rows.Scan(&h.id, &h.date, &h.name, &h.person); err != nil {
				rows.Close()
				return err
			}
			hits = append(hits, h)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, h := range hits {
			spec := app.RunSpec{Workflow: w, ContactID: h.person, Payload: map[string]string{"record_type": wh.Object, "record_id": strconv.FormatInt(h.id, 10),
				"field": wh.Field, "date": h.date, "name": h.name}}
			if wh.Object == app.RecordDeal {
				spec.DealID = h.id
				spec.Payload["deal_id"], spec.Payload["deal_name"] = strconv.FormatInt(h.id, 10), h.name
			}
			if _, err := insertRun(ctx, tx, spec); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO automation_date_fired (workflow_id, record_id, on_date) VALUES (?, ?, ?)`, w.ID, h.id, h.date); err != nil {
				return err
			}
			fired++
		}
		return nil
	})
	return fired, err
}

// SetWorkflowHook implements app.TriggerStore.
func (s *WorkflowStore) SetWorkflowHook(ctx context.Context, id int64, hash string) error {
	res, err := s.db.write.ExecContext(ctx, `UPDATE workflows SET hook_hash = ? WHERE id = ?`, hash, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return app.Errorf(app.ENOTFOUND, "Workflow not found.")
	}
	return nil
}

// FindWorkflowByHook implements app.TriggerStore.
func (s *WorkflowStore) FindWorkflowByHook(ctx context.Context, hash string) (*app.Workflow, error) {
	if hash == "" {
		return nil, app.Errorf(app.ENOTFOUND, "Workflow not found.")
	}
	w, err := scanWorkflow(s.db.read.QueryRowContext(ctx, `SELECT `+workflowColumns+` FROM workflows w JOIN workflow_versions v ON v.workflow_id = w.id AND v.version = w.version WHERE w.hook_hash = ?`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Workflow not found.")
	}
	return w, err
}
