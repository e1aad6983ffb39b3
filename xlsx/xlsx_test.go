package xlsx

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"orengen/app"
	"orengen/app/sheets"
)

// TestRoundTrip: a workbook written with header, money and date cells
// reads back with the raw values (the date as its serial number, which
// Date turns back into the day); what is not a workbook is refused
// naming the file.
func TestRoundTrip(t *testing.T) {
	var wb Workbooks
	w, err := wb.Create()
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	rows := [][]sheets.WorkbookCell{
		{{Value: "Service", Style: sheets.CellBold}, {Value: "Price", Style: sheets.CellBold}, {Value: "Since", Style: sheets.CellBold}, {Value: "Note", Style: sheets.CellBold}},
		{{Value: "Gutters"}, {Value: 1234.5, Style: sheets.CellMoney}, {Value: day, Style: sheets.CellDate}, {}},
		{{Value: "Roof"}, {Value: 99.0, Style: sheets.CellMoney}, {}, {Value: "=1+1"}},
	}
	for _, r := range rows {
		if err := w.Row(r); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := w.Finish(&buf); err != nil {
		t.Fatal(err)
	}
	w.Close()
	path := filepath.Join(t.TempDir(), "t.xlsx")
	os.WriteFile(path, buf.Bytes(), 0o600)
	r, err := wb.Open(path, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var got [][]string
	for {
		cols, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, cols)
	}
	if len(got) != 3 || got[0][0] != "Service" || got[1][0] != "Gutters" || got[1][1] != "1234.5" || got[2][3] != "=1+1" {
		t.Fatalf("rows: %q", got)
	}
	serial, err := strconv.ParseFloat(got[1][2], 64)
	if err != nil {
		t.Fatalf("date cell %q is not a serial number", got[1][2])
	}
	if d, err := wb.Date(serial); err != nil || !d.Equal(day) {
		t.Fatalf("serial %v is %v (%v), want %v", serial, d, err, day)
	}
	bad := filepath.Join(t.TempDir(), "bad.xlsx")
	os.WriteFile(bad, []byte("PK\x03\x04garbage"), 0o600)
	if _, err := wb.Open(bad, 1<<20); app.ErrorField(err) != "file" {
		t.Fatalf("garbage: %v", err)
	}
}
