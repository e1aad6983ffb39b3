// Package sheets is Data & Sheets: tables of typed columns (text, number,
// currency, date, checkbox, select, link to a CRM record) with rows that
// are sorted, filtered and grouped by the store, CSV and XLSX import and
// export, and charts drawn as SVG.
//
// # Reading tables from agents and workflows
//
// Agents (the Agent Studio's "look up a table" tool) and workflow steps
// call Service.LookupRows:
//
//	rows, err := sheetsService.LookupRows(ctx, tableID, sheets.Filter{
//		Where: []sheets.Condition{{Column: "service", Op: sheets.OpEq, Value: "Roof repair"}},
//		Limit: 5,
//	})
//
// ctx carries the tenant (app.NewContextWithTenant); another tenant's table
// is ENOTFOUND. Each Row's Values are keyed by column key with typed Go
// values (string, float64, bool; currency as Money; link as int64 record
// ID), and Row.Text gives every value as display text (a link as the
// record's name) for a model's prompt. Table(ctx, id) describes the
// columns (the tool's schema); Tables(ctx) lists the tenant's tables.
package sheets

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"orengen/app"
)

// Column types.
const (
	TypeText     = "text"
	TypeNumber   = "number"
	TypeCurrency = "currency"
	TypeDate     = "date"
	TypeCheckbox = "checkbox"
	TypeSelect   = "select"
	TypeLink     = "link"
)

// Types lists the column types in the order the editor offers them.
var Types = []string{TypeText, TypeNumber, TypeCurrency, TypeDate, TypeCheckbox, TypeSelect, TypeLink}

// TypeLabels names the column types for people.
var TypeLabels = map[string]string{TypeText: "Text", TypeNumber: "Number", TypeCurrency: "Currency", TypeDate: "Date",
	TypeCheckbox: "Checkbox", TypeSelect: "Select (one of a list)", TypeLink: "Link to a CRM record"}

// Link targets.
var LinkTypes = []string{app.RecordPerson, app.RecordCompany, app.RecordDeal}

// Limits.
const (
	MaxColumns      = 50
	MaxRowsPerTable = 1_000_000
	MaxTextLen      = 10000
	MaxOptions      = 100
	MaxTables       = 500
	MaxPageSize     = 500
	DefaultPageSize = 100
	MaxBatch        = 1000
	MaxConditions   = 20
)

// Column is a typed column of a table.
type Column struct {
	// Key names the column in the API, rows and workflow steps; it does
	// not change when the column is renamed.
	Key      string   `json:"key"`
	Name     string   `json:"name"`
	Type     string   `json:"type"`
	Options  []string `json:"options,omitempty"`  // select
	Currency string   `json:"currency,omitempty"` // currency: ISO 4217
	Link     string   `json:"link,omitempty"`     // link: person, company or deal
	Required bool     `json:"required,omitempty"`
	// Slot is where the store keeps the column's values (1..MaxColumns).
	Slot int `json:"slot"`
}

// Chart is a saved chart of a table.
type Chart struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Type  string `json:"type"`  // bar, line, pie
	X     string `json:"x"`     // column key to group by
	Y     string `json:"y"`     // column key to aggregate; "" counts rows
	Agg   string `json:"agg"`   // count, sum, avg, min, max
	Where string `json:"where"` // a filter as a query string (optional)
}

// Table is a tenant's table.
type Table struct {
	ID          int64
	TenantID    int64
	Name        string
	Description string
	Columns     []Column
	Charts      []Chart
	RowCount    int
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Column returns the column with key, or nil.
func (t *Table) Column(key string) *Column {
	for i := range t.Columns {
		if t.Columns[i].Key == key {
			return &t.Columns[i]
		}
	}
	return nil
}

// ColumnByRef finds a column by key or, ignoring case, by name.
func (t *Table) ColumnByRef(ref string) *Column {
	if c := t.Column(ref); c != nil {
		return c
	}
	ref = strings.TrimSpace(ref)
	for i := range t.Columns {
		if strings.EqualFold(t.Columns[i].Name, ref) || KeyOf(ref) == t.Columns[i].Key {
			return &t.Columns[i]
		}
	}
	return nil
}

// Money is a currency value in minor units (cents).
type Money struct {
	Minor    int64
	Currency string
}

// String formats money like 1,234.50 USD.
func (m Money) String() string { return FormatMinor(m.Minor) + " " + m.Currency }

// Decimal is the amount as a number of major units (12.5).
func (m Money) Decimal() float64 { return float64(m.Minor) / 100 }

// Row is a row of a table: values by column key. A missing key is an
// empty cell.
type Row struct {
	ID        int64
	TableID   int64
	Values    map[string]any
	CreatedAt time.Time
	UpdatedAt time.Time
	// LinkNames are the display names of linked CRM records (filled by
	// reads that ask for them), by column key.
	LinkNames map[string]string
}

// Text returns the row's cells as display text by column key.
func (r *Row) Text(t *Table) map[string]string {
	out := map[string]string{}
	for _, c := range t.Columns {
		v, ok := r.Values[c.Key]
		if !ok || v == nil {
			out[c.Key] = ""
			continue
		}
		if c.Type == TypeLink && r.LinkNames[c.Key] != "" {
			out[c.Key] = r.LinkNames[c.Key]
			continue
		}
		out[c.Key] = FormatValue(&c, v)
	}
	return out
}

var (
	keyRE      = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`) })
	currencyRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Z]{3}$`) })
)

