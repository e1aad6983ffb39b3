package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"orengen/app"
	"orengen/app/sheets"
)

// slotExpr is the SQL of a column's values; text-like columns compare
// and sort without case.
func slotExpr(c *sheets.Column) (expr, collate string) {
	expr = "v" + strconv.Itoa(c.Slot)
	if c.Type == sheets.TypeText || c.Type == sheets.TypeSelect {
		collate = " COLLATE NOCASE"
	}
	return
}

// fieldExpr is the SQL of a filter or sort key: a column or a row field.
func fieldExpr(t *sheets.Table, key string) (expr, collate string) {
	switch key {
	case "id":
		return "id", ""
	case "created_at", "updated_at":
		return "substr(" + key + ", 1, 10)", ""
	}
	if c := t.Column(key); c != nil {
		return slotExpr(c)
	}
	return "NULL", ""
}

// sheetWhere builds the WHERE clause of f over t (tenant and table
// first).
func sheetWhere(t *sheets.Table, f *sheets.Filter) (string, []any) {
	where := "tenant_id = ? AND table_id = ?"
	args := []any{t.TenantID, t.ID}
	var conds []string
	for _, w := range f.Where {
		e, coll := fieldExpr(t, w.Column)
		if w.Col != nil && w.Col.Type == sheets.TypeCheckbox {
			e = "coalesce(" + e + ", 0)"
		}
		arg := encodeCell(w.Arg)
		var c string
		switch w.Op {
		case sheets.OpEq:
			c = e + " = ?" + coll
		case sheets.OpNe:
			c = "(" + e + " IS NULL OR " + e + " <> ?" + coll + ")"
		case sheets.OpContains: // LIKE ignores ASCII case, as lower() would, and is faster
			c, arg = e+` LIKE ? ESCAPE '\'`, likeArg(w.Arg)
		case sheets.OpNotContains:
			c, arg = "("+e+" IS NULL OR "+e+` NOT LIKE ? ESCAPE '\')`, likeArg(w.Arg)
		case sheets.OpGt:
			c = e + " > ?" + coll
		case sheets.OpGte:
			c = e + " >= ?" + coll
		case sheets.OpLt:
			c = e + " < ?" + coll
		case sheets.OpLte:
			c = e + " <= ?" + coll
		case sheets.OpEmpty:
			if w.Col != nil && w.Col.Type == sheets.TypeCheckbox {
				c = e + " = 0"
			} else if w.Col != nil && (w.Col.Type == sheets.TypeText || w.Col.Type == sheets.TypeSelect) {
				c = "coalesce(" + e + ", '') = ''"
			} else {
				c = e + " IS NULL"
			}
		case sheets.OpNotEmpty:
			if w.Col != nil && w.Col.Type == sheets.TypeCheckbox {
				c = e + " <> 0"
			} else {
				c = e + " IS NOT NULL"
			}
		}
		if w.Op != sheets.OpEmpty && w.Op != sheets.OpNotEmpty {
			args = append(args, arg)
		}
		conds = append(conds, c)
	}
	if len(conds) > 0 {
		join := " AND "
		if f.Any {
			join = " OR "
		}
		where += " AND (" + strings.Join(conds, join) + ")"
	}
	if len(f.IDs) > 0 {
		where += " AND id IN (" + placeholders(len(f.IDs)) + ")"
		for _, id := range f.IDs {
			args = append(args, id)
		}
	}
	return where, args
}

// likeArg is a LIKE pattern matching s anywhere, its own % _ and \ taken
// literally.
func likeArg(v any) string {
	s, _ := v.(string)
	return "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(s) + "%"
}

// sheetCursor is the position after a row in a sort: whether its sort
// value is NULL, the value, and its ID.
type sheetCursor struct {
	Null bool  `json:"n,omitempty"`
	V    any   `json:"v,omitempty"`
	ID   int64 `json:"i"`
}

func encodeSheetCursor(c sheetCursor) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeSheetCursor(s string) (sheetCursor, error) {
	var c sheetCursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		d := json.NewDecoder(strings.NewReader(string(b)))
		d.UseNumber()
		err = d.Decode(&c)
	}
	if err != nil || c.ID <= 0 {
		return c, app.FieldErrorf("cursor", "The cursor is not valid; start from the first page.")
	}
	if n, ok := c.V.(json.Number); ok {
		if i, err := n.Int64(); err == nil {
			c.V = i
		} else if f, err := n.Float64(); err == nil {
			c.V = f
		}
	}
	return c, nil
}

