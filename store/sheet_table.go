package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"orengen/app"
	"orengen/app/sheets"
)

// SheetStore implements every store of sheets.Stores on SQLite: column
// values live in the slot columns v1..v50 of sheet_rows
// (0031_sheets.sql). One type: a table's column changes rewrite its rows,
// and an import's commit writes rows and its job, in one transaction.
type SheetStore struct{ db *DB }

var (
	_ sheets.TableStore  = (*SheetStore)(nil)
	_ sheets.RowStore    = (*SheetStore)(nil)
	_ sheets.LinkStore   = (*SheetStore)(nil)
	_ sheets.ImportStore = (*SheetStore)(nil)
)

// NewSheetStore returns a SheetStore on db.
func NewSheetStore(db *DB) *SheetStore { return &SheetStore{db: db} }

// Stores returns s as each of Data & Sheets' stores, for
// sheets.NewService.
func (s *SheetStore) Stores() sheets.Stores {
	return sheets.Stores{Tables: s, Rows: s, Links: s, Imports: s}
}

const sheetTableCols = `id, tenant_id, name, description, columns, charts, row_count, created_at, updated_at`

func scanSheetTable(r scanner) (*sheets.Table, error) {
	var t sheets.Table
	var cols, charts string
	if err := r.Scan(&t.ID, &t.TenantID, &t.Name, &t.Description, &cols, &charts, &t.RowCount, Time{&t.CreatedAt}, Time{&t.UpdatedAt}); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, app.Errorf(app.ENOTFOUND, "Table not found.")
		}
		return nil, err
	}
	if err := json.Unmarshal([]byte(cols), &t.Columns); err != nil {
		return nil, fmt.Errorf("table %d columns: %w", t.ID, err)
	}
	if err := json.Unmarshal([]byte(charts), &t.Charts); err != nil {
		return nil, fmt.Errorf("table %d charts: %w", t.ID, err)
	}
	return &t, nil
}

// FindTables implements sheets.TableStore.
func (s *SheetStore) FindTables(ctx context.Context) ([]*sheets.Table, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+sheetTableCols+` FROM sheet_tables WHERE tenant_id = ? ORDER BY name`, tid)
	if err != nil {
		return nil, fmt.Errorf("find tables: %w", err)
	}
	return scanAll(rows, scanSheetTable)
}

// FindTable implements sheets.TableStore.
func (s *SheetStore) FindTable(ctx context.Context, id int64) (*sheets.Table, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	return scanSheetTable(s.db.read.QueryRowContext(ctx, `SELECT `+sheetTableCols+` FROM sheet_tables WHERE id = ? AND tenant_id = ?`, id, tid))
}

// FindTableAcross implements sheets.TableStore.
func (s *SheetStore) FindTableAcross(ctx context.Context, id int64) (*sheets.Table, error) {
	tid, err := app.CRMReadScope(ctx)
	if err != nil {
		return nil, err
	}
	if tid != 0 {
		return scanSheetTable(s.db.read.QueryRowContext(ctx, `SELECT `+sheetTableCols+` FROM sheet_tables WHERE id = ? AND tenant_id = ?`, id, tid))
	}
	return scanSheetTable(s.db.read.QueryRowContext(ctx, `SELECT `+sheetTableCols+` FROM sheet_tables WHERE id = ?`, id))
}

