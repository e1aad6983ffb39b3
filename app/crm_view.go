package app

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Saved views: a tenant's named table of people, companies or deals with
// its columns, filters (on any field, custom fields too, all or any
// matching) and sort, used by the portal tables, CSV export and the API
// (?view=ID).

// Condition operators.
var ConditionOps = []ImportField{
	{"eq", "is"}, {"neq", "is not"}, {"contains", "contains"}, {"gt", "greater than"}, {"lt", "less than"},
	{"empty", "is empty"}, {"not_empty", "is not empty"},
}

// Condition is one filter of a view: Field ("title", "custom.budget"),
// Op (ConditionOps) and Value (unused by empty and not_empty). Text is
// compared case-insensitively; amounts are decimal ("1250.00").
type Condition struct {
	Field string `json:"field"`
	Op    string `json:"op"`
	Value string `json:"value,omitempty"`
}

// Where is a list's conditions: all must match (Match "and", the
// default) or any ("or"). The API's filters nest: Groups are further
// Wheres combined with the conditions by Match, and Not negates the
// whole group (Twenty's and(...), or(...) and not(...)).
type Where struct {
	Match      string      `json:"match,omitempty"`
	Conditions []Condition `json:"conditions,omitempty"`
	Groups     []Where     `json:"groups,omitempty"`
	Not        bool        `json:"not,omitempty"`
}

// Empty reports whether w filters nothing.
func (w *Where) Empty() bool { return len(w.Conditions) == 0 && len(w.Groups) == 0 }

// FilterOps are the operators the API's filters take beyond the views'
// ConditionOps: gte and lte, in (Value a JSON array of up to 100
// values), starts_with and like (SQL LIKE: % any run, _ one character;
// case-insensitive).
var FilterOps = []string{"gte", "lte", "in", "starts_with", "like"}

// MaxFilterDepth is how deeply API filter groups nest.
const MaxFilterDepth = 5

// filterFields are the fields the API filters on beyond the views' own:
// record IDs and references, and the fields of notes and tasks.
var filterFields = map[string][]ImportField{
	RecordPerson:  {{"id", "ID"}, {"company_id", "Company ID"}, {"owner_id", "Owner ID"}},
	RecordCompany: {{"id", "ID"}},
	RecordDeal: {{"id", "ID"}, {"company_id", "Company ID"}, {"pipeline_id", "Pipeline ID"}, {"stage_id", "Stage ID"}, {"owner_id", "Owner ID"},
		{"person_id", "Person ID"}},
	RecordNote: {{"id", "ID"}, {"body", "Body"}, {"record_type", "Record type"}, {"record_id", "Record ID"}, {"created_at", "Created"}, {"updated_at", "Updated"}},
	RecordTask: {{"id", "ID"}, {"title", "Title"}, {"due", "Due"}, {"done", "Done"}, {"assignee_id", "Assignee ID"}, {"record_type", "Record type"},
		{"record_id", "Record ID"}, {"created_at", "Created"}, {"updated_at", "Updated"}},
}

// FilterFields lists every field of an object the API filters on: the
// view fields, then IDs, references and (notes, tasks) their own.
func FilterFields(object string, defs []*CustomField) []ImportField {
	return append(ViewFields(object, defs), filterFields[object]...)
}

// InValues reads the value of an "in" condition: a JSON array of 1 to
// 100 strings or numbers. Returns EINVALID naming field.
func InValues(field, v string) ([]string, error) {
	var raw []any
	if err := json.Unmarshal([]byte(v), &raw); err != nil || len(raw) == 0 || len(raw) > 100 {
		return nil, FieldErrorf(field, "An in condition takes a list of 1 to 100 values, like [\"a\",\"b\"].")
	}
	out := make([]string, len(raw))
	for i, x := range raw {
		switch x := x.(type) {
		case string:
			out[i] = x
		case float64:
			out[i] = strconv.FormatFloat(x, 'f', -1, 64)
		case bool:
			out[i] = strconv.FormatBool(x)
		default:
			return nil, FieldErrorf(field, "An in condition's values are strings or numbers.")
		}
	}
	return out, nil
}

// View is a saved table of a tenant.
type View struct {
	ID        int64
	TenantID  int64
	Name      string
	Object    string   // person, company or deal
	Columns   []string // field keys shown and exported, in order
	Where     Where
	Sort      string // one of SortKeys
	CreatedAt time.Time
	UpdatedAt time.Time
}

// MaxConditions is the most conditions a view or list takes.
const MaxConditions = 20

// viewFields: each kind's descriptor fields and columns (viewFields).
var viewFields = map[string][]ImportField{
	RecordPerson:  KindPerson.viewFields(),
	RecordCompany: KindCompany.viewFields(),
	RecordDeal:    KindDeal.viewFields(),
}

func listed(f *Field) bool { return f.List }

