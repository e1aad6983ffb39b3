package sheets

import (
	"testing"
	"time"

	"orengen/app"
	"orengen/app/sheets"
	"orengen/ui/web"
)

func testTable() *sheets.Table {
	return &sheets.Table{ID: 1, TenantID: 2, Name: "Prices", Description: "d", RowCount: 2, Columns: []sheets.Column{
		{Key: "service", Name: "Service", Type: sheets.TypeText, Required: true, Slot: 1},
		{Key: "price", Name: "Price", Type: sheets.TypeCurrency, Currency: "USD", Slot: 2},
		{Key: "area", Name: "Area", Type: sheets.TypeSelect, Options: []string{"N", "S"}, Slot: 3},
		{Key: "ok", Name: "OK", Type: sheets.TypeCheckbox, Slot: 4},
		{Key: "since", Name: "Since", Type: sheets.TypeDate, Slot: 5},
		{Key: "owner", Name: "Owner", Type: sheets.TypeLink, Link: app.RecordPerson, Slot: 6},
	}, Charts: []sheets.Chart{{ID: "c", Title: "T", Type: "bar", X: "area"}}}
}

func testTL() tableLayout {
	return tableLayout{Table: testTable(), TenantName: "B", Tab: "grid", Nexus: true}
}

var pageData = map[string]func() any{}

func init() {
	t := testTable()
	row := &sheets.Row{ID: 5, Values: map[string]any{"service": "A", "price": sheets.Money{Minor: 100, Currency: "USD"}, "ok": true, "owner": int64(3)}, LinkNames: map[string]string{"owner": "Ann"}}
	for _, host := range []string{"portal", "nexus"} {
		pageData[host+"/sheets_tables"] = func() any {
			return &tablesPage{Nexus: true, Tables: []*sheets.Table{t}, Tenant: &app.Tenant{ID: 1, Name: "H"}, Tenants: []*app.Tenant{{ID: 1, Name: "H", House: true}}, Error: "x"}
		}
		pageData[host+"/sheets_grid"] = func() any {
			return &gridPage{tableLayout: testTL(), Rows: []gridRow{{ID: 5, Cells: cellsOf(t, row), Group: &groupHead{Label: "N", Count: 1, Sums: []string{"Price: 1.00"}}}},
				Total: 1, Page: 2, Pages: 3, Ops: sheets.Ops, OpLabels: sheets.OpLabels, Conds: []sheets.Condition{{Column: "price", Op: "gt", Value: "1"}, {}},
				FilterErr: "bad", AddErrors: map[string]string{"price": "x"}, AddForm: map[string]string{"ok": "true"}, SortKey: "price"}
		}
		pageData[host+"/sheets_row"] = func() any {
			return &rowPage{tableLayout: testTL(), Row: row, Cells: cellsOf(t, row), Errors: map[string]string{"price": "x"}}
		}
		pageData[host+"/sheets_settings"] = func() any {
			return &settingsPage{tableLayout: testTL(), Types: sheets.Types, TypeLabels: sheets.TypeLabels, LinkTypes: sheets.LinkTypes, Error: "x", ErrorKey: "price"}
		}
		pageData[host+"/sheets_import"] = func() any {
			return &importViewPage{tableLayout: testTL(), Jobs: []*sheets.ImportJob{{ID: 1, FileName: "f.csv", Status: "done", CreatedAt: time.Now()}}, Error: "x"}
		}
		pageData[host+"/sheets_import_job"] = func() any {
			return &importJobPage{tableLayout: testTL(), Job: &sheets.ImportJob{ID: 1, Status: sheets.ImportReady, Header: []string{"a"}}, Types: sheets.Types,
				Map: []mapRow{{Index: 0, Header: "a", Choice: "key:price"}}, Preview: []sheets.PreviewRow{{Row: 2, Cells: []string{"x"}, Errors: []sheets.RowError{{Row: 2, Message: "m"}}}}, FormError: "x"}
		}
		pageData[host+"/sheets_charts"] = func() any {
			return &chartsPage{tableLayout: testTL(), Charts: []chartView{{Chart: t.Charts[0], SVG: "<svg></svg>"}}, Types: sheets.ChartTypes, Aggs: sheets.Aggs,
				Numbers: t.Columns[1:2], Form: sheets.Chart{Type: "pie"}, Error: "x", Query: "fc0=a"}
		}
	}
}

func TestTemplates_EveryPage(t *testing.T) {
	for _, err := range web.CheckPages(Templates, pageData) {
		t.Error(err)
	}
	// A running job's page.
	pageData["portal/sheets_import_job"] = func() any {
		return &importJobPage{tableLayout: testTL(), Job: &sheets.ImportJob{ID: 1, Status: sheets.ImportFailed, Phase: "checking", Message: "m",
			Errors: []sheets.RowError{{Row: 3, Column: "Price", Message: "bad"}}, ErrorCount: 1}}
	}
	for _, err := range web.CheckPages(Templates, pageData) {
		t.Error(err)
	}
}
