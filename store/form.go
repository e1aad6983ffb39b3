package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"orengen/app"
)

// FormStore implements app.FormStore on the forms table.
type FormStore struct{ db *DB }

var _ app.FormStore = (*FormStore)(nil)

// NewFormStore returns a FormStore on db.
func NewFormStore(db *DB) *FormStore { return &FormStore{db: db} }

const formColumns = `id, tenant_id, name, fields, consent, success_message, redirect_url, notify, created_at, updated_at`

func scanForm(row interface{ Scan(...any) error }) (*app.Form, error) {
	var f app.Form
	var fields, notify string
	if err := row.Scan(&f.ID, &f.TenantID, &f.Name, &fields, &f.Consent, &f.SuccessMessage, &f.RedirectURL, &notify, Time{&f.CreatedAt}, Time{&f.UpdatedAt}); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(fields), &f.Fields); err != nil {
		return nil, fmt.Errorf("form %d: fields: %w", f.ID, err)
	}
	if err := json.Unmarshal([]byte(notify), &f.Notify); err != nil {
		return nil, fmt.Errorf("form %d: notify: %w", f.ID, err)
	}
	return &f, nil
}

// FindForms implements app.FormStore.
func (s *FormStore) FindForms(ctx context.Context) ([]*app.Form, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+formColumns+` FROM forms WHERE tenant_id = ? ORDER BY id`, tid)
	if err != nil {
		return nil, fmt.Errorf("find forms: %w", err)
	}
	return scanAll(rows, scanForm)
}

func (s *FormStore) findForm(ctx context.Context, id, tid int64) (*app.Form, error) {
	q := `SELECT ` + formColumns + ` FROM forms WHERE id = ?`
	args := []any{id}
	if tid != 0 {
		q += ` AND tenant_id = ?`
		args = append(args, tid)
	}
	f, err := scanForm(s.db.read.QueryRowContext(ctx, q, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Form not found.")
	} else if err != nil {
		return nil, fmt.Errorf("find form: %w", err)
	}
	return f, nil
}

// FindForm implements app.FormStore.
func (s *FormStore) FindForm(ctx context.Context, id int64) (*app.Form, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	return s.findForm(ctx, id, tid)
}

// FindPublicForm implements app.FormStore.
func (s *FormStore) FindPublicForm(ctx context.Context, id int64) (*app.Form, error) {
	return s.findForm(ctx, id, 0)
}

// SaveForm implements app.FormStore.
func (s *FormStore) SaveForm(ctx context.Context, f *app.Form) error {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return err
	}
	fields, _ := json.Marshal(f.Fields)
	if f.Notify == nil {
		f.Notify = []string{}
	}
	notify, _ := json.Marshal(f.Notify)
	return s.db.Update(ctx, func(tx *Tx) error {
		now := FormatTime(tx.now)
		if f.ID == 0 {
			res, err := tx.ExecContext(ctx, `INSERT INTO forms (tenant_id, name, fields, consent, success_message, redirect_url, notify, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				tid, f.Name, string(fields), f.Consent, f.SuccessMessage, f.RedirectURL, string(notify), now, now)
			if err != nil {
				return fmt.Errorf("create form: %w", err)
			}
			f.ID, err = res.LastInsertId()
			f.TenantID, f.CreatedAt, f.UpdatedAt = tid, tx.now, tx.now
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE forms SET name = ?, fields = ?, consent = ?, success_message = ?, redirect_url = ?, notify = ?, updated_at = ? WHERE id = ? AND tenant_id = ?`,
			f.Name, string(fields), f.Consent, f.SuccessMessage, f.RedirectURL, string(notify), now, f.ID, tid)
		if err != nil {
			return fmt.Errorf("update form: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "Form not found.")
		}
		f.TenantID, f.UpdatedAt = tid, tx.now
		return nil
	})
}

// DeleteForm implements app.FormStore.
func (s *FormStore) DeleteForm(ctx context.Context, id int64) error {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM forms WHERE id = ? AND tenant_id = ?`, id, tid)
		if err != nil {
			return fmt.Errorf("delete form: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "Form not found.")
		}
		return nil
	})
}

// CountSubmissions implements app.FormStore.
func (s *FormStore) CountSubmissions(ctx context.Context) (map[int64]int, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT form, COUNT(*) FROM form_submissions WHERE tenant_id = ? AND form LIKE 'form-%' GROUP BY form`, tid)
	if err != nil {
		return nil, fmt.Errorf("count submissions: %w", err)
	}
	defer rows.Close()
	out := map[int64]int{}
	for rows.Next() {
		var form string
		var n int
		if err := rows.Scan(&form, &n); err != nil {
			return nil, err
		}
		if id, err := strconv.ParseInt(strings.TrimPrefix(form, "form-"), 10, 64); err == nil {
			out[id] = n
		}
	}
	return out, rows.Err()
}
