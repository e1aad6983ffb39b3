// Package xlsx reads and writes Excel workbooks with
// github.com/xuri/excelize/v2, as Data & Sheets' import and export need
// them (sheets.Workbooks): the first sheet's rows as strings, with the
// cells' raw values (numbers unformatted, dates as serial numbers), and
// a streamed one-sheet workbook with bold headers, money and dates.
//
// xlsx imports app and app/sheets (the interface it implements and their
// errors) and the workbook library.
package xlsx

import (
	"errors"
	"io"
	"time"

	"github.com/xuri/excelize/v2"

	"orengen/app"
	"orengen/app/sheets"
)

// Workbooks implements sheets.Workbooks.
type Workbooks struct{}

var _ sheets.Workbooks = Workbooks{}

// Open opens the first sheet of the workbook at path, unpacking at most
// unzipLimit bytes. Errors are EINVALID naming field "file".
func (Workbooks) Open(path string, unzipLimit int64) (sheets.WorkbookRows, error) {
	f, err := excelize.OpenFile(path, excelize.Options{RawCellValue: true, UnzipSizeLimit: unzipLimit})
	if err != nil {
		return nil, app.FieldErrorf("file", "The file is not a readable XLSX workbook (%s).", err)
	}
	names := f.GetSheetList()
	if len(names) == 0 {
		f.Close()
		return nil, app.FieldErrorf("file", "The workbook has no sheet.")
	}
	rows, err := f.Rows(names[0])
	if err != nil {
		f.Close()
		return nil, app.FieldErrorf("file", "The first sheet cannot be read (%s).", err)
	}
	return &reader{f: f, rows: rows}, nil
}

type reader struct {
	f    *excelize.File
	rows *excelize.Rows
	no   int
}

// Next returns the next row's cells, io.EOF after the last.
func (r *reader) Next() ([]string, error) {
	if !r.rows.Next() {
		if err := r.rows.Error(); err != nil {
			return nil, app.Errorf(app.EINVALID, "The workbook cannot be read: %s.", err)
		}
		return nil, io.EOF
	}
	r.no++
	cols, err := r.rows.Columns(excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, app.Errorf(app.EINVALID, "Row %d cannot be read: %s.", r.no, err)
	}
	return cols, nil
}

func (r *reader) Close() error {
	return errors.Join(r.rows.Close(), r.f.Close())
}

// Date is the date of a spreadsheet serial number (the 1900 date system).
func (Workbooks) Date(serial float64) (time.Time, error) {
	return excelize.ExcelDateToTime(serial, false)
}

// Create starts a streamed workbook of one sheet.
func (Workbooks) Create() (sheets.WorkbookWriter, error) {
	f := excelize.NewFile()
	sw, err := f.NewStreamWriter(f.GetSheetName(0))
	if err != nil {
		f.Close()
		return nil, err
	}
	w := &writer{f: f, sw: sw, styles: map[sheets.CellStyle]int{}}
	for st, s := range map[sheets.CellStyle]*excelize.Style{
		sheets.CellBold:  {Font: &excelize.Font{Bold: true}},
		sheets.CellMoney: {NumFmt: 4},  // #,##0.00
		sheets.CellDate:  {NumFmt: 14}, // short date
	} {
		id, err := f.NewStyle(s)
		if err != nil {
			f.Close()
			return nil, err
		}
		w.styles[st] = id
	}
	return w, nil
}

type writer struct {
	f      *excelize.File
	sw     *excelize.StreamWriter
	styles map[sheets.CellStyle]int
	n      int
}

// Row appends a row.
func (w *writer) Row(cells []sheets.WorkbookCell) error {
	w.n++
	row := make([]any, len(cells))
	for i, c := range cells {
		switch {
		case c.Value == nil:
		case c.Style == sheets.CellPlain:
			row[i] = c.Value
		default:
			row[i] = excelize.Cell{StyleID: w.styles[c.Style], Value: c.Value}
		}
	}
	cell, err := excelize.CoordinatesToCellName(1, w.n)
	if err != nil {
		return err
	}
	return w.sw.SetRow(cell, row)
}

// Finish completes the workbook and writes it to out.
func (w *writer) Finish(out io.Writer) error {
	if err := w.sw.Flush(); err != nil {
		return err
	}
	return w.f.Write(out)
}

func (w *writer) Close() error { return w.f.Close() }
