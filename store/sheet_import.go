package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"orengen/app"
	"orengen/app/sheets"
)

const sheetImportCols = `id, tenant_id, table_id, status, phase, format, file_name, path, header, mapping, total, checked, written, errors, error_count, message, created_by, created_at, updated_at, finished_at`

func scanSheetImport(r scanner) (*sheets.ImportJob, error) {
	var j sheets.ImportJob
	var header, mapping, errs string
	var fin NullTime
	if err := r.Scan(&j.ID, &j.TenantID, &j.TableID, &j.Status, &j.Phase, &j.Format, &j.FileName, &j.Path, &header, &mapping, &j.Total, &j.Checked, &j.Written,
		&errs, &j.ErrorCount, &j.Message, &j.CreatedBy, Time{&j.CreatedAt}, Time{&j.UpdatedAt}, &fin); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, app.Errorf(app.ENOTFOUND, "Import not found.")
		}
		return nil, err
	}
	j.FinishedAt = fin.T
	for _, x := range []struct {
		s string
		v any
	}{{header, &j.Header}, {mapping, &j.Mapping}, {errs, &j.Errors}} {
		if err := json.Unmarshal([]byte(x.s), x.v); err != nil {
			return nil, fmt.Errorf("import %d: %w", j.ID, err)
		}
	}
	return &j, nil
}

