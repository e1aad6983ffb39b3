package sheets

import (
	"context"
	"encoding/csv"
	"io"
	"time"

	"orengen/app"
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
		rows, next, _, err := s.stores.Rows.FindRows(ctx, t, f)
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
// without its code, a link as its record ID); a cell a spreadsheet would
// run as a formula gets a leading ' (app.CSVCell; import removes it).
func csvCell(c *Column, v any) string {
	return app.CSVCell(EditValue(c, v))
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
	if s.XLSX == nil {
		return app.Errorf(app.EINVALID, "XLSX workbooks cannot be written here: export as CSV.")
	}
	x, err := s.XLSX.Create()
	if err != nil {
		return err
	}
	defer x.Close()
	head := make([]WorkbookCell, len(t.Columns))
	for i, c := range t.Columns {
		head[i] = WorkbookCell{Value: c.Name, Style: CellBold}
	}
	if err := x.Row(head); err != nil {
		return err
	}
	err = s.eachRow(ctx, t, f, func(r *Row) error {
		cells := make([]WorkbookCell, len(t.Columns))
		for i := range t.Columns {
			c := &t.Columns[i]
			switch v := r.Values[c.Key].(type) {
			case nil:
			case Money:
				cells[i] = WorkbookCell{Value: v.Decimal(), Style: CellMoney}
			case string:
				cells[i] = WorkbookCell{Value: v}
				if c.Type == TypeDate {
					if d, err := time.Parse("2006-01-02", v); err == nil {
						cells[i] = WorkbookCell{Value: d, Style: CellDate}
					}
				}
			default:
				cells[i] = WorkbookCell{Value: v}
			}
		}
		return x.Row(cells)
	})
	if err != nil {
		return err
	}
	return x.Finish(w)
}
