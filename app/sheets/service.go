package sheets

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"orengen/app"
)

// Service is Data & Sheets' use cases over its Stores. ctx carries the
// tenant (a portal user, an API key, or Nexus acting in a tenant).
type Service struct {
	stores Stores
	// ImportDir holds uploaded files while their import runs.
	ImportDir string
	// Tenant finds a tenant by ID (AdminTable).
	Tenant TenantFinder
	// XLSX reads and writes workbooks (package xlsx); nil refuses them.
	XLSX   Workbooks
	Now    func() time.Time
	Logger *slog.Logger
}

// NewService returns Data & Sheets' service over st; the wiring fills
// the other fields. The stores stay the service's: callers read and
// write tables and rows through its methods.
func NewService(st Stores) *Service { return &Service{stores: st} }

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) log() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// Tenant finds a tenant by ID (Nexus acting in a tenant's tables); set
// by the wiring.
type TenantFinder func(ctx context.Context, id int64) (*app.Tenant, error)

// AdminTable opens any tenant's table for a Nexus admin (or admin API
// key): the table and ctx scoped to its tenant. Returns ENOTFOUND,
// EUNAUTHORIZED.
func (s *Service) AdminTable(ctx context.Context, id int64) (context.Context, *Table, error) {
	t, err := s.stores.Tables.FindTableAcross(app.NewContextAcrossTenants(ctx), id)
	if err != nil {
		return nil, nil, err
	}
	if s.Tenant == nil {
		return nil, nil, app.Errorf(app.EINTERNAL, "no tenant finder")
	}
	tn, err := s.Tenant(ctx, t.TenantID)
	if err != nil {
		return nil, nil, err
	}
	return app.NewContextWithTenant(ctx, tn), t, nil
}

// Tables lists the tenant's tables by name.
func (s *Service) Tables(ctx context.Context) ([]*Table, error) {
	return s.stores.Tables.FindTables(ctx)
}

// Table returns a table with its columns. Returns ENOTFOUND.
func (s *Service) Table(ctx context.Context, id int64) (*Table, error) {
	return s.stores.Tables.FindTable(ctx, id)
}

// TableByRef finds a table by ID or name (workflow steps name tables
// either way). Returns ENOTFOUND.
func (s *Service) TableByRef(ctx context.Context, ref string) (*Table, error) {
	ref = strings.TrimSpace(ref)
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		return s.stores.Tables.FindTable(ctx, id)
	}
	t, err := s.stores.Tables.FindTableByName(ctx, ref)
	if app.ErrorCode(err) == app.ENOTFOUND {
		return nil, app.Errorf(app.ENOTFOUND, "No table named %q.", ref)
	}
	return t, err
}

// CreateTable validates and stores a new table. Returns EINVALID or
// ECONFLICT (a table of that name exists).
func (s *Service) CreateTable(ctx context.Context, t *Table) error {
	if err := t.Validate(); err != nil {
		return err
	}
	return s.stores.Tables.CreateTable(ctx, t)
}

// UpdateTable stores a table's new name, description, columns (added,
// renamed, retyped, removed, reordered) and charts. A column whose type
// changed has its values converted; a value that does not fit the new
// type stops the change, naming the row, and nothing is written.
func (s *Service) UpdateTable(ctx context.Context, t *Table) error {
	if err := t.Validate(); err != nil {
		return err
	}
	for i := range t.Charts {
		if err := t.Charts[i].Validate(t); err != nil {
			return app.FieldErrorf(fmt.Sprintf("charts[%d]", i), "%s", app.ErrorMessage(err))
		}
	}
	return s.stores.Tables.UpdateTable(ctx, t, ConvertValue)
}

// ConvertValue converts a stored value to another column type through its
// text (a number to text, text to a date ...).
func ConvertValue(from, to *Column, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	var in any
	switch x := v.(type) {
	case Money:
		in = EditValue(from, x)
	case bool:
		if to.Type == TypeCheckbox {
			return x, nil
		}
		in = FormatValue(from, x)
	case float64:
		in = x
	default:
		in = FormatValue(from, x)
	}
	return ParseValue(to, in)
}

// DeleteTable deletes a table and its rows.
func (s *Service) DeleteTable(ctx context.Context, id int64) error {
	return s.stores.Tables.DeleteTable(ctx, id)
}

// Rows returns a page of rows matching f, with link names filled.
func (s *Service) Rows(ctx context.Context, t *Table, f Filter) ([]*Row, string, int, error) {
	if err := f.Validate(t); err != nil {
		return nil, "", 0, err
	}
	rows, next, total, err := s.stores.Rows.FindRows(ctx, t, f)
	if err != nil {
		return nil, "", 0, err
	}
	if err := s.fillLinkNames(ctx, t, rows); err != nil {
		return nil, "", 0, err
	}
	return rows, next, total, nil
}

// Row returns one row. Returns ENOTFOUND.
func (s *Service) Row(ctx context.Context, t *Table, id int64) (*Row, error) {
	r, err := s.stores.Rows.FindRow(ctx, t, id)
	if err != nil {
		return nil, err
	}
	return r, s.fillLinkNames(ctx, t, []*Row{r})
}

