package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"orengen/app"
)

// AddTimelineEntryTx writes e inside tx, for stores of later features
// (forms, SMS, calls, email) that record activity in the same transaction
// as their own write. The caller has checked the record belongs to
// e.TenantID (CheckRecordTx). Actor defaults to the principal in ctx.
func AddTimelineEntryTx(ctx context.Context, tx *Tx, e *app.TimelineEntry) error {
	if err := e.Validate(); err != nil {
		return err
	}
	if e.Actor == "" {
		e.Actor = app.ActorFromContext(ctx)
	}
	e.CreatedAt = tx.now
	e.Tx = tx.seq
	res, err := tx.ExecContext(ctx, `INSERT INTO crm_timeline (tenant_id, record_type, record_id, kind, actor, field, old, new, body, ref_type, ref_id, created_at, tx)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.TenantID, e.RecordType, e.RecordID, e.Kind, e.Actor, e.Field, e.Old, e.New, e.Body, e.RefType, e.RefID, FormatTime(tx.now), tx.seq)
	if err != nil {
		return fmt.Errorf("add timeline entry: %w", err)
	}
	e.ID, err = res.LastInsertId()
	return err
}

// CheckRecordTx returns ENOTFOUND unless the record (a CRM record or a
// pursuit) exists in tenant tid (for later features that link to CRM
// records), EINVALID for an unknown record type.
func CheckRecordTx(ctx context.Context, tx *Tx, recordType string, id, tid int64) error {
	return checkRecord(ctx, tx, recordType, id, tid, "")
}

func timeline(ctx context.Context, tx *Tx, tid int64, typ string, id int64, kind string) *app.TimelineEntry {
	return &app.TimelineEntry{TenantID: tid, RecordType: typ, RecordID: id, Kind: kind, Actor: app.ActorFromContext(ctx)}
}

// diffTimeline writes one "updated" entry per changed field. Lists may
// differ in length (custom fields come and go).
func diffTimeline(ctx context.Context, tx *Tx, tid int64, typ string, id int64, old, cur [][2]string) error {
	was := map[string]string{}
	for _, kv := range old {
		was[kv[0]] = kv[1]
	}
	seen := map[string]bool{}
	changes := [][3]string{}
	for _, kv := range cur {
		seen[kv[0]] = true
		if was[kv[0]] != kv[1] {
			changes = append(changes, [3]string{kv[0], was[kv[0]], kv[1]})
		}
	}
	for _, kv := range old {
		if !seen[kv[0]] && kv[1] != "" {
			changes = append(changes, [3]string{kv[0], kv[1], ""})
		}
	}
	for _, c := range changes {
		e := timeline(ctx, tx, tid, typ, id, app.TimelineUpdated)
		e.Field, e.Old, e.New = c[0], c[1], c[2]
		if err := AddTimelineEntryTx(ctx, tx, e); err != nil {
			return err
		}
	}
	return nil
}

// EINVALID or ENOTFOUND (the record is not the tenant's).
func (s *TimelineStore) AddTimelineEntry(ctx context.Context, e *app.TimelineEntry) error {
	tid, tx, err := s.writeScope(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := e.Validate(); err != nil {
		return err
	}
	if err := checkRecord(ctx, tx, e.RecordType, e.RecordID, tid, ""); err != nil {
		return err
	}
	e.TenantID = tid
	if err := AddTimelineEntryTx(ctx, tx, e); err != nil {
		return err
	}
	return tx.Commit()
}

// FindTimeline returns a record's entries, oldest first. Returns
// ENOTFOUND when the record is not in scope.
func (s *TimelineStore) FindTimeline(ctx context.Context, typ string, id int64) ([]*app.TimelineEntry, error) {
	tid, err := app.CRMReadScope(ctx)
	if err != nil {
		return nil, err
	}
	if _, ok := recordTable[typ]; !ok || typ == app.RecordNote || typ == app.RecordTask {
		return nil, app.Errorf(app.ENOTFOUND, "Record not found.")
	}
	if tid == 0 {
		if tid, err = s.recordTenant(ctx, typ, id); err != nil {
			return nil, err
		}
	} else if err := checkRecord(ctx, s.db.read, typ, id, tid, ""); err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT id, tenant_id, record_type, record_id, kind, actor, field, old, new, body, ref_type, ref_id, created_at
		FROM crm_timeline WHERE record_type = ? AND record_id = ? AND tenant_id = ? ORDER BY created_at, id LIMIT 1000`, typ, id, tid)
	if err != nil {
		return nil, fmt.Errorf("find timeline: %w", err)
	}
	defer rows.Close()
	var out []*app.TimelineEntry
	for rows.Next() {
		var e app.TimelineEntry
		if err := rows.Scan(&e.ID, &e.TenantID, &e.RecordType, &e.RecordID, &e.Kind, &e.Actor, &e.Field, &e.Old, &e.New, &e.Body, &e.RefType, &e.RefID, Time{&e.CreatedAt}); err != nil {
			return nil, err
		}
		out = append(out, &e)
	}
	return out, rows.Err()
}

func (s *TimelineStore) recordTenant(ctx context.Context, typ string, id int64) (int64, error) {
	table, ok := recordTable[typ]
	if !ok {
		return 0, app.Errorf(app.ENOTFOUND, "Record not found.")
	}
	var tid int64
	err := s.db.read.QueryRowContext(ctx, `SELECT tenant_id FROM `+table+` WHERE id = ?`, id).Scan(&tid)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, notFound(typ)
	}
	return tid, err
}

// RecordTenant returns the tenant owning a record, within the read scope
// of ctx. Returns ENOTFOUND.
func (s *TimelineStore) RecordTenant(ctx context.Context, typ string, id int64) (int64, error) {
	scope, err := app.CRMReadScope(ctx)
	if err != nil {
		return 0, err
	}
	tid, err := s.recordTenant(ctx, typ, id)
	if err != nil {
		return 0, err
	}
	if scope != 0 && scope != tid {
		return 0, notFound(typ)
	}
	return tid, nil
}
