package ui_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"orengen/app"
	"orengen/app/sheets"
)

func TestSheetsPortal_GridImportExportCharts(t *testing.T) {
	e := newTenantEnv(t)
	ann := map[string]string{"psid": e.A.Cookie}
	ctx := app.NewContextWithTenant(context.Background(), e.A.T)
	// A table from the form's column lines.
	st, body, resp := e.do(treq{Host: "portal", Method: "POST", Path: "/data/tables", CSRF: true, Cookies: ann, Form: url.Values{"name": {"Price list"},
		"columns": {"Service\nPrice: currency USD\nArea: select North, South\nActive: checkbox"}}})
	if st != http.StatusSeeOther {
		t.Fatalf("create: %d %.500s", st, body)
	}
	tid, _ := strconv.ParseInt(strings.TrimPrefix(resp.Header.Get("Location"), "/data/tables/"), 10, 64)
	tb, err := e.App.Sheets.Table(ctx, tid)
	if err != nil || len(tb.Columns) != 4 || tb.Columns[1].Type != sheets.TypeCurrency || tb.Columns[2].Options[1] != "South" {
		t.Fatalf("table: %v %+v", err, tb)
	}
	base := fmt.Sprintf("/data/tables/%d", tid)
	st, body, _ = e.do(treq{Host: "portal", Method: "POST", Path: "/data/tables", CSRF: true, Cookies: ann, Form: url.Values{"name": {"Bad"}, "columns": {"Area: select"}}})
	if st != 400 || !strings.Contains(body, "Line 1 (Area: select): A select column needs at least one option") {
		t.Fatalf("bad columns: %d %.500s", st, body)
	}
	// Rows from the add form; a wrong value names the column.
	add := func(svc, price, area string) (int, string) {
		st, body, _ := e.do(treq{Host: "portal", Method: "POST", Path: base + "/rows", CSRF: true, Cookies: ann,
			Form: url.Values{"c_service": {svc}, "c_price": {price}, "c_area": {area}, "c_active": {"on"}}})
		return st, body
	}
	for _, r := range [][3]string{{"Roof repair", "1250.50", "North"}, {"Gutters", "180", "South"}, {"Windows", "95", "North"}} {
		if st, body := add(r[0], r[1], r[2]); st != http.StatusSeeOther {
			t.Fatalf("add %v: %d %.500s", r, st, body)
		}
	}
	if st, body := add("Paint", "a lot", "North"); st != 400 || !strings.Contains(body, `Column &#34;Price&#34;: &#34;a lot&#34; is not an amount`) {
		t.Fatalf("bad price: %d %.3000s", st, body)
	}
	// The grid: sorted by price descending, filtered to North.
	st, body, _ = e.do(treq{Host: "portal", Method: "GET", Path: base + "?fc0=area&fo0=eq&fv0=north&sort=-price", Cookies: ann})
	if st != 200 || !strings.Contains(body, "2 rows match") || strings.Index(body, "Roof repair") > strings.Index(body, "Windows") || strings.Contains(body, ">Gutters<") {
		t.Fatalf("grid: %d %.4000s", st, body)
	}
	if !strings.Contains(body, `data-cells-url="/data/tables/`+strconv.FormatInt(tid, 10)+`/cells"`) || !strings.Contains(body, `data-type="currency"`) {
		t.Fatal("the grid lacks its editor attributes")
	}
	// Grouped by area: a header per area with its count and sum.
	_, body, _ = e.do(treq{Host: "portal", Method: "GET", Path: base + "?group=area", Cookies: ann})
	if !strings.Contains(body, "North <span class=\"muted\">2 rows · Price: 1,345.50") || !strings.Contains(body, "South <span class=\"muted\">1 row · Price: 180.00") {
		t.Fatalf("groups: %.5000s", body)
	}
	// The grid editor's cell saves: stored text back, or the reason.
	rows, _, _, _ := e.App.Sheets.Rows(ctx, tb, sheets.Filter{Where: []sheets.Condition{{Column: "service", Value: "Gutters"}}})
	cell := func(col, val string) (int, string) {
		st, body, _ := e.do(treq{Host: "portal", Method: "POST", Path: base + "/cells", CSRF: true, Cookies: ann,
			Form: url.Values{"row": {strconv.FormatInt(rows[0].ID, 10)}, "column": {col}, "value": {val}}})
		return st, body
	}
	if st, body := cell("price", "$1,200"); st != 200 || !strings.Contains(body, `"text":"1,200.00 USD"`) || !strings.Contains(body, `"edit":"1200.00"`) {
		t.Fatalf("cell: %d %s", st, body)
	}
	if st, body := cell("area", "West"); st != 400 || !strings.Contains(body, `"field":"area"`) || !strings.Contains(body, `Row `+strconv.FormatInt(rows[0].ID, 10)+`, Column \"Area\": \"West\" is not one of the options`) {
		t.Fatalf("bad cell: %d %s", st, body)
	}
	// Export: CSV with the filter.
	st, body, resp = e.do(treq{Host: "portal", Method: "GET", Path: base + "/export.csv?fc0=area&fo0=eq&fv0=South", Cookies: ann})
	recs, _ := csv.NewReader(strings.NewReader(body)).ReadAll()
	if st != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") || len(recs) != 2 || recs[1][0] != "Gutters" || recs[1][1] != "1200.00" {
		t.Fatalf("export: %d %q", st, recs)
	}
	if st, x, resp := e.do(treq{Host: "portal", Method: "GET", Path: base + "/export.xlsx", Cookies: ann}); st != 200 || !strings.HasPrefix(x, "PK") || !strings.Contains(resp.Header.Get("Content-Disposition"), "Price list.xlsx") {
		t.Fatalf("xlsx: %d %v", st, resp.Header)
	}
	// Import: upload, map (the proposed mapping), start, wait.
	importCSV := func(data string) *sheets.ImportJob {
		st, body, resp := e.postFile("portal", e.A.Cookie, base+"/import", nil, "more.csv", []byte(data))
		if st != http.StatusSeeOther {
			t.Fatalf("upload: %d %.500s", st, body)
		}
		jobPath := resp.Header.Get("Location")
		st, body, _ = e.do(treq{Host: "portal", Method: "GET", Path: jobPath, Cookies: ann})
		if st != 200 || !strings.Contains(body, "The first rows with this mapping") {
			t.Fatalf("mapping page: %d %.2000s", st, body)
		}
		jid, _ := strconv.ParseInt(jobPath[strings.LastIndex(jobPath, "/")+1:], 10, 64)
		j, _ := e.App.Sheets.Import(ctx, jid)
		form := url.Values{"start": {"1"}}
		for i, m := range j.Mapping {
			if m.Column != "" {
				form.Set(fmt.Sprintf("map%d", i), "key:"+m.Column)
			} else if m.NewType != "" {
				form.Set(fmt.Sprintf("map%d", i), "new:"+m.NewType)
				form.Set(fmt.Sprintf("name%d", i), m.NewName)
			}
		}
		if st, body, _ := e.do(treq{Host: "portal", Method: "POST", Path: jobPath, CSRF: true, Cookies: ann, Form: form}); st != http.StatusSeeOther {
			t.Fatalf("start: %d %.500s", st, body)
		}
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			j, _ = e.App.Sheets.Import(ctx, jid)
			if j.Status == sheets.ImportDone || j.Status == sheets.ImportFailed {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("import still %s", j.Status)
			}
		}
		if st, body, _ := e.do(treq{Host: "portal", Method: "GET", Path: jobPath, Cookies: ann}); st != 200 || !strings.Contains(body, j.Status) {
			t.Fatalf("job page: %d", st)
		}
		return j
	}
	j := importCSV("Service,Price,Area,Crew\nSiding,800,South,3\nDecks,1500,North,4\n")
	if j.Status != sheets.ImportDone || j.Written != 2 {
		t.Fatalf("import: %+v", j)
	}
	tb, _ = e.App.Sheets.Table(ctx, tid)
	if tb.RowCount != 5 || tb.Column("crew") == nil || tb.Column("crew").Type != sheets.TypeNumber {
		t.Fatalf("after import: %d rows, columns %+v", tb.RowCount, tb.Columns)
	}
	j = importCSV("Service,Price,Area\nOk,1,North\nBad,,West\nWorse,ten,North\n")
	if j.Status != sheets.ImportFailed || j.ErrorCount != 2 || !strings.Contains(j.Message, "nothing was imported") {
		t.Fatalf("bad import: %+v", j)
	}
	_, body, _ = e.do(treq{Host: "portal", Method: "GET", Path: fmt.Sprintf("%s/imports/%d", base, j.ID), Cookies: ann})
	if !strings.Contains(body, "Rows to fix (2)") || !strings.Contains(body, "<td>3</td><td>Area</td>") || !strings.Contains(body, "<td>4</td><td>Price</td>") {
		t.Fatalf("bad import page: %.5000s", body)
	}
	if tb2, _ := e.App.Sheets.Table(ctx, tid); tb2.RowCount != 5 {
		t.Fatalf("a failed import wrote rows: %d", tb2.RowCount)
	}
	// A chart: saved, drawn as SVG with the data.
	st, _, _ = e.do(treq{Host: "portal", Method: "POST", Path: base + "/charts", CSRF: true, Cookies: ann, Form: url.Values{"type": {"bar"}, "x": {"area"}, "agg": {"sum"}, "y": {"price"}}})
	if st != http.StatusSeeOther {
		t.Fatalf("chart: %d", st)
	}
	_, body, _ = e.do(treq{Host: "portal", Method: "GET", Path: base + "/charts", Cookies: ann})
	if !strings.Contains(body, "Sum of Price by Area") || !strings.Contains(body, "<title>North: 2,845.50 USD</title>") || strings.Count(body, "<rect x=") != 2 {
		t.Fatalf("charts: %.5000s", body)
	}
	// A's table with B's row: 404 (a row is found only in its table).
	if st, _, _ := e.do(treq{Host: "portal", Method: "GET", Path: fmt.Sprintf("%s/rows/%d", base, e.B.TableRowID), Cookies: ann}); st != 404 {
		t.Fatalf("A's table, B's row: %d", st)
	}
	if st, body := cell("service", "x"); st != 200 {
		t.Fatalf("cell: %d %s", st, body)
	}
	st, body, _ = e.do(treq{Host: "portal", Method: "POST", Path: base + "/cells", CSRF: true, Cookies: ann,
		Form: url.Values{"row": {strconv.FormatInt(e.B.TableRowID, 10)}, "column": {"service"}, "value": {"hijack"}}})
	if st != 404 {
		t.Fatalf("A's table, B's row by the grid: %d %s", st, body)
	}
}