// LookupRows is the read interface for agents and workflows (see the
// package doc): rows of table tableID matching f, with link names.
func (s *Service) LookupRows(ctx context.Context, tableID int64, f Filter) ([]*Row, error) {
	t, err := s.stores.Tables.FindTable(ctx, tableID)
	if err != nil {
		return nil, err
	}
	if f.Limit <= 0 {
		f.Limit = 20
	}
	rows, _, _, err := s.Rows(ctx, t, f)
	return rows, err
}

func (s *Service) fillLinkNames(ctx context.Context, t *Table, rows []*Row) error {
	for _, c := range t.Columns {
		if c.Type != TypeLink {
			continue
		}
		var ids []int64
		for _, r := range rows {
			if id, ok := r.Values[c.Key].(int64); ok {
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 {
			continue
		}
		names, err := s.stores.Links.LinkNames(ctx, c.Link, ids)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if id, ok := r.Values[c.Key].(int64); ok {
				if r.LinkNames == nil {
					r.LinkNames = map[string]string{}
				}
				r.LinkNames[c.Key] = names[id]
			}
		}
	}
	return nil
}

// resolveLinks replaces references to CRM records in link columns (an
// email, a name, a domain) by their IDs. Returns EINVALID naming the
// column for a reference that finds nothing.
func (s *Service) resolveLinks(ctx context.Context, t *Table, values []map[string]any, field func(i int, key string) string) error {
	for _, c := range t.Columns {
		if c.Type != TypeLink {
			continue
		}
		var refs []string
		for _, v := range values {
			for k, x := range v {
				if t.ColumnByRef(k) != t.Column(c.Key) {
					continue
				}
				if str, ok := x.(string); ok && strings.TrimSpace(str) != "" {
					if _, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(str), "#"), 10, 64); err != nil {
						refs = append(refs, strings.TrimSpace(str))
					}
				}
			}
		}
		if len(refs) == 0 {
			continue
		}
		found, err := s.stores.Links.ResolveLinks(ctx, c.Link, refs)
		if err != nil {
			return err
		}
		for i, v := range values {
			for k, x := range v {
				if t.ColumnByRef(k) != t.Column(c.Key) {
					continue
				}
				str, ok := x.(string)
				if !ok || strings.TrimSpace(str) == "" {
					continue
				}
				if _, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(str), "#"), 10, 64); err == nil {
					continue
				}
				id, ok := found[strings.ToLower(strings.TrimSpace(str))]
				if !ok {
					return app.FieldErrorf(field(i, c.Key), "Column %q: no %s matches %q (give its ID, %s).", c.Name, c.Link, truncate(str, 60), linkRefHelp[c.Link])
				}
				v[k] = id
			}
		}
	}
	return nil
}

var linkRefHelp = map[string]string{app.RecordPerson: "email or full name", app.RecordCompany: "name or domain", app.RecordDeal: "name"}

// CreateRow adds a row. Returns EINVALID naming the column.
func (s *Service) CreateRow(ctx context.Context, t *Table, values map[string]any) (*Row, error) {
	rows, err := s.SaveRows(ctx, t, []map[string]any{values}, func(i int, k string) string { return k })
	if err != nil {
		return nil, err
	}
	return rows[0], nil
}

// UpdateRow changes the given columns of a row. Returns EINVALID naming
// the column, ENOTFOUND.
func (s *Service) UpdateRow(ctx context.Context, t *Table, id int64, values map[string]any) (*Row, error) {
	if _, err := s.stores.Rows.FindRow(ctx, t, id); err != nil {
		return nil, err
	}
	v := map[string]any{"id": id}
	for k, x := range values {
		v[k] = x
	}
	rows, err := s.SaveRows(ctx, t, []map[string]any{v}, func(i int, k string) string { return k })
	if err != nil {
		return nil, err
	}
	return s.Row(ctx, t, rows[0].ID)
}

// SaveRows creates (no "id") or updates (with "id": only the columns
// given) rows in one transaction: any bad value fails them all, naming
// field(i, column). At most MaxBatch rows.
func (s *Service) SaveRows(ctx context.Context, t *Table, records []map[string]any, field func(i int, key string) string) ([]*Row, error) {
	if len(records) == 0 {
		return nil, app.FieldErrorf("records", "No rows given.")
	}
	if len(records) > MaxBatch {
		return nil, app.FieldErrorf("records", "At most %d rows at once.", MaxBatch)
	}
	vals := make([]map[string]any, len(records))
	ids := make([]int64, len(records))
	for i, r := range records {
		vals[i] = map[string]any{}
		for k, v := range r {
			if k == "id" {
				id, err := asID(v)
				if err != nil {
					return nil, app.FieldErrorf(field(i, "id"), "id must be a row ID.")
				}
				ids[i] = id
				continue
			}
			vals[i][k] = v
		}
	}
	if err := s.resolveLinks(ctx, t, vals, field); err != nil {
		return nil, err
	}
	rows := make([]*Row, len(records))
	for i := range records {
		parsed, err := t.ParseRow(vals[i], ids[i] != 0)
		if err != nil {
			return nil, renameField(err, field(i, app.ErrorField(err)))
		}
		rows[i] = &Row{ID: ids[i], TableID: t.ID, Values: parsed}
	}
	if err := s.stores.Rows.SaveRows(ctx, t, rows); err != nil {
		return nil, err
	}
	return rows, nil
}