// KeyOf derives a column key from a name: lowercase ASCII letters,
// digits and _, starting with a letter.
func KeyOf(name string) string {
	var b strings.Builder
	us := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			if us && b.Len() > 0 {
				b.WriteByte('_')
			}
			b.WriteRune(r)
			us = false
		default:
			us = true
		}
		if b.Len() >= 40 {
			break
		}
	}
	k := b.String()
	if k == "" || k[0] >= '0' && k[0] <= '9' {
		k = "c_" + k
	}
	return strings.TrimRight(k[:min(len(k), 40)], "_")
}

// reservedKeys are names rows use for their own fields.
var reservedKeys = map[string]bool{"id": true, "created_at": true, "updated_at": true, "table_id": true}

// Validate normalises and checks a table's name and columns (keys unique,
// types known, options, currency, link target). Slots are the store's.
// Returns EINVALID naming the field.
func (t *Table) Validate() error {
	t.Name = strings.Join(strings.Fields(t.Name), " ")
	t.Description = strings.TrimSpace(t.Description)
	if t.Name == "" {
		return app.FieldErrorf("name", "Table name required.")
	}
	if len(t.Name) > 100 {
		return app.FieldErrorf("name", "Table name must be at most 100 characters.")
	}
	if len(t.Description) > 2000 {
		return app.FieldErrorf("description", "Description must be at most 2000 characters.")
	}
	if len(t.Columns) > MaxColumns {
		return app.FieldErrorf("columns", "A table may have at most %d columns.", MaxColumns)
	}
	seen := map[string]bool{}
	names := map[string]bool{}
	for i := range t.Columns {
		c := &t.Columns[i]
		field := fmt.Sprintf("columns[%d]", i)
		if err := c.Validate(field); err != nil {
			return err
		}
		if seen[c.Key] {
			return app.FieldErrorf(field+".key", "Two columns have the key %q; keys must be unique.", c.Key)
		}
		if names[strings.ToLower(c.Name)] {
			return app.FieldErrorf(field+".name", "Two columns are named %q.", c.Name)
		}
		seen[c.Key], names[strings.ToLower(c.Name)] = true, true
	}
	return nil
}

// Validate normalises and checks one column definition; field prefixes
// the error's field.
func (c *Column) Validate(field string) error {
	c.Name = strings.Join(strings.Fields(c.Name), " ")
	if c.Name == "" {
		return app.FieldErrorf(field+".name", "Column name required.")
	}
	if len(c.Name) > 80 {
		return app.FieldErrorf(field+".name", "Column name must be at most 80 characters.")
	}
	if c.Key == "" {
		c.Key = KeyOf(c.Name)
	}
	if !keyRE().MatchString(c.Key) || reservedKeys[c.Key] {
		return app.FieldErrorf(field+".key", "Column key %q: use lowercase letters, digits and _, starting with a letter (not id, created_at or updated_at).", c.Key)
	}
	if c.Type == "" {
		c.Type = TypeText
	}
	if !slices.Contains(Types, c.Type) {
		return app.FieldErrorf(field+".type", "Column type %q is not one of %s.", c.Type, strings.Join(Types, ", "))
	}
	if c.Type != TypeSelect {
		c.Options = nil
	}
	if c.Type != TypeCurrency {
		c.Currency = ""
	}
	if c.Type != TypeLink {
		c.Link = ""
	}
	switch c.Type {
	case TypeSelect:
		var opts []string
		for _, o := range c.Options {
			o = strings.TrimSpace(o)
			if o == "" || slices.ContainsFunc(opts, func(x string) bool { return strings.EqualFold(x, o) }) {
				continue
			}
			if len(o) > 100 {
				return app.FieldErrorf(field+".options", "Option %.20q… is over 100 characters.", o)
			}
			opts = append(opts, o)
		}
		if len(opts) == 0 {
			return app.FieldErrorf(field+".options", "A select column needs at least one option (one a line).")
		}
		if len(opts) > MaxOptions {
			return app.FieldErrorf(field+".options", "A select column may have at most %d options.", MaxOptions)
		}
		c.Options = opts
	case TypeCurrency:
		c.Currency = strings.ToUpper(strings.TrimSpace(c.Currency))
		if c.Currency == "" {
			c.Currency = "USD"
		}
		if !currencyRE().MatchString(c.Currency) {
			return app.FieldErrorf(field+".currency", "Currency must be a three-letter ISO 4217 code like USD or EUR.")
		}
	case TypeLink:
		if !slices.Contains(LinkTypes, c.Link) {
			return app.FieldErrorf(field+".link", "A link column links to person, company or deal records.")
		}
	}
	return nil
}

