package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"orengen/app"
)

var _ app.CRMViewStore = (*CRMViewStore)(nil)

// ---- conditions (views and ?where) ----

// viewExprs are the SQL expressions of each filterable field (alias r;
// people have their company joined as c). kind: text, num, date, bool,
// amount, or multi (a condition on any of several values: multiSources).
var viewExprs = map[string]map[string][2]string{
	app.RecordPerson: {
		"name":  {"r.name_key", "text"},
		"email": {"email", "multi"}, "phone": {"phone", "multi"}, "tag": {"tag", "multi"},
		"company":       {"c.name", "text"},
		"consent_email": {"r.consent_email", "bool"}, "consent_sms": {"r.consent_sms", "bool"}, "consent_calls": {"r.consent_calls", "bool"},
		"created_at": {"r.created_at", "date"}, "updated_at": {"r.updated_at", "date"},
		"id": {"r.id", "num"}, "company_id": {"r.company_id", "num"}, "owner_id": {"r.owner_id", "num"},
	},
	app.RecordCompany: {
		"tag": {"tag", "multi"}, "created_at": {"r.created_at", "date"}, "updated_at": {"r.updated_at", "date"},
		"id": {"r.id", "num"},
	},
	app.RecordDeal: {
		"amount": {"r.amount", "amount"}, "currency": {"r.currency", "text"},
		"pipeline":       {"(SELECT name FROM crm_pipelines WHERE id = r.pipeline_id)", "text"},
		"stage":          {"(SELECT name FROM crm_stages WHERE id = r.stage_id)", "text"},
		"expected_close": {"r.expected_close", "date"}, "probability": {"r.probability", "num"},
		"company":    {"(SELECT name FROM crm_companies WHERE id = r.company_id)", "text"},
		"tag":        {"tag", "multi"},
		"created_at": {"r.created_at", "date"}, "updated_at": {"r.updated_at", "date"},
		"id": {"r.id", "num"}, "company_id": {"r.company_id", "num"}, "pipeline_id": {"r.pipeline_id", "num"}, "stage_id": {"r.stage_id", "num"},
		"owner_id": {"r.owner_id", "num"}, "person_id": {"deal_person", "multi"},
	},
	app.RecordNote: {
		"id": {"r.id", "num"}, "body": {"r.body", "text"}, "record_type": {"r.record_type", "text"}, "record_id": {"r.record_id", "num"},
		"created_at": {"r.created_at", "date"}, "updated_at": {"r.updated_at", "date"},
	},
	app.RecordTask: {
		"id": {"r.id", "num"}, "title": {"r.title", "text"}, "due": {"r.due", "date"}, "done": {"r.done", "bool"},
		"assignee_id": {"r.assignee_id", "num"}, "record_type": {"r.record_type", "text"}, "record_id": {"r.record_id", "num"},
		"created_at": {"r.created_at", "date"}, "updated_at": {"r.updated_at", "date"},
	},
}

func init() {
	// The descriptor fields of each kind filter on their column.
	for _, k := range app.RecordKinds {
		for _, f := range k.Fields {
			kind := "text"
			if f.Type == app.ValueDate {
				kind = "date"
			}
			viewExprs[k.Type][f.Key] = [2]string{"r." + f.Column, kind}
		}
	}
}

// multiSources are the value lists of multi fields (one value column).
var multiSources = map[string]string{
	"tag":         `SELECT value FROM json_each(r.tags)`,
	"email":       `SELECT value FROM crm_contact_points cp WHERE cp.person_id = r.id AND cp.kind = 'email'`,
	"phone":       `SELECT value FROM crm_contact_points cp WHERE cp.person_id = r.id AND cp.kind = 'phone'`,
	"deal_person": `SELECT person_id AS value FROM crm_deal_people dp WHERE dp.deal_id = r.id`,
}

var customKeyRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`) })

// cmpArg converts a condition's value for a field kind: amounts to minor
// units, numbers to numbers, booleans to 1/0. It returns the kind the
// comparison then takes.
func cmpArg(kind, op, v string) (any, string, error) {
	switch kind {
	case "amount":
		n, err := app.ParseAmount("conditions", v)
		if err != nil {
			return nil, "", err
		}
		return n, kind, nil
	case "num":
		n, err := strconv.ParseFloat(strings.TrimSuffix(v, "%"), 64)
		if err != nil {
			return nil, "", app.FieldErrorf("conditions", "%q is not a number.", v)
		}
		return n, kind, nil
	case "bool":
		switch strings.ToLower(v) {
		case "true", "yes", "1", "on", "x":
			return 1, kind, nil
		}
		return 0, kind, nil
	case "custom":
		// Numbers compare as numbers, true/false as JSON booleans (1/0).
		if n, err := strconv.ParseFloat(v, 64); err == nil {
			return n, "num", nil
		} else if b, err := strconv.ParseBool(v); err == nil && (op == "eq" || op == "neq" || op == "in") {
			if b {
				return 1, "num", nil
			}
			return 0, "num", nil
		}
		return v, "text", nil
	}
	return v, kind, nil
}

// cmpSQL compares expr with op; text comparisons ignore case.
func cmpSQL(expr, kind, op, v string) (string, []any, error) {
	switch op {
	case "empty":
		return "COALESCE(" + expr + ", '') = ''", nil, nil
	case "not_empty":
		return "COALESCE(" + expr + ", '') <> ''", nil, nil
	case "contains":
		return "instr(lower(COALESCE(" + expr + ", '')), lower(?)) > 0", []any{v}, nil
	case "starts_with":
		return "COALESCE(" + expr + ", '') LIKE ? ESCAPE '\\'", []any{likeEscape(v) + "%"}, nil
	case "like":
		return "COALESCE(" + expr + ", '') LIKE ?", []any{v}, nil
	case "in":
		vals, err := app.InValues("conditions", v)
		if err != nil {
			return "", nil, err
		}
		var args []any
		textual := false
		for _, x := range vals {
			a, k, err := cmpArg(kind, op, x)
			if err != nil {
				return "", nil, err
			}
			textual = textual || k == "text" || k == "date"
			args = append(args, a)
		}
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(args)), ", ")
		if textual {
			for i := range args {
				args[i] = strings.ToLower(fmt.Sprint(args[i]))
			}
			return "lower(COALESCE(" + expr + ", '')) IN (" + marks + ")", args, nil
		}
		return expr + " IN (" + marks + ")", args, nil
	}
	arg, kind, err := cmpArg(kind, op, v)
	if err != nil {
		return "", nil, err
	}
	if kind == "date" && (op == "eq" || op == "neq") {
		expr = "substr(" + expr + ", 1, 10)"
	}
	text := kind == "text" || kind == "date"
	switch op {
	case "eq", "neq":
		o := map[string]string{"eq": "=", "neq": "<>"}[op]
		if text {
			return "lower(COALESCE(" + expr + ", '')) " + o + " lower(?)", []any{arg}, nil
		}
		if op == "neq" {
			return "(" + expr + " IS NULL OR " + expr + " <> ?)", []any{arg}, nil
		}
		return expr + " = ?", []any{arg}, nil
	case "gt", "lt", "gte", "lte":
		o := map[string]string{"gt": ">", "lt": "<", "gte": ">=", "lte": "<="}[op]
		return expr + " " + o + " ?", []any{arg}, nil
	}
	return "", nil, app.FieldErrorf("conditions", "Unknown operator %q.", op)
}

// whereSQL turns conditions into one SQL condition on alias r. Returns
// EINVALID naming "conditions".
func whereSQL(typ string, w app.Where) (string, []any, error) {
	if w.Empty() {
		return "", nil, nil
	}
	// Custom keys are checked by form; the tenant's definitions are not
	// needed to filter (an unknown key matches nothing).
	var defs []*app.CustomField
	var walk func(w *app.Where) error
	walk = func(w *app.Where) error {
		for _, c := range w.Conditions {
			if k, ok := strings.CutPrefix(c.Field, "custom."); ok {
				if !customKeyRE().MatchString(k) {
					return app.FieldErrorf("conditions", "Unknown field %q.", c.Field)
				}
				defs = append(defs, &app.CustomField{Key: k})
			}
		}
		for i := range w.Groups {
			if err := walk(&w.Groups[i]); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(&w); err != nil {
		return "", nil, err
	}
	if err := w.Validate(typ, defs); err != nil {
		return "", nil, err
	}
	return groupSQL(typ, w)
}

// groupSQL is one validated group: its conditions and groups joined by
// its match, negated when Not is set.
func groupSQL(typ string, w app.Where) (string, []any, error) {
	var parts []string
	var args []any
	for _, c := range w.Conditions {
		cond, a, err := conditionSQL(typ, c)
		if err != nil {
			return "", nil, err
		}
		parts = append(parts, "("+cond+")")
		args = append(args, a...)
	}
	for _, g := range w.Groups {
		if g.Empty() {
			continue
		}
		cond, a, err := groupSQL(typ, g)
		if err != nil {
			return "", nil, err
		}
		parts = append(parts, cond)
		args = append(args, a...)
	}
	if len(parts) == 0 {
		parts = []string{"1"}
	}
	sep := " AND "
	if w.Match == "or" {
		sep = " OR "
	}
	out := "(" + strings.Join(parts, sep) + ")"
	if w.Not {
		out = "NOT " + out
	}
	return out, args, nil
}

// conditionSQL is one condition on alias r.
func conditionSQL(typ string, c app.Condition) (string, []any, error) {
	if k, ok := strings.CutPrefix(c.Field, "custom."); ok {
		return cmpSQL("json_extract(r.custom, '$."+k+"')", "custom", c.Op, c.Value)
	}
	e := viewExprs[typ][c.Field]
	if e[1] != "multi" {
		return cmpSQL(e[0], e[1], c.Op, c.Value)
	}
	src := multiSources[e[0]]
	kind := "text"
	if e[0] == "deal_person" {
		kind = "num"
	}
	switch c.Op {
	case "empty":
		return `NOT EXISTS (` + src + `)`, nil, nil
	case "not_empty":
		return `EXISTS (` + src + `)`, nil, nil
	case "neq":
		cond, a, err := cmpSQL("value", kind, "eq", c.Value)
		return `NOT EXISTS (SELECT 1 FROM (` + src + `) WHERE ` + cond + `)`, a, err
	}
	v := c.Value
	if c.Field == "phone" && c.Op == "eq" {
		if ph, perr := app.NormalizePhone("conditions", v); perr == nil {
			v = ph
		}
	}
	cond, a, err := cmpSQL("value", kind, c.Op, v)
	return `EXISTS (SELECT 1 FROM (` + src + `) WHERE ` + cond + `)`, a, err
}

// ---- saved views ----

const viewCols = `id, tenant_id, object, name, columns, filters, sort, created_at, updated_at`

func scanView(row scanner) (*app.View, error) {
	v := &app.View{}
	var cols, filters string
	if err := row.Scan(&v.ID, &v.TenantID, &v.Object, &v.Name, &cols, &filters, &v.Sort, Time{&v.CreatedAt}, Time{&v.UpdatedAt}); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, app.Errorf(app.ENOTFOUND, "View not found.")
		}
		return nil, fmt.Errorf("scan view: %w", err)
	}
	if err := json.Unmarshal([]byte(cols), &v.Columns); err != nil {
		return nil, fmt.Errorf("view columns: %w", err)
	}
	if err := json.Unmarshal([]byte(filters), &v.Where); err != nil {
		return nil, fmt.Errorf("view filters: %w", err)
	}
	return v, nil
}

// FindViews lists the tenant's views of object ("" for all) by name.
func (s *CRMViewStore) FindViews(ctx context.Context, object string) ([]*app.View, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+viewCols+` FROM crm_views WHERE tenant_id = ? AND (? = '' OR object = ?) ORDER BY name, id`, tid, object, object)
	if err != nil {
		return nil, fmt.Errorf("find views: %w", err)
	}
	return scanAll(rows, scanView)
}

// FindView returns a view of the tenant in ctx. Returns ENOTFOUND.
func (s *CRMViewStore) FindView(ctx context.Context, id int64) (*app.View, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	return scanView(s.db.read.QueryRowContext(ctx, `SELECT `+viewCols+` FROM crm_views WHERE id = ? AND tenant_id = ?`, id, tid))
}

// CreateView validates v against the tenant's custom fields and stores
// it. Returns EINVALID or ECONFLICT (a view of that name exists).
func (s *CRMViewStore) CreateView(ctx context.Context, v *app.View) error {
	tid, tx, err := s.writeScope(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	defs, err := findCustomFields(ctx, tx, tid, v.Object)
	if err != nil {
		return err
	}
	if err := v.Validate(defs); err != nil {
		return err
	}
	filters, err := json.Marshal(v.Where)
	if err != nil {
		return fmt.Errorf("view filters: %w", err)
	}
	v.TenantID, v.CreatedAt, v.UpdatedAt = tid, tx.now, tx.now
	res, err := tx.ExecContext(ctx, `INSERT INTO crm_views (tenant_id, object, name, columns, filters, sort, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		tid, v.Object, v.Name, jsonList(v.Columns), string(filters), v.Sort, FormatTime(tx.now), FormatTime(tx.now))
	if err != nil {
		return FormatError(err, "A view of that name exists.")
	}
	if v.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	return tx.Commit()
}

// DeleteView deletes a view of the tenant in ctx. Returns ENOTFOUND.
func (s *CRMViewStore) DeleteView(ctx context.Context, id int64) error {
	tid, tx, err := s.writeScope(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `DELETE FROM crm_views WHERE id = ? AND tenant_id = ?`, id, tid)
	if err != nil {
		return fmt.Errorf("delete view: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return app.Errorf(app.ENOTFOUND, "View not found.")
	}
	return tx.Commit()
}
