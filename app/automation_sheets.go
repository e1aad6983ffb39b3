package app

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
)

// Workflow steps on Data & Sheets tables: "look up row" reads the first
// row where a column matches and makes its cells available to later steps
// ({{.Steps.<id>.<column key>}}, or {{index .Steps "step-id" "key"}} for
// ids with a dash; .found is "true" or "false" and .row_id the row), "add
// row" appends a row, "update row" changes the rows that match. Tables are
// named by ID or name; values are templates.
const (
	StepLookupRow = "lookup_row"
	StepAddRow    = "add_row"
	StepUpdateRow = "update_row"
)

// SheetOps are the condition operators of the sheet steps (those of
// Data & Sheets filters).
var SheetOps = []string{"eq", "ne", "contains", "not_contains", "gt", "gte", "lt", "lte", "empty", "not_empty"}

// MaxStepRowUpdates is how many rows one "update row" step changes at most.
const MaxStepRowUpdates = 1000

// SheetSteps is what the sheet steps need of Data & Sheets (implemented
// by sheets.Service). Tables are the tenant's only; another tenant's is
// ENOTFOUND.
type SheetSteps interface {
	// LookupRow returns the first row (oldest) of table where column op
	// value, as display text by column key; found is false when none.
	LookupRow(ctx context.Context, tenantID int64, table, column, op, value string) (row map[string]string, rowID int64, found bool, err error)
	// AddRow adds a row from text values by column key or name.
	AddRow(ctx context.Context, tenantID int64, table string, values map[string]string) (rowID int64, err error)
	// UpdateRows sets values on the rows where column op value (at most
	// limit) and returns how many changed.
	UpdateRows(ctx context.Context, tenantID int64, table, column, op, value string, values map[string]string, limit int) (int, error)
	// CheckStep checks that table exists and has the columns (editor).
	// Returns EINVALID naming what is missing.
	CheckStep(ctx context.Context, tenantID int64, table string, columns []string) error
}

func isSheetStep(t string) bool { return t == StepLookupRow || t == StepAddRow || t == StepUpdateRow }

// validateSheetStep checks a sheet step's own fields (the table and its
// columns are checked against the store when saved: CheckSheetSteps).
func validateSheetStep(s *Step, bad func(field, format string, args ...any) error) error {
	if strings.TrimSpace(s.Table) == "" {
		return bad("table", "required: the table's name or ID.")
	}
	if s.Type != StepAddRow {
		if strings.TrimSpace(s.Field) == "" {
			return bad("field", "required: the column to match (its key or name).")
		}
		if s.Op == "" {
			s.Op = "eq"
		}
		ok := false
		for _, o := range SheetOps {
			ok = ok || o == s.Op
		}
		if !ok {
			return bad("op", "must be one of %s.", strings.Join(SheetOps, ", "))
		}
	}
	if s.Type != StepLookupRow && len(s.Set) == 0 {
		return bad("set", "give the columns to set, like {\"price\": \"{{.Trigger.price}}\"}.")
	}
	return nil
}

// CheckSheetSteps checks every sheet step's table and columns against the
// tenant's tables. Returns EINVALID naming the step.
func CheckSheetSteps(ctx context.Context, sheets SheetSteps, tenantID int64, d *Definition) error {
	for i, st := range d.Steps {
		if !isSheetStep(st.Type) {
			continue
		}
		if sheets == nil {
			return FieldErrorf("definition", "Step %d (%s): Data & Sheets is not available.", i+1, st.ID)
		}
		var cols []string
		if st.Field != "" {
			cols = append(cols, st.Field)
		}
		for k := range st.Set {
			cols = append(cols, k)
		}
		if err := sheets.CheckStep(ctx, tenantID, st.Table, cols); err != nil {
			if c := ErrorCode(err); c != EINVALID && c != ENOTFOUND {
				return err
			}
			return FieldErrorf("definition", "Step %d (%s): %s", i+1, st.ID, ErrorMessage(err))
		}
	}
	return nil
}

// hasSheetSteps reports whether steps before index read sheet results.
func hasSheetSteps(d *Definition, before int) bool {
	for i := 0; i < before && i < len(d.Steps); i++ {
		if d.Steps[i].Type == StepLookupRow || d.Steps[i].Type == StepAddRow {
			return true
		}
	}
	return false
}

// stepResults reads what earlier sheet steps of a run found or made, for
// templates: step id -> key -> text.
func (e *Engine) stepResults(ctx context.Context, run *Run) (map[string]map[string]string, error) {
	full, err := e.store.FindRun(ctx, run.ID)
	if err != nil {
		return nil, err
	}
	out := map[string]map[string]string{}
	for _, rs := range full.Steps {
		if rs.Status != StepSucceeded || rs.StepIndex >= run.StepIndex || (rs.Type != StepLookupRow && rs.Type != StepAddRow) {
			continue
		}
		var o struct {
			Found  *bool             `json:"found"`
			RowID  int64             `json:"row_id"`
			Values map[string]string `json:"values"`
		}
		if json.Unmarshal([]byte(rs.Output), &o) != nil {
			continue
		}
		m := map[string]string{}
		for k, v := range o.Values {
			m[k] = v
		}
		if o.Found != nil {
			m["found"] = strconv.FormatBool(*o.Found)
		}
		if o.RowID != 0 {
			m["row_id"] = strconv.FormatInt(o.RowID, 10)
		}
		out[rs.StepID] = m
	}
	return out, nil
}

// execSheetStep runs a lookup_row, add_row or update_row step.
func (e *Engine) execSheetStep(ctx context.Context, run *Run, st Step, render func(string) (string, error)) (string, error) {
	if e.Sheets == nil {
		return "", &PermanentError{errors.New("Data & Sheets is not available")}
	}
	outJSON := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	values := map[string]string{}
	for k, v := range st.Set {
		r, err := render(v)
		if err != nil {
			return "", err
		}
		values[k] = r
	}
	var match string
	if st.Type != StepAddRow {
		var err error
		if match, err = render(st.Value); err != nil {
			return "", err
		}
	}
	switch st.Type {
	case StepLookupRow:
		row, id, found, err := e.Sheets.LookupRow(ctx, run.TenantID, st.Table, st.Field, st.Op, strings.TrimSpace(match))
		if err != nil {
			return "", crmStepError(err)
		}
		if row == nil {
			row = map[string]string{}
		}
		return outJSON(map[string]any{"found": found, "row_id": id, "values": row}), nil
	case StepAddRow:
		id, err := e.Sheets.AddRow(ctx, run.TenantID, st.Table, values)
		if err != nil {
			return "", crmStepError(err)
		}
		return outJSON(map[string]any{"row_id": id, "values": values}), nil
	default:
		n, err := e.Sheets.UpdateRows(ctx, run.TenantID, st.Table, st.Field, st.Op, strings.TrimSpace(match), values, MaxStepRowUpdates)
		if err != nil {
			return "", crmStepError(err)
		}
		return outJSON(map[string]any{"updated": n}), nil
	}
}