// ValueError is a value that does not fit its column; its field is the
// column key and its message names the column (and the row, when known).
func valueError(c *Column, format string, args ...any) error {
	return app.FieldErrorf(c.Key, "Column %q: %s", c.Name, fmt.Sprintf(format, args...))
}

// ParseValue reads a value for column c from what a person or file gives
// (a string) or what JSON gives (string, float64, bool, nil). It returns
// the typed value (nil for empty) or an EINVALID error naming the column.
// Link values are record IDs here; names and emails are resolved by the
// caller (Service) before.
func ParseValue(c *Column, in any) (any, error) {
	switch v := in.(type) {
	case nil:
		return nil, nil
	case string:
		return parseString(c, v)
	case bool:
		if c.Type == TypeCheckbox {
			return v, nil
		}
		return parseString(c, strconv.FormatBool(v))
	case float64:
		switch c.Type {
		case TypeNumber:
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, valueError(c, "not a finite number.")
			}
			return v, nil
		case TypeCurrency:
			return Money{Minor: int64(math.Round(v * 100)), Currency: c.Currency}, nil
		case TypeLink:
			if v != math.Trunc(v) || v <= 0 {
				return nil, valueError(c, "%v is not a record ID.", v)
			}
			return int64(v), nil
		case TypeCheckbox:
			if v == 0 || v == 1 {
				return v == 1, nil
			}
		}
		return parseString(c, strconv.FormatFloat(v, 'f', -1, 64))
	case int:
		return ParseValue(c, float64(v))
	case int64:
		if c.Type == TypeLink {
			if v <= 0 {
				return nil, valueError(c, "%d is not a record ID.", v)
			}
			return v, nil
		}
		return ParseValue(c, float64(v))
	case Money:
		if c.Type == TypeCurrency {
			v.Currency = c.Currency
			return v, nil
		}
		return parseString(c, FormatMinor(v.Minor))
	}
	return nil, valueError(c, "a %T cannot be stored in a %s column.", in, c.Type)
}

func parseString(c *Column, s string) (any, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	switch c.Type {
	case TypeText:
		s = strings.ToValidUTF8(s, "")
		if len(s) > MaxTextLen {
			return nil, valueError(c, "text is longer than %d characters.", MaxTextLen)
		}
		if strings.ContainsRune(s, 0) {
			return nil, valueError(c, "text contains a NUL character.")
		}
		return s, nil
	case TypeNumber:
		n, err := parseNumber(s)
		if err != nil {
			return nil, valueError(c, "%q is not a number.", truncate(s, 40))
		}
		return n, nil
	case TypeCurrency:
		m, err := parseMoney(s, c.Currency)
		if err != nil {
			return nil, valueError(c, "%q is not an amount (write it like 1250.00; at most two decimals).", truncate(s, 40))
		}
		return Money{Minor: m, Currency: c.Currency}, nil
	case TypeDate:
		d, err := parseDate(s)
		if err != nil {
			return nil, valueError(c, "%q is not a date (write it as YYYY-MM-DD).", truncate(s, 40))
		}
		return d, nil
	case TypeCheckbox:
		switch strings.ToLower(s) {
		case "true", "yes", "y", "1", "x", "on", "checked", "✓", "✔":
			return true, nil
		case "false", "no", "n", "0", "off", "unchecked":
			return false, nil
		}
		return nil, valueError(c, "%q is not yes or no.", truncate(s, 40))
	case TypeSelect:
		for _, o := range c.Options {
			if strings.EqualFold(o, s) {
				return o, nil
			}
		}
		return nil, valueError(c, "%q is not one of the options (%s).", truncate(s, 40), truncate(strings.Join(c.Options, ", "), 200))
	case TypeLink:
		id, err := strconv.ParseInt(strings.TrimPrefix(s, "#"), 10, 64)
		if err != nil || id <= 0 {
			return nil, valueError(c, "%q is not a %s ID.", truncate(s, 40), c.Link)
		}
		return id, nil
	}
	return nil, valueError(c, "unknown column type.")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xc0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}

