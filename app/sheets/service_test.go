package sheets_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"orengen/app"
	"orengen/app/sheets"
	"orengen/store"
	"orengen/xlsx"
)

type sheetEnv struct {
	DB     *store.DB
	Svc    *sheets.Service
	Store  *store.SheetStore
	CRM    *store.CRMStores
	A, B   context.Context
	TA, TB *app.Tenant
	Dir    string
}

func newSheetEnv(tb testing.TB) *sheetEnv {
	tb.Helper()
	dir := tb.TempDir()
	db := store.NewDB(filepath.Join(dir, "orengen.db"))
	if err := db.Open(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	e := &sheetEnv{DB: db, Store: store.NewSheetStore(db), CRM: store.NewCRMStores(db), Dir: dir}
	e.Svc = sheets.NewService(e.Store.Stores())
	e.Svc.ImportDir, e.Svc.XLSX = dir, xlsx.Workbooks{}
	ts := store.NewTenantStore(db)
	e.TA, e.TB = &app.Tenant{Name: "Alpha"}, &app.Tenant{Name: "Bravo"}
	for _, t := range []*app.Tenant{e.TA, e.TB} {
		if err := ts.CreateTenant(context.Background(), t); err != nil {
			tb.Fatal(err)
		}
	}
	e.A = app.NewContextWithUser(app.NewContextWithTenant(context.Background(), e.TA), &app.User{ID: 1, Email: "ann@alpha.test", Role: app.UserRoleOwner})
	e.B = app.NewContextWithTenant(context.Background(), e.TB)
	return e
}

// priceTable is a price list with every column type.
func (e *sheetEnv) priceTable(tb testing.TB, ctx context.Context) *sheets.Table {
	tb.Helper()
	t := &sheets.Table{Name: "Price list", Columns: []sheets.Column{
		{Name: "Service", Type: sheets.TypeText, Required: true},
		{Name: "Price", Type: sheets.TypeCurrency, Currency: "usd"},
		{Name: "Hours", Type: sheets.TypeNumber},
		{Name: "Since", Type: sheets.TypeDate},
		{Name: "Active", Type: sheets.TypeCheckbox},
		{Name: "Area", Type: sheets.TypeSelect, Options: []string{"North", "South", "East"}},
		{Name: "Owner", Type: sheets.TypeLink, Link: app.RecordPerson},
	}}
	if err := e.Svc.CreateTable(ctx, t); err != nil {
		tb.Fatal(err)
	}
	return t
}

func TestSheets_TypedValidation(t *testing.T) {
	e := newSheetEnv(t)
	tb := e.priceTable(t, e.A)
	if tb.Columns[1].Key != "price" || tb.Columns[1].Currency != "USD" || tb.Columns[6].Slot != 7 {
		t.Fatalf("columns: %+v", tb.Columns)
	}
	ann := &app.Person{FirstName: "Ann", LastName: "Lee", Emails: []string{"ann@alpha.test"}}
	if err := e.CRM.People.CreatePerson(e.A, ann); err != nil {
		t.Fatal(err)
	}
	r, err := e.Svc.CreateRow(e.A, tb, map[string]any{"Service": "Roof repair", "price": "$1,250.50", "hours": 3.5, "since": "2026-03-01",
		"active": "yes", "area": "north", "owner": "ANN@alpha.test"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.Svc.Row(e.A, tb, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"service": "Roof repair", "price": sheets.Money{Minor: 125050, Currency: "USD"}, "hours": 3.5, "since": "2026-03-01", "active": true, "area": "North", "owner": ann.ID}
	for k, v := range want {
		if got.Values[k] != v {
			t.Errorf("%s = %#v, want %#v", k, got.Values[k], v)
		}
	}
	if got.LinkNames["owner"] != "Ann Lee" || got.Text(tb)["price"] != "1,250.50 USD" {
		t.Fatalf("display: %+v %+v", got.LinkNames, got.Text(tb))
	}
	// Each wrong value names its column.
	for _, tc := range []struct {
		in    map[string]any
		field string
		msg   string
	}{
		{map[string]any{"service": "x", "price": "12.345"}, "price", `Column "Price": "12.345" is not an amount`},
		{map[string]any{"service": "x", "hours": "three"}, "hours", `Column "Hours": "three" is not a number`},
		{map[string]any{"service": "x", "hours": true}, "hours", `"true" is not a number`},
		{map[string]any{"service": "x", "since": "31/31/2026"}, "since", `is not a date`},
		{map[string]any{"service": "x", "active": "maybe"}, "active", `"maybe" is not yes or no`},
		{map[string]any{"service": "x", "area": "West"}, "area", `"West" is not one of the options (North, South, East)`},
		{map[string]any{"service": "x", "owner": "nobody@x.test"}, "owner", `no person matches "nobody@x.test"`},
		{map[string]any{"service": "x", "owner": 999999}, "owner", `no person with ID 999999`},
		{map[string]any{"price": "1"}, "service", `Column "Service": a value is required`},
		{map[string]any{"service": "x", "colour": "red"}, "colour", `has no column "colour"`},
	} {
		_, err := e.Svc.CreateRow(e.A, tb, tc.in)
		if app.ErrorCode(err) != app.EINVALID || app.ErrorField(err) != tc.field || !strings.Contains(app.ErrorMessage(err), tc.msg) {
			t.Errorf("%v: %v, want field %s with %q", tc.in, err, tc.field, tc.msg)
		}
	}
	// Tenant B's person cannot be linked from A, by ID or email.
	bo := &app.Person{FirstName: "Bo", Emails: []string{"bo@bravo.test"}}
	if err := e.CRM.People.CreatePerson(e.B, bo); err != nil {
		t.Fatal(err)
	}
	for _, ref := range []any{bo.ID, "bo@bravo.test"} {
		if _, err := e.Svc.CreateRow(e.A, tb, map[string]any{"service": "x", "owner": ref}); app.ErrorField(err) != "owner" {
			t.Errorf("linking B's person by %v: %v", ref, err)
		}
	}
	// A batch with one bad record writes nothing and names it.
	_, err = e.Svc.SaveRows(e.A, tb, []map[string]any{{"service": "ok"}, {"service": "ok", "hours": "x"}}, func(i int, k string) string { return fmt.Sprintf("records[%d].%s", i, k) })
	if app.ErrorField(err) != "records[1].hours" {
		t.Fatalf("batch: %v", err)
	}
	if rows, _, n, _ := e.Svc.Rows(e.A, tb, sheets.Filter{Count: true}); n != 1 || len(rows) != 1 {
		t.Fatalf("after the failed batch: %d rows", n)
	}
	// Another tenant sees nothing.
	if _, err := e.Svc.Table(e.B, tb.ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("B reading A's table: %v", err)
	}
	if _, err := e.Svc.Row(e.B, tb, r.ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("B reading A's row: %v", err)
	}
	if _, err := e.Svc.UpdateRow(e.B, tb, r.ID, map[string]any{"service": "hijack"}); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("B updating A's row: %v", err)
	}
	if n, err := e.Svc.DeleteRows(e.B, tb, []int64{r.ID}); app.ErrorCode(err) != app.ENOTFOUND || n != 0 {
		t.Fatalf("B deleting A's row: %d %v", n, err)
	}
}

func TestSheets_FilterSortGroupCursor(t *testing.T) {
	e := newSheetEnv(t)
	tb := e.priceTable(t, e.A)
	type rec struct {
		service string
		price   int64 // cents, -1: empty
		area    string
	}
	var recs []rec
	areas := []string{"North", "South", "East", ""}
	for i := 0; i < 57; i++ {
		r := rec{service: fmt.Sprintf("svc %02d", (i*7)%50), price: int64((i * 37) % 11 * 1000), area: areas[i%4]}
		if i%9 == 0 {
			r.price = -1
		}
		recs = append(recs, r)
	}
	var batch []map[string]any
	for _, r := range recs {
		m := map[string]any{"service": r.service, "area": r.area}
		if r.price >= 0 {
			m["price"] = float64(r.price) / 100
		}
		batch = append(batch, m)
	}
	rows, err := e.Svc.SaveRows(e.A, tb, batch, func(i int, k string) string { return k })
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	// Expected order of price descending, empty last, then id descending;
	// computed here independently of the store.
	idx := make([]int, len(recs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		ra, rb := recs[idx[a]], recs[idx[b]]
		if (ra.price < 0) != (rb.price < 0) {
			return rb.price < 0
		}
		if ra.price != rb.price {
			return ra.price > rb.price
		}
		return ids[idx[a]] > ids[idx[b]]
	})
	var want []int64
	for _, i := range idx {
		want = append(want, ids[i])
	}
	var got []int64
	f := sheets.Filter{Sort: "-price", Limit: 10}
	for pages := 0; pages < 10; pages++ {
		page, next, _, err := e.Svc.Rows(e.A, tb, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page {
			got = append(got, r.ID)
		}
		if next == "" {
			break
		}
		f.Cursor = next
	}
	if !slices.Equal(got, want) {
		t.Fatalf("paged by cursor:\n got %v\nwant %v", got, want)
	}
	// Text sort ignores case and is stable by id through the cursor.
	var texts []string
	f = sheets.Filter{Sort: "service", Limit: 7}
	for {
		page, next, _, err := e.Svc.Rows(e.A, tb, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page {
			texts = append(texts, r.Values["service"].(string))
		}
		if next == "" {
			break
		}
		f.Cursor = next
	}
	if len(texts) != len(recs) || !slices.IsSorted(texts) {
		t.Fatalf("text sort: %v", texts)
	}
	// Filters: price > 50.00 and area is North; any-of; empty.
	count := func(f sheets.Filter) int {
		f.Count = true
		_, _, n, err := e.Svc.Rows(e.A, tb, f)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	wantN := func(pred func(rec) bool) int {
		n := 0
		for _, r := range recs {
			if pred(r) {
				n++
			}
		}
		return n
	}
	for name, tc := range map[string]struct {
		f    sheets.Filter
		pred func(rec) bool
	}{
		"gt and eq": {sheets.Filter{Where: []sheets.Condition{{Column: "price", Op: "gt", Value: "50"}, {Column: "Area", Op: "eq", Value: "north"}}},
			func(r rec) bool { return r.price > 5000 && r.area == "North" }},
		"any": {sheets.Filter{Any: true, Where: []sheets.Condition{{Column: "price", Op: "lte", Value: "10"}, {Column: "area", Op: "empty"}}},
			func(r rec) bool { return r.price >= 0 && r.price <= 1000 || r.area == "" }},
		"contains": {sheets.Filter{Where: []sheets.Condition{{Column: "service", Op: "contains", Value: "SVC 1"}}},
			func(r rec) bool { return strings.Contains(r.service, "svc 1") }},
		"ne keeps empty": {sheets.Filter{Where: []sheets.Condition{{Column: "area", Op: "ne", Value: "South"}}},
			func(r rec) bool { return r.area != "South" }},
		"not empty": {sheets.Filter{Where: []sheets.Condition{{Column: "price", Op: "not_empty"}}},
			func(r rec) bool { return r.price >= 0 }},
	} {
		if got, want := count(tc.f), wantN(tc.pred); got != want {
			t.Errorf("%s: %d rows, want %d", name, got, want)
		}
	}
	// Bad filters name what is wrong.
	for _, tc := range []struct {
		f     sheets.Filter
		field string
	}{
		{sheets.Filter{Where: []sheets.Condition{{Column: "nope", Op: "eq", Value: "x"}}}, "where[0].column"},
		{sheets.Filter{Where: []sheets.Condition{{Column: "price", Op: "gt", Value: "lots"}}}, "where[0].value"},
		{sheets.Filter{Where: []sheets.Condition{{Column: "price", Op: "contains", Value: "1"}}}, "where[0].op"},
		{sheets.Filter{Where: []sheets.Condition{{Column: "price", Op: "like", Value: "1"}}}, "where[0].op"},
		{sheets.Filter{Sort: "-nope"}, "sort"},
		{sheets.Filter{Cursor: "garbage!"}, "cursor"},
	} {
		if _, _, _, err := e.Svc.Rows(e.A, tb, tc.f); app.ErrorField(err) != tc.field {
			t.Errorf("%+v: %v, want field %s", tc.f, err, tc.field)
		}
	}
	// Groups: counts and sums per area, empty last.
	groups, err := e.Svc.Groups(e.A, tb, sheets.Filter{}, "area")
	if err != nil {
		t.Fatal(err)
	}
	wantGroups := map[string][2]float64{}
	for _, r := range recs {
		g := wantGroups[r.area]
		g[0]++
		if r.price > 0 {
			g[1] += float64(r.price) / 100
		}
		wantGroups[r.area] = g
	}
	if len(groups) != 4 || groups[3].Value != nil {
		t.Fatalf("groups: %+v", groups)
	}
	for _, g := range groups {
		k, _ := g.Value.(string)
		if w := wantGroups[k]; float64(g.Count) != w[0] || g.Sums["price"] != w[1] {
			t.Errorf("group %q: %d rows sum %v, want %v", k, g.Count, g.Sums["price"], w)
		}
	}
	// A grouped page is ordered by the group first.
	page, _, _, err := e.Svc.Rows(e.A, tb, sheets.Filter{Group: "area", Sort: "service", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, r := range page {
		a, _ := r.Values["area"].(string)
		if len(order) == 0 || order[len(order)-1] != a {
			order = append(order, a)
		}
	}
	if strings.Join(order, ",") != "East,North,South," {
		t.Fatalf("group order: %q", order)
	}
}

func TestSheets_ColumnChanges(t *testing.T) {
	e := newSheetEnv(t)
	tb := e.priceTable(t, e.A)
	for _, s := range []string{"12", "7.5", "abc"} {
		if _, err := e.Svc.CreateRow(e.A, tb, map[string]any{"service": s}); err != nil {
			t.Fatal(err)
		}
	}
	// Text to number fails on "abc", naming the row; nothing changes.
	c := *tb.Column("service")
	c.Type = sheets.TypeNumber
	_, err := e.Svc.UpdateColumn(e.A, tb, "service", c)
	if app.ErrorCode(err) != app.EINVALID || !strings.Contains(app.ErrorMessage(err), `has "abc"`) {
		t.Fatalf("text to number: %v", err)
	}
	tb2, _ := e.Svc.Table(e.A, tb.ID)
	if tb2.Column("service").Type != sheets.TypeText {
		t.Fatal("type changed despite the error")
	}
	// Number to text always works; a removed column's values are erased
	// and its slot reused by the next column.
	c = *tb.Column("hours")
	c.Type = sheets.TypeText
	tb2, err = e.Svc.UpdateColumn(e.A, tb, "hours", c)
	if err != nil {
		t.Fatal(err)
	}
	// A write prepared with the old columns is refused, not misfiled.
	if _, err := e.Svc.CreateRow(e.A, tb, map[string]any{"service": "x", "hours": 3}); app.ErrorCode(err) != app.ECONFLICT {
		t.Fatalf("write with stale columns: %v", err)
	}
	r, err := e.Svc.CreateRow(e.A, tb2, map[string]any{"service": "x", "since": "2026-01-02", "hours": "3 hours"})
	if err != nil {
		t.Fatal(err)
	}
	tb3, err := e.Svc.DeleteColumn(e.A, tb2, "since")
	if err != nil {
		t.Fatal(err)
	}
	tb4, err := e.Svc.AddColumn(e.A, tb3, sheets.Column{Name: "Notes"})
	if err != nil {
		t.Fatal(err)
	}
	if tb4.Column("notes").Slot != 4 {
		t.Fatalf("new column slot %d, want the freed 4", tb4.Column("notes").Slot)
	}
	got, _ := e.Svc.Row(e.A, tb4, r.ID)
	if _, ok := got.Values["notes"]; ok {
		t.Fatalf("a deleted column's value came back: %+v", got.Values)
	}
	// Unique names, at most 50 columns.
	if _, err := e.Svc.AddColumn(e.A, tb4, sheets.Column{Name: "notes"}); app.ErrorCode(err) != app.EINVALID {
		t.Fatalf("duplicate name: %v", err)
	}
	big := &sheets.Table{Name: "Big"}
	for i := 0; i < 51; i++ {
		big.Columns = append(big.Columns, sheets.Column{Name: "c" + strconv.Itoa(i)})
	}
	if err := e.Svc.CreateTable(e.A, big); app.ErrorField(err) != "columns" {
		t.Fatalf("51 columns: %v", err)
	}
	if err := e.Svc.CreateTable(e.A, &sheets.Table{Name: "PRICE LIST"}); app.ErrorCode(err) != app.ECONFLICT {
		t.Fatalf("duplicate table name: %v", err)
	}
}

// writeFile writes data to a file in dir.
func writeFile(tb testing.TB, dir, name string, data []byte) string {
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		tb.Fatal(err)
	}
	return p
}

// importInto runs a whole import of file into t with the proposed mapping.
func (e *sheetEnv) importInto(tb testing.TB, t *sheets.Table, path string, progress sheets.ImportProgress) (*sheets.ImportJob, error) {
	tb.Helper()
	j, err := e.Svc.NewImport(e.A, t, filepath.Base(path), path)
	if err != nil {
		return nil, err
	}
	if err := e.Svc.RunImport(e.A, t, j, progress); err != nil {
		return nil, err
	}
	return e.Svc.Import(e.A, j.ID)
}

func allRows(tb testing.TB, e *sheetEnv, t *sheets.Table) []map[string]string {
	rows, _, _, err := e.Svc.Rows(e.A, t, sheets.Filter{Limit: 500})
	if err != nil {
		tb.Fatal(err)
	}
	var out []map[string]string
	for _, r := range rows {
		m := map[string]string{}
		for _, c := range t.Columns {
			m[c.Name] = sheets.FormatValue(&c, r.Values[c.Key])
		}
		out = append(out, m)
	}
	return out
}

func TestSheets_CSVAndXLSXRoundTrip(t *testing.T) {
	e := newSheetEnv(t)
	src := e.priceTable(t, e.A)
	ann := &app.Person{FirstName: "Ann", Emails: []string{"ann@alpha.test"}}
	e.CRM.People.CreatePerson(e.A, ann)
	_, err := e.Svc.SaveRows(e.A, src, []map[string]any{
		{"service": "Roof, repair \"deluxe\"", "price": "1250.5", "hours": 2.25, "since": "2026-02-28", "active": true, "area": "South", "owner": ann.ID},
		{"service": "=HYPERLINK(\"x\")", "price": "-3", "hours": -1e6, "active": false},
		{"service": "Ünïcödé\nline two"},
	}, func(i int, k string) string { return k })
	if err != nil {
		t.Fatal(err)
	}
	want := allRows(t, e, src)
	for _, format := range []string{"csv", "xlsx"} {
		var buf bytes.Buffer
		if format == "csv" {
			err = e.Svc.ExportCSV(e.A, src, sheets.Filter{}, &buf)
		} else {
			err = e.Svc.ExportXLSX(e.A, src, sheets.Filter{}, &buf)
		}
		if err != nil {
			t.Fatal(err)
		}
		if format == "csv" && !strings.Contains(buf.String(), `'=HYPERLINK`) {
			t.Fatalf("formula not guarded: %s", buf.String())
		}
		// Into a table with the same columns.
		dst := &sheets.Table{Name: "Copy " + format, Columns: append([]sheets.Column{}, src.Columns...)}
		for i := range dst.Columns {
			dst.Columns[i].Slot = 0
		}
		if err := e.Svc.CreateTable(e.A, dst); err != nil {
			t.Fatal(err)
		}
		j, err := e.importInto(t, dst, writeFile(t, e.Dir, "export."+format, buf.Bytes()), nil)
		if err != nil {
			t.Fatal(err)
		}
		if j.Status != sheets.ImportDone || j.Written != 3 {
			t.Fatalf("%s import: %+v", format, j)
		}
		dst, _ = e.Svc.Table(e.A, dst.ID)
		if got := allRows(t, e, dst); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s round trip:\n got %v\nwant %v", format, got, want)
		}
	}
	// Into an empty table: new columns with guessed types.
	empty := &sheets.Table{Name: "Fresh"}
	e.Svc.CreateTable(e.A, empty)
	csvData := "Name,Amount,Start,Done\nA,12.5,2026-01-05,yes\nB,-3,2026-02-01,no\n"
	j, err := e.importInto(t, empty, writeFile(t, e.Dir, "fresh.csv", []byte(csvData)), nil)
	if err != nil || j.Status != sheets.ImportDone {
		t.Fatalf("fresh import: %v %+v", err, j)
	}
	fresh, _ := e.Svc.Table(e.A, empty.ID)
	var types []string
	for _, c := range fresh.Columns {
		types = append(types, c.Type)
	}
	if strings.Join(types, ",") != "text,number,date,checkbox" || fresh.RowCount != 2 {
		t.Fatalf("guessed columns %v, %d rows", types, fresh.RowCount)
	}
}

func TestSheets_ImportBadRowsWritesNothing(t *testing.T) {
	e := newSheetEnv(t)
	tb := e.priceTable(t, e.A)
	e.Svc.CreateRow(e.A, tb, map[string]any{"service": "existing"})
	data := "Service,Price,Hours,Area\n" +
		"Good one,10,1,North\n" +
		"Bad price,ten dollars,1,North\n" +
		",5,1,South\n" +
		"Bad area,5,x,West\n" +
		"Also good,20,2,East\n"
	j, err := e.importInto(t, tb, writeFile(t, e.Dir, "bad.csv", []byte(data)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if j.Status != sheets.ImportFailed || j.ErrorCount != 3 || !strings.Contains(j.Message, "3 of 5 rows have errors; nothing was imported") {
		t.Fatalf("job: %+v", j)
	}
	var got []string
	for _, re := range j.Errors {
		got = append(got, fmt.Sprintf("%d/%s", re.Row, re.Column))
	}
	if strings.Join(got, " ") != "3/Price 4/Service 5/Hours 5/Area" {
		t.Fatalf("row errors: %v (%+v)", got, j.Errors)
	}
	if !strings.Contains(j.Errors[0].Message, `"ten dollars" is not an amount`) {
		t.Fatalf("message: %q", j.Errors[0].Message)
	}
	if _, _, n, _ := e.Svc.Rows(e.A, tb, sheets.Filter{Count: true}); n != 1 {
		t.Fatalf("%d rows after a failed import, want 1", n)
	}
	// One bad row of two, then one good row: the messages count in the
	// singular (as the job shows it and as it is stored).
	j, err = e.importInto(t, tb, writeFile(t, e.Dir, "one-bad.csv", []byte("Service,Price,Hours,Area\nFine,1,1,North\nBad,one,1,North\n")), nil)
	if err != nil || j.Status != sheets.ImportFailed || !strings.Contains(j.Message, "1 of 2 rows has errors;") {
		t.Fatalf("one bad row: %v %+v", err, j)
	}
	j, err = e.importInto(t, tb, writeFile(t, e.Dir, "one.csv", []byte("Service,Price,Hours,Area\nSingle,1,1,North\n")), nil)
	if err != nil || j.Status != sheets.ImportDone || j.Message != "Imported 1 row." {
		t.Fatalf("one row: %v %+v", err, j)
	}
	if stored, err := e.Svc.Import(e.A, j.ID); err != nil || stored.Message != "Imported 1 row." {
		t.Fatalf("stored job: %v %+v", err, stored)
	}
	if _, _, n, _ := e.Svc.Rows(e.A, tb, sheets.Filter{Count: true}); n != 2 {
		t.Fatalf("%d rows after a one-row import, want 2", n)
	}
	// A malformed file.
	j, err = e.importInto(t, tb, writeFile(t, e.Dir, "broken.csv", []byte("Service,Price\n\"unclosed,1\n")), nil)
	if err != nil || j.Status != sheets.ImportFailed || len(j.Errors) != 1 || !strings.Contains(j.Errors[0].Message, "malformed") {
		t.Fatalf("malformed: %v %+v", err, j)
	}
	// Not a readable workbook, empty file.
	if _, err := e.Svc.NewImport(e.A, tb, "x.xlsx", writeFile(t, e.Dir, "x.xlsx", []byte("PK\x03\x04garbage"))); app.ErrorField(err) != "file" {
		t.Fatalf("broken xlsx: %v", err)
	}
	if _, err := e.Svc.NewImport(e.A, tb, "e.csv", writeFile(t, e.Dir, "e.csv", nil)); app.ErrorField(err) != "file" {
		t.Fatalf("empty: %v", err)
	}
	// Mapping errors: two file columns into one column.
	j2, _ := e.Svc.NewImport(e.A, tb, "m.csv", writeFile(t, e.Dir, "m.csv", []byte("a,b\n1,2\n")))
	if err := e.Svc.SetMapping(e.A, tb, j2, []sheets.MapEntry{{Column: "service"}, {Column: "service"}}); app.ErrorField(err) != "mapping[1]" {
		t.Fatalf("double mapping: %v", err)
	}
	if _, err := e.Svc.Import(e.B, j2.ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("B reading A's import: %v", err)
	}
}

func TestSheets_BigImportWithProgress(t *testing.T) {
	if testing.Short() {
		t.Skip("100,000 rows")
	}
	e := newSheetEnv(t)
	tb := e.priceTable(t, e.A)
	var b bytes.Buffer
	b.WriteString("Service,Price,Hours,Since,Active,Area\n")
	const n = 100000
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "Service %d,%d.%02d,%d,2026-%02d-%02d,%v,%s\n", i, i%500, i%100, i%40, 1+i%12, 1+i%28, i%2 == 0, []string{"North", "South", "East"}[i%3])
	}
	var checked, written []int
	j, err := e.importInto(t, tb, writeFile(t, e.Dir, "big.csv", b.Bytes()), func(j *sheets.ImportJob) {
		if j.Phase == "checking" {
			checked = append(checked, j.Checked)
		} else {
			written = append(written, j.Written)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if j.Status != sheets.ImportDone || j.Written != n {
		t.Fatalf("job: %+v", j)
	}
	// Progress was reported along the way, in order, before the end.
	if len(checked) < 10 || !slices.IsSorted(checked) || len(written) < 10 || !slices.IsSorted(written) || written[len(written)/2] <= 0 || written[len(written)/2] >= n {
		t.Fatalf("progress: checked %v written %v", checked, written)
	}
	tb, _ = e.Svc.Table(e.A, tb.ID)
	if tb.RowCount != n {
		t.Fatalf("row count %d", tb.RowCount)
	}
	rows, _, cnt, err := e.Svc.Rows(e.A, tb, sheets.Filter{Where: []sheets.Condition{{Column: "service", Op: "eq", Value: "Service 4242"}}, Count: true})
	if err != nil || cnt != 1 || rows[0].Values["price"] != (sheets.Money{Minor: 242*100 + 42, Currency: "USD"}) {
		t.Fatalf("row 4242: %v %d %+v", err, cnt, rows)
	}
}

func TestSheets_XLSXImportTypes(t *testing.T) {
	e := newSheetEnv(t)
	tb := e.priceTable(t, e.A)
	x := excelize.NewFile()
	sh := x.GetSheetName(0)
	x.SetSheetRow(sh, "A1", &[]any{"Service", "Price", "Since", "Active"})
	x.SetSheetRow(sh, "A2", &[]any{"Gutters", 99.5, 46082, true}) // 46082: 2026-03-01 as an Excel serial
	style, _ := x.NewStyle(&excelize.Style{NumFmt: 14})
	x.SetCellStyle(sh, "C2", "C2", style)
	var buf bytes.Buffer
	x.Write(&buf)
	j, err := e.importInto(t, tb, writeFile(t, e.Dir, "t.xlsx", buf.Bytes()), nil)
	if err != nil || j.Status != sheets.ImportDone {
		t.Fatalf("%v %+v", err, j)
	}
	rows := allRows(t, e, tb)
	if rows[0]["Since"] != "2026-03-01" || rows[0]["Price"] != "99.50 USD" || rows[0]["Active"] != "yes" {
		t.Fatalf("xlsx values: %v", rows[0])
	}
}

func TestSheets_ChartsAndLookup(t *testing.T) {
	e := newSheetEnv(t)
	tb := e.priceTable(t, e.A)
	e.Svc.SaveRows(e.A, tb, []map[string]any{
		{"service": "a", "price": 10, "area": "North"}, {"service": "b", "price": 30, "area": "North"},
		{"service": "c", "price": 20, "area": "South"}, {"service": "<script>", "price": 5, "area": "East"},
	}, func(i int, k string) string { return k })
	ch := &sheets.Chart{Type: "bar", X: "Area", Y: "Price", Agg: "sum"}
	pts, err := e.Svc.ChartData(e.A, tb, ch)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(pts) != "[{East 5} {North 40} {South 20}]" || ch.Title != "Sum of Price by Area" {
		t.Fatalf("points %v title %q", pts, ch.Title)
	}
	svg := sheets.SVG("bar", ch.Title, pts, nil)
	if strings.Count(svg, "<rect") != 3 || !strings.Contains(svg, "<title>North: 40</title>") || !strings.Contains(svg, `role="img"`) {
		t.Fatalf("bar svg: %s", svg)
	}
	// The tallest bar reaches the top of the scale (40 -> 50 at the top).
	pie := sheets.SVG("pie", "Rows by service", []sheets.Point{{"<script>", 1}, {"b", 3}}, nil)
	if strings.Contains(pie, "<script>") || !strings.Contains(pie, "&lt;script&gt;: 1 (25%)") || !strings.Contains(pie, "b: 3 (75%)") {
		t.Fatalf("pie svg: %s", pie)
	}
	if _, err := e.Svc.ChartData(e.A, tb, &sheets.Chart{Type: "bar", X: "area", Y: "service", Agg: "sum"}); app.ErrorField(err) != "y" {
		t.Fatalf("sum of text: %v", err)
	}
	// The agents' and workflows' read.
	rows, err := e.Svc.LookupRows(e.A, tb.ID, sheets.Filter{Where: []sheets.Condition{{Column: "area", Value: "north"}}, Sort: "-price"})
	if err != nil || len(rows) != 2 || rows[0].Text(tb)["service"] != "b" || rows[0].Text(tb)["price"] != "30.00 USD" {
		t.Fatalf("lookup: %v %+v", err, rows)
	}
	if _, err := e.Svc.LookupRows(e.B, tb.ID, sheets.Filter{}); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("B looking up A's table: %v", err)
	}
	n, err := e.Svc.UpdateWhere(e.A, tb, sheets.Filter{Where: []sheets.Condition{{Column: "area", Value: "North"}}}, map[string]any{"active": true}, 100)
	if err != nil || n != 2 {
		t.Fatalf("update where: %d %v", n, err)
	}
}

func TestSheets_AdminTable(t *testing.T) {
	e := newSheetEnv(t)
	e.Svc.Tenant = store.NewTenantStore(e.DB).FindTenantByID
	tb := e.priceTable(t, e.B)
	admin := app.NewContextWithAdmin(context.Background(), &app.Admin{ID: 1, Email: "root@agency.test"})
	ctx, got, err := e.Svc.AdminTable(admin, tb.ID)
	if err != nil || got.ID != tb.ID || app.TenantFromContext(ctx).ID != e.TB.ID {
		t.Fatalf("admin: %v %+v", err, got)
	}
	if _, err := e.Svc.CreateRow(ctx, got, map[string]any{"service": "by the agency"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.Svc.AdminTable(e.A, tb.ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("tenant A as admin: %v", err)
	}
	if _, _, err := e.Svc.AdminTable(context.Background(), tb.ID); app.ErrorCode(err) != app.EUNAUTHORIZED {
		t.Fatalf("nobody: %v", err)
	}
}

func TestSheets_ContainsIsLiteral(t *testing.T) {
	e := newSheetEnv(t)
	tb := e.priceTable(t, e.A)
	for _, s := range []string{"50% off", "5000 off", "a_b", "axb", `back\slash`, "ROOF repair"} {
		if _, err := e.Svc.CreateRow(e.A, tb, map[string]any{"service": s}); err != nil {
			t.Fatal(err)
		}
	}
	for q, want := range map[string]int{"50%": 1, "a_b": 1, `\s`: 1, "roof": 1, "off": 2} {
		_, _, n, err := e.Svc.Rows(e.A, tb, sheets.Filter{Where: []sheets.Condition{{Column: "service", Op: sheets.OpContains, Value: q}}, Count: true})
		if err != nil || n != want {
			t.Errorf("contains %q: %d rows (%v), want %d", q, n, err, want)
		}
		_, _, n, _ = e.Svc.Rows(e.A, tb, sheets.Filter{Where: []sheets.Condition{{Column: "service", Op: sheets.OpNotContains, Value: q}}, Count: true})
		if n != 6-want {
			t.Errorf("not contains %q: %d rows, want %d", q, n, 6-want)
		}
	}
}

// A restart fails the imports it interrupted: their staged rows and
// files go, and the table is as before.
func TestSheets_FailStaleImports(t *testing.T) {
	e := newSheetEnv(t)
	tb := e.priceTable(t, e.A)
	path := writeFile(t, e.Dir, "stale.csv", []byte("Service\nA\nB\n"))
	j, err := e.Svc.NewImport(e.A, tb, "stale.csv", path)
	if err != nil {
		t.Fatal(err)
	}
	j.Status = sheets.ImportRunning
	if err := e.Store.UpdateImport(e.A, j); err != nil {
		t.Fatal(err)
	}
	if err := e.Store.StageRows(e.A, tb, j.ID, []*sheets.Row{{Values: map[string]any{"service": "staged"}}}); err != nil {
		t.Fatal(err)
	}
	n, err := e.Svc.FailStaleImports(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("stale: %d %v", n, err)
	}
	got, _ := e.Svc.Import(e.A, j.ID)
	if got.Status != sheets.ImportFailed || !strings.Contains(got.Message, "restarted") {
		t.Fatalf("job: %+v", got)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("file kept: %v", err)
	}
	// The staged row never joins the table, even if the job were committed.
	if err := e.Store.CommitImport(e.A, tb, &sheets.ImportJob{ID: j.ID, Written: 1}); err == nil {
		t.Fatal("committed a failed import's rows")
	}
	if _, _, total, _ := e.Svc.Rows(e.A, tb, sheets.Filter{Count: true}); total != 0 {
		t.Fatalf("%d rows", total)
	}
}