// rowSelect is the SELECT list of a table's rows: the sort value first,
// then id, times and the columns' slots.
func rowSelect(t *sheets.Table, sortExpr string) string {
	var b strings.Builder
	b.WriteString(sortExpr + ", id, created_at, updated_at")
	for _, c := range t.Columns {
		b.WriteString(", v" + strconv.Itoa(c.Slot))
	}
	return b.String()
}

// scanSheetRow reads a row selected with rowSelect; it returns the raw
// sort value too.
func scanSheetRow(r scanner, t *sheets.Table) (*sheets.Row, any, error) {
	row := &sheets.Row{TableID: t.ID, Values: map[string]any{}}
	raw := make([]any, len(t.Columns))
	var sortV any
	dst := []any{&sortV, &row.ID, Time{&row.CreatedAt}, Time{&row.UpdatedAt}}
	for i := range raw {
		dst = append(dst, &raw[i])
	}
	if err := r.Scan(dst...); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil, app.Errorf(app.ENOTFOUND, "Row not found.")
		}
		return nil, nil, err
	}
	for i := range t.Columns {
		c := &t.Columns[i]
		v, err := decodeCell(c, raw[i])
		if err != nil {
			return nil, nil, err
		}
		if v != nil {
			row.Values[c.Key] = v
		}
	}
	if b, ok := sortV.([]byte); ok {
		sortV = string(b)
	}
	return row, sortV, nil
}

// FindRows implements sheets.RowStore. Sorted rows page by keyset (the
// cursor holds the last row's sort value and ID; empty values sort last
// either way); grouped pages and UI pages by offset.
func (s *SheetStore) FindRows(ctx context.Context, t *sheets.Table, f sheets.Filter) ([]*sheets.Row, string, int, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, "", 0, err
	}
	if t.TenantID != tid {
		return nil, "", 0, app.Errorf(app.ENOTFOUND, "Table not found.")
	}
	where, args := sheetWhere(t, &f)
	total := 0
	if f.Count {
		if err := s.db.read.QueryRowContext(ctx, `SELECT count(*) FROM sheet_rows WHERE `+where, args...).Scan(&total); err != nil {
			return nil, "", 0, fmt.Errorf("count rows: %w", err)
		}
	}
	key, desc := f.SortKey()
	se, coll := fieldExpr(t, key)
	dir, cmp := " ASC", " > "
	if desc {
		dir, cmp = " DESC", " < "
	}
	var order []string
	if f.Group != "" {
		ge, gcoll := fieldExpr(t, f.Group)
		order = append(order, "("+ge+" IS NULL)", ge+gcoll)
	}
	if key == "id" {
		order = append(order, "id"+dir)
	} else {
		order = append(order, "("+se+" IS NULL)", se+coll+dir, "id"+dir)
	}
	if f.Cursor != "" && f.Group == "" {
		c, err := decodeSheetCursor(f.Cursor)
		if err != nil {
			return nil, "", 0, err
		}
		switch {
		case key == "id":
			where += " AND id" + cmp + "?"
			args = append(args, c.ID)
		case c.Null:
			where += " AND " + se + " IS NULL AND id" + cmp + "?"
			args = append(args, c.ID)
		default:
			where += " AND (" + se + " IS NULL OR " + se + cmp + "?" + coll + " OR (" + se + " = ?" + coll + " AND id" + cmp + "?))"
			args = append(args, c.V, c.V, c.ID)
		}
	}
	q := `SELECT ` + rowSelect(t, se) + ` FROM sheet_rows WHERE ` + where + ` ORDER BY ` + strings.Join(order, ", ") + ` LIMIT ?`
	args = append(args, f.Limit+1)
	if f.Offset > 0 {
		q += ` OFFSET ?`
		args = append(args, f.Offset)
	}
	rs, err := s.db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, "", 0, fmt.Errorf("find rows: %w", err)
	}
	defer rs.Close()
	var out []*sheets.Row
	var last any
	for rs.Next() {
		row, sv, err := scanSheetRow(rs, t)
		if err != nil {
			return nil, "", 0, err
		}
		if len(out) == f.Limit {
			next := encodeSheetCursor(sheetCursor{Null: last == nil, V: last, ID: out[len(out)-1].ID})
			if f.Group != "" {
				next = ""
			}
			return out, next, total, rs.Err()
		}
		out, last = append(out, row), sv
	}
	return out, "", total, rs.Err()
}