// DefaultViewColumns are the columns of an object's table without a view:
// its listed descriptor fields among its own.
var DefaultViewColumns = map[string][]string{
	RecordPerson:  KindPerson.fieldKeysWhere([]string{"name"}, listed, "email", "phone", "company", "tag", "created_at"),
	RecordCompany: KindCompany.fieldKeysWhere(nil, listed, "created_at"),
	RecordDeal:    KindDeal.fieldKeysWhere(nil, listed, "stage", "amount", "expected_close", "updated_at"),
}

// ViewFields lists the fields of an object a view can show and filter
// on, custom fields last ("custom.<key>").
func ViewFields(object string, defs []*CustomField) []ImportField {
	out := append([]ImportField(nil), viewFields[object]...)
	for _, d := range defs {
		out = append(out, ImportField{"custom." + d.Key, d.Label})
	}
	return out
}

// FieldLabel is a field's label for a column header.
func FieldLabel(object, key string, defs []*CustomField) string {
	for _, f := range ViewFields(object, defs) {
		if f.Key == key {
			return f.Label
		}
	}
	return key
}

// Validate checks where against an object's fields. Returns EINVALID
// naming the condition.
func (w *Where) Validate(object string, defs []*CustomField) error {
	n := 0
	return w.validate(FilterFields(object, defs), 0, &n)
}

func (w *Where) validate(fields []ImportField, depth int, n *int) error {
	if w.Match == "" {
		w.Match = "and"
	}
	if w.Match != "and" && w.Match != "or" {
		return FieldErrorf("match", "Match must be and (all conditions) or or (any).")
	}
	if depth > MaxFilterDepth {
		return FieldErrorf("filter", "Filter groups nest at most %d deep.", MaxFilterDepth)
	}
	*n += len(w.Conditions)
	if *n > MaxConditions {
		return FieldErrorf("conditions", "At most %d conditions.", MaxConditions)
	}
	for i := range w.Conditions {
		c := &w.Conditions[i]
		c.Value = strings.TrimSpace(c.Value)
		if !slices.ContainsFunc(fields, func(f ImportField) bool { return f.Key == c.Field }) {
			return FieldErrorf("conditions", "Condition %d: unknown field %q.", *n-len(w.Conditions)+i+1, c.Field)
		}
		if !slices.ContainsFunc(ConditionOps, func(f ImportField) bool { return f.Key == c.Op }) && !slices.Contains(FilterOps, c.Op) {
			return FieldErrorf("conditions", "Condition %d: unknown operator %q.", i+1, c.Op)
		}
		if c.Op != "empty" && c.Op != "not_empty" && c.Value == "" {
			return FieldErrorf("conditions", "Condition %d needs a value.", i+1)
		}
		max := 200
		if c.Op == "in" {
			max = 10000
			if _, err := InValues("conditions", c.Value); err != nil {
				return err
			}
		}
		if len(c.Value) > max {
			return FieldErrorf("conditions", "Condition %d: the value must be at most %d characters.", i+1, max)
		}
		if c.Field == "amount" && c.Value != "" && c.Op != "in" {
			if _, err := ParseAmount("conditions", c.Value); err != nil {
				return err
			}
		}
	}
	for i := range w.Groups {
		if err := w.Groups[i].validate(fields, depth+1, n); err != nil {
			return err
		}
	}
	return nil
}

// Validate checks a view. Returns EINVALID naming the field.
func (v *View) Validate(defs []*CustomField) error {
	v.Name = clean(v.Name)
	if v.Name == "" || len(v.Name) > 100 {
		return FieldErrorf("name", "View name required (at most 100 characters).")
	}
	if _, ok := viewFields[v.Object]; !ok {
		return FieldErrorf("object", "A view shows people, companies or deals.")
	}
	if len(v.Columns) == 0 {
		v.Columns = slices.Clone(DefaultViewColumns[v.Object])
	}
	fields := ViewFields(v.Object, defs)
	seen := map[string]bool{}
	for _, c := range v.Columns {
		if !slices.ContainsFunc(fields, func(f ImportField) bool { return f.Key == c }) {
			return FieldErrorf("columns", "Unknown column %q.", c)
		}
		if seen[c] {
			return FieldErrorf("columns", "Column %q is chosen twice.", c)
		}
		seen[c] = true
	}
	if v.Sort == "" {
		v.Sort = "-created_at"
	}
	if keys := SortKeysFor(v.Object); !slices.Contains(keys, v.Sort) {
		return FieldErrorf("sort", "sort must be one of %s.", strings.Join(keys, ", "))
	}
	return v.Where.Validate(v.Object, defs)
}

// CRMViewStore keeps a tenant's saved views (tenant from ctx).
type CRMViewStore interface {
	// FindViews lists the views of an object ("" for all) by name.
	FindViews(ctx context.Context, object string) ([]*View, error)
	// FindView returns ENOTFOUND for another tenant's view.
	FindView(ctx context.Context, id int64) (*View, error)
	// CreateView returns EINVALID or ECONFLICT (name taken).
	CreateView(ctx context.Context, v *View) error
	// DeleteView returns ENOTFOUND.
	DeleteView(ctx context.Context, id int64) error
}