func TestSheetsNexus_TenantsTables(t *testing.T) {
	e := newTenantEnv(t)
	admin := map[string]string{"orengen_session": e.AdminCookie}
	st, body, _ := e.do(treq{Host: "nexus", Method: "GET", Path: "/data", Cookies: admin})
	if st != 200 || !strings.Contains(body, "No tables yet.") || !strings.Contains(body, `<option value="1" selected>`) {
		t.Fatalf("house tables: %d %.3000s", st, body)
	}
	st, body, _ = e.do(treq{Host: "nexus", Method: "GET", Path: "/data?tenant=" + e.B.T.Slug, Cookies: admin})
	if st != 200 || !strings.Contains(body, e.B.Table.Name) {
		t.Fatalf("B's tables: %d %.3000s", st, body)
	}
	// The agency keeps a price list of its own, read by its workflows.
	st, _, resp := e.do(treq{Host: "nexus", Method: "POST", Path: "/data/tables", CSRF: true, Cookies: admin, Form: url.Values{"name": {"Agency rates"}, "columns": {"Service\nRate: currency"}}})
	if st != http.StatusSeeOther {
		t.Fatalf("create: %d", st)
	}
	house := app.NewContextWithTenant(context.Background(), &app.Tenant{ID: app.HouseTenantID})
	if tb, err := e.App.Sheets.TableByRef(house, "agency rates"); err != nil || tb.Column("rate") == nil {
		t.Fatalf("house table: %v", err)
	}
	_ = resp
	// An admin edits B's row; B sees it.
	base := fmt.Sprintf("/data/tables/%d", e.B.Table.ID)
	st, body, _ = e.do(treq{Host: "nexus", Method: "POST", Path: base + "/cells", CSRF: true, Cookies: admin,
		Form: url.Values{"row": {strconv.FormatInt(e.B.TableRowID, 10)}, "column": {"price"}, "value": {"120"}}})
	if st != 200 || !strings.Contains(body, "120.00 USD") {
		t.Fatalf("admin cell: %d %s", st, body)
	}
	bctx := app.NewContextWithTenant(context.Background(), e.B.T)
	if r, _ := e.App.Sheets.Row(bctx, e.B.Table, e.B.TableRowID); r.Values["price"] != (sheets.Money{Minor: 12000, Currency: "USD"}) {
		t.Fatalf("B's row: %+v", r.Values)
	}
	// Tenant users never reach Nexus's table pages.
	if st, _, _ := e.do(treq{Host: "nexus", Method: "GET", Path: base, Cookies: map[string]string{"psid": e.A.Cookie}}); st != http.StatusSeeOther && st != 401 {
		t.Fatalf("tenant user on nexus: %d", st)
	}
}

