package sheets

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"orengen/app"
)

// Condition operators.
const (
	OpEq          = "eq"
	OpNe          = "ne"
	OpContains    = "contains"
	OpNotContains = "not_contains"
	OpGt          = "gt"
	OpGte         = "gte"
	OpLt          = "lt"
	OpLte         = "lte"
	OpEmpty       = "empty"
	OpNotEmpty    = "not_empty"
)

// Ops lists the operators in the order the filter form offers them.
var Ops = []string{OpEq, OpNe, OpContains, OpNotContains, OpGt, OpGte, OpLt, OpLte, OpEmpty, OpNotEmpty}

// OpLabels names the operators for people.
var OpLabels = map[string]string{OpEq: "is", OpNe: "is not", OpContains: "contains", OpNotContains: "does not contain",
	OpGt: "greater than", OpGte: "at least", OpLt: "less than", OpLte: "at most", OpEmpty: "is empty", OpNotEmpty: "is not empty"}

// RowFields are the row's own fields a filter or sort may name.
var RowFields = []string{"id", "created_at", "updated_at"}

// Condition is one test on a column: Column is a key (or name), Value is
// text parsed by the column's type.
type Condition struct {
	Column string `json:"column"`
	Op     string `json:"op"`
	Value  string `json:"value"`
	// Arg is Value parsed for the column (set by Filter.Validate).
	Arg any `json:"-"`
	// Col is the column tested (set by Validate; nil for row fields).
	Col *Column `json:"-"`
}

// Filter selects, orders and pages rows.
type Filter struct {
	Where []Condition
	Any   bool   // match any condition instead of all
	Sort  string // a column key or id, created_at, updated_at; "-" first: descending. Default: id
	// Group orders by this column first (the grid's grouping).
	Group  string
	Limit  int
	Cursor string // opaque, from the previous page (API)
	Offset int    // UI pages
	Count  bool   // also count the matching rows
	// IDs limits the rows to these IDs.
	IDs []int64
}

// Validate checks the filter against the table: columns known, operators
// fit the column type, values parse. Returns EINVALID naming the field
// ("where[2].value", "sort").
func (f *Filter) Validate(t *Table) error {
	if len(f.Where) > MaxConditions {
		return app.FieldErrorf("where", "At most %d conditions.", MaxConditions)
	}
	if f.Limit <= 0 {
		f.Limit = DefaultPageSize
	}
	if f.Limit > MaxPageSize {
		f.Limit = MaxPageSize
	}
	if f.Offset < 0 {
		f.Offset = 0
	}
	for i := range f.Where {
		w := &f.Where[i]
		field := fmt.Sprintf("where[%d]", i)
		if slices.Contains(RowFields, w.Column) {
			w.Col = nil
		} else if w.Col = t.ColumnByRef(w.Column); w.Col == nil {
			return app.FieldErrorf(field+".column", "Table %q has no column %q.", t.Name, w.Column)
		} else {
			w.Column = w.Col.Key
		}
		if w.Op == "" {
			w.Op = OpEq
		}
		if !slices.Contains(Ops, w.Op) {
			return app.FieldErrorf(field+".op", "Operator %q is not one of %s.", w.Op, strings.Join(Ops, ", "))
		}
		if w.Op == OpEmpty || w.Op == OpNotEmpty {
			w.Arg = nil
			continue
		}
		if w.Col == nil { // id, created_at, updated_at
			switch w.Op {
			case OpContains, OpNotContains:
				return app.FieldErrorf(field+".op", "%s compares with is, is not, greater or less than.", w.Column)
			}
			if w.Column == "id" {
				n, err := strconv.ParseInt(strings.TrimSpace(w.Value), 10, 64)
				if err != nil {
					return app.FieldErrorf(field+".value", "id: %q is not a row ID.", w.Value)
				}
				w.Arg = n
			} else {
				d, err := parseDate(strings.TrimSpace(w.Value))
				if err != nil {
					return app.FieldErrorf(field+".value", "%s: %q is not a date (YYYY-MM-DD).", w.Column, w.Value)
				}
				w.Arg = d
			}
			continue
		}
		switch w.Op {
		case OpContains, OpNotContains:
			if w.Col.Type != TypeText && w.Col.Type != TypeSelect {
				return app.FieldErrorf(field+".op", "Column %q is %s: contains works on text and select columns.", w.Col.Name, TypeLabels[w.Col.Type])
			}
			w.Arg = strings.TrimSpace(w.Value)
			continue
		case OpGt, OpGte, OpLt, OpLte:
			if w.Col.Type == TypeCheckbox || w.Col.Type == TypeLink {
				return app.FieldErrorf(field+".op", "Column %q is %s: compare it with is or is not.", w.Col.Name, TypeLabels[w.Col.Type])
			}
		}
		c := *w.Col
		if c.Type == TypeSelect && (w.Op == OpGt || w.Op == OpGte || w.Op == OpLt || w.Op == OpLte) {
			c.Type = TypeText
		}
		v, err := ParseValue(&c, w.Value)
		if err != nil {
			return app.FieldErrorf(field+".value", "%s", app.ErrorMessage(err))
		}
		if v == nil {
			return app.FieldErrorf(field+".value", "Column %q: give a value to compare with (or use is empty).", w.Col.Name)
		}
		w.Arg = v
	}
	if f.Sort != "" {
		key := strings.TrimPrefix(f.Sort, "-")
		if !slices.Contains(RowFields, key) {
			c := t.ColumnByRef(key)
			if c == nil {
				return app.FieldErrorf("sort", "Table %q has no column %q to sort by.", t.Name, key)
			}
			f.Sort = strings.Replace(f.Sort, key, c.Key, 1)
		}
	}
	if f.Group != "" {
		c := t.ColumnByRef(f.Group)
		if c == nil {
			return app.FieldErrorf("group", "Table %q has no column %q to group by.", t.Name, f.Group)
		}
		f.Group = c.Key
	}
	return nil
}

