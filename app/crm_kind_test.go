package app_test

import (
	"testing"

	"orengen/app"
)

// TestWorkflow_DateReachedKinds: a date_reached trigger watches people
// and deals only (RecordKind.DateTrigger), spelt as record types, and
// expected_close is a deal field; the messages name them.
func TestWorkflow_DateReachedKinds(t *testing.T) {
	for _, tc := range []struct {
		object, field, want string
	}{
		{app.RecordDeal, "expected_close", ""},
		{app.RecordDeal, "renewal", ""},
		{app.RecordPerson, "renewal", ""},
		{app.RecordCompany, "renewal", `Trigger option "object": must be person or deal.`},
		{"people", "renewal", `Trigger option "object": must be person or deal.`},
		{"", "renewal", `Trigger option "object": must be person or deal.`},
		{app.RecordPerson, "", `Trigger option "field": name the date field: expected_close (deals) or a custom date field's key.`},
		{app.RecordPerson, "expected_close", `Trigger option "field": expected_close is a deal field.`},
		{app.RecordDeal, "Close Date", `Trigger option "field": "Close Date" is not a field key.`},
	} {
		w := &app.Workflow{Name: "x", Trigger: app.TriggerDateReached, Definition: &app.Definition{
			When: &app.When{Object: tc.object, Field: tc.field}, Steps: []app.Step{{Type: app.StepTag, Tag: "x"}}}}
		err := w.Validate()
		if tc.want == "" {
			if err != nil {
				t.Errorf("%s.%s: %v", tc.object, tc.field, err)
			}
			continue
		}
		if app.ErrorField(err) != "when" || app.ErrorMessage(err) != tc.want {
			t.Errorf("%s.%s: %q (field %q), want %q", tc.object, tc.field, app.ErrorMessage(err), app.ErrorField(err), tc.want)
		}
	}
}

// TestNote_LinkTypes: a note links to a record of any kind or a pursuit,
// and the message names them.
func TestNote_LinkTypes(t *testing.T) {
	for _, typ := range []string{app.RecordPerson, app.RecordCompany, app.RecordDeal, app.RecordPursuit, app.RecordGrantPursuit} {
		if err := (&app.Note{RecordType: typ, RecordID: 1, Body: "x"}).Validate(); err != nil {
			t.Errorf("%s: %v", typ, err)
		}
	}
	for _, typ := range []string{"people", "note", "task", "ticket", ""} {
		err := (&app.Note{RecordType: typ, RecordID: 1, Body: "x"}).Validate()
		if app.ErrorField(err) != "record_type" || app.ErrorMessage(err) != "record_type must be person, company, deal, pursuit or grant_pursuit." {
			t.Errorf("%q: %v", typ, err)
		}
	}
}

// TestImport_UnknownObject: only a kind's record type, spelt exactly,
// builds an import record.
func TestImport_UnknownObject(t *testing.T) {
	for _, object := range []string{"people", "note", "Person", ""} {
		ic := &app.ImportContext{Object: object, Mapping: []string{"name"}}
		r, err := ic.BuildImportRecord(2, []string{"Ada"})
		if r != nil || app.ErrorField(err) != "object" || app.ErrorMessage(err) != `Unknown object "`+object+`".` {
			t.Errorf("%q: %+v %v", object, r, err)
		}
	}
}

// TestRecordKind_CellKeys: every column a view of a kind offers has a
// cell (a Field or a Column of the kind), and no key is both or twice, so
// a Column never hides a Field's value.
func TestRecordKind_CellKeys(t *testing.T) {
	for _, k := range app.RecordKinds {
		seen := map[string]bool{}
		for _, f := range k.Fields {
			if seen[f.Key] {
				t.Errorf("%s: field %q twice", k.Type, f.Key)
			}
			seen[f.Key] = true
		}
		for _, c := range k.Columns {
			if seen[c.Key] {
				t.Errorf("%s: column %q is also a field or another column", k.Type, c.Key)
			}
			seen[c.Key] = true
		}
		if !seen["id"] {
			t.Errorf("%s: no id column", k.Type)
		}
		for _, f := range app.ViewFields(k.Type, nil) {
			if !seen[f.Key] {
				t.Errorf("%s: view field %q has no cell", k.Type, f.Key)
			}
		}
	}
}
