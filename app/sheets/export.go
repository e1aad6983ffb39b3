package sheets

import (
	"context"
	"encoding/csv"
	"io"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// exportPage is how many rows an export reads per query.
const exportPage = 500

// eachRow calls fn for every row matching f, in pages (flat memory).
func (s *Service) eachRow(ctx context.Context, t *Table, f Filter, fn func(*Row) error) error {
	f.Limit, f.Offset, f.Count, f.Group = exportPage, 0, false, ""
	if err := f.Validate(t); err != nil {
		return err
	}
	for {
		rows, next, _, err := s.Store.FindRows(ctx, t, f)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if err := fn(r); err != nil {
				return err
			}
		}
		if next == "" {
			return nil
		}
		f.Cursor = next
	}
}

// csvCell is a value as a CSV cell: what a person would type (currency
// without its code, a link as its record ID); text that a spreadsheet
// would run as a formula gets a leading ' (import removes it).
func csvCell(c *Column, v any) string {
	s := EditValue(c, v)
	if (c.Type == TypeText || c.Type == TypeSelect) && s != "" && strings.ContainsRune("=+-@", rune(s[0])) {
		return "'" + s
	}
	return s
}

// ExportCSV writes the rows matching f as CSV with a header of column
// names (which an import maps back).
func (s *Service) ExportCSV(ctx context.Context, t *Table, f Filter, w io.Writer) error {
	cw := csv.NewWriter(w)
	head := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		head[i] = c.Name
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	rec := make([]string, len(t.Columns))
	err := s.eachRow(ctx, t, f, func(r *Row) error {
		for i := range t.Columns {
			rec[i] = csvCell(&t.Columns[i], r.Values[t.Columns[i].Key])
		}
		return cw.Write(rec)
	})
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// ExportXLSX writes the rows matching f as an XLSX workbook (streamed):
// numbers and currency as numbers (currency with two decimals), dates as
// dates, checkboxes as TRUE/FALSE, links as record IDs.
func (s *Service) ExportXLSX(ctx context.Context, t *Table, f Filter, w io.Writer) error {
	x := excelize.NewFile()
	defer x.Close()
	sheet := x.GetSheetName(0)
	sw, err := x.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	bold, err := x.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	money, err := x.NewStyle(&excelize.Style{NumFmt: 4}) // #,##0.00
	if err != nil {
		return err
	}
	date, err := x.NewStyle(&excelize.Style{NumFmt: 14}) // short date
	if err != nil {
		return err
	}
	head := make([]any, len(t.Columns))
	for i, c := range t.Columns {
		head[i] = excelize.Cell{StyleID: bold, Value: c.Name}
	}
	if err := sw.SetRow("A1", head); err != nil {
		return err
	}
	n := 1
	err = s.eachRow(ctx, t, f, func(r *Row) error {
		n++
		cells := make([]any, len(t.Columns))
		for i := range t.Columns {
			c := &t.Columns[i]
			switch v := r.Values[c.Key].(type) {
			case nil:
				cells[i] = nil
			case Money:
				cells[i] = excelize.Cell{StyleID: money, Value: v.Decimal()}
			case string:
				if c.Type == TypeDate {
					if d, err := time.Parse("2006-01-02", v); err == nil {
						cells[i] = excelize.Cell{StyleID: date, Value: d}
						continue
					}
				}
				cells[i] = v
			default:
				cells[i] = v
			}
		}
		cell, err := excelize.CoordinatesToCellName(1, n)
		if err != nil {
			return err
		}
		return sw.SetRow(cell, cells)
	})
	if err != nil {
		return err
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return x.Write(w)
}
