package app_test

import (
	"slices"
	"testing"

	"orengen/app"
)

func TestMergePerson(t *testing.T) {
	base := &app.Person{FirstName: "Ada", Title: "", Address: "1 Old St", Source: "", OwnerID: 0, CompanyID: 0,
		Emails: []string{"ada@a.test"}, Tags: []string{"vip"}, Consent: app.Consent{Email: true},
		Custom: map[string]any{"tier": "gold", "seat": 1.0}}
	in := &app.Person{FirstName: "Ada L.", LastName: "Lovelace", Title: "CTO", Address: "", Source: "import", OwnerID: 7, CompanyID: 3,
		Emails: []string{"ada@b.test", "ada@a.test"}, Tags: []string{"lead"}, Consent: app.Consent{SMS: true},
		Custom: map[string]any{"tier": "silver"}}

	// A merge: the kept person wins, the other fills what it lacks.
	m := app.MergePerson(base, in, false)
	if m.FirstName != "Ada" || m.LastName != "Lovelace" || m.Title != "CTO" || m.Address != "1 Old St" || m.CompanyID != 3 {
		t.Errorf("merge one-value fields = %q %q %q %q %d", m.FirstName, m.LastName, m.Title, m.Address, m.CompanyID)
	}
	if m.Source != "import" || m.OwnerID != 7 {
		t.Errorf("merge fills the missing source and owner: %q %d", m.Source, m.OwnerID)
	}
	if m.Custom["tier"] != "gold" || len(m.Custom) != 2 {
		t.Errorf("merge keeps the kept custom values: %v", m.Custom)
	}

	// An import's update: the row wins, provenance stays the stored one's.
	u := app.MergePerson(base, in, true)
	if u.FirstName != "Ada L." || u.LastName != "Lovelace" || u.Title != "CTO" || u.Address != "1 Old St" || u.CompanyID != 3 {
		t.Errorf("update one-value fields = %q %q %q %q %d", u.FirstName, u.LastName, u.Title, u.Address, u.CompanyID)
	}
	if u.Source != "" || u.OwnerID != 0 {
		t.Errorf("update keeps the stored source and owner: %q %d", u.Source, u.OwnerID)
	}
	if u.Custom["tier"] != "silver" || u.Custom["seat"] != 1.0 {
		t.Errorf("update merges custom values key by key: %v", u.Custom)
	}

	for _, r := range []*app.Person{m, u} {
		if !slices.Equal(r.Emails, []string{"ada@a.test", "ada@b.test"}) || !slices.Equal(r.Tags, []string{"vip", "lead"}) {
			t.Errorf("lists united base first: %v %v", r.Emails, r.Tags)
		}
		if !r.Consent.Email || !r.Consent.SMS || r.Consent.Calls {
			t.Errorf("consent granted by either: %+v", r.Consent)
		}
	}
	if base.FirstName != "Ada" || len(base.Emails) != 1 || len(base.Custom) != 2 {
		t.Errorf("base changed: %+v", base)
	}
}

func TestMergeDealAndCompany(t *testing.T) {
	p := 40
	d := app.MergeDeal(&app.Deal{Amount: 100, Currency: "USD", CompanyID: 2, PersonIDs: []int64{1}, Tags: []string{"a"}},
		&app.Deal{Amount: 0, Currency: "EUR", Probability: &p, Tags: []string{"b", "a"}})
	if d.Amount != 100 || d.Currency != "USD" || d.CompanyID != 2 || d.Probability == nil || *d.Probability != 40 || !slices.Equal(d.Tags, []string{"a", "b"}) {
		t.Errorf("deal = %+v", d)
	}
	c := app.MergeCompany(&app.Company{Name: "Acme", Domain: "acme.test"}, &app.Company{Domain: "acme.example", Industry: "Tools"})
	if c.Name != "Acme" || c.Domain != "acme.example" || c.Industry != "Tools" {
		t.Errorf("company = %+v", c)
	}
}

func TestKindOf(t *testing.T) {
	for name, want := range map[string]*app.RecordKind{"person": app.KindPerson, "people": app.KindPerson, "Companies": app.KindCompany,
		"deal": app.KindDeal, "opportunity": app.KindDeal, "opportunities": app.KindDeal, "note": nil, "": nil} {
		if got := app.KindOf(name); got != want {
			t.Errorf("KindOf(%q) = %v, want %v", name, got, want)
		}
	}
	if len(app.RecordKinds) != 3 || app.RecordKinds[2].Plural != "deals" || app.KindCompany.Type != app.RecordCompany {
		t.Errorf("kinds = %v", app.RecordKinds)
	}
}