// FindRow implements sheets.RowStore.
func (s *SheetStore) FindRow(ctx context.Context, t *sheets.Table, id int64) (*sheets.Row, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	row, _, err := scanSheetRow(s.db.read.QueryRowContext(ctx, `SELECT `+rowSelect(t, "NULL")+` FROM sheet_rows WHERE id = ? AND table_id = ? AND tenant_id = ?`, id, t.ID, tid), t)
	return row, err
}

// linkChecker checks link values against the tenant's CRM records,
// remembering what it found (a batch repeats the same few records).
type linkChecker struct {
	seen map[string]bool
}

func (l *linkChecker) check(ctx context.Context, tx *Tx, t *sheets.Table, values map[string]any) error {
	for _, c := range t.Columns {
		if c.Type != sheets.TypeLink {
			continue
		}
		id, ok := values[c.Key].(int64)
		if !ok {
			continue
		}
		k := c.Link + ":" + strconv.FormatInt(id, 10)
		if l.seen[k] {
			continue
		}
		if err := checkRecord(ctx, tx, c.Link, id, t.TenantID, c.Key); err != nil {
			if app.ErrorCode(err) == app.EINVALID {
				return app.FieldErrorf(c.Key, "Column %q: no %s with ID %d.", c.Name, c.Link, id)
			}
			return err
		}
		if l.seen == nil {
			l.seen = map[string]bool{}
		}
		l.seen[k] = true
	}
	return nil
}

// insertSheetRows inserts rows under tableID (a table, or -job for an
// import's staged rows) with one prepared statement.
func insertSheetRows(ctx context.Context, tx *Tx, t *sheets.Table, tableID int64, rows []*sheets.Row, links *linkChecker) error {
	cols := "tenant_id, table_id, created_at, updated_at"
	for _, c := range t.Columns {
		cols += ", v" + strconv.Itoa(c.Slot)
	}
	st, err := tx.PrepareContext(ctx, `INSERT INTO sheet_rows (`+cols+`) VALUES (`+placeholders(4+len(t.Columns))+`)`)
	if err != nil {
		return err
	}
	defer st.Close()
	now := FormatTime(tx.now)
	args := make([]any, 4+len(t.Columns))
	for _, r := range rows {
		if err := links.check(ctx, tx, t, r.Values); err != nil {
			return err
		}
		args[0], args[1], args[2], args[3] = t.TenantID, tableID, now, now
		for i, c := range t.Columns {
			args[4+i] = encodeCell(r.Values[c.Key])
		}
		res, err := st.ExecContext(ctx, args...)
		if err != nil {
			return fmt.Errorf("insert row: %w", err)
		}
		if r.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		r.TableID, r.CreatedAt, r.UpdatedAt = tableID, tx.now, tx.now
	}
	return nil
}

