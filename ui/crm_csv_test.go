package ui_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"orengen/app"
	"orengen/ui"
)

// uploadCSV posts a CSV to /crm/import as tenant user cookie and returns
// the new import job's ID.
func (e *tenantEnv) uploadCSV(cookie, object, csvText string) int64 {
	e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("_csrf", e.csrfToken())
	mw.WriteField("object", object)
	fw, _ := mw.CreateFormFile("file", "data.csv")
	fw.Write([]byte(csvText))
	mw.Close()
	req, _ := http.NewRequest("POST", "http://app.localhost/crm/import", &buf)
	req.Host = "app.localhost"
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.AddCookie(&http.Cookie{Name: "psid", Value: cookie})
	req.AddCookie(&http.Cookie{Name: "csrf", Value: tenantCSRFNonce})
	resp, err := e.Server.Handler().Test(req, -1)
	if err != nil {
		e.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	loc := resp.Header.Get("Location")
	id, err := strconv.ParseInt(strings.TrimPrefix(loc, "/crm/import/"), 10, 64)
	if resp.StatusCode != http.StatusSeeOther || err != nil {
		e.t.Fatalf("upload: %d %q %.300s", resp.StatusCode, loc, b)
	}
	return id
}

// startImport posts the mapping form (nil mapping: keep the proposed one)
// and waits for the job to end.
func (e *tenantEnv) startImport(ctx context.Context, cookie string, id int64, mapping []string, dedupe string, cont bool) *app.ImportJob {
	e.t.Helper()
	imp := e.Server.CRM.Imports
	j, err := imp.FindImportJob(ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	if mapping == nil {
		mapping = j.Mapping
	}
	form := url.Values{"dedupe": {dedupe}, "action": {"start"}}
	for i, m := range mapping {
		form.Set(fmt.Sprintf("col_%d", i), m)
	}
	if cont {
		form.Set("continue", "on")
	}
	st, body, resp := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: fmt.Sprintf("/crm/import/%d", id), Form: form, CSRF: true, Cookies: map[string]string{"psid": cookie}})
	if st != http.StatusSeeOther {
		e.t.Fatalf("start: %d %s %.300s", st, resp.Header.Get("Location"), body)
	}
	// A job that makes progress is waited for (under -race on a loaded
	// machine 9,000 rows take over a minute); one that stalls for 60 s,
	// or runs past 10 minutes, fails the test.
	stall, limit := time.Now().Add(60*time.Second), time.Now().Add(10*time.Minute)
	var last [6]any
	for now := time.Now(); now.Before(stall) && now.Before(limit); now = time.Now() {
		if j, err = imp.FindImportJob(ctx, id); err != nil {
			e.t.Fatal(err)
		}
		if j.Finished() {
			return j
		}
		if p := [6]any{j.Status, j.Rows, j.Created, j.Updated, j.Skipped, j.Invalid}; p != last {
			last, stall = p, now.Add(60*time.Second)
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.t.Fatalf("import %d still %s after %d rows (no progress for 60 s or over 10 minutes)", id, j.Status, j.Rows)
	return nil
}

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCRMImport_Twenty(t *testing.T) {
	e := newTenantEnv(t)
	ctx := app.NewContextWithTenant(context.Background(), e.A.T)
	portal := func(path string) (int, string, *http.Response) {
		return e.do(treq{Host: ui.HostPortal, Method: "GET", Path: path, Cookies: map[string]string{"psid": e.A.Cookie}})
	}

	// Companies first (Twenty headers auto-mapped, address columns joined).
	id := e.uploadCSV(e.A.Cookie, app.RecordCompany, readTestdata(t, "twenty_companies.csv"))
	st, body, _ := portal(fmt.Sprintf("/crm/import/%d", id))
	if st != 200 || !strings.Contains(body, `<option value="domain" selected>`) || strings.Contains(body, "</span>:") {
		t.Fatalf("company mapping page: %d %.3000s", st, body)
	}
	j := e.startImport(ctx, e.A.Cookie, id, nil, app.DedupeSkip, false)
	if j.Status != app.ImportDone || j.Created != 2 || j.Rows != 2 {
		t.Fatalf("companies: %+v", j)
	}
	cs, _, _ := e.Server.CRM.FindCompanies(ctx, app.CompanyFilter{Domain: ptr("qonto.com")})
	if len(cs) != 1 || cs[0].Name != "Qonto" || cs[0].Address != "18 rue de Navarin, Paris, France" {
		t.Fatalf("qonto: %+v", cs)
	}
	if cs, _, _ = e.Server.CRM.FindCompanies(ctx, app.CompanyFilter{Domain: ptr("linkedin.com")}); len(cs) != 1 || cs[0].Size != "5000+" {
		t.Fatalf("linkedin (domain from a URL, employees to a size): %+v", cs)
	}

	// People: names, primary and additional emails ("[]"), phone with
	// its calling code, company linked by name.
	id = e.uploadCSV(e.A.Cookie, app.RecordPerson, readTestdata(t, "twenty_people.csv"))
	if j = e.startImport(ctx, e.A.Cookie, id, nil, app.DedupeSkip, false); j.Status != app.ImportDone || j.Created != 3 {
		t.Fatalf("people: %+v", j)
	}
	ps, _, _ := e.Server.CRM.FindPeople(ctx, app.PersonFilter{Email: ptr("sylvie.palmer@linkedin.com")})
	if len(ps) != 1 || ps[0].LastName != "Palmer" || ps[0].Title != "Head of Sales" || ps[0].Phones[0] != "+447911123456" || ps[0].CompanyName != "Linkedin" || ps[0].Address != "London" {
		t.Fatalf("sylvie: %+v", ps)
	}
	// No duplicate company was made for "Linkedin".
	if cs, _, _ = e.Server.CRM.FindCompanies(ctx, app.CompanyFilter{ListOptions: app.ListOptions{Q: "Linkedin"}}); len(cs) != 1 {
		t.Errorf("companies named Linkedin: %d", len(cs))
	}

	// Opportunities: micros, currency, Twenty stages onto ours, close date.
	id = e.uploadCSV(e.A.Cookie, app.RecordDeal, readTestdata(t, "twenty_opportunities.csv"))
	if j = e.startImport(ctx, e.A.Cookie, id, nil, app.DedupeSkip, false); j.Status != app.ImportDone || j.Created != 2 {
		t.Fatalf("deals: %+v %v", j, j.Error)
	}
	ds, _, _ := e.Server.CRM.FindDeals(ctx, app.DealFilter{ListOptions: app.ListOptions{Q: "Qonto pilot"}})
	if len(ds) != 1 || ds[0].Amount != 250000 || ds[0].Currency != "EUR" || ds[0].Stage != "Qualified" || ds[0].ExpectedClose.Format("2006-01-02") != "2027-01-15" || ds[0].CompanyID == 0 {
		t.Fatalf("qonto deal: %+v", ds)
	}

	// Round trip: A's people export imports into B unchanged.
	st, exported, resp := portal("/crm/people.csv")
	if st != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("export: %d", st)
	}
	bctx := app.NewContextWithTenant(context.Background(), e.B.T)
	id = e.uploadCSV(e.B.Cookie, app.RecordPerson, exported)
	if j = e.startImport(bctx, e.B.Cookie, id, nil, app.DedupeCreate, false); j.Status != app.ImportDone {
		t.Fatalf("round trip: %+v", j)
	}
	for _, email := range []string{"christoph.callisto@linkedin.com", "sylvie.palmer@linkedin.com", e.A.CRM.Person.Emails[0]} {
		a, _, _ := e.Server.CRM.FindPeople(ctx, app.PersonFilter{Email: &email})
		b, _, _ := e.Server.CRM.FindPeople(bctx, app.PersonFilter{Email: &email})
		if len(a) != 1 || len(b) != 1 || a[0].Name() != b[0].Name() || strings.Join(a[0].Phones, ",") != strings.Join(b[0].Phones, ",") ||
			a[0].Title != b[0].Title || a[0].CompanyName != b[0].CompanyName || strings.Join(a[0].Tags, ",") != strings.Join(b[0].Tags, ",") {
			t.Errorf("round trip of %s: %+v vs %+v", email, a, b)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func TestCRMImport_DedupeAndBadRows(t *testing.T) {
	e := newTenantEnv(t)
	ctx := app.NewContextWithTenant(context.Background(), e.A.T)
	existing := e.A.CRM.Person // has an email
	count := func() int {
		n := 0
		for cur := ""; ; {
			ps, next, err := e.Server.CRM.FindPeople(ctx, app.PersonFilter{ListOptions: app.ListOptions{Limit: 200, Cursor: cur}})
			if err != nil {
				t.Fatal(err)
			}
			n += len(ps)
			if cur = next; cur == "" {
				return n
			}
		}
	}
	before := count()
	// The existing person's email in upper case still matches.
	dup := "First Name,Last Name,Email,Job Title\nNew,Person,new@x.test,Engineer\nSame,One," + strings.ToUpper(existing.Emails[0]) + ",Director\n"

	j := e.startImport(ctx, e.A.Cookie, e.uploadCSV(e.A.Cookie, app.RecordPerson, dup), nil, app.DedupeSkip, false)
	if j.Status != app.ImportDone || j.Created != 1 || j.Skipped != 1 || count() != before+1 {
		t.Fatalf("skip: %+v count %d", j, count()-before)
	}
	if p, _ := e.Server.CRM.FindPerson(ctx, existing.ID); p.Title == "Director" {
		t.Error("skip changed the existing person")
	}
	j = e.startImport(ctx, e.A.Cookie, e.uploadCSV(e.A.Cookie, app.RecordPerson, dup), nil, app.DedupeUpdate, false)
	if j.Status != app.ImportDone || j.Updated != 2 || j.Created != 0 || count() != before+1 {
		t.Fatalf("update: %+v", j)
	}
	if p, _ := e.Server.CRM.FindPerson(ctx, existing.ID); p.Title != "Director" || p.FirstName != "Same" {
		t.Errorf("update: %+v", p)
	}
	j = e.startImport(ctx, e.A.Cookie, e.uploadCSV(e.A.Cookie, app.RecordPerson, dup), nil, app.DedupeCreate, false)
	if j.Status != app.ImportDone || j.Created != 2 || count() != before+3 {
		t.Fatalf("create: %+v", j)
	}

	// Bad rows: reported by line (a quoted field spans lines 3-4), nothing written.
	before = count()
	bad := "Name,Email,Phone,Colour\nAda Lovelace,ada@x.test,512 555 0150,blue\n\"Multi\nLine\",not-an-email,,red\n,nobody@x.test,,green\nGrace Hopper,grace@x.test,12,green\nAlan Turing,alan@x.test,,red\n"
	id := e.uploadCSV(e.A.Cookie, app.RecordPerson, bad)
	st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: fmt.Sprintf("/crm/import/%d", id), Cookies: map[string]string{"psid": e.A.Cookie}})
	if st != 200 || !strings.Contains(body, `<span class="mono">emails</span>`) || !strings.Contains(body, "<td>3</td>") {
		t.Fatalf("preview: %d %.4000s", st, body)
	}
	j = e.startImport(ctx, e.A.Cookie, id, nil, app.DedupeSkip, false)
	if j.Status != app.ImportFailed || j.Invalid != 3 || j.Created != 0 || count() != before || !strings.Contains(j.Error, "nothing was imported") {
		t.Fatalf("bad rows: %+v", j)
	}
	errs, _ := e.Server.CRM.Imports.FindImportErrors(ctx, id, 100)
	if got := fmt.Sprint(errs); len(errs) != 3 || !strings.HasPrefix(got, `[{3 emails "not-an-email" is not a valid email address.} {5 first_name First or last name required.} {6 phones "12"`) {
		t.Errorf("report: %s", got)
	}
	st, body, resp := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: fmt.Sprintf("/crm/import/%d", id), Cookies: map[string]string{"psid": e.A.Cookie}})
	if st != 200 || resp.Header.Get("Refresh") != "" || !strings.Contains(body, "<td>6</td><td class=\"mono\">phones</td>") {
		t.Errorf("report page: %d %.3000s", st, body)
	}
	// Started again? No: a finished job cannot restart.
	if st, _, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: fmt.Sprintf("/crm/import/%d", id), Form: url.Values{"action": {"start"}}, CSRF: true, Cookies: map[string]string{"psid": e.A.Cookie}}); st != http.StatusConflict {
		t.Errorf("restart: %d", st)
	}
	// The same file, continuing past bad rows: the good ones go in.
	j = e.startImport(ctx, e.A.Cookie, e.uploadCSV(e.A.Cookie, app.RecordPerson, bad), nil, app.DedupeSkip, true)
	if j.Status != app.ImportDone || j.Invalid != 3 || j.Created != 2 || count() != before+2 {
		t.Fatalf("continue: %+v", j)
	}
	// A job left running by a restart (no goroutine runs it) is shown
	// as stopped, not polled forever.
	imp := e.Server.CRM.Imports
	orphan, _ := imp.FindImportJob(ctx, e.uploadCSV(e.A.Cookie, app.RecordPerson, bad))
	orphan.Status = app.ImportRunning
	if err := imp.UpdateImportJob(ctx, orphan); err != nil {
		t.Fatal(err)
	}
	st, body, resp = e.do(treq{Host: ui.HostPortal, Method: "GET", Path: fmt.Sprintf("/crm/import/%d", orphan.ID), Cookies: map[string]string{"psid": e.A.Cookie}})
	if st != 200 || resp.Header.Get("Refresh") != "" || !strings.Contains(body, "stopped by a server shutdown or restart") {
		t.Errorf("orphan: %d %q", st, resp.Header.Get("Refresh"))
	}
	// An upload never started is expired (file deleted) a day later, at
	// the tenant's next upload.
	e.DB.Now = func() time.Time { return time.Now().Add(-25 * time.Hour) }
	stale, _ := imp.FindImportJob(ctx, e.uploadCSV(e.A.Cookie, app.RecordPerson, bad))
	e.DB.Now = time.Now
	e.uploadCSV(e.A.Cookie, app.RecordPerson, bad)
	if j, _ := imp.FindImportJob(ctx, stale.ID); j.Status != app.ImportFailed || !strings.Contains(j.Error, "Not started within a day") {
		t.Errorf("stale upload: %+v", j)
	}
	if _, err := os.Stat(stale.Path); !os.IsNotExist(err) {
		t.Errorf("stale upload's file: %v", err)
	}
	// A mapping without a name field is refused before anything runs.
	id = e.uploadCSV(e.A.Cookie, app.RecordPerson, bad)
	st, body, _ = e.do(treq{Host: ui.HostPortal, Method: "POST", Path: fmt.Sprintf("/crm/import/%d", id), Form: url.Values{"col_1": {"emails"}, "action": {"start"}}, CSRF: true, Cookies: map[string]string{"psid": e.A.Cookie}})
	if st != 400 || !strings.Contains(body, "Map a column to first name") {
		t.Errorf("no name: %d %.300s", st, body)
	}
}