// parseNumber reads 1234, 1,234.5, -3.2e3, 12%, (45) as numbers.
func parseNumber(s string) (float64, error) {
	s = strings.ReplaceAll(strings.ReplaceAll(s, ",", ""), " ", "")
	neg := false
	if strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")") {
		neg, s = true, s[1:len(s)-1]
	}
	pct := strings.HasSuffix(s, "%")
	s = strings.TrimSuffix(s, "%")
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
		return 0, fmt.Errorf("not a number")
	}
	if pct {
		n /= 100
	}
	if neg {
		n = -n
	}
	return n, nil
}

// parseMoney reads "1,250.50", "$1250.5", "-3", "1250.00 USD" as minor
// units.
func parseMoney(s, currency string) (int64, error) {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(s), currency), currency))
	s = strings.Map(func(r rune) rune {
		if r == ',' || unicode.IsSpace(r) || strings.ContainsRune("$€£¥₹", r) {
			return -1
		}
		return r
	}, s)
	neg := false
	if strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")") {
		neg, s = true, s[1:len(s)-1]
	}
	if strings.HasPrefix(s, "-") {
		neg, s = !neg, s[1:]
	}
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" {
		whole = "0"
	}
	if len(frac) > 2 || strings.ContainsAny(whole+frac, "+-eE") {
		return 0, fmt.Errorf("bad amount")
	}
	for len(frac) < 2 {
		frac += "0"
	}
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil || n > math.MaxInt64/100 {
		return 0, fmt.Errorf("bad amount")
	}
	if neg {
		n = -n
	}
	return n, nil
}

// dateLayouts are the date forms accepted besides YYYY-MM-DD.
var dateLayouts = []string{"2006-01-02", "2006-1-2", "2006/01/02", "01/02/2006", "1/2/2006", "2006-01-02T15:04:05Z07:00", "2006-01-02 15:04:05", "Jan 2, 2006", "2 Jan 2006", "January 2, 2006"}

// parseDate returns a date as YYYY-MM-DD.
func parseDate(s string) (string, error) {
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.Format("2006-01-02"), nil
		}
	}
	return "", fmt.Errorf("bad date")
}

// FormatMinor formats minor units as 1,234.50.
func FormatMinor(m int64) string { return app.FormatMinor(m) }

// FormatValue is a typed value as display text (a link as its ID).
func FormatValue(c *Column, v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		if v {
			return "yes"
		}
		return "no"
	case Money:
		return v.String()
	case int64:
		return strconv.FormatInt(v, 10)
	}
	return fmt.Sprint(v)
}

// EditValue is a typed value as a person types it in a cell (currency
// without its code, a checkbox as true/false).
func EditValue(c *Column, v any) string {
	switch v := v.(type) {
	case Money:
		return strconv.FormatFloat(v.Decimal(), 'f', 2, 64)
	case bool:
		return strconv.FormatBool(v)
	}
	return FormatValue(c, v)
}

// JSONValue is a typed value as the API shows it: currency as a number of
// major units, a link as its record ID.
func JSONValue(v any) any {
	if m, ok := v.(Money); ok {
		return m.Decimal()
	}
	return v
}

// ParseRow checks values (by column key or name) against the table's
// columns. A create (partial false) fills every column, requiring the
// required ones; an update keeps the keys given. Unknown columns are an
// error naming them.
func (t *Table) ParseRow(values map[string]any, partial bool) (map[string]any, error) {
	out := map[string]any{}
	for k, v := range values {
		c := t.ColumnByRef(k)
		if c == nil {
			return nil, app.FieldErrorf(k, "Table %q has no column %q.", t.Name, k)
		}
		pv, err := ParseValue(c, v)
		if err != nil {
			return nil, err
		}
		out[c.Key] = pv
	}
	for i := range t.Columns {
		c := &t.Columns[i]
		if !c.Required {
			continue
		}
		if v, ok := out[c.Key]; (!partial || ok) && v == nil {
			return nil, valueError(c, "a value is required.")
		}
	}
	return out, nil
}

