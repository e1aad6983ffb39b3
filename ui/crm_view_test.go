package ui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"orengen/app"
	"orengen/ui"
)

func TestCRMViews(t *testing.T) {
	e := newTenantEnv(t)
	ctx := app.NewContextWithTenant(context.Background(), e.A.T)
	if err := e.Server.CRM.CreateCustomField(ctx, &app.CustomField{Object: app.RecordPerson, Key: "budget", Label: "Budget", Type: app.CustomNumber}); err != nil {
		t.Fatal(err)
	}
	for i, b := range []float64{10, 2000, 3000} {
		p := &app.Person{FirstName: fmt.Sprintf("Viewed%d", i), Title: []string{"Chef", "CTO", "Head CTO"}[i], Emails: []string{fmt.Sprintf("v%d@view.test", i)}, Custom: map[string]any{"budget": b}}
		if err := e.Server.CRM.CreatePerson(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	get := func(path string) (int, string, *http.Response) {
		return e.do(treq{Host: ui.HostPortal, Method: "GET", Path: path, Cookies: map[string]string{"psid": e.A.Cookie}})
	}
	// An unsaved view from the form: custom column, and-conditions, sort.
	q := url.Values{"col": {"name", "title", "custom.budget"}, "match": {"and"}, "cf0": {"title"}, "co0": {"contains"}, "cv0": {"cto"},
		"cf1": {"custom.budget"}, "co1": {"gt"}, "cv1": {"2500"}, "sort": {"name"}}
	st, body, _ := get("/crm/people?" + q.Encode())
	if st != 200 || !strings.Contains(body, "<th>Budget</th>") || !strings.Contains(body, "<td>3000</td>") || strings.Contains(body, "Viewed1") || strings.Contains(body, "Viewed0") {
		t.Fatalf("unsaved view: %d %.4000s", st, body)
	}
	// The CSV export of the same view: its columns and rows only.
	st, csvBody, _ := get("/crm/people.csv?" + q.Encode())
	if st != 200 || csvBody != "name,title,custom.budget\nViewed2,Head CTO,3000\n" {
		t.Fatalf("view export: %d %q", st, csvBody)
	}
	// Save it (or-match this time), then use it by ID in the portal and the API.
	form := url.Values{"object": {app.RecordPerson}, "name": {"Big budgets"}, "col": {"name", "custom.budget"}, "match": {"or"},
		"cf0": {"custom.budget"}, "co0": {"gt"}, "cv0": {"2500"}, "cf1": {"title"}, "co1": {"eq"}, "cv1": {"chef"}, "sort": {"-name"}}
	st, _, resp := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/crm/views", Form: form, CSRF: true, Cookies: map[string]string{"psid": e.A.Cookie}})
	loc := resp.Header.Get("Location")
	if st != http.StatusSeeOther || !strings.HasPrefix(loc, "/crm/people?view=") {
		t.Fatalf("save view: %d %q", st, loc)
	}
	st, body, _ = get(loc)
	i2, i0 := strings.Index(body, "Viewed2"), strings.Index(body, "Viewed0")
	if st != 200 || !strings.Contains(body, "Big budgets") || i2 < 0 || i0 < 0 || i2 > i0 || strings.Contains(body, "Viewed1") {
		t.Fatalf("saved view: %d %.4000s", st, body)
	}
	viewID := strings.TrimPrefix(loc, "/crm/people?view=")
	stA, page, raw := e.api(ui.HostPortal, "GET", "/api/v1/people?view="+viewID, e.A.KeyWrite, "")
	if stA != 200 || len(page.Data) != 2 || !strings.Contains(raw, "Viewed2") || !strings.Contains(raw, "Viewed0") {
		t.Fatalf("api view: %d %s", stA, raw)
	}
	// B's view is not A's: 404 in the portal and the API.
	if st, _, _ := get(fmt.Sprintf("/crm/people?view=%d", e.B.View.ID)); st != http.StatusNotFound {
		t.Errorf("B's view in A's portal: %d", st)
	}
	if st, _, _ := e.api(ui.HostPortal, "GET", fmt.Sprintf("/api/v1/people?view=%d", e.B.View.ID), e.A.KeyWrite, ""); st != http.StatusNotFound {
		t.Errorf("B's view in A's API: %d", st)
	}
	// A bad condition is reported on the page, not a 500.
	if st, body, _ := get("/crm/people?cf0=password&co0=eq&cv0=x"); st != 200 || !strings.Contains(body, "unknown field") {
		t.Errorf("bad condition: %d", st)
	}
	// Companies and deals export with every field by default.
	if st, body, _ := get("/crm/deals.csv"); st != 200 || !strings.HasPrefix(body, "id,name,amount,currency,pipeline,stage,expected_close,probability,company,tag,created_at,updated_at") {
		t.Errorf("deals export: %d %.300s", st, body)
	}
	if st, body, _ := get("/crm/companies.csv"); st != 200 || !strings.HasPrefix(body, "id,name,domain,industry,size,address,tag,created_at,updated_at") || !strings.Contains(body, e.A.CRM.Company.Name) || strings.Contains(body, e.B.CRM.Company.Name) {
		t.Errorf("companies export: %d %.300s", st, body)
	}
	// Delete.
	if st, _, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/crm/views/" + viewID + "/delete", CSRF: true, Cookies: map[string]string{"psid": e.A.Cookie}}); st != http.StatusSeeOther {
		t.Errorf("delete: %d", st)
	}
	if st, _, _ := get(loc); st != http.StatusNotFound {
		t.Errorf("deleted view: %d", st)
	}
}

// TestCRM_SortByObjectFields: the API and the portal sort deals by their
// own fields; a key of another object is a 400 naming sort.
func TestCRM_SortByObjectFields(t *testing.T) {
	e := newTenantEnv(t)
	st, _, raw := e.api(ui.HostPortal, "GET", "/api/v1/opportunities?sort=-amount&limit=5", e.A.KeyRead, "")
	if st != 200 || !strings.Contains(raw, `"data":[`) {
		t.Fatalf("deals by amount: %d %s", st, raw)
	}
	st, p, _ := e.api(ui.HostPortal, "GET", "/api/v1/people?sort=amount", e.A.KeyRead, "")
	if st != 400 || p.Error == nil || p.Error.Field != "sort" {
		t.Fatalf("people by amount: %d %+v", st, p.Error)
	}
	st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/crm/deals?sort=-expected_close", Cookies: map[string]string{"psid": e.A.Cookie}})
	if st != 200 || !strings.Contains(body, `<option value="-expected_close" selected>`) {
		t.Fatalf("portal deals by close date: %d", st)
	}
}
