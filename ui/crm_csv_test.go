package ui_test

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"orengen/app"
	"orengen/ui"
)

func (e *tenantEnv) uploadCSV(path, csvText string, skip bool) (int, string) {
	e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("_csrf", e.csrfToken())
	if skip {
		mw.WriteField("skip_invalid", "on")
	}
	fw, _ := mw.CreateFormFile("file", "people.csv")
	fw.Write([]byte(csvText))
	mw.Close()
	req, _ := http.NewRequest("POST", "http://app.localhost"+path, &buf)
	req.Host = "app.localhost"
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.AddCookie(&http.Cookie{Name: "psid", Value: e.A.Cookie})
	req.AddCookie(&http.Cookie{Name: "csrf", Value: tenantCSRFNonce})
	resp, err := e.Server.Handler().Test(req, -1)
	if err != nil {
		e.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestCRMPortal_CSV(t *testing.T) {
	e := newTenantEnv(t)
	ctx := app.NewContextWithTenant(context.Background(), e.A.T)
	count := func() int {
		ps, _, _ := e.Server.CRM.FindPeople(ctx, app.PersonFilter{ListOptions: app.ListOptions{Limit: 200}})
		return len(ps)
	}
	before := count()
	bad := "First Name,Last Name,Email,Phone,Favourite colour\nAda,Lovelace,ada@x.test,512 555 0150,blue\nBad,Row,not-an-email,,red\nGrace,Hopper,grace@x.test,,green\n"
	st, body := e.uploadCSV("/crm/import", bad, false)
	if st != 400 || !strings.Contains(body, "<td>3</td><td class=\"mono\">emails</td>") || !strings.Contains(body, "Favourite colour") {
		t.Fatalf("bad import: %d %.2000s", st, body)
	}
	if count() != before {
		t.Fatal("an invalid import wrote people")
	}
	st, body = e.uploadCSV("/crm/import", bad, true)
	if st != 200 || !strings.Contains(body, "2 people imported, 1 invalid rows skipped") {
		t.Fatalf("skip import: %d %.500s", st, body)
	}
	if count() != before+2 {
		t.Fatalf("imported %d", count()-before)
	}
	// A formula-looking name is exported inert; B's people never appear.
	if err := e.Server.CRM.CreatePerson(ctx, &app.Person{FirstName: "=HYPERLINK(\"http://evil\")"}); err != nil {
		t.Fatal(err)
	}
	st, body, resp := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/crm/people.csv", Cookies: map[string]string{"psid": e.A.Cookie}})
	if st != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") || !strings.HasPrefix(body, "id,first_name,last_name,emails,phones") {
		t.Fatalf("export: %d %.200s", st, body)
	}
	if !strings.Contains(body, "ada@x.test") || !strings.Contains(body, "+15125550150") || !strings.Contains(body, `"'=HYPERLINK(`) || strings.Contains(body, e.B.CRM.Person.Emails[0]) {
		t.Errorf("export body: %s", body)
	}
}
