package ui_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"orengen/app"
	"orengen/ui"
)

// TestNexusCRM_ImportCSV (issue #15): the agency imports a CSV into its
// own CRM from Nexus with the portal's steps (upload, mapping page,
// start, progress); the rows land in the house tenant only. A client's
// tenant is refused with where to import instead.
func TestNexusCRM_ImportCSV(t *testing.T) {
	e := newTenantEnv(t)
	house := app.NewContextWithTenant(context.Background(), &app.Tenant{ID: app.HouseTenantID})
	upload := func(path, csvText string) *http.Response {
		t.Helper()
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField("_csrf", e.csrfToken())
		mw.WriteField("object", app.RecordPerson)
		fw, _ := mw.CreateFormFile("file", "agency.csv")
		fw.Write([]byte(csvText))
		mw.Close()
		req, _ := http.NewRequest("POST", "http://nexus.localhost"+path, &buf)
		req.Host = "nexus.localhost"
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.AddCookie(&http.Cookie{Name: "orengen_session", Value: e.AdminCookie})
		req.AddCookie(&http.Cookie{Name: "csrf", Value: tenantCSRFNonce})
		resp, err := e.Server.Handler().Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	// The list links the import; the page is Nexus's.
	if st, body, _ := e.admin("GET", "/crm/people", nil); st != 200 || !strings.Contains(body, `href="/crm/import"`) {
		t.Fatalf("list: %d", st)
	}
	if st, body, _ := e.admin("GET", "/crm/import", nil); st != 200 || !strings.Contains(body, "Upload a CSV file") || !strings.Contains(body, `aria-label="Nexus"`) {
		t.Fatalf("import page: %d %.2000s", st, body)
	}
	const rows = "first_name,last_name,email,phone\nIvy,Agency,ivy@agency-lead.test,+1 512 555 0190\nOwen,Agency,owen@agency-lead.test,\n"
	resp := upload("/crm/import", rows)
	loc := resp.Header.Get("Location")
	id, err := strconv.ParseInt(strings.TrimPrefix(loc, "/crm/import/"), 10, 64)
	if resp.StatusCode != http.StatusSeeOther || err != nil {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("upload: %d %q %.500s", resp.StatusCode, loc, b)
	}
	st, body, _ := e.admin("GET", loc, nil)
	if st != 200 || !strings.Contains(body, `<option value="emails" selected>`) || !strings.Contains(body, `aria-label="Nexus"`) {
		t.Fatalf("mapping page: %d %.3000s", st, body)
	}
	j, err := e.Server.CRM.Imports.FindImportJob(house, id)
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"dedupe": {app.DedupeSkip}, "action": {"start"}}
	for i, m := range j.Mapping {
		form.Set(fmt.Sprintf("col_%d", i), m)
	}
	if st, _, _ := e.admin("POST", loc, form); st != http.StatusSeeOther {
		t.Fatalf("start: %d", st)
	}
	for deadline := time.Now().Add(60 * time.Second); !j.Finished(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("import did not end: %+v", j)
		}
		if j, err = e.Server.CRM.Imports.FindImportJob(house, id); err != nil {
			t.Fatal(err)
		}
	}
	if j.Status != app.ImportDone || j.Created != 2 {
		t.Fatalf("job: %+v", j)
	}
	if _, body, _ = e.admin("GET", loc, nil); !strings.Contains(body, "2 created") && !strings.Contains(body, ">2<") {
		t.Errorf("finished page: %.3000s", body)
	}
	email := "ivy@agency-lead.test"
	ps, _, _ := e.Server.CRM.FindPeople(house, app.PersonFilter{Email: &email})
	if len(ps) != 1 || ps[0].TenantID != app.HouseTenantID || ps[0].Phones[0] != "+15125550190" {
		t.Fatalf("ivy in the house tenant: %+v", ps)
	}
	for _, tn := range []*app.Tenant{e.A.T, e.B.T} {
		if ps, _, _ := e.Server.CRM.FindPeople(app.NewContextWithTenant(context.Background(), tn), app.PersonFilter{Email: &email}); len(ps) != 0 {
			t.Errorf("ivy in %s: %+v", tn.Name, ps)
		}
	}
	// A client's tenant: refused, nothing stored.
	resp = upload("/crm/import?tenant="+strconv.FormatInt(e.A.T.ID, 10), strings.ReplaceAll(rows, "agency-lead", "client-lead"))
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "in its portal") {
		t.Errorf("client tenant: %d %.500s", resp.StatusCode, b)
	}
	other := "ivy@client-lead.test"
	if ps, _, _ := e.Server.CRM.FindPeople(app.NewContextWithTenant(context.Background(), e.A.T), app.PersonFilter{Email: &other}); len(ps) != 0 {
		t.Errorf("stored in A: %+v", ps)
	}
	// The portal's import still draws the portal's page.
	if st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/crm/import", Cookies: map[string]string{"psid": e.A.Cookie}}); st != 200 || strings.Contains(body, `aria-label="Nexus"`) {
		t.Errorf("portal import page: %d", st)
	}
}