func asID(v any) (int64, error) {
	switch x := v.(type) {
	case float64:
		if x > 0 && x == float64(int64(x)) {
			return int64(x), nil
		}
	case int64:
		if x > 0 {
			return x, nil
		}
	case string:
		if n, err := strconv.ParseInt(x, 10, 64); err == nil && n > 0 {
			return n, nil
		}
	}
	return 0, fmt.Errorf("bad id")
}

// renameField returns err with its field replaced.
func renameField(err error, field string) error {
	if app.ErrorCode(err) != app.EINVALID {
		return err
	}
	return app.FieldErrorf(field, "%s", app.ErrorMessage(err))
}

// DeleteRows deletes rows by ID; returns how many were deleted.
func (s *Service) DeleteRows(ctx context.Context, t *Table, ids []int64) (int, error) {
	return s.stores.Rows.DeleteRows(ctx, t, ids)
}

// UpdateWhere sets values on the rows matching f (at most limit); used by
// the "update row" workflow step.
func (s *Service) UpdateWhere(ctx context.Context, t *Table, f Filter, values map[string]any, limit int) (int, error) {
	if err := f.Validate(t); err != nil {
		return 0, err
	}
	vals := []map[string]any{values}
	if err := s.resolveLinks(ctx, t, vals, func(i int, k string) string { return k }); err != nil {
		return 0, err
	}
	parsed, err := t.ParseRow(vals[0], true)
	if err != nil {
		return 0, err
	}
	return s.stores.Rows.UpdateWhere(ctx, t, f, parsed, limit)
}

// Groups returns the aggregates of the rows matching f by column by.
func (s *Service) Groups(ctx context.Context, t *Table, f Filter, by string) ([]Group, error) {
	if err := f.Validate(t); err != nil {
		return nil, err
	}
	if t.ColumnByRef(by) == nil {
		return nil, app.FieldErrorf("group", "Table %q has no column %q.", t.Name, by)
	}
	return s.stores.Rows.Groups(ctx, t, f, t.ColumnByRef(by).Key)
}

// AddColumn appends a column. Returns EINVALID.
func (s *Service) AddColumn(ctx context.Context, t *Table, c Column) (*Table, error) {
	c.Slot = 0
	nt := *t
	nt.Columns = append(append([]Column{}, t.Columns...), c)
	if err := s.UpdateTable(ctx, &nt); err != nil {
		return nil, err
	}
	return &nt, nil
}

// UpdateColumn replaces the definition of the column with key (its key
// stays). Returns EINVALID, ENOTFOUND.
func (s *Service) UpdateColumn(ctx context.Context, t *Table, key string, c Column) (*Table, error) {
	nt := *t
	nt.Columns = append([]Column{}, t.Columns...)
	for i := range nt.Columns {
		if nt.Columns[i].Key == key {
			c.Key, c.Slot = key, nt.Columns[i].Slot
			nt.Columns[i] = c
			if err := s.UpdateTable(ctx, &nt); err != nil {
				return nil, err
			}
			return &nt, nil
		}
	}
	return nil, app.Errorf(app.ENOTFOUND, "Column not found.")
}

// DeleteColumn removes a column and its values (and the charts using it).
func (s *Service) DeleteColumn(ctx context.Context, t *Table, key string) (*Table, error) {
	nt := *t
	nt.Columns = nil
	for _, c := range t.Columns {
		if c.Key != key {
			nt.Columns = append(nt.Columns, c)
		}
	}
	if len(nt.Columns) == len(t.Columns) {
		return nil, app.Errorf(app.ENOTFOUND, "Column not found.")
	}
	nt.Charts = nil
	for _, ch := range t.Charts {
		if ch.X != key && ch.Y != key {
			nt.Charts = append(nt.Charts, ch)
		}
	}
	if err := s.UpdateTable(ctx, &nt); err != nil {
		return nil, err
	}
	return &nt, nil
}

// MoveColumn moves the column with key by delta places (-1: left).
func (s *Service) MoveColumn(ctx context.Context, t *Table, key string, delta int) (*Table, error) {
	nt := *t
	nt.Columns = append([]Column{}, t.Columns...)
	for i := range nt.Columns {
		if nt.Columns[i].Key == key {
			j := min(max(i+delta, 0), len(nt.Columns)-1)
			c := nt.Columns[i]
			nt.Columns = append(nt.Columns[:i], nt.Columns[i+1:]...)
			nt.Columns = append(nt.Columns[:j], append([]Column{c}, nt.Columns[j:]...)...)
			if err := s.UpdateTable(ctx, &nt); err != nil {
				return nil, err
			}
			return &nt, nil
		}
	}
	return nil, app.Errorf(app.ENOTFOUND, "Column not found.")
}