// FindTableByName implements sheets.TableStore (case-insensitive).
func (s *SheetStore) FindTableByName(ctx context.Context, name string) (*sheets.Table, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	return scanSheetTable(s.db.read.QueryRowContext(ctx, `SELECT `+sheetTableCols+` FROM sheet_tables WHERE name = ? AND tenant_id = ?`, name, tid))
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// assignSlots gives columns without a slot the lowest free ones.
func assignSlots(cols []sheets.Column) error {
	used := map[int]bool{}
	for _, c := range cols {
		if c.Slot > 0 {
			used[c.Slot] = true
		}
	}
	next := 1
	for i := range cols {
		if cols[i].Slot > 0 {
			continue
		}
		for used[next] {
			next++
		}
		if next > sheets.MaxColumns {
			return app.FieldErrorf("columns", "A table may have at most %d columns.", sheets.MaxColumns)
		}
		cols[i].Slot, used[next] = next, true
	}
	return nil
}

// CreateTable implements sheets.TableStore.
func (s *SheetStore) CreateTable(ctx context.Context, t *sheets.Table) error {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return err
	}
	for i := range t.Columns {
		t.Columns[i].Slot = 0
	}
	if err := assignSlots(t.Columns); err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx *Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sheet_tables WHERE tenant_id = ?`, tid).Scan(&n); err != nil {
			return err
		}
		if n >= sheets.MaxTables {
			return app.Errorf(app.EINVALID, "An account may have at most %d tables.", sheets.MaxTables)
		}
		t.TenantID, t.CreatedAt, t.UpdatedAt = tid, tx.now, tx.now
		res, err := tx.ExecContext(ctx, `INSERT INTO sheet_tables (tenant_id, name, description, columns, charts, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			tid, t.Name, t.Description, jsonText(nonNilCols(t.Columns)), jsonText(nonNilCharts(t.Charts)), FormatTime(tx.now), FormatTime(tx.now))
		if err != nil {
			return tableNameConflict(err, t.Name)
		}
		t.ID, err = res.LastInsertId()
		return err
	})
}

func tableNameConflict(err error, name string) error {
	if e := FormatError(err, ""); app.ErrorCode(e) == app.ECONFLICT {
		return &app.Error{Code: app.ECONFLICT, Field: "name", Message: fmt.Sprintf("A table named %q exists already.", name)}
	}
	return fmt.Errorf("save table: %w", err)
}

func nonNilCols(c []sheets.Column) []sheets.Column {
	if c == nil {
		return []sheets.Column{}
	}
	return c
}

func nonNilCharts(c []sheets.Chart) []sheets.Chart {
	if c == nil {
		return []sheets.Chart{}
	}
	return c
}

// lockTable reads the tenant's table inside a write transaction.
func lockTable(ctx context.Context, tx *Tx, id, tid int64) (*sheets.Table, error) {
	return scanSheetTable(tx.QueryRowContext(ctx, `SELECT `+sheetTableCols+` FROM sheet_tables WHERE id = ? AND tenant_id = ?`, id, tid))
}

