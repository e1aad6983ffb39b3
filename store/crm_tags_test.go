package store_test

import (
	"slices"
	"testing"

	"orengen/app"
)

func TestCRMStore_Tags(t *testing.T) {
	e := newCRMEnv(t)
	c := &app.Company{Name: "Acme", Tags: []string{" Partner ", "VIP", "vip"}}
	if err := e.S.Companies.CreateCompany(e.A, c); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Tags, []string{"partner", "vip"}) {
		t.Fatalf("company tags %v", c.Tags)
	}
	d := &app.Deal{Name: "Big one", Tags: []string{"vip"}}
	if err := e.S.Deals.CreateDeal(e.A, d); err != nil {
		t.Fatal(err)
	}
	p := mustPerson(t, e.S, e.A, "Ann", "ann@example.com")
	if _, err := e.S.People.UpdatePerson(e.A, p.ID, app.PersonUpdate{Tags: &[]string{"vip", "lead"}}); err != nil {
		t.Fatal(err)
	}
	// Tenant B's tags are not A's.
	if err := e.S.Companies.CreateCompany(e.B, &app.Company{Name: "Other", Tags: []string{"vip"}}); err != nil {
		t.Fatal(err)
	}

	t.Run("Validate", func(t *testing.T) {
		many := make([]string, 31)
		for i := range many {
			many[i] = string(rune('a'+i%26)) + string(rune('a'+i/26))
		}
		for _, tags := range [][]string{many, {"-bad"}, {string(make([]byte, 51))}} {
			err := e.S.Companies.CreateCompany(e.A, &app.Company{Name: "X", Tags: tags})
			if app.ErrorCode(err) != app.EINVALID || app.ErrorField(err) != "tags" {
				t.Fatalf("company %v: %v", len(tags), err)
			}
			_, err = e.S.Deals.UpdateDeal(e.A, d.ID, app.DealUpdate{Tags: &tags})
			if app.ErrorCode(err) != app.EINVALID || app.ErrorField(err) != "tags" {
				t.Fatalf("deal %v: %v", len(tags), err)
			}
		}
	})

	t.Run("FilterSearchTimeline", func(t *testing.T) {
		cs, _, err := e.S.Companies.FindCompanies(e.A, app.CompanyFilter{Tag: ptr("VIP")})
		if err != nil || len(cs) != 1 || cs[0].ID != c.ID {
			t.Fatalf("company tag filter: %v %v", cs, err)
		}
		ds, _, err := e.S.Deals.FindDeals(e.A, app.DealFilter{Tag: ptr("vip")})
		if err != nil || len(ds) != 1 || !slices.Equal(ds[0].Tags, []string{"vip"}) {
			t.Fatalf("deal tag filter: %v %v", ds, err)
		}
		w := app.Where{Conditions: []app.Condition{{Field: "tag", Op: "eq", Value: "partner"}}}
		if cs, _, err = e.S.Companies.FindCompanies(e.A, app.CompanyFilter{ListOptions: app.ListOptions{Where: w}}); err != nil || len(cs) != 1 {
			t.Fatalf("company where tag: %v %v", cs, err)
		}
		if ds, _, err = e.S.Deals.FindDeals(e.A, app.DealFilter{ListOptions: app.ListOptions{Where: w}}); err != nil || len(ds) != 0 {
			t.Fatalf("deal where tag: %v %v", ds, err)
		}
		if cs, _, err = e.S.Companies.FindCompanies(e.A, app.CompanyFilter{ListOptions: app.ListOptions{Q: "partner"}}); err != nil || len(cs) != 1 {
			t.Fatalf("company search by tag: %v %v", cs, err)
		}
		if _, err := e.S.Companies.UpdateCompany(e.A, c.ID, app.CompanyUpdate{Tags: &[]string{"partner", "vip", "gold"}}); err != nil {
			t.Fatal(err)
		}
		tl, err := e.S.Timeline.FindTimeline(e.A, app.RecordCompany, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		last := tl[len(tl)-1]
		if last.Field != "tags" || last.Old != "partner, vip" || last.New != "partner, vip, gold" {
			t.Fatalf("timeline %+v", last)
		}
	})

	t.Run("ListRenameDelete", func(t *testing.T) {
		tags, err := e.S.Tags.FindTags(e.A)
		if err != nil {
			t.Fatal(err)
		}
		want := []app.TagCount{{Tag: "gold", Companies: 1}, {Tag: "lead", People: 1}, {Tag: "partner", Companies: 1}, {Tag: "vip", People: 1, Companies: 1, Deals: 1}}
		if !slices.Equal(tags, want) {
			t.Fatalf("tags %+v", tags)
		}
		if _, err := e.S.Tags.RenameTag(e.A, "vip", "bad tag!"); app.ErrorCode(err) != app.EINVALID || app.ErrorField(err) != "tag" {
			t.Fatalf("bad rename: %v", err)
		}
		if _, err := e.S.Tags.RenameTag(e.B, "lead", "x"); app.ErrorCode(err) != app.ENOTFOUND {
			t.Fatalf("other tenant rename: %v", err)
		}
		// Renaming into a tag a record already has keeps one.
		n, err := e.S.Tags.RenameTag(e.A, "vip", "Gold")
		if err != nil || n != 3 {
			t.Fatalf("rename: %d %v", n, err)
		}
		got, _ := e.S.Companies.FindCompany(e.A, c.ID)
		if !slices.Equal(got.Tags, []string{"partner", "gold"}) {
			t.Fatalf("company after rename %v", got.Tags)
		}
		gd, _ := e.S.Deals.FindDeal(e.A, d.ID)
		if !slices.Equal(gd.Tags, []string{"gold"}) {
			t.Fatalf("deal after rename %v", gd.Tags)
		}
		tl, _ := e.S.Timeline.FindTimeline(e.A, app.RecordDeal, d.ID)
		if last := tl[len(tl)-1]; last.Field != "tags" || last.Old != "vip" || last.New != "gold" {
			t.Fatalf("deal timeline %+v", last)
		}
		if ps, _, _ := e.S.People.FindPeople(e.A, app.PersonFilter{ListOptions: app.ListOptions{Q: "gold"}}); len(ps) != 1 {
			t.Fatalf("search after rename: %v", ps)
		}
		bt, _ := e.S.Tags.FindTags(e.B)
		if !slices.Equal(bt, []app.TagCount{{Tag: "vip", Companies: 1}}) {
			t.Fatalf("tenant B tags changed: %+v", bt)
		}
		if n, err = e.S.Tags.DeleteTag(e.A, "gold"); err != nil || n != 3 {
			t.Fatalf("delete: %d %v", n, err)
		}
		if _, err = e.S.Tags.DeleteTag(e.A, "gold"); app.ErrorCode(err) != app.ENOTFOUND {
			t.Fatalf("delete again: %v", err)
		}
		tags, _ = e.S.Tags.FindTags(e.A)
		if !slices.Equal(tags, []app.TagCount{{Tag: "lead", People: 1}, {Tag: "partner", Companies: 1}}) {
			t.Fatalf("tags after delete %+v", tags)
		}
	})
}