// The workflow editor takes the sheet steps: it checks their table and
// columns, and its picture of the steps says what each does.
func TestSheetsWorkflowEditor(t *testing.T) {
	e := newTenantEnv(t)
	admin := map[string]string{"orengen_session": e.AdminCookie}
	house := app.NewContextWithTenant(context.Background(), &app.Tenant{ID: app.HouseTenantID})
	tb := &sheets.Table{Name: "Price list", Columns: []sheets.Column{{Name: "Service"}, {Name: "Price", Type: sheets.TypeCurrency}}}
	if err := e.App.Sheets.CreateTable(house, tb); err != nil {
		t.Fatal(err)
	}
	save := func(def string) (int, string, *http.Response) {
		return e.do(treq{Host: "nexus", Method: "POST", Path: "/automations/new", CSRF: true, Cookies: admin, Form: url.Values{"name": {"Quote"}, "trigger": {"form_submitted"}, "definition": {def}}})
	}
	st, body, _ := save(`{"steps":[{"id":"find","type":"lookup_row","table":"Price list","field":"colour","value":"x"}]}`)
	if st != 400 || !strings.Contains(body, "Step 1 (find): table &#34;Price list&#34; has no column colour") {
		t.Fatalf("unknown column: %d %.3000s", st, body)
	}
	st, body, _ = save(`{"steps":[{"id":"find","type":"lookup_row","table":"Rates","field":"service","value":"x"}]}`)
	if st != 400 || !strings.Contains(body, "No table named &#34;Rates&#34;") {
		t.Fatalf("unknown table: %d %.3000s", st, body)
	}
	// B's table is not the house tenant's, whatever its name.
	st, body, _ = save(`{"steps":[{"id":"find","type":"lookup_row","table":"` + strconv.FormatInt(e.B.Table.ID, 10) + `","field":"service","value":"x"}]}`)
	if st != 400 || !strings.Contains(body, "Table not found") {
		t.Fatalf("B's table: %d %.3000s", st, body)
	}
	st, _, _ = save(`{"steps":[{"id":"find","type":"lookup_row","table":"Price list","field":"service","value":"{{.Trigger.service}}"},{"id":"note","type":"add_row","table":"Price list","set":{"service":"seen {{.Steps.find.service}}"}}]}`)
	if st != http.StatusSeeOther {
		t.Fatalf("save: %d", st)
	}
	wfs, err := e.App.Stores.Workflows.FindWorkflows(context.Background(), app.HouseTenantID)
	if err != nil {
		t.Fatal(err)
	}
	var id int64
	for _, w := range wfs {
		if w.Name == "Quote" {
			id = w.ID
		}
	}
	_, body, _ = e.do(treq{Host: "nexus", Method: "GET", Path: fmt.Sprintf("/automations/%d/edit", id), Cookies: admin})
	if !strings.Contains(body, "table Price list where service eq {{.Trigger.service}}") || !strings.Contains(body, "table Price list, set service") {
		t.Fatalf("editor picture: %.5000s", body)
	}
}