// UpdateTable implements sheets.TableStore.
func (s *SheetStore) UpdateTable(ctx context.Context, t *sheets.Table, convert func(from, to *sheets.Column, v any) (any, error)) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		cur, err := lockTable(ctx, tx, t.ID, tid)
		if err != nil {
			return err
		}
		old := map[string]sheets.Column{}
		for _, c := range cur.Columns {
			old[c.Key] = c
		}
		// Kept columns keep their slot; new ones get free slots.
		for i := range t.Columns {
			if o, ok := old[t.Columns[i].Key]; ok {
				t.Columns[i].Slot = o.Slot
			} else {
				t.Columns[i].Slot = 0
			}
		}
		if err := assignSlots(t.Columns); err != nil {
			return err
		}
		keep := map[string]bool{}
		for i := range t.Columns {
			nc := &t.Columns[i]
			keep[nc.Key] = true
			o, ok := old[nc.Key]
			if !ok {
				continue
			}
			if o.Type == sheets.TypeLink && nc.Type == sheets.TypeLink && o.Link != nc.Link {
				var n int
				if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sheet_rows WHERE table_id = ? AND v`+strconv.Itoa(o.Slot)+` IS NOT NULL`, t.ID).Scan(&n); err != nil {
					return err
				}
				if n > 0 {
					return app.FieldErrorf(fmt.Sprintf("columns[%d].link", i), "Column %q links to %s records in %d rows; clear them before linking it to %s records.", nc.Name, o.Link, n, nc.Link)
				}
				continue
			}
			if o.Type != nc.Type || nc.Type == sheets.TypeSelect && !slices.Equal(o.Options, nc.Options) {
				if err := convertColumn(ctx, tx, t.ID, &o, nc, convert); err != nil {
					return err
				}
			}
		}
		for _, o := range cur.Columns {
			if !keep[o.Key] {
				if _, err := tx.ExecContext(ctx, `UPDATE sheet_rows SET v`+strconv.Itoa(o.Slot)+` = NULL WHERE table_id = ? AND v`+strconv.Itoa(o.Slot)+` IS NOT NULL`, t.ID); err != nil {
					return fmt.Errorf("clear column: %w", err)
				}
			}
		}
		t.TenantID, t.UpdatedAt, t.RowCount, t.CreatedAt = tid, tx.now, cur.RowCount, cur.CreatedAt
		_, err = tx.ExecContext(ctx, `UPDATE sheet_tables SET name = ?, description = ?, columns = ?, charts = ?, updated_at = ? WHERE id = ?`,
			t.Name, t.Description, jsonText(nonNilCols(t.Columns)), jsonText(nonNilCharts(t.Charts)), FormatTime(tx.now), t.ID)
		if err != nil {
			return tableNameConflict(err, t.Name)
		}
		return nil
	})
}

// convertColumn rewrites every value of a column whose type changed; the
// first value that does not convert fails the change, naming its row.
func convertColumn(ctx context.Context, tx *Tx, tableID int64, from, to *sheets.Column, convert func(from, to *sheets.Column, v any) (any, error)) error {
	slot := "v" + strconv.Itoa(from.Slot)
	rows, err := tx.QueryContext(ctx, `SELECT id, `+slot+` FROM sheet_rows WHERE table_id = ? AND `+slot+` IS NOT NULL ORDER BY id`, tableID)
	if err != nil {
		return err
	}
	type change struct {
		id int64
		v  any
	}
	var changes []change
	for rows.Next() {
		var id int64
		var raw any
		if err := rows.Scan(&id, &raw); err != nil {
			rows.Close()
			return err
		}
		v, err := decodeCell(from, raw)
		if err != nil {
			rows.Close()
			return err
		}
		nv, err := convert(from, to, v)
		if err != nil {
			rows.Close()
			return app.FieldErrorf("type", "Column %q cannot change to %s: row %d has %q (%s). Change or clear that value first.",
				from.Name, sheets.TypeLabels[to.Type], id, sheets.FormatValue(from, v), app.ErrorMessage(err))
		}
		changes = append(changes, change{id, nv})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	st, err := tx.PrepareContext(ctx, `UPDATE sheet_rows SET `+slot+` = ? WHERE id = ?`)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, c := range changes {
		if _, err := st.ExecContext(ctx, encodeCell(c.v), c.id); err != nil {
			return err
		}
	}
	return nil
}

// DeleteTable implements sheets.TableStore.
func (s *SheetStore) DeleteTable(ctx context.Context, id int64) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		if _, err := lockTable(ctx, tx, id, tid); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sheet_rows WHERE table_id = ? AND tenant_id = ?`, id, tid); err != nil {
			return err
		}
		// Staged rows of the table's imports.
		if _, err := tx.ExecContext(ctx, `DELETE FROM sheet_rows WHERE tenant_id = ? AND table_id IN (SELECT -id FROM sheet_imports WHERE table_id = ?)`, tid, id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM sheet_tables WHERE id = ? AND tenant_id = ?`, id, tid)
		return err
	})
}

// encodeCell is a typed value as stored in its slot.
func encodeCell(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case sheets.Money:
		return x.Minor
	case bool:
		if x {
			return int64(1)
		}
		return int64(0)
	}
	return v
}

// decodeCell reads a slot's stored value as the column's typed value.
func decodeCell(c *sheets.Column, raw any) (any, error) {
	if raw == nil {
		return nil, nil
	}
	switch c.Type {
	case sheets.TypeNumber:
		switch x := raw.(type) {
		case float64:
			return x, nil
		case int64:
			return float64(x), nil
		}
	case sheets.TypeCurrency:
		switch x := raw.(type) {
		case int64:
			return sheets.Money{Minor: x, Currency: c.Currency}, nil
		case float64:
			return sheets.Money{Minor: int64(x), Currency: c.Currency}, nil
		}
	case sheets.TypeCheckbox:
		if x, ok := raw.(int64); ok {
			return x != 0, nil
		}
	case sheets.TypeLink:
		if x, ok := raw.(int64); ok {
			return x, nil
		}
	default:
		switch x := raw.(type) {
		case string:
			return x, nil
		case []byte:
			return string(x), nil
		}
	}
	return nil, fmt.Errorf("column %s: stored %T does not fit type %s", c.Key, raw, c.Type)
}
