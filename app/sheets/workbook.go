package sheets

import (
	"io"
	"time"
)

// Workbooks reads and writes XLSX workbooks; the wiring sets package
// xlsx's (Service.XLSX). Without one, XLSX uploads and exports are
// refused with a message.
type Workbooks interface {
	// Open opens the first sheet of the workbook at path, unpacking at
	// most unzipLimit bytes. Errors are EINVALID naming field "file".
	Open(path string, unzipLimit int64) (WorkbookRows, error)
	// Date is the date of a spreadsheet serial number.
	Date(serial float64) (time.Time, error)
	// Create starts a streamed workbook of one sheet.
	Create() (WorkbookWriter, error)
}

// WorkbookRows streams a sheet's rows: the cells' raw values as text.
type WorkbookRows interface {
	// Next returns the next row, io.EOF after the last.
	Next() ([]string, error)
	Close() error
}

// WorkbookWriter writes a workbook row by row.
type WorkbookWriter interface {
	Row(cells []WorkbookCell) error
	// Finish completes the workbook and writes it to w.
	Finish(w io.Writer) error
	Close() error
}

// WorkbookCell is a value in a workbook and how it shows.
type WorkbookCell struct {
	Value any
	Style CellStyle
}

// CellStyle is a cell's presentation.
type CellStyle int

// Cell styles.
const (
	CellPlain CellStyle = iota
	CellBold            // a header
	CellMoney           // two decimals, thousands separated
	CellDate            // a short date
)
