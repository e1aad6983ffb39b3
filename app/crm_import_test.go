package app_test

import (
	"slices"
	"testing"

	"orengen/app"
)

func TestAutoMap_Twenty(t *testing.T) {
	header := []string{"\ufeffId", "Name / First Name", "Name / Last Name", "Emails / Primary Email", "Phones / Primary Phone Number", "Job Title", "Company", "Budget"}
	defs := []*app.CustomField{{Key: "budget", Label: "Budget", Type: app.CustomNumber}}
	got := app.AutoMap(app.RecordPerson, header, defs)
	want := []string{"", "first_name", "last_name", "emails", "phones", "title", "company", "custom.budget"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	deal := app.AutoMap(app.RecordDeal, []string{"Name", "Amount / Amount Micros", "Amount / Currency Code", "Close Date", "Stage"}, nil)
	if !slices.Equal(deal, []string{"name", "amount_micros", "currency", "expected_close", "stage"}) {
		t.Fatalf("deal: %q", deal)
	}
}

func TestImportContext_BuildImportRecord(t *testing.T) {
	pl := &app.Pipeline{ID: 1, Name: "Sales", Stages: []*app.Stage{{ID: 11, Name: "Lead"}, {ID: 12, Name: "Qualified"}, {ID: 15, Name: "Won"}}}
	ic := &app.ImportContext{Object: app.RecordDeal, Mapping: []string{"name", "amount_micros", "currency", "stage", "expected_close"}, Pipelines: []*app.Pipeline{pl}}
	r, err := ic.BuildImportRecord(2, []string{"Big deal", "1234560000", "eur", "CUSTOMER", "2026-12-31T00:00:00.000Z"})
	if err != nil || r.Deal.Amount != 123456 || r.Deal.Currency != "EUR" || r.Deal.StageID != 15 || r.Deal.ExpectedClose.Format("2006-01-02") != "2026-12-31" {
		t.Fatalf("deal: %+v %v", r, err)
	}
	for _, tc := range []struct {
		row   []string
		field string
	}{
		{[]string{"x", "1", "USD", "", ""}, "amount"},   // not whole cents
		{[]string{"x", "", "USD", "Nope", ""}, "stage"}, // unknown stage
		{[]string{"", "", "", "", ""}, "name"},          // no name
		{[]string{"x", "", "US", "", ""}, "currency"},   // bad currency
		{[]string{"x", "", "", "", "31/12/2026"}, "expected_close"},
	} {
		if _, err := ic.BuildImportRecord(3, tc.row); app.ErrorField(err) != tc.field {
			t.Errorf("%q: %v, want field %s", tc.row, err, tc.field)
		}
	}
	pc := &app.ImportContext{Object: app.RecordPerson, Mapping: []string{"name", "emails", "phones", "phone_code", "tags", "custom.vip"},
		Custom: []*app.CustomField{{Key: "vip", Label: "VIP", Type: app.CustomCheckbox}}}
	r, err = pc.BuildImportRecord(2, []string{"Ada King Lovelace", `["ADA@x.test","ada2@x.test"]`, "7911 123456", "+44", "a, b", "yes"})
	if err != nil || r.Person.FirstName != "Ada" || r.Person.LastName != "King Lovelace" || !slices.Equal(r.Person.Emails, []string{"ada@x.test", "ada2@x.test"}) ||
		!slices.Equal(r.Person.Phones, []string{"+447911123456"}) || !slices.Equal(r.Person.Tags, []string{"a", "b"}) || r.Person.Custom["vip"] != true {
		t.Fatalf("person: %+v %v", r.Person, err)
	}
	if err := app.CheckMapping(app.RecordPerson, []string{"emails"}, nil); app.ErrorField(err) != "mapping" {
		t.Errorf("no name column: %v", err)
	}
}
