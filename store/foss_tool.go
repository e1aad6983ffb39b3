package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"orengen/app"
	"orengen/app/platform"
)

// ToolStore implements platform.ToolStore: the agency's register of the
// open-source tools it runs (foss_tools).
type ToolStore struct{ db *DB }

var _ platform.ToolStore = (*ToolStore)(nil)

// NewToolStore returns a ToolStore on db.
func NewToolStore(db *DB) *ToolStore { return &ToolStore{db: db} }

const toolColumns = `f.id, f.name, f.version, f.licence, f.url, f.deployed, coalesce(f.tenant_id, 0), coalesce(t.name, ''), f.update_due, f.notes,
	f.reminded_for, coalesce(f.reminder_task_id, 0), f.created_at, f.updated_at`

const toolFrom = ` FROM foss_tools f LEFT JOIN tenants t ON t.id = f.tenant_id`

func scanTool(row scanner) (*platform.Tool, error) {
	var x platform.Tool
	var due, reminded NullTime
	if err := row.Scan(&x.ID, &x.Name, &x.Version, &x.Licence, &x.URL, &x.Deployed, &x.TenantID, &x.TenantName, &due, &x.Notes,
		&reminded, &x.ReminderTaskID, Time{&x.CreatedAt}, Time{&x.UpdatedAt}); err != nil {
		return nil, err
	}
	x.UpdateDue, x.RemindedFor = due.T, reminded.T
	return &x, nil
}

// FindTools lists the register: tools with a due date first, soonest
// first, then the rest by name.
func (s *ToolStore) FindTools(ctx context.Context) ([]*platform.Tool, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+toolColumns+toolFrom+` ORDER BY f.update_due IS NULL, f.update_due, f.name COLLATE NOCASE, f.id`)
	if err != nil {
		return nil, fmt.Errorf("find tools: %w", err)
	}
	return scanAll(rows, scanTool)
}

// FindTool returns one tool. Returns ENOTFOUND.
func (s *ToolStore) FindTool(ctx context.Context, id int64) (*platform.Tool, error) {
	return findTool(ctx, s.db.read, id)
}

func findTool(ctx context.Context, q queryer, id int64) (*platform.Tool, error) {
	x, err := scanTool(q.QueryRowContext(ctx, `SELECT `+toolColumns+toolFrom+` WHERE f.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Tool not found.")
	} else if err != nil {
		return nil, fmt.Errorf("find tool: %w", err)
	}
	return x, nil
}

// checkToolTenant refuses a client that does not exist (EINVALID).
func checkToolTenant(ctx context.Context, tx *Tx, id int64) error {
	if id == 0 {
		return nil
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM tenants WHERE id = ?`, id).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return app.FieldErrorf("tenant_id", "Unknown client %d.", id)
	}
	return nil
}

// CreateTool stores a tool. Returns EINVALID for an unknown client.
func (s *ToolStore) CreateTool(ctx context.Context, x *platform.Tool) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		if err := checkToolTenant(ctx, tx, x.TenantID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO foss_tools (name, version, licence, url, deployed, tenant_id, update_due, notes, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, x.Name, x.Version, x.Licence, x.URL, x.Deployed, nullID(x.TenantID), nullTime(x.UpdateDue), x.Notes,
			FormatTime(tx.now), FormatTime(tx.now))
		if err != nil {
			return err
		}
		if x.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		x.CreatedAt, x.UpdatedAt = tx.now, tx.now
		return nil
	})
}

// UpdateTool replaces a tool's fields (not its reminder record). Returns
// ENOTFOUND or EINVALID.
func (s *ToolStore) UpdateTool(ctx context.Context, x *platform.Tool) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		if err := checkToolTenant(ctx, tx, x.TenantID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE foss_tools SET name = ?, version = ?, licence = ?, url = ?, deployed = ?, tenant_id = ?, update_due = ?, notes = ?, updated_at = ?
			WHERE id = ?`, x.Name, x.Version, x.Licence, x.URL, x.Deployed, nullID(x.TenantID), nullTime(x.UpdateDue), x.Notes, FormatTime(tx.now), x.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "Tool not found.")
		}
		x.UpdatedAt = tx.now
		return nil
	})
}

// DeleteTool deletes a tool. Returns ENOTFOUND.
func (s *ToolStore) DeleteTool(ctx context.Context, id int64) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM foss_tools WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "Tool not found.")
		}
		return nil
	})
}

// RemindTools makes the due reminders: for each tool due by until with
// no reminder for its due date, a house-tenant CRM task and the record
// of it, in one transaction per tool (a crash between two tools loses
// nothing and repeats nothing).
func (s *ToolStore) RemindTools(ctx context.Context, until time.Time, title func(*platform.Tool) string) ([]*platform.Tool, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT f.id FROM foss_tools f WHERE f.update_due IS NOT NULL AND f.update_due <= ?
		AND (f.reminded_for IS NULL OR f.reminded_for != f.update_due) ORDER BY f.update_due, f.id`, FormatTime(until))
	if err != nil {
		return nil, fmt.Errorf("due tools: %w", err)
	}
	ids, err := scanAll(rows, func(r scanner) (int64, error) {
		var id int64
		return id, r.Scan(&id)
	})
	if err != nil {
		return nil, fmt.Errorf("due tools: %w", err)
	}
	var out []*platform.Tool
	for _, id := range ids {
		err := s.db.Update(ctx, func(tx *Tx) error {
			x, err := findTool(ctx, tx, id)
			if app.ErrorCode(err) == app.ENOTFOUND {
				return nil // deleted since
			} else if err != nil {
				return err
			}
			// Read again inside the transaction: another run may have
			// reminded it, or the date may have moved.
			if x.UpdateDue == nil || x.UpdateDue.After(until) || (x.RemindedFor != nil && x.RemindedFor.Equal(*x.UpdateDue)) {
				return nil
			}
			task := &app.Task{Title: title(x), Due: x.UpdateDue}
			if err := insertTask(ctx, tx, app.HouseTenantID, task); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE foss_tools SET reminded_for = update_due, reminder_task_id = ? WHERE id = ?`, task.ID, id); err != nil {
				return err
			}
			x.RemindedFor, x.ReminderTaskID = x.UpdateDue, task.ID
			out = append(out, x)
			return nil
		})
		if err != nil {
			return out, fmt.Errorf("remind tool %d: %w", id, err)
		}
	}
	return out, nil
}
