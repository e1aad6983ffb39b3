package sheets_test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"orengen/app/sheets"
)

// TestSheetFigures measures filter and sort over 100,000 rows and XLSX
// import speed and memory (docs/BENCHMARKS.md). ORENGEN_BENCH_SHEETS=1
// runs it (make bench); it fails when a query or import gives a wrong
// answer.
func TestSheetFigures(t *testing.T) {
	if os.Getenv("ORENGEN_BENCH_SHEETS") == "" {
		t.Skip("set ORENGEN_BENCH_SHEETS=1 (make bench)")
	}
	e := newSheetEnv(t)
	tb := e.priceTable(t, e.A)
	const n = 100000
	areas := []string{"North", "South", "East"}
	start := time.Now()
	for i := 0; i < n; i += sheets.MaxBatch {
		batch := make([]map[string]any, 0, sheets.MaxBatch)
		for j := i; j < i+sheets.MaxBatch; j++ {
			batch = append(batch, map[string]any{"service": fmt.Sprintf("Service %06d %s", (j*7919)%n, []string{"roof", "gutter", "window", "paint"}[j%4]),
				"price": float64((j*31)%100000) / 100, "hours": float64(j % 40), "since": fmt.Sprintf("2026-%02d-%02d", 1+j%12, 1+j%28),
				"active": j%2 == 0, "area": areas[j%3]})
		}
		if _, err := e.Svc.SaveRows(e.A, tb, batch, func(i int, k string) string { return k }); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("wrote %d rows through SaveRows (batches of %d) in %s: %.0f rows/s", n, sheets.MaxBatch, time.Since(start).Round(time.Millisecond), n/time.Since(start).Seconds())
	tb, _ = e.Svc.Table(e.A, tb.ID)
	type query struct {
		name  string
		f     sheets.Filter
		check func(rows []*sheets.Row, total int) bool
	}
	queries := []query{
		{"price > 500, sort by service (text)", sheets.Filter{Where: []sheets.Condition{{Column: "price", Op: "gt", Value: "500"}}, Sort: "service", Limit: 100},
			func(r []*sheets.Row, total int) bool {
				return len(r) == 100 && total > 40000 && total < 60000 && r[0].Values["price"].(sheets.Money).Minor > 50000
			}},
		{"service contains \"roof\", sort by price desc", sheets.Filter{Where: []sheets.Condition{{Column: "service", Op: "contains", Value: "roof"}}, Sort: "-price", Limit: 100},
			func(r []*sheets.Row, total int) bool {
				return total == n/4 && strings.Contains(r[0].Values["service"].(string), "roof")
			}},
		{"area is South and since ≥ 2026-06-01, sort by since", sheets.Filter{Where: []sheets.Condition{{Column: "area", Value: "South"}, {Column: "since", Op: "gte", Value: "2026-06-01"}}, Sort: "since", Limit: 100},
			func(r []*sheets.Row, total int) bool {
				return len(r) == 100 && r[0].Values["since"].(string) >= "2026-06-01"
			}},
		{"no filter, sort by service (text)", sheets.Filter{Sort: "service", Limit: 100},
			func(r []*sheets.Row, total int) bool {
				return len(r) == 100 && r[0].Values["service"].(string) == "Service 000000 roof"
			}},
		{"no filter, newest first (id)", sheets.Filter{Sort: "-id", Limit: 100}, func(r []*sheets.Row, total int) bool { return len(r) == 100 && total == n }},
	}
	// Each query as an API page (filter and sort, the target figure) and
	// as the grid shows it (the same, and a count of the matching rows).
	for _, q := range queries {
		var page, grid []time.Duration
		for i := 0; i < 21; i++ {
			f := q.f
			f.Count = false
			t0 := time.Now()
			rows, _, _, err := e.Svc.Rows(e.A, tb, f)
			page = append(page, time.Since(t0))
			if err != nil || len(rows) == 0 {
				t.Fatalf("%s: %v", q.name, err)
			}
			f.Count = true
			t0 = time.Now()
			rows, _, total, err := e.Svc.Rows(e.A, tb, f)
			grid = append(grid, time.Since(t0))
			if err != nil || !q.check(rows, total) {
				t.Fatalf("%s: wrong answer (%v, %d rows of %d)", q.name, err, len(rows), total)
			}
		}
		t.Logf("%-55s p50 %6.1f ms  p99 %6.1f ms · with the count: p50 %6.1f ms", q.name, msf(pctd(page, 50)), msf(pctd(page, 99)), msf(pctd(grid, 50)))
	}
	var ds []time.Duration
	for i := 0; i < 21; i++ {
		t0 := time.Now()
		g, err := e.Svc.Groups(e.A, tb, sheets.Filter{}, "area")
		ds = append(ds, time.Since(t0))
		if err != nil || len(g) != 3 || g[0].Count+g[1].Count+g[2].Count != n {
			t.Fatalf("groups: %v %+v", err, g)
		}
	}
	t.Logf("%-55s p50 %6.1f ms", "group by area (count and sums of 2 columns)", msf(pctd(ds, 50)))
	// A page deep in a sorted list, by cursor.
	f := sheets.Filter{Sort: "service", Limit: 500}
	for i := 0; i < 100; i++ {
		_, next, _, err := e.Svc.Rows(e.A, tb, f)
		if err != nil {
			t.Fatal(err)
		}
		f.Cursor = next
	}
	ds = nil
	for i := 0; i < 21; i++ {
		t0 := time.Now()
		rows, _, _, err := e.Svc.Rows(e.A, tb, f)
		ds = append(ds, time.Since(t0))
		if err != nil || !strings.HasPrefix(rows[0].Values["service"].(string), "Service 050000 ") {
			t.Fatalf("deep page: %v %v", err, rows[0].Values)
		}
	}
	t.Logf("%-55s p50 %6.1f ms", "page 101 of the service sort (cursor)", msf(pctd(ds, 50)))

	// XLSX import: 100,000 rows, 6 columns.
	path := filepath.Join(e.Dir, "big.xlsx")
	x := excelize.NewFile()
	sw, _ := x.NewStreamWriter("Sheet1")
	sw.SetRow("A1", []any{"Service", "Price", "Hours", "Since", "Active", "Area"})
	for i := 0; i < n; i++ {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		d, _ := time.Parse("2006-01-02", fmt.Sprintf("2026-%02d-%02d", 1+i%12, 1+i%28))
		if err := sw.SetRow(cell, []any{"Imported " + strconv.Itoa(i), float64(i%5000) + 0.25, i % 40, d, i%3 == 0, areas[i%3]}); err != nil {
			t.Fatal(err)
		}
	}
	sw.Flush()
	if err := x.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	x.Close()
	st, _ := os.Stat(path)
	dst := &sheets.Table{Name: "Imported", Columns: []sheets.Column{{Name: "Service"}, {Name: "Price", Type: sheets.TypeCurrency}, {Name: "Hours", Type: sheets.TypeNumber},
		{Name: "Since", Type: sheets.TypeDate}, {Name: "Active", Type: sheets.TypeCheckbox}, {Name: "Area", Type: sheets.TypeSelect, Options: areas}}}
	if err := e.Svc.CreateTable(e.A, dst); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	debug.FreeOSMemory()
	resetPeakRSS(t)
	before := rssKiB("VmRSS")
	start = time.Now()
	j, err := e.importInto(t, dst, path, nil)
	took := time.Since(start)
	if err != nil || j.Status != sheets.ImportDone || j.Written != n {
		t.Fatalf("xlsx import: %v %+v", err, j)
	}
	peak := rssKiB("VmHWM")
	t.Logf("XLSX import of %d rows (%s file, 6 columns): %s, %.0f rows/s; RSS before %d MiB, peak %d MiB (the whole test process, %d rows already in the database)",
		n, fmtBytes(st.Size()), took.Round(time.Millisecond), n/took.Seconds(), before/1024, peak/1024, n)
	rows, _, total, err := e.Svc.Rows(e.A, dst, sheets.Filter{Where: []sheets.Condition{{Column: "service", Value: "Imported 77777"}}, Count: true})
	if err != nil || total != 1 || rows[0].Values["since"] != "2026-06-22" || rows[0].Values["price"] != (sheets.Money{Minor: 277725, Currency: "USD"}) {
		t.Fatalf("imported row: %v %d %+v", err, total, rows)
	}
}

func pctd(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)]
}

func msf(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func fmtBytes(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }

// resetPeakRSS resets VmHWM (Linux: writing 5 to clear_refs).
func resetPeakRSS(t *testing.T) {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		t.Logf("cannot reset the peak RSS (%v): the peak includes building the file", err)
	}
}

// rssKiB reads a field (VmRSS, VmHWM) of /proc/self/status in KiB.
func rssKiB(field string) int {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	return 0
}
