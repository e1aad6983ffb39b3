package store_test

import (
	"context"
	"strings"
	"testing"

	"orengen/app"
	"orengen/store"
)

func TestSiteStore_Seed(t *testing.T) {
	db := MustOpenDB(t)
	s := store.NewSiteStore(db)
	ctx := context.Background()
	seeded, err := s.SeedSite(ctx)
	if err != nil || !seeded {
		t.Fatalf("first seed = %v, %v", seeded, err)
	}
	pages, err := s.FindPages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"": true, "services": true, "pricing": true, "case-studies": true, "about": true, "contact": true}
	for _, p := range pages {
		delete(want, p.Slug)
		if err := p.Validate(); err != nil {
			t.Errorf("seeded page %q invalid: %v", p.Slug, err)
		}
	}
	if len(want) != 0 {
		t.Fatalf("missing seeded pages %v", want)
	}
	// An edit survives a second seed.
	home, _ := s.FindPageBySlug(ctx, "")
	home.Title = "Edited"
	if err := s.UpsertPage(ctx, home); err != nil {
		t.Fatal(err)
	}
	if seeded, err := s.SeedSite(ctx); err != nil || seeded {
		t.Fatalf("second seed = %v, %v", seeded, err)
	}
	if got, _ := s.FindPageBySlug(ctx, ""); got.Title != "Edited" {
		t.Fatalf("title = %q", got.Title)
	}
	st, err := s.SiteSettings(ctx)
	if err != nil || st.Name != "OrenGen" || st.DemoText == "" {
		t.Fatalf("settings = %+v, %v", st, err)
	}
}

func TestSiteStore_UpsertPage_Invalid(t *testing.T) {
	s := store.NewSiteStore(MustOpenDB(t))
	ctx := context.Background()
	for name, p := range map[string]*app.Page{
		"slug":    {Slug: "Bad Slug", Title: "x"},
		"title":   {Slug: "x"},
		"blocks":  {Slug: "x", Title: "x", Blocks: []app.Block{{Type: "marquee"}}},
		"blocks ": {Slug: "x", Title: "x", Blocks: []app.Block{{Type: "cta", CTA: &app.Link{Label: "x", URL: "javascript:alert(1)"}}}},
	} {
		err := s.UpsertPage(ctx, p)
		if app.ErrorCode(err) != app.EINVALID || app.ErrorField(err) != strings.TrimSpace(name) {
			t.Errorf("%s: err = %v (field %q)", name, err, app.ErrorField(err))
		}
	}
	if pages, _ := s.FindPages(ctx); len(pages) != 0 {
		t.Fatalf("invalid pages were written: %d", len(pages))
	}
}

func TestLeadStore(t *testing.T) {
	s := store.NewLeadStore(MustOpenDB(t))
	ctx := context.Background()
	for _, tc := range []struct {
		lead  app.Lead
		field string
	}{
		{app.Lead{Email: "a@example.com"}, "first_name"},
		{app.Lead{FirstName: "A"}, "email"},
		{app.Lead{FirstName: "A", Email: "not-an-email"}, "email"},
		{app.Lead{FirstName: "A", Phone: "call me"}, "phone"},
	} {
		l := tc.lead
		if err := s.CreateLead(ctx, &l); app.ErrorField(err) != tc.field {
			t.Errorf("%+v: err = %v, want field %s", tc.lead, err, tc.field)
		}
	}
	l := &app.Lead{FirstName: " Ann ", Email: "ANN@example.com", Phone: "+1 512 555 0100"}
	if err := s.CreateLead(ctx, l); err != nil {
		t.Fatal(err)
	}
	leads, total, err := s.FindLeads(ctx, 10)
	if err != nil || total != 1 || len(leads) != 1 {
		t.Fatalf("leads = %v, %d, %v", leads, total, err)
	}
	if leads[0].FirstName != "Ann" || leads[0].Email != "ann@example.com" {
		t.Fatalf("lead not normalised: %+v", leads[0])
	}
}
