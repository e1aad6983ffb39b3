package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"orengen/app"
	"orengen/store"
)

type crmEnv struct {
	DB     *store.DB
	S      *store.CRMStores
	A, B   context.Context
	TA, TB *app.Tenant
}

func newCRMEnv(tb testing.TB) *crmEnv {
	tb.Helper()
	db, _ := mustOpenTenantDB(tb)
	e := &crmEnv{DB: db, S: store.NewCRMStores(db)}
	e.TA, e.TB = mustCreateTenant(tb, db, "Alpha"), mustCreateTenant(tb, db, "Bravo")
	e.A = app.NewContextWithTenant(context.Background(), e.TA)
	e.B = app.NewContextWithTenant(context.Background(), e.TB)
	return e
}

func mustPerson(tb testing.TB, s *store.CRMStores, ctx context.Context, first, email string) *app.Person {
	tb.Helper()
	p := &app.Person{FirstName: first, LastName: "Test", Emails: []string{email}}
	if err := s.People.CreatePerson(ctx, p); err != nil {
		tb.Fatal(err)
	}
	return p
}

func TestCRMStore_Person(t *testing.T) {
	e := newCRMEnv(t)
	t.Run("CreateNormalises", func(t *testing.T) {
		p := &app.Person{FirstName: " Ann ", LastName: "Lee", Emails: []string{"Ann@Example.COM", "ann@example.com"}, Phones: []string{"(512) 555-0100"}, Tags: []string{"VIP"}}
		if err := e.S.People.CreatePerson(e.A, p); err != nil {
			t.Fatal(err)
		}
		got, err := e.S.People.FindPerson(e.A, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.FirstName != "Ann" || !slices.Equal(got.Emails, []string{"ann@example.com"}) || !slices.Equal(got.Phones, []string{"+15125550100"}) || !slices.Equal(got.Tags, []string{"vip"}) {
			t.Fatalf("got %+v", got)
		}
		if got.TenantID != e.TA.ID || got.CreatedAt.IsZero() {
			t.Fatalf("tenant/created: %+v", got)
		}
		// Filter by email and phone (any format).
		for _, f := range []app.PersonFilter{{Email: ptr("ANN@example.com")}, {Phone: ptr("+1 512 555 0100")}} {
			ps, _, err := e.S.People.FindPeople(e.A, f)
			if err != nil || len(ps) != 1 || ps[0].ID != p.ID {
				t.Fatalf("filter %+v: %v %v", f, ps, err)
			}
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		for field, p := range map[string]*app.Person{
			"first_name": {},
			"emails":     {FirstName: "x", Emails: []string{"not-an-email"}},
			"phones":     {FirstName: "x", Phones: []string{"12"}},
		} {
			err := e.S.People.CreatePerson(e.A, p)
			if app.ErrorCode(err) != app.EINVALID || app.ErrorField(err) != field {
				t.Errorf("%s: %v", field, err)
			}
		}
		// Another tenant's company is unknown.
		c := &app.Company{Name: "B Co"}
		if err := e.S.Companies.CreateCompany(e.B, c); err != nil {
			t.Fatal(err)
		}
		err := e.S.People.CreatePerson(e.A, &app.Person{FirstName: "x", CompanyID: c.ID})
		if app.ErrorField(err) != "company_id" {
			t.Errorf("cross-tenant company: %v", err)
		}
	})
	t.Run("UpdateWritesTimeline", func(t *testing.T) {
		p := mustPerson(t, e.S, e.A, "Bob", "bob@x.test")
		title := "CTO"
		if _, err := e.S.People.UpdatePerson(e.A, p.ID, app.PersonUpdate{Fields: app.FieldValues{"title": title}}); err != nil {
			t.Fatal(err)
		}
		tl, err := e.S.Timeline.FindTimeline(e.A, app.RecordPerson, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(tl) != 2 || tl[0].Kind != app.TimelineCreated || tl[1].Field != "title" || tl[1].Old != "" || tl[1].New != "CTO" {
			t.Fatalf("timeline: %+v", tl)
		}
		bad := "x@"
		if _, err := e.S.People.UpdatePerson(e.A, p.ID, app.PersonUpdate{Emails: &[]string{bad}}); app.ErrorField(err) != "emails" {
			t.Fatalf("bad email update: %v", err)
		}
	})
	t.Run("Isolation", func(t *testing.T) {
		p := mustPerson(t, e.S, e.B, "Secret", "secret@b.test")
		if _, err := e.S.People.FindPerson(e.A, p.ID); app.ErrorCode(err) != app.ENOTFOUND {
			t.Errorf("find B's: %v", err)
		}
		if _, err := e.S.People.UpdatePerson(e.A, p.ID, app.PersonUpdate{}); app.ErrorCode(err) != app.ENOTFOUND {
			t.Errorf("update B's: %v", err)
		}
		if err := e.S.People.DeletePerson(e.A, p.ID); app.ErrorCode(err) != app.ENOTFOUND {
			t.Errorf("delete B's: %v", err)
		}
		ps, _, _ := e.S.People.FindPeople(e.A, app.PersonFilter{ListOptions: app.ListOptions{Q: "secret"}})
		if len(ps) != 0 {
			t.Errorf("search sees B's: %v", ps)
		}
		if _, _, err := e.S.People.FindPeople(context.Background(), app.PersonFilter{}); app.ErrorCode(err) != app.EUNAUTHORIZED {
			t.Errorf("no tenant: %v", err)
		}
		// Across tenants only for an admin.
		all := app.NewContextAcrossTenants(context.Background())
		if _, _, err := e.S.People.FindPeople(all, app.PersonFilter{}); app.ErrorCode(err) != app.EUNAUTHORIZED {
			t.Errorf("across without admin: %v", err)
		}
		all = app.NewContextWithAdmin(all, &app.Admin{ID: 1})
		if got, err := e.S.People.FindPerson(all, p.ID); err != nil || got.TenantID != e.TB.ID {
			t.Errorf("admin across: %v %v", got, err)
		}
	})
}

func ptr[T any](v T) *T { return &v }

func TestCRMStore_Pagination(t *testing.T) {
	e := newCRMEnv(t)
	var want []int64
	for i := range 25 {
		p := mustPerson(t, e.S, e.A, fmt.Sprintf("P%02d", i), fmt.Sprintf("p%d@x.test", i))
		want = append(want, p.ID)
	}
	for _, sort := range []string{"-created_at", "created_at", "name", "-updated_at"} {
		var got []int64
		cur := ""
		for page := 0; ; page++ {
			ps, next, err := e.S.People.FindPeople(e.A, app.PersonFilter{ListOptions: app.ListOptions{Limit: 10, Cursor: cur, Sort: sort}})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range ps {
				got = append(got, p.ID)
			}
			if page == 0 {
				// An insert between pages neither repeats nor shifts rows.
				mustPerson(t, e.S, e.A, "Zz Late"+sort, "late"+sort+"@x.test")
			}
			if next == "" {
				break
			}
			cur = next
		}
		seen := map[int64]bool{}
		for _, id := range got {
			if seen[id] {
				t.Fatalf("%s: %d repeated in %v", sort, id, got)
			}
			seen[id] = true
		}
		for _, id := range want {
			if !seen[id] {
				t.Fatalf("%s: %d missing from %v", sort, id, got)
			}
		}
	}
	if _, _, err := e.S.People.FindPeople(e.A, app.PersonFilter{ListOptions: app.ListOptions{Cursor: "garbage"}}); app.ErrorField(err) != "cursor" {
		t.Errorf("bad cursor: %v", err)
	}
	if _, _, err := e.S.People.FindPeople(e.A, app.PersonFilter{ListOptions: app.ListOptions{Limit: 201}}); app.ErrorField(err) != "limit" {
		t.Errorf("limit: %v", err)
	}
}

func TestCRMStore_Search(t *testing.T) {
	e := newCRMEnv(t)
	ann := &app.Person{FirstName: "Annabel", LastName: "Quist", Emails: []string{"aq@zeta.test"}, Phones: []string{"+44 20 7946 0958"}}
	if err := e.S.People.CreatePerson(e.A, ann); err != nil {
		t.Fatal(err)
	}
	bob := mustPerson(t, e.S, e.A, "Bob", "bob@x.test")
	if err := e.S.Notes.CreateNote(e.A, &app.Note{RecordType: app.RecordPerson, RecordID: bob.ID, Body: "Talked about **kumquats**"}); err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string]int64{"annab": ann.ID, "zeta": ann.ID, "+44 20 7946 0958": ann.ID, "kumquats": bob.ID, "quist anna": ann.ID} {
		ps, _, err := e.S.People.FindPeople(e.A, app.PersonFilter{ListOptions: app.ListOptions{Q: q}})
		if err != nil || len(ps) != 1 || ps[0].ID != want {
			t.Errorf("q=%q: %v %v", q, ps, err)
		}
	}
	ps, _, err := e.S.People.FindPeople(e.A, app.PersonFilter{ListOptions: app.ListOptions{Q: `"); DROP TABLE x; --`}})
	if err != nil || len(ps) != 0 {
		t.Errorf("hostile q: %v %v", ps, err)
	}
	// The index follows updates and deletes.
	name := "Zoltan"
	if _, err := e.S.People.UpdatePerson(e.A, ann.ID, app.PersonUpdate{Fields: app.FieldValues{"first_name": name}}); err != nil {
		t.Fatal(err)
	}
	if ps, _, _ := e.S.People.FindPeople(e.A, app.PersonFilter{ListOptions: app.ListOptions{Q: "annabel"}}); len(ps) != 0 {
		t.Errorf("old name still found")
	}
	if err := e.S.People.DeletePerson(e.A, ann.ID); err != nil {
		t.Fatal(err)
	}
	if ps, _, _ := e.S.People.FindPeople(e.A, app.PersonFilter{ListOptions: app.ListOptions{Q: "zoltan"}}); len(ps) != 0 {
		t.Errorf("deleted person found")
	}
}

func TestCRMStore_Deal(t *testing.T) {
	e := newCRMEnv(t)
	c := &app.Company{Name: "Acme", Domain: "https://www.Acme.test/"}
	if err := e.S.Companies.CreateCompany(e.A, c); err != nil {
		t.Fatal(err)
	}
	if c.Domain != "acme.test" {
		t.Errorf("domain %q", c.Domain)
	}
	p := mustPerson(t, e.S, e.A, "Dee", "dee@acme.test")
	d := &app.Deal{Name: "Big deal", Amount: 125000, CompanyID: c.ID, PersonIDs: []int64{p.ID}}
	if err := e.S.Deals.CreateDeal(e.A, d); err != nil {
		t.Fatal(err)
	}
	if d.Stage != "Lead" || d.Currency != "USD" || d.PipelineID == 0 {
		t.Fatalf("defaults: %+v", d)
	}
	ps, err := e.S.Stages.Pipelines(e.A)
	if err != nil || len(ps) != 1 || ps[0].Name != "Sales" || len(ps[0].Stages) != 6 {
		t.Fatalf("pipelines: %v %v", ps, err)
	}
	won := "won"
	got, err := e.S.Deals.UpdateDeal(e.A, d.ID, app.DealUpdate{Stage: &won})
	if err != nil || got.Stage != "Won" {
		t.Fatalf("move: %+v %v", got, err)
	}
	tl, _ := e.S.Timeline.FindTimeline(e.A, app.RecordDeal, d.ID)
	if len(tl) != 2 || tl[1].Field != "stage" || tl[1].Old != "Lead" || tl[1].New != "Won" {
		t.Fatalf("timeline: %+v", tl)
	}
	bad := "Nowhere"
	if _, err := e.S.Deals.UpdateDeal(e.A, d.ID, app.DealUpdate{Stage: &bad}); app.ErrorField(err) != "stage" {
		t.Errorf("unknown stage: %v", err)
	}
	if err := e.S.Deals.CreateDeal(e.A, &app.Deal{Name: "x", Currency: "dollars"}); app.ErrorField(err) != "currency" {
		t.Errorf("currency: %v", err)
	}
	ds, _, err := e.S.Deals.FindDeals(e.A, app.DealFilter{Stage: &won, CompanyID: &c.ID})
	if err != nil || len(ds) != 1 || !slices.Equal(ds[0].PersonIDs, []int64{p.ID}) {
		t.Fatalf("filter: %v %v", ds, err)
	}
	// B has its own default pipeline; A's stage IDs mean nothing there.
	if err := e.S.Deals.CreateDeal(e.B, &app.Deal{Name: "b", StageID: d.StageID}); app.ErrorField(err) != "stage" {
		t.Errorf("A's stage in B: %v", err)
	}
}

func TestCRMStore_NotesTasksTimeline(t *testing.T) {
	e := newCRMEnv(t)
	p := mustPerson(t, e.S, e.A, "Tim", "tim@x.test")
	n := &app.Note{RecordType: app.RecordPerson, RecordID: p.ID, Body: "First call"}
	if err := e.S.Notes.CreateNote(e.A, n); err != nil {
		t.Fatal(err)
	}
	task := &app.Task{Title: "Send quote", RecordType: app.RecordPerson, RecordID: p.ID}
	if err := e.S.Tasks.CreateTask(e.A, task); err != nil {
		t.Fatal(err)
	}
	done := true
	if _, err := e.S.Tasks.UpdateTask(e.A, task.ID, app.TaskUpdate{Done: &done}); err != nil {
		t.Fatal(err)
	}
	// A later feature writes through the Timeline interface.
	var tl app.Timeline = e.S.Timeline
	if err := tl.AddTimelineEntry(e.A, &app.TimelineEntry{RecordType: app.RecordPerson, RecordID: p.ID, Kind: "sms", Body: "Hi Tim"}); err != nil {
		t.Fatal(err)
	}
	entries, err := tl.FindTimeline(e.A, app.RecordPerson, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, x := range entries {
		kinds = append(kinds, x.Kind)
	}
	if !slices.Equal(kinds, []string{"created", "note", "task", "task_done", "sms"}) {
		t.Fatalf("kinds %v", kinds)
	}
	if entries[4].Actor != "system" {
		t.Errorf("actor %q", entries[4].Actor)
	}
	// B cannot write onto A's record, nor note it.
	if err := tl.AddTimelineEntry(e.B, &app.TimelineEntry{RecordType: app.RecordPerson, RecordID: p.ID, Kind: "sms"}); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("B on A's record: %v", err)
	}
	if err := e.S.Notes.CreateNote(e.B, &app.Note{RecordType: app.RecordPerson, RecordID: p.ID, Body: "x"}); app.ErrorField(err) != "record_id" {
		t.Errorf("B's note on A's person: %v", err)
	}
	// Deleting the note removes its timeline entry.
	if err := e.S.Notes.DeleteNote(e.A, n.ID); err != nil {
		t.Fatal(err)
	}
	entries, _ = tl.FindTimeline(e.A, app.RecordPerson, p.ID)
	if len(entries) != 4 {
		t.Errorf("after note delete: %d entries", len(entries))
	}
}

func TestCRMStore_BatchAtomic(t *testing.T) {
	e := newCRMEnv(t)
	ps := []*app.Person{{FirstName: "a", Emails: []string{"a@x.test"}}, {FirstName: "b", Emails: []string{"b@x.test"}}, {FirstName: "c", Phones: []string{"nope"}}}
	err := e.S.People.UpsertPeople(e.A, ps)
	if app.ErrorCode(err) != app.EINVALID || app.ErrorField(err) != "records[2].phones" {
		t.Fatalf("batch: %v (field %q)", err, app.ErrorField(err))
	}
	// A reference error found inside the transaction rolls back too.
	ps[2].Phones, ps[2].CompanyID = nil, 999
	if err := e.S.People.UpsertPeople(e.A, ps); app.ErrorField(err) != "records[2].company_id" {
		t.Fatalf("batch ref: %v", err)
	}
	if got, _, _ := e.S.People.FindPeople(e.A, app.PersonFilter{}); len(got) != 0 {
		t.Fatalf("batch wrote %d people", len(got))
	}
	ps[2].CompanyID = 0
	for _, p := range ps {
		p.ID = 0
	}
	if err := e.S.People.UpsertPeople(e.A, ps); err != nil {
		t.Fatal(err)
	}
	ps[0].Title = "Boss"
	if err := e.S.People.UpsertPeople(e.A, ps[:1]); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.S.People.FindPerson(e.A, ps[0].ID); got.Title != "Boss" {
		t.Errorf("upsert update: %+v", got)
	}
}

func TestCRMStore_DuplicatesAndMerge(t *testing.T) {
	e := newCRMEnv(t)
	keep := &app.Person{FirstName: "Kim", Emails: []string{"kim@x.test"}, Phones: []string{"512 555 0101"}}
	drop := &app.Person{FirstName: "Kimberly", LastName: "Ray", Title: "CFO", Emails: []string{"KIM@x.test", "kr@y.test"}, Tags: []string{"vip"}}
	other := &app.Person{FirstName: "Other", Phones: []string{"+1 (512) 555-0101"}}
	for _, p := range []*app.Person{keep, drop, other} {
		if err := e.S.People.CreatePerson(e.A, p); err != nil {
			t.Fatal(err)
		}
	}
	// Same phone in B is no duplicate of A's.
	if err := e.S.People.CreatePerson(e.B, &app.Person{FirstName: "B", Phones: []string{"5125550101"}}); err != nil {
		t.Fatal(err)
	}
	dups, err := e.S.People.FindDuplicates(e.A, keep.ID)
	if err != nil || len(dups) != 2 || dups[0].ID != drop.ID || dups[1].ID != other.ID {
		t.Fatalf("duplicates: %v %v", dups, err)
	}
	n := &app.Note{RecordType: app.RecordPerson, RecordID: drop.ID, Body: "dropped note"}
	if err := e.S.Notes.CreateNote(e.A, n); err != nil {
		t.Fatal(err)
	}
	task := &app.Task{Title: "drop task", RecordType: app.RecordPerson, RecordID: drop.ID}
	if err := e.S.Tasks.CreateTask(e.A, task); err != nil {
		t.Fatal(err)
	}
	d := &app.Deal{Name: "Shared", PersonIDs: []int64{drop.ID}}
	if err := e.S.Deals.CreateDeal(e.A, d); err != nil {
		t.Fatal(err)
	}
	before, _ := e.S.Timeline.FindTimeline(e.A, app.RecordPerson, drop.ID)
	got, err := e.S.People.MergePeople(e.A, keep.ID, drop.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Emails, []string{"kim@x.test", "kr@y.test"}) || got.LastName != "Ray" || got.Title != "CFO" || got.FirstName != "Kim" || !slices.Equal(got.Tags, []string{"vip"}) {
		t.Errorf("merged: %+v", got)
	}
	if _, err := e.S.People.FindPerson(e.A, drop.ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("drop still there: %v", err)
	}
	if x, _ := e.S.Notes.FindNote(e.A, n.ID); x == nil || x.RecordID != keep.ID {
		t.Errorf("note not moved: %+v", x)
	}
	if x, _ := e.S.Tasks.FindTask(e.A, task.ID); x == nil || x.RecordID != keep.ID {
		t.Errorf("task not moved: %+v", x)
	}
	if x, _ := e.S.Deals.FindDeal(e.A, d.ID); !slices.Equal(x.PersonIDs, []int64{keep.ID}) {
		t.Errorf("deal people: %v", x.PersonIDs)
	}
	tl, _ := e.S.Timeline.FindTimeline(e.A, app.RecordPerson, keep.ID)
	if len(tl) < len(before)+2 || tl[len(tl)-1].Kind != app.TimelineMerged {
		t.Errorf("timeline after merge: %d entries (drop had %d)", len(tl), len(before))
	}
	if ps, _, _ := e.S.People.FindPeople(e.A, app.PersonFilter{Email: ptr("kr@y.test")}); len(ps) != 1 || ps[0].ID != keep.ID {
		t.Errorf("email index after merge: %v", ps)
	}
	if _, err := e.S.People.MergePeople(e.A, keep.ID, keep.ID); app.ErrorCode(err) != app.EINVALID {
		t.Errorf("self merge: %v", err)
	}
	bp := mustPerson(t, e.S, e.B, "Bee", "bee@b.test")
	if _, err := e.S.People.MergePeople(e.A, keep.ID, bp.ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("merge B's person: %v", err)
	}
}

func TestCRMStore_CustomFields(t *testing.T) {
	e := newCRMEnv(t)
	for _, f := range []*app.CustomField{
		{Object: app.RecordPerson, Key: "budget", Type: app.CustomNumber},
		{Object: app.RecordPerson, Key: "plan", Type: app.CustomSelect, Options: []string{"basic", "pro"}},
		{Object: app.RecordPerson, Key: "site", Type: app.CustomURL},
	} {
		if err := e.S.Fields.CreateCustomField(e.A, f); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.S.Fields.CreateCustomField(e.A, &app.CustomField{Object: app.RecordPerson, Key: "plan", Type: app.CustomText}); app.ErrorCode(err) != app.ECONFLICT {
		t.Errorf("duplicate key: %v", err)
	}
	if err := e.S.Fields.CreateCustomField(e.A, &app.CustomField{Object: app.RecordPerson, Key: "x", Type: app.CustomSelect}); app.ErrorField(err) != "options" {
		t.Errorf("select without options: %v", err)
	}
	p := &app.Person{FirstName: "Cy", Custom: map[string]any{"budget": 1200.5, "plan": "pro"}}
	if err := e.S.People.CreatePerson(e.A, p); err != nil {
		t.Fatal(err)
	}
	for field, vals := range map[string]map[string]any{
		"custom.plan":    {"plan": "gold"},
		"custom.budget":  {"budget": "lots"},
		"custom.site":    {"site": "javascript:alert(1)"},
		"custom.unknown": {"unknown": "x"},
	} {
		if _, err := e.S.People.UpdatePerson(e.A, p.ID, app.PersonUpdate{Custom: vals}); app.ErrorField(err) != field {
			t.Errorf("%s: %v", field, err)
		}
	}
	// B has no such fields: the same values are unknown there.
	if err := e.S.People.CreatePerson(e.B, &app.Person{FirstName: "B", Custom: map[string]any{"plan": "pro"}}); app.ErrorField(err) != "custom.plan" {
		t.Errorf("B: %v", err)
	}
	got, err := e.S.People.UpdatePerson(e.A, p.ID, app.PersonUpdate{Custom: map[string]any{"plan": "basic", "budget": nil}})
	if err != nil || got.Custom["plan"] != "basic" || got.Custom["budget"] != nil {
		t.Fatalf("update: %+v %v", got, err)
	}
	tl, _ := e.S.Timeline.FindTimeline(e.A, app.RecordPerson, p.ID)
	var changed []string
	for _, x := range tl {
		if x.Kind == app.TimelineUpdated {
			changed = append(changed, x.Field+":"+x.Old+">"+x.New)
		}
	}
	if !slices.Equal(changed, []string{"custom.plan:pro>basic", "custom.budget:1200.5>"}) {
		t.Errorf("timeline: %v", changed)
	}
	fs, _ := e.S.Fields.FindCustomFields(e.A, app.RecordPerson)
	if err := e.S.Fields.DeleteCustomField(e.A, fs[1].ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.S.People.FindPerson(e.A, p.ID); len(got.Custom) != 0 {
		t.Errorf("values left after the field was deleted: %v", got.Custom)
	}
	if err := e.S.Fields.DeleteCustomField(e.B, fs[0].ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("B deletes A's field: %v", err)
	}
}

func TestCRMStore_Pipelines(t *testing.T) {
	e := newCRMEnv(t)
	p := &app.Pipeline{Name: "Renewals", Stages: []*app.Stage{{Name: "Due", Probability: 50}, {Name: "Renewed", Probability: 100, Won: true}, {Name: "Churned", Lost: true}}}
	if err := e.S.Stages.CreatePipeline(e.A, p); err != nil {
		t.Fatal(err)
	}
	if err := e.S.Stages.CreatePipeline(e.A, &app.Pipeline{Name: "Renewals", Stages: []*app.Stage{{Name: "x"}}}); app.ErrorCode(err) != app.ECONFLICT {
		t.Errorf("same name: %v", err)
	}
	if err := e.S.Stages.CreatePipeline(e.A, &app.Pipeline{Name: "Bad", Stages: []*app.Stage{{Name: "x", Probability: 120}}}); app.ErrorField(err) != "stages" {
		t.Errorf("bad probability: %v", err)
	}
	ps, _ := e.S.Stages.Pipelines(e.A)
	if len(ps) != 2 || ps[0].Name != "Sales" || ps[1].Name != "Renewals" {
		t.Fatalf("pipelines: %v", ps)
	}
	d := &app.Deal{Name: "Renew X", PipelineID: p.ID, StageRef: "due"}
	if err := e.S.Deals.CreateDeal(e.A, d); err != nil || d.StageID != p.Stages[0].ID {
		t.Fatalf("deal in Renewals: %+v %v", d, err)
	}
	// Swap names, drop an empty stage, add one; the deal's stage keeps its ID.
	due, renewed := p.Stages[0], p.Stages[1]
	got, err := e.S.Stages.UpdatePipeline(e.A, p.ID, nil, []*app.Stage{{ID: renewed.ID, Name: "Due", Probability: 40}, {ID: due.ID, Name: "Renewed", Probability: 100, Won: true}, {Name: "Lost"}})
	if err != nil || len(got.Stages) != 3 || got.Stages[0].ID != renewed.ID || got.Stages[2].Name != "Lost" {
		t.Fatalf("update: %+v %v", got, err)
	}
	// A stage with deals cannot go.
	if _, err := e.S.Stages.UpdatePipeline(e.A, p.ID, nil, []*app.Stage{{ID: renewed.ID, Name: "Only"}}); app.ErrorField(err) != "stages" {
		t.Errorf("remove a stage with deals: %v", err)
	}
	if _, err := e.S.Stages.UpdatePipeline(e.B, p.ID, nil, nil); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("B updates A's pipeline: %v", err)
	}
}

// The full-text search covers exactly the text fields whose descriptor
// says Search, of every kind, on create and on update: a new field marked
// Search is found without touching the store.
func TestCRMStore_SearchFollowsFieldDescriptors(t *testing.T) {
	e := newCRMEnv(t)
	type kind struct {
		k      *app.RecordKind
		rec    func() any // a valid new record
		create func(any) error
		update func(id int64, vals app.FieldValues) error
		find   func(q string) ([]int64, error)
		id     func(any) int64
	}
	kinds := []kind{
		{app.KindPerson, func() any { return &app.Person{FirstName: "Pat"} },
			func(r any) error { return e.S.People.CreatePerson(e.A, r.(*app.Person)) },
			func(id int64, v app.FieldValues) error {
				_, err := e.S.People.UpdatePerson(e.A, id, app.PersonUpdate{Fields: v})
				return err
			},
			func(q string) ([]int64, error) {
				rs, _, err := e.S.People.FindPeople(e.A, app.PersonFilter{ListOptions: app.ListOptions{Q: q}})
				return idsOf(rs, func(r *app.Person) int64 { return r.ID }), err
			}, func(r any) int64 { return r.(*app.Person).ID }},
		{app.KindCompany, func() any { return &app.Company{Name: "Co"} },
			func(r any) error { return e.S.Companies.CreateCompany(e.A, r.(*app.Company)) },
			func(id int64, v app.FieldValues) error {
				_, err := e.S.Companies.UpdateCompany(e.A, id, app.CompanyUpdate{Fields: v})
				return err
			},
			func(q string) ([]int64, error) {
				rs, _, err := e.S.Companies.FindCompanies(e.A, app.CompanyFilter{ListOptions: app.ListOptions{Q: q}})
				return idsOf(rs, func(r *app.Company) int64 { return r.ID }), err
			}, func(r any) int64 { return r.(*app.Company).ID }},
		{app.KindDeal, func() any { return &app.Deal{Name: "Deal"} },
			func(r any) error { return e.S.Deals.CreateDeal(e.A, r.(*app.Deal)) },
			func(id int64, v app.FieldValues) error {
				_, err := e.S.Deals.UpdateDeal(e.A, id, app.DealUpdate{Fields: v})
				return err
			},
			func(q string) ([]int64, error) {
				rs, _, err := e.S.Deals.FindDeals(e.A, app.DealFilter{ListOptions: app.ListOptions{Q: q}})
				return idsOf(rs, func(r *app.Deal) int64 { return r.ID }), err
			}, func(r any) int64 { return r.(*app.Deal).ID }},
	}
	searched := 0
	for _, kd := range kinds {
		for i, f := range kd.k.Fields {
			if f.Type != app.ValueText && f.Type != app.ValueLongText {
				continue // selects and dates hold no free words
			}
			word := func(stage string) string { return fmt.Sprintf("zq%s%s%d", stage, kd.k.Type, i) }
			value := func(w string) string {
				if f.Key == "domain" {
					return w + ".test"
				}
				return "Word " + w
			}
			rec := kd.rec()
			f.Set(rec, value(word("new")))
			if err := kd.create(rec); err != nil {
				t.Fatalf("%s.%s: %v", kd.k.Type, f.Key, err)
			}
			if err := kd.update(kd.id(rec), app.FieldValues{f.Key: value(word("upd"))}); err != nil {
				t.Fatalf("%s.%s update: %v", kd.k.Type, f.Key, err)
			}
			for stage, wantFound := range map[string]bool{"new": false, "upd": f.Search} {
				ids, err := kd.find(word(stage))
				if err != nil {
					t.Fatal(err)
				}
				if found := slices.Contains(ids, kd.id(rec)); found != wantFound {
					t.Errorf("%s.%s (Search %v): search for its %s value found it: %v, want %v", kd.k.Type, f.Key, f.Search, stage, found, wantFound)
				}
			}
			if f.Search {
				searched++
			}
		}
	}
	if searched < 3 {
		t.Fatalf("only %d searched fields across the kinds", searched)
	}
}

func idsOf[T any](rs []T, id func(T) int64) []int64 {
	out := make([]int64, len(rs))
	for i, r := range rs {
		out[i] = id(r)
	}
	return out
}

// TestCRMStore_LinkTypeMessage: a timeline entry on a type nothing links
// to is refused naming record_type, with the message app's link types
// give (every kind, then pursuits).
func TestCRMStore_LinkTypeMessage(t *testing.T) {
	e := newCRMEnv(t)
	for _, typ := range []string{"ticket", "people"} {
		err := e.S.Timeline.AddTimelineEntry(e.A, &app.TimelineEntry{RecordType: typ, RecordID: 1, Kind: "sms", Body: "x"})
		if app.ErrorField(err) != "record_type" || app.ErrorMessage(err) != "record_type must be person, company, deal, pursuit or grant_pursuit." {
			t.Errorf("%q: %v", typ, err)
		}
	}
}
