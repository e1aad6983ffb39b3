package store_test

import (
	"testing"

	"orengen/app"
)

// TestCRMStore_ImportBatch: each kind's rows are matched to the oldest
// duplicate (a company by domain, else name; a deal by name; a person by
// email or phone), merged under DedupeUpdate, skipped under DedupeSkip,
// and a row's company name links the record; a row of another kind than
// the job's fails the batch and writes nothing.
func TestCRMStore_ImportBatch(t *testing.T) {
	e := newCRMEnv(t)
	acme := &app.Company{Name: "Acme", Domain: "acme.test"}
	if err := e.S.Companies.CreateCompany(e.A, acme); err != nil {
		t.Fatal(err)
	}
	ann := mustPerson(t, e.S, e.A, "Ann", "ann@x.test")
	job := func(object, dedupe string) *app.ImportJob {
		j := &app.ImportJob{Object: object, FileName: "x.csv", Dedupe: dedupe}
		if err := e.S.Imports.CreateImportJob(e.A, j); err != nil {
			t.Fatal(err)
		}
		return j
	}

	j := job(app.RecordCompany, app.DedupeUpdate)
	n, err := e.S.Imports.ImportBatch(e.A, j, []*app.ImportRecord{
		{Line: 2, Company: &app.Company{Name: "Acme Inc", Domain: "acme.test", Industry: "Tools"}},
		{Line: 3, Company: &app.Company{Name: "Globex"}},
		{Line: 4, Company: &app.Company{Name: "GLOBEX", Industry: "Media"}},
	})
	if err != nil || n != (app.ImportCounts{Created: 1, Updated: 2}) || j.Created != 1 || j.Updated != 2 {
		t.Fatalf("companies: %+v %v (job %+v)", n, err, j)
	}
	if c, _ := e.S.Companies.FindCompany(e.A, acme.ID); c.Industry != "Tools" {
		t.Errorf("merged company: %+v", c)
	}
	if cs, _, _ := e.S.Companies.FindCompanies(e.A, app.CompanyFilter{}); len(cs) != 2 {
		t.Errorf("companies: %d, want acme and globex", len(cs))
	}
	if cs, _, _ := e.S.Companies.FindCompanies(e.A, app.CompanyFilter{Fields: map[string]string{"industry": "Media"}}); len(cs) != 1 {
		t.Errorf("company matched by name: %+v", cs)
	}

	j = job(app.RecordDeal, app.DedupeSkip)
	n, err = e.S.Imports.ImportBatch(e.A, j, []*app.ImportRecord{
		{Line: 2, Deal: &app.Deal{Name: "Big deal", Currency: "USD"}, CompanyName: "acme inc"},
		{Line: 3, Deal: &app.Deal{Name: "big DEAL", Currency: "USD"}},
	})
	if err != nil || n != (app.ImportCounts{Created: 1, Skipped: 1}) {
		t.Fatalf("deals: %+v %v", n, err)
	}
	ds, _, err := e.S.Deals.FindDeals(e.A, app.DealFilter{})
	if err != nil || len(ds) != 1 || ds[0].CompanyID != acme.ID {
		t.Fatalf("deals: %+v %v", ds, err)
	}

	j = job(app.RecordPerson, app.DedupeUpdate)
	n, err = e.S.Imports.ImportBatch(e.A, j, []*app.ImportRecord{{Line: 2, Person: &app.Person{FirstName: "Ann", Emails: []string{"ann@x.test"}, Title: "CTO"}, CompanyName: "Acme Inc"}})
	if err != nil || n != (app.ImportCounts{Updated: 1}) {
		t.Fatalf("people: %+v %v", n, err)
	}
	if p, _ := e.S.People.FindPerson(e.A, ann.ID); p.Title != "CTO" || p.CompanyID != acme.ID {
		t.Errorf("merged person: %+v", p)
	}

	// A company row in a people job: the batch fails, nothing is written.
	j = job(app.RecordPerson, app.DedupeCreate)
	if _, err := e.S.Imports.ImportBatch(e.A, j, []*app.ImportRecord{
		{Line: 2, Person: &app.Person{FirstName: "Bo", Emails: []string{"bo@x.test"}}},
		{Line: 3, Company: &app.Company{Name: "Initech"}},
	}); err == nil {
		t.Fatal("a company row in a people job was written")
	}
	if ps, _, _ := e.S.People.FindPeople(e.A, app.PersonFilter{Email: ptr("bo@x.test")}); len(ps) != 0 || j.Created != 0 {
		t.Errorf("half-written batch: %+v %+v", ps, j)
	}
}
