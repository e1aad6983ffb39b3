package ui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"orengen/app"
)

// TestNexusCRM_SavedViews (issue #15): in Nexus, with a tenant chosen in
// the list's filter (the agency's own, or a client's), the admin filters
// with columns and conditions, saves the view, opens it, and deletes it;
// the view is that tenant's, reads only its records, and another tenant's
// view ID is not found there.
func TestNexusCRM_SavedViews(t *testing.T) {
	e := newTenantEnv(t)
	house := app.NewContextWithTenant(context.Background(), &app.Tenant{ID: app.HouseTenantID})
	for i, title := range []string{"Chef", "CTO", "Head CTO"} {
		p := &app.Person{FirstName: fmt.Sprintf("Agency%d", i), Title: title, Emails: []string{fmt.Sprintf("agency%d@view.test", i)}}
		if err := e.Server.CRM.CreatePerson(house, p); err != nil {
			t.Fatal(err)
		}
	}
	// A client's person with the same title is not in the agency's view.
	if err := e.Server.CRM.CreatePerson(app.NewContextWithTenant(context.Background(), e.A.T), &app.Person{FirstName: "ClientCTO", Title: "CTO", Emails: []string{"cto@client-view.test"}}); err != nil {
		t.Fatal(err)
	}
	hid := strconv.FormatInt(app.HouseTenantID, 10)
	// Without a tenant chosen the list says how to reach views.
	if st, body, _ := e.admin("GET", "/crm/people", nil); st != 200 || !strings.Contains(body, "choose a tenant above") || strings.Contains(body, `action="/crm/views`) {
		t.Fatalf("all tenants: %d", st)
	}
	q := url.Values{"tenant": {hid}, "col": {"name", "title"}, "match": {"and"}, "cf0": {"title"}, "co0": {"contains"}, "cv0": {"cto"}, "sort": {"name"}}
	st, body, _ := e.admin("GET", "/crm/people?"+q.Encode(), nil)
	if st != 200 || !strings.Contains(body, "Agency1") || !strings.Contains(body, "Agency2") || strings.Contains(body, "Agency0") || strings.Contains(body, "ClientCTO") ||
		!strings.Contains(body, `action="/crm/views?tenant=`+hid+`"`) || !strings.Contains(body, `<input type="hidden" name="tenant" value="`+hid+`">`) {
		t.Fatalf("unsaved view: %d %.5000s", st, body)
	}
	form := url.Values{"object": {app.RecordPerson}, "name": {"Agency CTOs"}, "col": {"name", "title"}, "match": {"and"},
		"cf0": {"title"}, "co0": {"contains"}, "cv0": {"cto"}, "sort": {"-name"}}
	st, _, resp := e.admin("POST", "/crm/views?tenant="+hid, form)
	loc := resp.Header.Get("Location")
	if st != http.StatusSeeOther || !strings.HasPrefix(loc, "/crm/people?tenant="+hid+"&view=") {
		t.Fatalf("save: %d %q", st, loc)
	}
	viewID := strings.TrimPrefix(loc, "/crm/people?tenant="+hid+"&view=")
	st, body, _ = e.admin("GET", loc, nil)
	i2, i1 := strings.Index(body, "Agency2"), strings.Index(body, "Agency1")
	if st != 200 || !strings.Contains(body, "Agency CTOs") || i2 < 0 || i1 < 0 || i2 > i1 || strings.Contains(body, "Agency0") || strings.Contains(body, "ClientCTO") ||
		!strings.Contains(body, `href="/crm/people?tenant=`+hid+`&amp;view=`+viewID+`"`) {
		t.Fatalf("saved view: %d %.5000s", st, body)
	}
	// The view is the agency's: stored in the house tenant, not in A.
	if vs, err := e.Server.CRM.FindViews(house, app.RecordPerson); err != nil || len(vs) != 1 || vs[0].Name != "Agency CTOs" {
		t.Fatalf("house views: %v %+v", err, vs)
	}
	aid := strconv.FormatInt(e.A.T.ID, 10)
	if st, _, _ := e.admin("GET", "/crm/people?tenant="+aid+"&view="+viewID, nil); st != http.StatusNotFound {
		t.Errorf("the agency's view in A's list: %d", st)
	}
	if st, _, _ := e.admin("GET", fmt.Sprintf("/crm/people?tenant=%s&view=%d", hid, e.B.View.ID), nil); st != http.StatusNotFound {
		t.Errorf("B's view in the agency's list: %d", st)
	}
	// Delete: back to the agency's list.
	st, _, resp = e.admin("POST", "/crm/views/"+viewID+"/delete?tenant="+hid, nil)
	if st != http.StatusSeeOther || resp.Header.Get("Location") != "/crm/people?tenant="+hid {
		t.Fatalf("delete: %d %q", st, resp.Header.Get("Location"))
	}
	if vs, _ := e.Server.CRM.FindViews(house, app.RecordPerson); len(vs) != 0 {
		t.Errorf("after delete: %+v", vs)
	}
}