// SortKey returns the sort column key and direction.
func (f *Filter) SortKey() (key string, desc bool) {
	if f.Sort == "" {
		return "id", false
	}
	return strings.TrimPrefix(f.Sort, "-"), strings.HasPrefix(f.Sort, "-")
}

// ParseWhere reads "column:op:value" (the API's where parameter; the value
// may contain colons). A bare "column:value" means is.
func ParseWhere(s string) (Condition, error) {
	col, rest, ok := strings.Cut(s, ":")
	if !ok || col == "" {
		return Condition{}, app.FieldErrorf("where", "where=%q: write column:op:value, like price:gt:100 or service:eq:Roof repair.", s)
	}
	op, val, ok := strings.Cut(rest, ":")
	if !ok || !slices.Contains(Ops, op) {
		if op == OpEmpty || op == OpNotEmpty {
			return Condition{Column: col, Op: op}, nil
		}
		return Condition{Column: col, Op: OpEq, Value: rest}, nil
	}
	return Condition{Column: col, Op: op, Value: val}, nil
}

// FilterFromQuery reads the grid's filter form (the same parameters the
// page's address carries, so a filtered view can be bookmarked): fc0,
// fo0, fv0 ... conditions, match=any, sort, group.
func FilterFromQuery(q url.Values) Filter {
	f := Filter{Any: q.Get("match") == "any", Sort: q.Get("sort"), Group: q.Get("group")}
	for i := 0; i < MaxConditions; i++ {
		n := strconv.Itoa(i)
		col := q.Get("fc" + n)
		if col == "" {
			continue
		}
		f.Where = append(f.Where, Condition{Column: col, Op: q.Get("fo" + n), Value: q.Get("fv" + n)})
	}
	return f
}

// Query returns the filter as the grid's query parameters.
func (f *Filter) Query() url.Values {
	q := url.Values{}
	for i, w := range f.Where {
		n := strconv.Itoa(i)
		q.Set("fc"+n, w.Column)
		q.Set("fo"+n, w.Op)
		if w.Value != "" {
			q.Set("fv"+n, w.Value)
		}
	}
	if f.Any {
		q.Set("match", "any")
	}
	if f.Sort != "" {
		q.Set("sort", f.Sort)
	}
	if f.Group != "" {
		q.Set("group", f.Group)
	}
	return q
}