// CreateImport implements sheets.ImportStore.
func (s *SheetStore) CreateImport(ctx context.Context, j *sheets.ImportJob) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		if _, err := lockTable(ctx, tx, j.TableID, tid); err != nil {
			return err
		}
		j.TenantID, j.CreatedAt, j.UpdatedAt = tid, tx.now, tx.now
		res, err := tx.ExecContext(ctx, `INSERT INTO sheet_imports (tenant_id, table_id, status, phase, format, file_name, path, header, mapping, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, tid, j.TableID, j.Status, j.Phase, j.Format, j.FileName, j.Path, jsonText(nonNilStrings(j.Header)), jsonText(nonNilMapping(j.Mapping)),
			j.CreatedBy, FormatTime(tx.now), FormatTime(tx.now))
		if err != nil {
			return fmt.Errorf("create import: %w", err)
		}
		j.ID, err = res.LastInsertId()
		return err
	})
}

func nonNilStrings(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

func nonNilMapping(v []sheets.MapEntry) []sheets.MapEntry {
	if v == nil {
		return []sheets.MapEntry{}
	}
	return v
}

func nonNilRowErrors(v []sheets.RowError) []sheets.RowError {
	if v == nil {
		return []sheets.RowError{}
	}
	return v
}

// FindImport implements sheets.ImportStore.
func (s *SheetStore) FindImport(ctx context.Context, id int64) (*sheets.ImportJob, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	return scanSheetImport(s.db.read.QueryRowContext(ctx, `SELECT `+sheetImportCols+` FROM sheet_imports WHERE id = ? AND tenant_id = ?`, id, tid))
}

// FindImports implements sheets.ImportStore: the newest 20.
func (s *SheetStore) FindImports(ctx context.Context, tableID int64) ([]*sheets.ImportJob, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+sheetImportCols+` FROM sheet_imports WHERE table_id = ? AND tenant_id = ? ORDER BY id DESC LIMIT 20`, tableID, tid)
	if err != nil {
		return nil, err
	}
	return scanAll(rows, scanSheetImport)
}

// UpdateImport implements sheets.ImportStore.
func (s *SheetStore) UpdateImport(ctx context.Context, j *sheets.ImportJob) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		j.UpdatedAt = tx.now
		res, err := tx.ExecContext(ctx, `UPDATE sheet_imports SET status = ?, phase = ?, mapping = ?, total = ?, checked = ?, written = ?, errors = ?, error_count = ?, message = ?,
			updated_at = ?, finished_at = ? WHERE id = ? AND tenant_id = ?`, j.Status, j.Phase, jsonText(nonNilMapping(j.Mapping)), j.Total, j.Checked, j.Written,
			jsonText(nonNilRowErrors(j.Errors)), j.ErrorCount, j.Message, FormatTime(tx.now), nullTime(j.FinishedAt), j.ID, tid)
		if err != nil {
			return fmt.Errorf("update import: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "Import not found.")
		}
		return nil
	})
}

// StageRows implements sheets.ImportStore: rows under table_id = -job.
func (s *SheetStore) StageRows(ctx context.Context, t *sheets.Table, jobID int64, rows []*sheets.Row) error {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return err
	}
	if t.TenantID != tid {
		return app.Errorf(app.ENOTFOUND, "Table not found.")
	}
	return s.db.Update(ctx, func(tx *Tx) error {
		var status string
		if err := tx.QueryRowContext(ctx, `SELECT status FROM sheet_imports WHERE id = ? AND tenant_id = ? AND table_id = ?`, jobID, tid, t.ID).Scan(&status); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return app.Errorf(app.ENOTFOUND, "Import not found.")
			}
			return err
		}
		if status != sheets.ImportRunning {
			return app.Errorf(app.ECONFLICT, "The import is not running.")
		}
		return insertSheetRows(ctx, tx, t, -jobID, rows, &linkChecker{})
	})
}

// CommitImport implements sheets.ImportStore.
func (s *SheetStore) CommitImport(ctx context.Context, t *sheets.Table, j *sheets.ImportJob) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		cur, err := lockTable(ctx, tx, t.ID, tid)
		if err != nil {
			return err
		}
		// The planned table is the current one plus new columns in free
		// slots: every current column must be where the plan put it.
		for _, c := range cur.Columns {
			if p := t.Column(c.Key); p == nil || p.Slot != c.Slot || p.Type != c.Type {
				return app.Errorf(app.ECONFLICT, "The table's columns changed during the import.")
			}
		}
		var staged int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sheet_rows WHERE table_id = ? AND tenant_id = ?`, -j.ID, tid).Scan(&staged); err != nil {
			return err
		}
		if staged != j.Written {
			return fmt.Errorf("import %d: %d rows staged, %d written", j.ID, staged, j.Written)
		}
		if cur.RowCount+staged > sheets.MaxRowsPerTable {
			return app.Errorf(app.EINVALID, "The table would have %d rows; a table holds at most %d.", cur.RowCount+staged, sheets.MaxRowsPerTable)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sheet_rows SET table_id = ? WHERE table_id = ? AND tenant_id = ?`, t.ID, -j.ID, tid); err != nil {
			return fmt.Errorf("commit import: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sheet_tables SET columns = ?, row_count = row_count + ?, updated_at = ? WHERE id = ?`,
			jsonText(nonNilCols(t.Columns)), staged, FormatTime(tx.now), t.ID); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE sheet_imports SET status = 'done', phase = 'writing', written = ?, message = ?, updated_at = ?, finished_at = ? WHERE id = ?`,
			staged, "Imported "+app.Plural(staged, "row", "rows")+".", FormatTime(tx.now), FormatTime(tx.now), j.ID)
		return err
	})
}

// DiscardImport implements sheets.ImportStore.
func (s *SheetStore) DiscardImport(ctx context.Context, jobID int64) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM sheet_rows WHERE table_id = ? AND tenant_id = ?`, -jobID, tid)
		return err
	})
}

// FailStaleImports implements sheets.ImportStore (system: every tenant).
func (s *SheetStore) FailStaleImports(ctx context.Context) ([]string, error) {
	var paths []string
	err := s.db.Update(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, path FROM sheet_imports WHERE status = 'running'`)
		if err != nil {
			return err
		}
		type job struct {
			id   int64
			path string
		}
		jobs, err := scanAll(rows, func(r scanner) (job, error) { var j job; return j, r.Scan(&j.id, &j.path) })
		if err != nil {
			return err
		}
		for _, j := range jobs {
			id := j.id
			paths = append(paths, j.path)
			if _, err := tx.ExecContext(ctx, `DELETE FROM sheet_rows WHERE table_id = ?`, -id); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE sheet_imports SET status = 'failed', message = 'The server restarted during the import; nothing was imported. Upload the file again.', updated_at = ?, finished_at = ? WHERE id = ?`,
				FormatTime(tx.now), FormatTime(tx.now), id); err != nil {
				return err
			}
		}
		return nil
	})
	return paths, err
}