// TestCRMImport_Large proves there is no row cap: 20,000 rows stream
// through in batches, and the page polls while the job runs.
func TestCRMImport_Large(t *testing.T) {
	e := newTenantEnv(t)
	ctx := app.NewContextWithTenant(context.Background(), e.A.T)
	const n = 20000
	var b strings.Builder
	b.WriteString("First Name,Last Name,Email\n")
	for i := range n {
		fmt.Fprintf(&b, "P%d,Bulk,p%d@bulk.test\n", i, i)
	}
	start := time.Now()
	id := e.uploadCSV(e.A.Cookie, app.RecordPerson, b.String())
	page := fmt.Sprintf("/crm/import/%d", id)
	// Start with the proposed mapping; the page polls while it runs.
	st, _, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: page, Form: url.Values{"col_0": {"first_name"}, "col_1": {"last_name"}, "col_2": {"emails"}, "action": {"start"}},
		CSRF: true, Cookies: map[string]string{"psid": e.A.Cookie}})
	if st != http.StatusSeeOther {
		t.Fatalf("start: %d", st)
	}
	polled := false
	var j *app.ImportJob
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline) && j == nil; time.Sleep(50 * time.Millisecond) {
		st, body, resp := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: page, Cookies: map[string]string{"psid": e.A.Cookie}})
		if st != 200 {
			t.Fatalf("progress page: %d", st)
		}
		if strings.Contains(body, "Running: this page refreshes") {
			polled = true
			if resp.Header.Get("Refresh") != "2" {
				t.Fatalf("running page without Refresh: %v", resp.Header)
			}
			continue
		}
		if resp.Header.Get("Refresh") != "" {
			t.Fatal("finished page still refreshes")
		}
		j, _ = e.Server.CRM.Imports.FindImportJob(ctx, id)
	}
	took := time.Since(start)
	if !polled {
		t.Log("the import ended before the first poll")
	}
	if j == nil {
		t.Fatal("import did not end")
	}
	if j.Status != app.ImportDone || j.Created != n || j.Rows != n {
		t.Fatalf("large: %+v", j)
	}
	ps, _, _ := e.Server.CRM.FindPeople(ctx, app.PersonFilter{Email: ptr(fmt.Sprintf("p%d@bulk.test", n-1))})
	if len(ps) != 1 {
		t.Fatal("last row missing")
	}
	t.Logf("%d rows in %v", n, took)
	// The export streams them all back (no cap), filtered by a condition.
	q := url.Values{"cf0": {"last_name"}, "co0": {"eq"}, "cv0": {"bulk"}, "col": {"first_name", "email"}}
	st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/crm/people.csv?" + q.Encode(), Cookies: map[string]string{"psid": e.A.Cookie}})
	if lines := strings.Count(body, "\n"); st != 200 || lines != n+1 || !strings.Contains(body, fmt.Sprintf("P%d,p%d@bulk.test\n", n-1, n-1)) {
		t.Fatalf("export: %d, %d lines", st, lines)
	}
}

