package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"orengen/app"
)

const taskCols = `r.id, r.tenant_id, r.title, r.due, COALESCE(r.assignee_id, 0), r.done, r.done_at, r.record_type, r.record_id, r.created_at, r.updated_at`

func scanTask(row scanner, extra ...any) (*app.Task, error) {
	var t app.Task
	if err := row.Scan(append([]any{&t.ID, &t.TenantID, &t.Title, NullTime{}.into(&t.Due), &t.AssigneeID, &t.Done, NullTime{}.into(&t.DoneAt),
		&t.RecordType, &t.RecordID, Time{&t.CreatedAt}, Time{&t.UpdatedAt}}, extra...)...); err != nil {
		return nil, err
	}
	return &t, nil
}

// FindTasks lists tasks in scope.
func (s *TaskStore) FindTasks(ctx context.Context, f app.TaskFilter) ([]*app.Task, string, error) {
	tid, err := app.CRMReadScope(ctx)
	if err != nil {
		return nil, "", err
	}
	l := &list{table: "crm_tasks", cols: taskCols, typ: app.RecordTask, opts: f.ListOptions}
	if f.Done != nil {
		l.filter(`r.done = ?`, *f.Done)
	}
	if f.AssigneeID != nil {
		l.filter(`r.assignee_id = ?`, *f.AssigneeID)
	}
	if f.RecordType != nil {
		l.filter(`r.record_type = ?`, *f.RecordType)
	}
	if f.RecordID != nil {
		l.filter(`r.record_id = ?`, *f.RecordID)
		l.selective = true
	}
	var out []*app.Task
	next, err := l.query(ctx, s.db.read, tid, func(row scanner, key *string) (int64, error) {
		t, err := scanTask(row, key)
		if err != nil {
			return 0, err
		}
		if len(out) < l.opts.Limit {
			out = append(out, t)
		}
		return t.ID, nil
	})
	return out, next, err
}

func findTask(ctx context.Context, q queryer, id, tid int64) (*app.Task, error) {
	where, args := `r.id = ?`, []any{id}
	if tid != 0 {
		where, args = where+` AND r.tenant_id = ?`, append(args, tid)
	}
	t, err := scanTask(q.QueryRowContext(ctx, `SELECT `+taskCols+` FROM crm_tasks r WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound(app.RecordTask)
	} else if err != nil {
		return nil, fmt.Errorf("find task: %w", err)
	}
	return t, nil
}

// FindTask returns ENOTFOUND for an unknown task or another tenant's.
func (s *TaskStore) FindTask(ctx context.Context, id int64) (*app.Task, error) {
	tid, err := app.CRMReadScope(ctx)
	if err != nil {
		return nil, err
	}
	return findTask(ctx, s.db.read, id, tid)
}

func taskRefs(ctx context.Context, tx *Tx, tid int64, t *app.Task) error {
	if t.RecordType != "" {
		if err := checkRecord(ctx, tx, t.RecordType, t.RecordID, tid, "record_id"); err != nil {
			return err
		}
	}
	return checkUser(ctx, tx, t.AssigneeID, tid, "assignee_id")
}

func insertTask(ctx context.Context, tx *Tx, tid int64, t *app.Task) error {
	if err := taskRefs(ctx, tx, tid, t); err != nil {
		return err
	}
	t.TenantID, t.CreatedAt, t.UpdatedAt = tid, tx.now, tx.now
	if t.Done {
		t.DoneAt = &tx.now
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO crm_tasks (tenant_id, title, name_key, due, assignee_id, done, done_at, record_type, record_id, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, tid, t.Title, strings.ToLower(t.Title), nullTime(t.Due), nullID(t.AssigneeID), t.Done, nullTime(t.DoneAt),
		t.RecordType, t.RecordID, FormatTime(tx.now), FormatTime(tx.now))
	if err != nil {
		return FormatError(err, "Task already exists.")
	}
	if t.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	if err := addFTS(ctx, tx, app.RecordTask, t.ID, t.Title); err != nil {
		return err
	}
	if t.RecordType == "" {
		return nil
	}
	e := timeline(ctx, tx, tid, t.RecordType, t.RecordID, app.TimelineTask)
	e.Body, e.RefType, e.RefID = t.Title, app.RecordTask, t.ID
	return AddTimelineEntryTx(ctx, tx, e)
}

func replaceTask(ctx context.Context, tx *Tx, tid int64, old, t *app.Task) error {
	if t.RecordType != old.RecordType || t.RecordID != old.RecordID {
		return app.FieldErrorf("record_id", "A task cannot move to another record.")
	}
	if err := taskRefs(ctx, tx, tid, t); err != nil {
		return err
	}
	t.ID, t.TenantID, t.CreatedAt, t.UpdatedAt = old.ID, tid, old.CreatedAt, tx.now
	switch {
	case t.Done && !old.Done:
		t.DoneAt = &tx.now
	case !t.Done:
		t.DoneAt = nil
	default:
		t.DoneAt = old.DoneAt
	}
	if _, err := tx.ExecContext(ctx, `UPDATE crm_tasks SET title = ?, name_key = ?, due = ?, assignee_id = ?, done = ?, done_at = ?, updated_at = ?
		WHERE id = ? AND tenant_id = ?`, t.Title, strings.ToLower(t.Title), nullTime(t.Due), nullID(t.AssigneeID), t.Done, nullTime(t.DoneAt),
		FormatTime(tx.now), t.ID, tid); err != nil {
		return fmt.Errorf("update task: %w", err)
	}
	if err := setFTS(ctx, tx, app.RecordTask, t.ID, t.Title); err != nil {
		return err
	}
	if t.RecordType != "" && t.Done && !old.Done {
		e := timeline(ctx, tx, tid, t.RecordType, t.RecordID, app.TimelineTaskDone)
		e.Body, e.RefType, e.RefID = t.Title, app.RecordTask, t.ID
		return AddTimelineEntryTx(ctx, tx, e)
	}
	return nil
}

// CreateTask stores a task (linked to a record of the tenant, or not).
// Returns EINVALID.
func (s *TaskStore) CreateTask(ctx context.Context, t *app.Task) error {
	return createRecord(ctx, &s.crmDB, taskOps, t)
}

// UpdateTask applies upd; marking a linked task done adds a task_done
// timeline entry. Returns ENOTFOUND or EINVALID.
func (s *TaskStore) UpdateTask(ctx context.Context, id int64, upd app.TaskUpdate) (*app.Task, error) {
	tid, tx, err := s.writeScope(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	old, err := findTask(ctx, tx, id, tid)
	if err != nil {
		return nil, err
	}
	t := *old
	upd.Apply(&t)
	if err := t.Validate(); err != nil {
		return nil, err
	}
	if err := replaceTask(ctx, tx, tid, old, &t); err != nil {
		return nil, err
	}
	return &t, tx.Commit()
}

// UpsertTasks creates or replaces tasks in one transaction.
func (s *TaskStore) UpsertTasks(ctx context.Context, ts []*app.Task) error {
	return upsertRecords(ctx, &s.crmDB, taskOps, ts)
}

// DeleteTask deletes a task. Returns ENOTFOUND.
func (s *TaskStore) DeleteTask(ctx context.Context, id int64) error {
	return deleteRecord(ctx, &s.crmDB, taskOps, id)
}