// SaveRows implements sheets.RowStore.
func (s *SheetStore) SaveRows(ctx context.Context, t *sheets.Table, rows []*sheets.Row) error {
	return s.db.tenantUpdate(ctx, func(tx *Tx, tid int64) error {
		cur, err := lockTable(ctx, tx, t.ID, tid)
		if err != nil {
			return err
		}
		if !sameSlots(cur, t) {
			return app.Errorf(app.ECONFLICT, "The table's columns changed meanwhile; reload and try again.")
		}
		var links linkChecker
		var inserts []*sheets.Row
		for _, r := range rows {
			if r.ID == 0 {
				inserts = append(inserts, r)
				continue
			}
			if err := links.check(ctx, tx, cur, r.Values); err != nil {
				return err
			}
			set := []string{"updated_at = ?"}
			args := []any{FormatTime(tx.now)}
			for k, v := range r.Values {
				c := cur.Column(k)
				if c == nil {
					return app.FieldErrorf(k, "Table %q has no column %q.", cur.Name, k)
				}
				set = append(set, "v"+strconv.Itoa(c.Slot)+" = ?")
				args = append(args, encodeCell(v))
			}
			args = append(args, r.ID, t.ID, tid)
			res, err := tx.ExecContext(ctx, `UPDATE sheet_rows SET `+strings.Join(set, ", ")+` WHERE id = ? AND table_id = ? AND tenant_id = ?`, args...)
			if err != nil {
				return fmt.Errorf("update row: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return app.Errorf(app.ENOTFOUND, "Row %d not found in table %q.", r.ID, cur.Name)
			}
			r.TableID, r.UpdatedAt = t.ID, tx.now
		}
		if len(inserts) == 0 {
			return nil
		}
		if cur.RowCount+len(inserts) > sheets.MaxRowsPerTable {
			return app.Errorf(app.EINVALID, "A table holds at most %d rows.", sheets.MaxRowsPerTable)
		}
		if err := insertSheetRows(ctx, tx, cur, t.ID, inserts, &links); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE sheet_tables SET row_count = row_count + ?, updated_at = ? WHERE id = ?`, len(inserts), FormatTime(tx.now), t.ID)
		return err
	})
}

// sameSlots reports whether b's columns are stored where a's are (a write
// prepared with b may go ahead on a).
func sameSlots(a, b *sheets.Table) bool {
	if len(a.Columns) != len(b.Columns) {
		return false
	}
	for _, c := range b.Columns {
		x := a.Column(c.Key)
		if x == nil || x.Slot != c.Slot || x.Type != c.Type {
			return false
		}
	}
	return true
}

// UpdateWhere implements sheets.RowStore.
func (s *SheetStore) UpdateWhere(ctx context.Context, t *sheets.Table, f sheets.Filter, values map[string]any, limit int) (int, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return 0, err
	}
	if t.TenantID != tid {
		return 0, app.Errorf(app.ENOTFOUND, "Table not found.")
	}
	n := 0
	err = s.db.Update(ctx, func(tx *Tx) error {
		cur, err := lockTable(ctx, tx, t.ID, tid)
		if err != nil {
			return err
		}
		if !sameSlots(cur, t) {
			return app.Errorf(app.ECONFLICT, "The table's columns changed meanwhile; try again.")
		}
		var links linkChecker
		if err := links.check(ctx, tx, cur, values); err != nil {
			return err
		}
		where, args := sheetWhere(cur, &f)
		set := []string{"updated_at = ?"}
		sargs := []any{FormatTime(tx.now)}
		for k, v := range values {
			c := cur.Column(k)
			if c == nil {
				return app.FieldErrorf(k, "Table %q has no column %q.", cur.Name, k)
			}
			set = append(set, "v"+strconv.Itoa(c.Slot)+" = ?")
			sargs = append(sargs, encodeCell(v))
		}
		args = append(sargs, append(args, limit)...)
		res, err := tx.ExecContext(ctx, `UPDATE sheet_rows SET `+strings.Join(set, ", ")+` WHERE id IN (SELECT id FROM sheet_rows WHERE `+where+` ORDER BY id LIMIT ?)`, args...)
		if err != nil {
			return fmt.Errorf("update rows: %w", err)
		}
		m, _ := res.RowsAffected()
		n = int(m)
		return nil
	})
	return n, err
}

// DeleteRows implements sheets.RowStore.
func (s *SheetStore) DeleteRows(ctx context.Context, t *sheets.Table, ids []int64) (int, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, nil
	}
	n := 0
	err = s.db.Update(ctx, func(tx *Tx) error {
		if _, err := lockTable(ctx, tx, t.ID, tid); err != nil {
			return err
		}
		for len(ids) > 0 {
			k := min(len(ids), 500)
			args := []any{t.ID, tid}
			for _, id := range ids[:k] {
				args = append(args, id)
			}
			res, err := tx.ExecContext(ctx, `DELETE FROM sheet_rows WHERE table_id = ? AND tenant_id = ? AND id IN (`+placeholders(k)+`)`, args...)
			if err != nil {
				return err
			}
			m, _ := res.RowsAffected()
			n += int(m)
			ids = ids[k:]
		}
		_, err := tx.ExecContext(ctx, `UPDATE sheet_tables SET row_count = row_count - ?, updated_at = ? WHERE id = ?`, n, FormatTime(tx.now), t.ID)
		return err
	})
	return n, err
}

// Groups implements sheets.RowStore.
func (s *SheetStore) Groups(ctx context.Context, t *sheets.Table, f sheets.Filter, by string) ([]sheets.Group, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	if t.TenantID != tid {
		return nil, app.Errorf(app.ENOTFOUND, "Table not found.")
	}
	g := t.Column(by)
	if g == nil {
		return nil, app.FieldErrorf("group", "Unknown column %q.", by)
	}
	ge, coll := slotExpr(g)
	var sums []*sheets.Column
	sel := ge + ", count(*)"
	for i := range t.Columns {
		c := &t.Columns[i]
		if c.Type == sheets.TypeNumber || c.Type == sheets.TypeCurrency {
			sums = append(sums, c)
			sel += ", total(v" + strconv.Itoa(c.Slot) + ")"
		}
	}
	where, args := sheetWhere(t, &f)
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+sel+` FROM sheet_rows WHERE `+where+` GROUP BY `+ge+coll+` ORDER BY (`+ge+` IS NULL), `+ge+coll+` LIMIT 1000`, args...)
	if err != nil {
		return nil, fmt.Errorf("group rows: %w", err)
	}
	defer rows.Close()
	var out []sheets.Group
	for rows.Next() {
		var raw any
		gr := sheets.Group{Sums: map[string]float64{}}
		dst := []any{&raw, &gr.Count}
		vals := make([]float64, len(sums))
		for i := range vals {
			dst = append(dst, &vals[i])
		}
		if err := rows.Scan(dst...); err != nil {
			return nil, err
		}
		if gr.Value, err = decodeCell(g, raw); err != nil {
			return nil, err
		}
		for i, c := range sums {
			if c.Type == sheets.TypeCurrency {
				vals[i] /= 100
			}
			gr.Sums[c.Key] = vals[i]
		}
		out = append(out, gr)
	}
	return out, rows.Err()
}

// Aggregate implements sheets.RowStore.
func (s *SheetStore) Aggregate(ctx context.Context, t *sheets.Table, f sheets.Filter, x, y, agg string, limit int) ([]sheets.Point, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	if t.TenantID != tid {
		return nil, app.Errorf(app.ENOTFOUND, "Table not found.")
	}
	xc := t.Column(x)
	if xc == nil {
		return nil, app.FieldErrorf("x", "Unknown column %q.", x)
	}
	xe, coll := slotExpr(xc)
	val := "count(*)"
	scale := 1.0
	if agg != "count" {
		yc := t.Column(y)
		if yc == nil {
			return nil, app.FieldErrorf("y", "Unknown column %q.", y)
		}
		fn := map[string]string{"sum": "total", "avg": "avg", "min": "min", "max": "max"}[agg]
		if fn == "" {
			return nil, app.FieldErrorf("agg", "Unknown aggregate %q.", agg)
		}
		val = "coalesce(" + fn + "(v" + strconv.Itoa(yc.Slot) + "), 0)"
		if yc.Type == sheets.TypeCurrency {
			scale = 100
		}
	}
	where, args := sheetWhere(t, &f)
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+xe+`, `+val+` FROM sheet_rows WHERE `+where+` GROUP BY `+xe+coll+` ORDER BY (`+xe+` IS NULL), `+xe+coll+` LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("aggregate rows: %w", err)
	}
	defer rows.Close()
	var out []sheets.Point
	for rows.Next() {
		var raw any
		var v float64
		if err := rows.Scan(&raw, &v); err != nil {
			return nil, err
		}
		dv, err := decodeCell(xc, raw)
		if err != nil {
			return nil, err
		}
		out = append(out, sheets.Point{Label: sheets.FormatValue(xc, dv), Value: v / scale})
	}
	return out, rows.Err()
}

// LinkNames implements sheets.LinkStore.
func (s *SheetStore) LinkNames(ctx context.Context, recordType string, ids []int64) (map[int64]string, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	k := storeKinds[recordType]
	if k == nil {
		return nil, app.Errorf(app.EINVALID, "Unknown record type %q.", recordType)
	}
	expr, table := k.name, recordTable[recordType]
	out := map[int64]string{}
	for len(ids) > 0 {
		k := min(len(ids), 500)
		args := []any{tid}
		for _, id := range ids[:k] {
			args = append(args, id)
		}
		rows, err := s.db.read.QueryContext(ctx, `SELECT id, `+expr+` FROM `+table+` WHERE tenant_id = ? AND id IN (`+placeholders(k)+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			var name string
			if err := rows.Scan(&id, &name); err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = name
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		ids = ids[k:]
	}
	return out, nil
}

// ResolveLinks implements sheets.LinkStore: a person by email or full name, a
// company by name or domain, a deal by name (case-insensitive; the
// oldest record wins a tie). Keys of the answer are lowercased refs.
func (s *SheetStore) ResolveLinks(ctx context.Context, recordType string, refs []string) (map[string]int64, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	k := storeKinds[recordType]
	if k == nil {
		return nil, app.Errorf(app.EINVALID, "Unknown record type %q.", recordType)
	}
	st, err := s.db.read.PrepareContext(ctx, k.resolve)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	out := map[string]int64{}
	for _, r := range refs {
		k := strings.ToLower(strings.TrimSpace(r))
		if _, done := out[k]; done {
			continue
		}
		var id sql.NullInt64
		if err := st.QueryRowContext(ctx, tid, k).Scan(&id); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		if id.Valid {
			out[k] = id.Int64
		}
	}
	return out, nil
}