// TestCRMExport_FormulaInjection: cells a spreadsheet would run as a
// formula (=, +, -, @, tab, CR first) come out of the CSV export as text
// with a leading '; plain numbers (an E.164 phone) stay as they are.
func TestCRMExport_FormulaInjection(t *testing.T) {
	e := newTenantEnv(t)
	ctx := app.NewContextWithTenant(context.Background(), e.A.T)
	p := &app.Person{FirstName: `=HYPERLINK("http://evil.test","x")`, LastName: "-2+3+cmd|' /C calc'!A0", Title: "@SUM(1+1)",
		Address: "-2+3", Source: "+A1", Emails: []string{"formula@alpha.test"}, Phones: []string{"+15125550100"}}
	if err := e.Server.CRM.CreatePerson(ctx, p); err != nil {
		t.Fatal(err)
	}
	st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/crm/people.csv", Cookies: map[string]string{"psid": e.A.Cookie}})
	if st != 200 {
		t.Fatalf("export: %d", st)
	}
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var row []string
	for _, r := range rows {
		if strings.Contains(strings.Join(r, "|"), "formula@alpha.test") {
			row = r
		}
	}
	if row == nil {
		t.Fatalf("person not exported:\n%s", body)
	}
	cells := strings.Join(row, "\n")
	for _, want := range []string{`'=HYPERLINK("http://evil.test","x")`, "'-2+3+cmd|' /C calc'!A0", "'@SUM(1+1)", "'-2+3", "'+A1", "+15125550100"} {
		if !strings.Contains(cells, want) {
			t.Errorf("export lacks %q: %q", want, row)
		}
	}
	for _, c := range row {
		if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) && c != "+15125550100" {
			t.Errorf("cell %q would run as a formula", c)
		}
	}
}
