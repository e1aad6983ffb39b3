package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"orengen/app"
)

const noteCols = `r.id, r.tenant_id, r.record_type, r.record_id, r.body, r.author, r.created_at, r.updated_at`

func scanNote(row scanner, extra ...any) (*app.Note, error) {
	var n app.Note
	if err := row.Scan(append([]any{&n.ID, &n.TenantID, &n.RecordType, &n.RecordID, &n.Body, &n.Author, Time{&n.CreatedAt}, Time{&n.UpdatedAt}}, extra...)...); err != nil {
		return nil, err
	}
	return &n, nil
}

// FindNotes lists notes in scope, newest first by default.
func (s *NoteStore) FindNotes(ctx context.Context, f app.NoteFilter) ([]*app.Note, string, error) {
	tid, err := app.CRMReadScope(ctx)
	if err != nil {
		return nil, "", err
	}
	l := &list{table: "crm_notes", cols: noteCols, typ: app.RecordNote, opts: f.ListOptions}
	if f.RecordType != nil {
		l.filter(`r.record_type = ?`, *f.RecordType)
	}
	if f.RecordID != nil {
		l.filter(`r.record_id = ?`, *f.RecordID)
		l.selective = true
	}
	var out []*app.Note
	next, err := l.query(ctx, s.db.read, tid, func(row scanner, key *string) (int64, error) {
		n, err := scanNote(row, key)
		if err != nil {
			return 0, err
		}
		if len(out) < l.opts.Limit {
			out = append(out, n)
		}
		return n.ID, nil
	})
	return out, next, err
}

func findNote(ctx context.Context, q queryer, id, tid int64) (*app.Note, error) {
	where, args := `r.id = ?`, []any{id}
	if tid != 0 {
		where, args = where+` AND r.tenant_id = ?`, append(args, tid)
	}
	n, err := scanNote(q.QueryRowContext(ctx, `SELECT `+noteCols+` FROM crm_notes r WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound(app.RecordNote)
	} else if err != nil {
		return nil, fmt.Errorf("find note: %w", err)
	}
	return n, nil
}

// FindNote returns ENOTFOUND for an unknown note or another tenant's.
func (s *NoteStore) FindNote(ctx context.Context, id int64) (*app.Note, error) {
	tid, err := app.CRMReadScope(ctx)
	if err != nil {
		return nil, err
	}
	return findNote(ctx, s.db.read, id, tid)
}

func insertNote(ctx context.Context, tx *Tx, tid int64, n *app.Note) error {
	if err := checkRecord(ctx, tx, n.RecordType, n.RecordID, tid, "record_id"); err != nil {
		return err
	}
	n.TenantID, n.CreatedAt, n.UpdatedAt, n.Author = tid, tx.now, tx.now, app.ActorFromContext(ctx)
	res, err := tx.ExecContext(ctx, `INSERT INTO crm_notes (tenant_id, record_type, record_id, body, author, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		tid, n.RecordType, n.RecordID, n.Body, n.Author, FormatTime(tx.now), FormatTime(tx.now))
	if err != nil {
		return FormatError(err, "Note already exists.")
	}
	if n.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	if err := addFTS(ctx, tx, app.RecordNote, n.ID, n.Body); err != nil {
		return err
	}
	e := timeline(ctx, tx, tid, n.RecordType, n.RecordID, app.TimelineNote)
	e.Body, e.RefType, e.RefID = n.Body, app.RecordNote, n.ID
	return AddTimelineEntryTx(ctx, tx, e)
}

func replaceNote(ctx context.Context, tx *Tx, tid int64, old, n *app.Note) error {
	if n.RecordType != old.RecordType || n.RecordID != old.RecordID {
		return app.FieldErrorf("record_id", "A note cannot move to another record.")
	}
	n.ID, n.TenantID, n.CreatedAt, n.UpdatedAt, n.Author = old.ID, tid, old.CreatedAt, tx.now, old.Author
	if _, err := tx.ExecContext(ctx, `UPDATE crm_notes SET body = ?, updated_at = ? WHERE id = ? AND tenant_id = ?`, n.Body, FormatTime(tx.now), n.ID, tid); err != nil {
		return fmt.Errorf("update note: %w", err)
	}
	// The note's timeline entry shows its current text.
	if _, err := tx.ExecContext(ctx, `UPDATE crm_timeline SET body = ? WHERE ref_type = 'note' AND ref_id = ? AND tenant_id = ?`, n.Body, n.ID, tid); err != nil {
		return err
	}
	return setFTS(ctx, tx, app.RecordNote, n.ID, n.Body)
}

// CreateNote stores a note on a record of the tenant, with its timeline
// entry. Returns EINVALID (record_id names an unknown record).
func (s *NoteStore) CreateNote(ctx context.Context, n *app.Note) error {
	return createRecord(ctx, &s.crmDB, noteOps, n)
}

// UpdateNote changes a note's text. Returns ENOTFOUND or EINVALID.
func (s *NoteStore) UpdateNote(ctx context.Context, id int64, upd app.NoteUpdate) (*app.Note, error) {
	tid, tx, err := s.writeScope(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	old, err := findNote(ctx, tx, id, tid)
	if err != nil {
		return nil, err
	}
	n := *old
	setStr(&n.Body, upd.Body)
	if err := n.Validate(); err != nil {
		return nil, err
	}
	if err := replaceNote(ctx, tx, tid, old, &n); err != nil {
		return nil, err
	}
	return &n, tx.Commit()
}

func setStr(dst, src *string) {
	if src != nil {
		*dst = *src
	}
}

// UpsertNotes creates or replaces notes in one transaction.
func (s *NoteStore) UpsertNotes(ctx context.Context, ns []*app.Note) error {
	return upsertRecords(ctx, &s.crmDB, noteOps, ns)
}

// DeleteNote deletes a note and its timeline entry. Returns ENOTFOUND.
func (s *NoteStore) DeleteNote(ctx context.Context, id int64) error {
	return deleteRecord(ctx, &s.crmDB, noteOps, id)
}
