package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"orengen/app"
)

// list runs a paged query. cols select the record's columns (alias r);
// the sort column is appended and read into the cursor.
type list struct {
	table, cols, join string
	typ               string
	where             []string
	args              []any
	opts              app.ListOptions
	searchExtra       string // extra FTS source (people: their notes)
	// selective is set by filters that match few rows (an email, a
	// company, a search): the rows are then found through the filter's
	// index and sorted, instead of walking the sort index and testing
	// each row, which is slow when the filter matches few of many.
	selective bool
}

func (l *list) filter(cond string, args ...any) {
	l.where = append(l.where, cond)
	l.args = append(l.args, args...)
}

func (l *list) query(ctx context.Context, db *sql.DB, tid int64, scan func(scanner, *string) (int64, error)) (string, error) {
	if err := l.opts.Normalize(); err != nil {
		return "", err
	}
	if cond, args, err := whereSQL(l.typ, l.opts.Where); err != nil {
		return "", err
	} else if cond != "" {
		l.filter(cond, args...)
	}
	col, desc := strings.TrimPrefix(l.opts.Sort, "-"), strings.HasPrefix(l.opts.Sort, "-")
	if col == "name" && l.typ == app.RecordNote {
		return "", app.FieldErrorf("sort", "Notes sort by created_at or updated_at.")
	}
	if !slices.Contains(app.SortKeysFor(l.typ), l.opts.Sort) && col != "name" {
		return "", app.FieldErrorf("sort", "sort must be one of %s.", strings.Join(app.SortKeysFor(l.typ), ", "))
	}
	// The sort expression never yields NULL, so row-value comparisons for
	// the cursor hold (a NULL would make them false and drop rows).
	expr := map[string]string{
		"name": "r.name_key", "expected_close": "COALESCE(r.expected_close, '')", "probability": "COALESCE(r.probability, -1)",
	}[col]
	if f := app.KindOf(l.typ).Field(col); expr == "" && f != nil {
		expr = "r." + f.Column
		if f.Type == app.ValueDate {
			expr = "COALESCE(" + expr + ", '')"
		}
	}
	if expr == "" {
		expr = "r." + col
	}
	// The cursor carries the key as text; numeric keys compare as numbers
	// (an expression has no column affinity to convert it).
	param := "?"
	if col == "amount" || col == "probability" {
		param = "CAST(? AS INTEGER)"
	}
	if l.opts.Q != "" {
		fq := ftsQuery(l.opts.Q)
		if fq == "" {
			return "", nil
		}
		cond := `r.id IN (SELECT rowid >> 3 FROM crm_fts WHERE crm_fts MATCH ? AND (rowid & 7) = ?`
		args := []any{fq, ftsCode[l.typ]}
		if l.searchExtra != "" {
			cond += ` UNION ` + l.searchExtra
			args = append(args, fq)
		}
		l.filter(cond+")", args...)
		l.selective = true
	}
	if l.opts.Count != nil {
		if err := l.count(ctx, db, tid); err != nil {
			return "", err
		}
	}
	if l.opts.Cursor != "" {
		c, _ := app.DecodeCursor(l.opts.Cursor)
		op := ">"
		if desc {
			op = "<"
		}
		if l.selective {
			l.filter(`(+`+expr+`, +r.id) `+op+` (`+param+`, ?)`, c.Key, c.ID)
		} else {
			l.filter(`(`+expr+`, r.id) `+op+` (`+param+`, ?)`, c.Key, c.ID)
		}
	}
	if tid != 0 {
		// With a selective filter the tenant test must not pick the
		// tenant-prefixed sort index either (unary + again).
		cond := "r.tenant_id = ?"
		if l.selective {
			cond = "+r.tenant_id = ?"
		}
		l.where = append([]string{cond}, l.where...)
		l.args = append([]any{tid}, l.args...)
	}
	dir := ""
	if desc {
		dir = " DESC"
	}
	q := `SELECT ` + l.cols + `, ` + expr + ` FROM ` + l.table + ` r` + l.join
	if len(l.where) > 0 {
		q += ` WHERE ` + strings.Join(l.where, " AND ")
	}
	// A unary + keeps SQLite from using the sort index (see selective).
	plus := ""
	if l.selective {
		plus = "+"
	}
	q += ` ORDER BY ` + plus + expr + dir + `, ` + plus + `r.id` + dir + ` LIMIT ?`
	rows, err := db.QueryContext(ctx, q, append(l.args, l.opts.Limit+1)...)
	if err != nil {
		return "", fmt.Errorf("list %s: %w", l.table, err)
	}
	defer rows.Close()
	n := 0
	var next string
	for rows.Next() {
		n++
		var key string
		id, err := scan(rows, &key)
		if err != nil {
			return "", err
		}
		if n > l.opts.Limit {
			return next, rows.Err()
		}
		if n == l.opts.Limit || l.opts.RowCursors != nil {
			cur := app.Cursor{Sort: l.opts.Sort, Key: key, ID: id}.Encode()
			if n == l.opts.Limit {
				next = cur
			}
			if l.opts.RowCursors != nil {
				*l.opts.RowCursors = append(*l.opts.RowCursors, cur)
			}
		}
	}
	return "", rows.Err()
}

// count sets *opts.Count to the rows the filters match (the tenant's, or
// every tenant's when tid is 0), before the cursor is applied.
func (l *list) count(ctx context.Context, db *sql.DB, tid int64) error {
	where, args := l.where, l.args
	if tid != 0 {
		where = append([]string{"r.tenant_id = ?"}, where...)
		args = append([]any{tid}, args...)
	}
	q := `SELECT COUNT(*) FROM ` + l.table + ` r` + l.join
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	if err := db.QueryRowContext(ctx, q, args...).Scan(l.opts.Count); err != nil {
		return fmt.Errorf("count %s: %w", l.table, err)
	}
	return nil
}
