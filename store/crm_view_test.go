package store_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"orengen/app"
)

func TestCRMStore_Where(t *testing.T) {
	e := newCRMEnv(t)
	if err := e.S.Fields.CreateCustomField(e.A, &app.CustomField{Object: app.RecordPerson, Key: "budget", Label: "Budget", Type: app.CustomNumber}); err != nil {
		t.Fatal(err)
	}
	co := &app.Company{Name: "Acme"}
	if err := e.S.Companies.CreateCompany(e.A, co); err != nil {
		t.Fatal(err)
	}
	mk := func(first, title string, budget float64, tags ...string) *app.Person {
		p := &app.Person{FirstName: first, Title: title, Emails: []string{first + "@x.test"}, Tags: tags, Custom: map[string]any{"budget": budget}}
		if first == "Cy" {
			p.CompanyID = co.ID
		}
		if err := e.S.People.CreatePerson(e.A, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	mk("Ann", "CTO", 500, "vip")
	mk("Bob", "Engineer", 50)
	mk("Cy", "Sales CTO", 5000, "lead")
	mustPerson(t, e.S, e.B, "Ann", "ann@b.test") // B's Ann never shows
	names := func(w app.Where) []string {
		t.Helper()
		ps, _, err := e.S.People.FindPeople(e.A, app.PersonFilter{ListOptions: app.ListOptions{Where: w, Sort: "name"}})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, p := range ps {
			out = append(out, p.FirstName)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		w    app.Where
		want []string
	}{
		{"contains", app.Where{Conditions: []app.Condition{{Field: "title", Op: "contains", Value: "cto"}}}, []string{"Ann", "Cy"}},
		{"and custom number", app.Where{Conditions: []app.Condition{{Field: "title", Op: "contains", Value: "cto"}, {Field: "custom.budget", Op: "gt", Value: "1000"}}}, []string{"Cy"}},
		{"or", app.Where{Match: "or", Conditions: []app.Condition{{Field: "tag", Op: "eq", Value: "vip"}, {Field: "custom.budget", Op: "lt", Value: "100"}}}, []string{"Ann", "Bob"}},
		{"email", app.Where{Conditions: []app.Condition{{Field: "email", Op: "eq", Value: "BOB@x.test"}}}, []string{"Bob"}},
		{"company", app.Where{Conditions: []app.Condition{{Field: "company", Op: "eq", Value: "acme"}}}, []string{"Cy"}},
		{"tag empty", app.Where{Conditions: []app.Condition{{Field: "tag", Op: "empty"}}}, []string{"Bob"}},
		{"neq", app.Where{Conditions: []app.Condition{{Field: "first_name", Op: "neq", Value: "ann"}}}, []string{"Bob", "Cy"}},
	} {
		if got := names(tc.w); !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
	_, _, err := e.S.People.FindPeople(e.A, app.PersonFilter{ListOptions: app.ListOptions{Where: app.Where{Conditions: []app.Condition{{Field: "password", Op: "eq", Value: "x"}}}}})
	if app.ErrorCode(err) != app.EINVALID {
		t.Errorf("unknown field: %v", err)
	}

	// Saved views are per tenant.
	v := &app.View{Name: "Big CTOs", Object: app.RecordPerson, Columns: []string{"name", "custom.budget"}, Where: app.Where{Conditions: []app.Condition{{Field: "custom.budget", Op: "gt", Value: "100"}}}, Sort: "name"}
	if err := e.S.Views.CreateView(e.A, v); err != nil {
		t.Fatal(err)
	}
	if err := e.S.Views.CreateView(e.A, &app.View{Name: "Big CTOs", Object: app.RecordPerson}); app.ErrorCode(err) != app.ECONFLICT {
		t.Errorf("same name: %v", err)
	}
	if err := e.S.Views.CreateView(e.A, &app.View{Name: "Bad", Object: app.RecordPerson, Columns: []string{"custom.nope"}}); app.ErrorCode(err) != app.EINVALID {
		t.Errorf("unknown column: %v", err)
	}
	got, err := e.S.Views.FindView(e.A, v.ID)
	if err != nil || got.Name != "Big CTOs" || !slices.Equal(got.Columns, v.Columns) || got.Where.Conditions[0].Value != "100" || got.Sort != "name" {
		t.Fatalf("find view: %+v %v", got, err)
	}
	if _, err := e.S.Views.FindView(e.B, v.ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("B sees A's view: %v", err)
	}
	if err := e.S.Views.DeleteView(e.B, v.ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("B deletes A's view: %v", err)
	}
	if vs, _ := e.S.Views.FindViews(e.A, app.RecordPerson); len(vs) != 1 {
		t.Errorf("views: %v", vs)
	}
	if got := names(v.Where); !slices.Equal(got, []string{"Ann", "Cy"}) {
		t.Errorf("view rows: %v", got)
	}
}

// TestCRMStore_SortByObjectFields pages deals by amount and by expected
// close (NULLs included) across pages with cursors: every deal once, in
// order; a key of another object is refused naming sort.
func TestCRMStore_SortByObjectFields(t *testing.T) {
	e := newCRMEnv(t)
	s, ctx := e.S, e.A
	for i, amt := range []int64{500, 100, 300, 200, 400} {
		d := &app.Deal{Name: "Deal " + string(rune('A'+i)), Amount: amt, Currency: "USD"}
		if i%2 == 0 {
			when := time.Date(2027, 1, 10-i, 0, 0, 0, 0, time.UTC)
			d.ExpectedClose = &when
		}
		if err := s.Deals.CreateDeal(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	for _, sort := range []string{"amount", "-amount", "expected_close", "-expected_close", "probability"} {
		var got []int64
		cursor := ""
		for page := 0; page < 5; page++ {
			ds, next, err := s.Deals.FindDeals(ctx, app.DealFilter{ListOptions: app.ListOptions{Limit: 2, Sort: sort, Cursor: cursor}})
			if err != nil {
				t.Fatalf("%s: %v", sort, err)
			}
			for _, d := range ds {
				got = append(got, d.Amount)
			}
			if next == "" {
				break
			}
			cursor = next
		}
		if len(got) != 5 {
			t.Fatalf("%s: paged %d deals, want 5: %v", sort, len(got), got)
		}
		if sort == "amount" && !slices.IsSorted(got) || sort == "-amount" && (got[0] != 500 || got[4] != 100) {
			t.Errorf("%s: order %v", sort, got)
		}
	}
	if _, _, err := s.People.FindPeople(ctx, app.PersonFilter{ListOptions: app.ListOptions{Sort: "amount"}}); app.ErrorField(err) != "sort" {
		t.Fatalf("people by amount: %v", err)
	}
}

// TestCRMStore_FilterGroups: the API's nested filters (groups, not, the
// operators views lack), a count over every page, and a cursor for each
// row that pages on from it.
func TestCRMStore_FilterGroups(t *testing.T) {
	e := newCRMEnv(t)
	for i, n := range []string{"Ann", "Bob", "Cy", "Dee", "Eve"} {
		p := &app.Person{FirstName: n, Title: []string{"CTO", "Engineer", "Sales", "CTO", "Intern"}[i], Emails: []string{strings.ToLower(n) + "@x.test"}}
		if err := e.S.People.CreatePerson(e.A, p); err != nil {
			t.Fatal(err)
		}
	}
	mustPerson(t, e.S, e.B, "Ann", "ann@b.test") // never counted for A
	find := func(w app.Where, opts app.ListOptions) []string {
		t.Helper()
		opts.Where, opts.Sort = w, "name"
		ps, _, err := e.S.People.FindPeople(e.A, app.PersonFilter{ListOptions: opts})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, p := range ps {
			out = append(out, p.FirstName)
		}
		return out
	}
	cto := app.Condition{Field: "title", Op: "eq", Value: "cto"}
	for _, tc := range []struct {
		name string
		w    app.Where
		want []string
	}{
		{"not", app.Where{Conditions: []app.Condition{cto}, Not: true}, []string{"Bob", "Cy", "Eve"}},
		{"or of groups", app.Where{Match: "or", Groups: []app.Where{{Conditions: []app.Condition{cto, {Field: "first_name", Op: "starts_with", Value: "d"}}},
			{Conditions: []app.Condition{{Field: "email", Op: "like", Value: "%b@x.test"}}}}}, []string{"Bob", "Dee"}},
		{"in", app.Where{Conditions: []app.Condition{{Field: "first_name", Op: "in", Value: `["ann","EVE","nobody"]`}}}, []string{"Ann", "Eve"}},
		{"gte lte", app.Where{Conditions: []app.Condition{{Field: "first_name", Op: "gte", Value: "Bob"}, {Field: "first_name", Op: "lte", Value: "Dee"}}}, []string{"Bob", "Cy", "Dee"}},
		{"starts_with escapes", app.Where{Conditions: []app.Condition{{Field: "first_name", Op: "starts_with", Value: "%"}}}, nil},
	} {
		if got := find(tc.w, app.ListOptions{}); !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
	// Too deep, or an unknown field in a group: EINVALID.
	deep := app.Where{Conditions: []app.Condition{cto}}
	for range app.MaxFilterDepth + 1 {
		deep = app.Where{Groups: []app.Where{deep}}
	}
	for name, w := range map[string]app.Where{"deep": deep, "unknown in group": {Groups: []app.Where{{Conditions: []app.Condition{{Field: "password", Op: "eq", Value: "x"}}}}}} {
		if _, _, err := e.S.People.FindPeople(e.A, app.PersonFilter{ListOptions: app.ListOptions{Where: w}}); app.ErrorCode(err) != app.EINVALID {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Count spans every page; each row's cursor pages on from that row.
	var total int
	var curs []string
	got := find(app.Where{Conditions: []app.Condition{cto}, Not: true}, app.ListOptions{Limit: 2, Count: &total, RowCursors: &curs})
	if total != 3 || !slices.Equal(got, []string{"Bob", "Cy"}) || len(curs) != 2 {
		t.Fatalf("page 1: %v total %d cursors %d", got, total, len(curs))
	}
	if got := find(app.Where{Conditions: []app.Condition{cto}, Not: true}, app.ListOptions{Limit: 2, Cursor: curs[0]}); !slices.Equal(got, []string{"Cy", "Eve"}) {
		t.Errorf("after Bob's cursor: %v", got)
	}
	// Notes and tasks filter on their own fields.
	p := mustPerson(t, e.S, e.A, "Fay", "fay@x.test")
	for _, b := range []string{"# Call\nwent well", "lunch"} {
		if err := e.S.Notes.CreateNote(e.A, &app.Note{RecordType: app.RecordPerson, RecordID: p.ID, Body: b}); err != nil {
			t.Fatal(err)
		}
	}
	ns, _, err := e.S.Notes.FindNotes(e.A, app.NoteFilter{ListOptions: app.ListOptions{Where: app.Where{Conditions: []app.Condition{
		{Field: "body", Op: "starts_with", Value: "# "}, {Field: "record_id", Op: "eq", Value: strconv.FormatInt(p.ID, 10)}}}}})
	if err != nil || len(ns) != 1 || !strings.HasPrefix(ns[0].Body, "# Call") {
		t.Errorf("notes: %v %v", ns, err)
	}
	if err := e.S.Tasks.CreateTask(e.A, &app.Task{Title: "Done one", Done: true}); err != nil {
		t.Fatal(err)
	}
	if err := e.S.Tasks.CreateTask(e.A, &app.Task{Title: "Open one"}); err != nil {
		t.Fatal(err)
	}
	ts, _, err := e.S.Tasks.FindTasks(e.A, app.TaskFilter{ListOptions: app.ListOptions{Where: app.Where{Conditions: []app.Condition{{Field: "done", Op: "eq", Value: "true"}}}}})
	if err != nil || len(ts) != 1 || ts[0].Title != "Done one" {
		t.Errorf("tasks: %v %v", ts, err)
	}
}