// Stores are where Data & Sheets keeps its data, one small store per kind
// of record (package store's SheetStore is every one of them). Every
// method takes the tenant from ctx (app.TenantIDFromContext) unless it
// says otherwise; another tenant's table or row is ENOTFOUND.
type Stores struct {
	Tables  TableStore
	Rows    RowStore
	Links   LinkStore
	Imports ImportStore
}

// TableStore keeps tables: their names, columns and charts.
type TableStore interface {
	FindTables(ctx context.Context) ([]*Table, error)
	FindTable(ctx context.Context, id int64) (*Table, error)
	FindTableByName(ctx context.Context, name string) (*Table, error)
	// FindTableAcross returns any tenant's table (Nexus; needs an admin:
	// app.CRMReadScope across tenants).
	FindTableAcross(ctx context.Context, id int64) (*Table, error)
	// CreateTable stores t, giving each column a slot.
	CreateTable(ctx context.Context, t *Table) error
	// UpdateTable replaces name, description, columns and charts. Column
	// slots: kept for existing keys, new ones for new keys; a removed
	// column's values are erased; a column whose type changed has every
	// value converted by convert (all or nothing: the first value that
	// does not convert is returned as EINVALID naming the row).
	UpdateTable(ctx context.Context, t *Table, convert func(from, to *Column, v any) (any, error)) error
	DeleteTable(ctx context.Context, id int64) error
}

// RowStore keeps a table's rows and reads them grouped and aggregated.
type RowStore interface {
	// FindRows lists rows matching f: a page, the next cursor (API) and,
	// when f.Count, how many rows match.
	FindRows(ctx context.Context, t *Table, f Filter) (rows []*Row, next string, total int, err error)
	FindRow(ctx context.Context, t *Table, id int64) (*Row, error)
	// Groups aggregates matching rows by a column: count and the sums of
	// the number and currency columns per value.
	Groups(ctx context.Context, t *Table, f Filter, by string) ([]Group, error)
	// Aggregate groups matching rows by x and aggregates y (charts).
	Aggregate(ctx context.Context, t *Table, f Filter, x, y, agg string, limit int) ([]Point, error)
	// SaveRows creates (ID 0) or replaces the given columns of rows, in
	// one transaction; link values must be records of the tenant.
	SaveRows(ctx context.Context, t *Table, rows []*Row) error
	// UpdateWhere sets values on every row matching f (at most limit) and
	// returns how many changed.
	UpdateWhere(ctx context.Context, t *Table, f Filter, values map[string]any, limit int) (int, error)
	DeleteRows(ctx context.Context, t *Table, ids []int64) (int, error)
}

// LinkStore reads the CRM records link columns point at.
type LinkStore interface {
	// LinkNames returns the display names of CRM records by ID.
	LinkNames(ctx context.Context, recordType string, ids []int64) (map[int64]string, error)
	// ResolveLinks finds CRM records by reference (ID, a person's email,
	// a company's name or domain, a deal's name), case-insensitively.
	ResolveLinks(ctx context.Context, recordType string, refs []string) (map[string]int64, error)
}

// ImportStore keeps import jobs and the rows they stage.
type ImportStore interface {
	CreateImport(ctx context.Context, j *ImportJob) error
	FindImport(ctx context.Context, id int64) (*ImportJob, error)
	FindImports(ctx context.Context, tableID int64) ([]*ImportJob, error)
	UpdateImport(ctx context.Context, j *ImportJob) error
	// StageRows writes rows of an import that stay invisible until
	// CommitImport; DiscardImport deletes them.
	StageRows(ctx context.Context, t *Table, jobID int64, rows []*Row) error
	// CommitImport makes a job's staged rows part of the table, with t's
	// columns (the mapping's new ones), and marks the job done, in one
	// transaction. Returns ECONFLICT when the table's columns changed
	// since the job planned them.
	CommitImport(ctx context.Context, t *Table, j *ImportJob) error
	DiscardImport(ctx context.Context, jobID int64) error
	// FailStaleImports marks every running job of every tenant failed
	// and deletes its staged rows (at startup: jobs do not resume); it
	// returns their files' paths.
	FailStaleImports(ctx context.Context) ([]string, error)
}

// Group is the aggregate of one value of a grouping column.
type Group struct {
	Value any
	Count int
	Sums  map[string]float64 // by number/currency column key (currency in major units)
}

// Point is one bar, point or slice of a chart.
type Point struct {
	Label string
	Value float64
}
