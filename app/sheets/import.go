package sheets

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"orengen/app"
)

// Import job statuses.
const (
	ImportReady   = "ready"   // uploaded, waiting for the mapping
	ImportRunning = "running" // checking, then writing
	ImportDone    = "done"
	ImportFailed  = "failed"
)

// Import limits and batch sizes.
const (
	// MaxImportErrors is how many bad rows a job keeps (all are counted).
	MaxImportErrors = 1000
	// ImportBatch is how many rows are staged per transaction.
	ImportBatch = 2000
	// importProgressEvery is how often (rows) the job's progress is
	// stored while checking.
	importProgressEvery = 5000
	// maxXLSXUnzip bounds what an XLSX file may unpack to.
	maxXLSXUnzip = 1 << 30
)

// MapEntry says where one column of the file goes: an existing column
// (Column), a new column (NewType, NewName), or nowhere (both empty).
type MapEntry struct {
	Column  string `json:"column,omitempty"`
	NewType string `json:"new_type,omitempty"`
	NewName string `json:"new_name,omitempty"`
}

// RowError is a bad cell (or row) of an import: Row is the row number in
// the file as a spreadsheet shows it (the header is row 1).
type RowError struct {
	Row     int    `json:"row"`
	Column  string `json:"column,omitempty"`
	Message string `json:"message"`
}

// ImportJob is an upload being imported into a table.
type ImportJob struct {
	ID         int64
	TenantID   int64
	TableID    int64
	Status     string
	Phase      string // checking, writing
	Format     string // csv, xlsx
	FileName   string
	Path       string // the uploaded file, under the service's ImportDir
	Header     []string
	Mapping    []MapEntry
	Total      int // data rows in the file (known once checked)
	Checked    int
	Written    int
	Errors     []RowError
	ErrorCount int
	Message    string
	CreatedBy  string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	FinishedAt *time.Time

	lastErrRow int // the row of the last error added (ErrorCount counts rows)
}

// Percent is the job's progress: checking is the first half, writing the
// second.
func (j *ImportJob) Percent() int {
	switch {
	case j.Status == ImportDone:
		return 100
	case j.Total == 0 && j.Checked == 0:
		return 0
	case j.Phase == "writing" && j.Total > 0:
		return 50 + 50*j.Written/j.Total
	case j.Total > 0:
		return 50 * j.Checked / j.Total
	}
	return 25
}

// detectFormat tells an XLSX file (a zip) from CSV by its first bytes.
func detectFormat(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	head := make([]byte, 4)
	n, _ := io.ReadFull(f, head)
	if n == 4 && bytes.Equal(head, []byte("PK\x03\x04")) {
		return "xlsx", nil
	}
	return "csv", nil
}

// rowReader streams a file's rows as strings.
type rowReader interface {
	// Next returns the next row and its 1-based row number, io.EOF at
	// the end.
	Next() ([]string, int, error)
	Close() error
}

type csvRows struct {
	f  *os.File
	r  *csv.Reader
	no int
}

func (c *csvRows) Next() ([]string, int, error) {
	rec, err := c.r.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			c.no++
			return nil, c.no, app.Errorf(app.EINVALID, "Row %d: the CSV is malformed (%s).", c.no, pe.Err)
		}
		return nil, c.no, err
	}
	c.no++
	if c.no == 1 && len(rec) > 0 {
		rec[0] = strings.TrimPrefix(rec[0], "\ufeff") // a UTF-8 byte order mark
	}
	for i, v := range rec {
		if !utf8.ValidString(v) {
			rec[i] = latin1(v)
		}
	}
	return rec, c.no, nil
}

func (c *csvRows) Close() error { return c.f.Close() }

// latin1 reads bytes that are not UTF-8 as Windows-1252/Latin-1 (what
// Excel writes for "CSV" on many systems).
func latin1(s string) string {
	r := make([]rune, len(s))
	for i := 0; i < len(s); i++ {
		r[i] = rune(s[i])
	}
	return string(r)
}

type xlsxRows struct {
	r  WorkbookRows
	no int
}

func (x *xlsxRows) Next() ([]string, int, error) {
	cols, err := x.r.Next()
	if err != nil {
		return nil, x.no, err
	}
	x.no++
	return cols, x.no, nil
}

func (x *xlsxRows) Close() error { return x.r.Close() }

// openRows opens an uploaded file: CSV (comma, semicolon or tab, guessed
// from the header line) or the first sheet of an XLSX workbook.
func (s *Service) openRows(path, format string) (rowReader, error) {
	if format == "xlsx" {
		if s.XLSX == nil {
			return nil, app.FieldErrorf("file", "XLSX workbooks cannot be read here: upload the sheet as CSV.")
		}
		r, err := s.XLSX.Open(path, maxXLSXUnzip)
		if err != nil {
			return nil, err
		}
		return &xlsxRows{r: r}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(f, 64<<10)
	line, _ := br.Peek(min(br.Size(), 8192))
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	r := csv.NewReader(br)
	r.FieldsPerRecord = -1
	r.ReuseRecord = false
	switch {
	case bytes.Count(line, []byte("\t")) > bytes.Count(line, []byte(",")) && bytes.Count(line, []byte("\t")) > bytes.Count(line, []byte(";")):
		r.Comma = '\t'
	case bytes.Count(line, []byte(";")) > bytes.Count(line, []byte(",")):
		r.Comma = ';'
	}
	return &csvRows{f: f, r: r}, nil
}

// NewImport reads an uploaded file's header and proposes a mapping: a
// header matching a column's name or key goes to it; others become new
// columns of the type their first rows suggest. Returns EINVALID for a
// file that cannot be read or has no header.
func (s *Service) NewImport(ctx context.Context, t *Table, fileName, path string) (*ImportJob, error) {
	format, err := detectFormat(path)
	if err != nil {
		return nil, err
	}
	rr, err := s.openRows(path, format)
	if err != nil {
		return nil, err
	}
	defer rr.Close()
	header, _, err := rr.Next()
	if err == io.EOF || err == nil && len(slices.DeleteFunc(slices.Clone(header), func(s string) bool { return strings.TrimSpace(s) == "" })) == 0 {
		return nil, app.FieldErrorf("file", "The file is empty: its first row must name the columns.")
	} else if err != nil {
		return nil, err
	}
	// Sample rows to suggest types for new columns.
	var sample [][]string
	for len(sample) < 200 {
		row, _, err := rr.Next()
		if err == io.EOF || app.ErrorCode(err) == app.EINVALID {
			break // a bad row is reported when the import runs
		} else if err != nil {
			return nil, err
		}
		sample = append(sample, row)
	}
	if err := s.expireImports(ctx, t.ID); err != nil {
		return nil, err
	}
	j := &ImportJob{TableID: t.ID, Status: ImportReady, Format: format, FileName: fileName, Path: path, CreatedBy: app.ActorFromContext(ctx)}
	for i, h := range header {
		h = strings.TrimSpace(h)
		j.Header = append(j.Header, h)
		if h == "" {
			j.Mapping = append(j.Mapping, MapEntry{})
			continue
		}
		if c := t.ColumnByRef(h); c != nil {
			j.Mapping = append(j.Mapping, MapEntry{Column: c.Key})
			continue
		}
		j.Mapping = append(j.Mapping, MapEntry{NewType: guessType(sample, i), NewName: h})
	}
	if err := s.stores.Imports.CreateImport(ctx, j); err != nil {
		return nil, err
	}
	return j, nil
}

// guessType suggests a column type from sample values: number, date or
// checkbox when every non-empty value reads as one, else text.
func guessType(sample [][]string, col int) string {
	cands := []string{TypeNumber, TypeDate, TypeCheckbox}
	seen := 0
	for _, row := range sample {
		if col >= len(row) || strings.TrimSpace(row[col]) == "" {
			continue
		}
		seen++
		cands = slices.DeleteFunc(cands, func(typ string) bool {
			_, err := ParseValue(&Column{Name: "x", Key: "x", Type: typ}, row[col])
			return err != nil
		})
	}
	if seen == 0 || len(cands) == 0 {
		return TypeText
	}
	return cands[0]
}

// SetMapping checks and stores a job's mapping. Each existing column may
// take one file column; new columns need unique names. Returns EINVALID
// naming "mapping[i]".
func (s *Service) SetMapping(ctx context.Context, t *Table, j *ImportJob, m []MapEntry) error {
	if j.Status != ImportReady {
		return app.Errorf(app.ECONFLICT, "This import has started already.")
	}
	if len(m) != len(j.Header) {
		return app.FieldErrorf("mapping", "The mapping has %d entries for %d columns.", len(m), len(j.Header))
	}
	if _, err := plannedTable(t, j.Header, m); err != nil {
		return err
	}
	j.Mapping = m
	return s.stores.Imports.UpdateImport(ctx, j)
}

// plannedTable is t with the mapping's new columns added (slots planned in
// the free ones), and the column each file column goes to.
func plannedTable(t *Table, header []string, m []MapEntry) (*Table, error) {
	nt := *t
	nt.Columns = append([]Column{}, t.Columns...)
	used := map[string]int{}
	mapped := false
	for i, e := range m {
		field := fmt.Sprintf("mapping[%d]", i)
		switch {
		case e.Column != "":
			c := t.Column(e.Column)
			if c == nil {
				return nil, app.FieldErrorf(field, "Table %q has no column %q.", t.Name, e.Column)
			}
			if prev, ok := used[c.Key]; ok {
				return nil, app.FieldErrorf(field, "File columns %q and %q both go to %q; choose one.", header[prev], header[i], c.Name)
			}
			used[c.Key] = i
			mapped = true
		case e.NewType != "":
			name := strings.TrimSpace(e.NewName)
			if name == "" {
				name = header[i]
			}
			nc := Column{Name: name, Type: e.NewType}
			if nc.Type == TypeSelect || nc.Type == TypeLink {
				return nil, app.FieldErrorf(field, "New column %q: create select and link columns in the table first, then map to them.", name)
			}
			nt.Columns = append(nt.Columns, nc)
			mapped = true
		}
	}
	if !mapped {
		return nil, app.FieldErrorf("mapping", "Map at least one column of the file.")
	}
	if err := nt.Validate(); err != nil {
		return nil, err
	}
	// Keys of new columns must not collide with existing ones.
	seen := map[string]bool{}
	for i := range nt.Columns {
		for seen[nt.Columns[i].Key] {
			nt.Columns[i].Key = KeyOf(nt.Columns[i].Key + "_2")
		}
		seen[nt.Columns[i].Key] = true
	}
	slots := map[int]bool{}
	for _, c := range nt.Columns {
		if c.Slot > 0 {
			slots[c.Slot] = true
		}
	}
	next := 1
	for i := range nt.Columns {
		if nt.Columns[i].Slot > 0 {
			continue
		}
		for slots[next] {
			next++
		}
		if next > MaxColumns {
			return nil, app.FieldErrorf("mapping", "A table may have at most %d columns.", MaxColumns)
		}
		nt.Columns[i].Slot, slots[next] = next, true
	}
	return &nt, nil
}

// target maps each file column to its column in the planned table.
func target(nt *Table, t *Table, m []MapEntry) []*Column {
	out := make([]*Column, len(m))
	added := len(t.Columns)
	for i, e := range m {
		switch {
		case e.Column != "":
			out[i] = nt.Column(e.Column)
		case e.NewType != "":
			out[i] = &nt.Columns[added]
			added++
		}
	}
	return out
}

// PreviewRow is a row of the mapping page's preview.
type PreviewRow struct {
	Row    int
	Cells  []string
	Errors []RowError
}

// Preview checks the first n data rows with the job's mapping.
func (s *Service) Preview(ctx context.Context, t *Table, j *ImportJob, n int) ([]PreviewRow, error) {
	nt, err := plannedTable(t, j.Header, j.Mapping)
	if err != nil {
		return nil, err
	}
	rr, err := s.openRows(j.Path, j.Format)
	if err != nil {
		return nil, err
	}
	defer rr.Close()
	if _, _, err := rr.Next(); err != nil {
		return nil, err
	}
	cols := target(nt, t, j.Mapping)
	var out []PreviewRow
	for len(out) < n {
		rec, no, err := rr.Next()
		if err == io.EOF {
			break
		} else if err != nil {
			out = append(out, PreviewRow{Row: no, Errors: []RowError{{Row: no, Message: app.ErrorMessage(err)}}})
			break
		}
		vals, errs := s.parseRecord(nt, cols, rec, no, j.Format)
		pr := PreviewRow{Row: no, Errors: errs}
		for i, c := range cols {
			if c == nil {
				pr.Cells = append(pr.Cells, "")
				continue
			}
			if v, ok := vals[c.Key]; ok && v != nil {
				pr.Cells = append(pr.Cells, FormatValue(c, v))
			} else if i < len(rec) {
				pr.Cells = append(pr.Cells, rec[i])
			} else {
				pr.Cells = append(pr.Cells, "")
			}
		}
		out = append(out, pr)
	}
	return out, nil
}

// parseRecord reads one file row into typed values with the mapping;
// link columns keep their raw reference (a string) for resolving.
func (s *Service) parseRecord(nt *Table, cols []*Column, rec []string, no int, format string) (map[string]any, []RowError) {
	vals := map[string]any{}
	var errs []RowError
	empty := true
	for i, c := range cols {
		if c == nil || i >= len(rec) {
			continue
		}
		raw := rec[i]
		if strings.TrimSpace(raw) != "" {
			empty = false
		}
		if c.Type == TypeText && len(raw) > 1 && raw[0] == '\'' && strings.ContainsRune("=+-@", rune(raw[1])) {
			raw = raw[1:] // the formula guard of our CSV export
		}
		if format == "xlsx" && c.Type == TypeDate && s.XLSX != nil {
			if serial, err := strconv.ParseFloat(strings.TrimSpace(raw), 64); err == nil {
				if d, err := s.XLSX.Date(serial); err == nil {
					raw = d.Format("2006-01-02")
				}
			}
		}
		if c.Type == TypeLink {
			if strings.TrimSpace(raw) != "" {
				vals[c.Key] = strings.TrimSpace(raw)
			}
			continue
		}
		v, err := ParseValue(c, raw)
		if err != nil {
			errs = append(errs, RowError{Row: no, Column: c.Name, Message: app.ErrorMessage(err)})
			continue
		}
		vals[c.Key] = v
	}
	if empty {
		return nil, nil // blank lines are skipped
	}
	for i := range nt.Columns {
		c := &nt.Columns[i]
		if c.Required && vals[c.Key] == nil && !slices.ContainsFunc(errs, func(e RowError) bool { return e.Column == c.Name }) {
			errs = append(errs, RowError{Row: no, Column: c.Name, Message: fmt.Sprintf("Column %q: a value is required.", c.Name)})
		}
	}
	return vals, errs
}

// ImportProgress is called with the job after each stored step (tests and
// logs); nil: none.
type ImportProgress func(j *ImportJob)

// RunImport runs a job to its end: every row is checked first, and a file
// with any bad row writes nothing (the job lists the rows and columns at
// fault); then rows are staged in batches, invisible, and made part of
// the table in one transaction with the mapping's new columns. The job
// row shows progress throughout. ctx cancelled (shutdown) fails the job
// and discards what was staged.
func (s *Service) RunImport(ctx context.Context, t *Table, j *ImportJob, progress ImportProgress) error {
	if j.Status != ImportReady {
		return app.Errorf(app.ECONFLICT, "This import has started already.")
	}
	nt, err := plannedTable(t, j.Header, j.Mapping)
	if err != nil {
		return err
	}
	j.Status, j.Phase, j.Checked, j.Written, j.Errors, j.ErrorCount = ImportRunning, "checking", 0, 0, nil, 0
	save := func() error {
		if err := s.stores.Imports.UpdateImport(context.WithoutCancel(ctx), j); err != nil {
			return err
		}
		if progress != nil {
			progress(j)
		}
		return nil
	}
	if err := save(); err != nil {
		return err
	}
	fail := func(msg string) error {
		now := s.now()
		j.Status, j.Message, j.FinishedAt = ImportFailed, msg, &now
		os.Remove(j.Path)
		if err := s.stores.Imports.DiscardImport(context.WithoutCancel(ctx), j.ID); err != nil {
			s.log().Error("sheets: discard import", "job", j.ID, "err", err)
		}
		return save()
	}
	cols := target(nt, t, j.Mapping)
	// Pass 1: check every row.
	total, err := s.importPass(ctx, nt, j, cols, func(n int) error {
		j.Checked = n
		return save()
	}, func([]map[string]any, []int) error { return nil })
	if err != nil {
		if ctx.Err() != nil {
			return fail("The server stopped during the import; nothing was imported. Start it again.")
		}
		if app.ErrorCode(err) == app.EINTERNAL {
			s.log().Error("sheets: import check", "job", j.ID, "err", err)
			return fail("The import failed; nothing was imported.")
		}
		return fail(app.ErrorMessage(err) + " Nothing was imported.")
	}
	j.Total, j.Checked = total, total
	if t.RowCount+total > MaxRowsPerTable {
		return fail(fmt.Sprintf("The table would have %d rows; a table holds at most %d. Nothing was imported.", t.RowCount+total, MaxRowsPerTable))
	}
	if j.ErrorCount > 0 {
		verb := "have"
		if j.ErrorCount == 1 {
			verb = "has" // 1 of 5 rows has errors
		}
		return fail(fmt.Sprintf("%d of %s %s errors; nothing was imported. Fix the rows listed below and upload the file again.", j.ErrorCount, app.Plural(total, "row", "rows"), verb))
	}
	if total == 0 {
		return fail("The file has no data rows below its header; nothing was imported.")
	}
	// Pass 2: stage in batches.
	j.Phase = "writing"
	if err := save(); err != nil {
		return err
	}
	_, err = s.importPass(ctx, nt, j, cols, nil, func(batch []map[string]any, nos []int) error {
		rows := make([]*Row, len(batch))
		for i, v := range batch {
			rows[i] = &Row{Values: v}
		}
		if err := s.stores.Imports.StageRows(ctx, nt, j.ID, rows); err != nil {
			if app.ErrorCode(err) == app.EINVALID {
				return app.Errorf(app.EINVALID, "Rows %d to %d: %s", nos[0], nos[len(nos)-1], app.ErrorMessage(err))
			}
			return err
		}
		j.Written += len(rows)
		return save()
	})
	if err == nil {
		err = s.stores.Imports.CommitImport(ctx, nt, j)
	}
	if err != nil {
		switch {
		case ctx.Err() != nil:
			return fail("The server stopped during the import; nothing was imported. Start it again.")
		case app.ErrorCode(err) == app.EINTERNAL:
			s.log().Error("sheets: import write", "job", j.ID, "err", err)
			return fail("The import failed while writing; nothing was imported.")
		}
		return fail(app.ErrorMessage(err) + " Nothing was imported.")
	}
	now := s.now()
	j.Status, j.FinishedAt, j.Message = ImportDone, &now, "Imported "+app.Plural(j.Written, "row", "rows")+"."
	if progress != nil {
		progress(j)
	}
	os.Remove(j.Path)
	return nil
}

// importPass reads the whole file with the mapping, resolving links per
// batch, and calls batch for each ImportBatch good rows and tick (if set)
// every importProgressEvery rows read. While checking, bad rows are
// recorded on j; while writing, a bad row (a linked record deleted since
// the check) stops the pass. It returns the number of data rows.
func (s *Service) importPass(ctx context.Context, nt *Table, j *ImportJob, cols []*Column, tick func(n int) error, batch func([]map[string]any, []int) error) (int, error) {
	rr, err := s.openRows(j.Path, j.Format)
	if err != nil {
		return 0, err
	}
	defer rr.Close()
	if _, _, err := rr.Next(); err != nil {
		return 0, err
	}
	checking := j.Phase == "checking"
	var buf []map[string]any
	var nos []int
	n := 0
	rowError := func(e RowError) error {
		if checking {
			s.addRowError(j, e)
			return nil
		}
		return app.Errorf(app.EINVALID, "Row %d: %s", e.Row, e.Message)
	}
	flush := func() error {
		if len(buf) == 0 {
			return nil
		}
		if err := s.resolveLinks(ctx, nt, buf, func(int, string) string { return "" }); err != nil {
			if app.ErrorCode(err) != app.EINVALID {
				return err
			}
			// Resolve row by row to report every row that fails.
			var okBuf []map[string]any
			var okNos []int
			for i, v := range buf {
				one := []map[string]any{v}
				if err := s.resolveLinks(ctx, nt, one, func(int, string) string { return "" }); err != nil {
					if app.ErrorCode(err) != app.EINVALID {
						return err
					}
					if err := rowError(RowError{Row: nos[i], Message: app.ErrorMessage(err)}); err != nil {
						return err
					}
					continue
				}
				okBuf, okNos = append(okBuf, one[0]), append(okNos, nos[i])
			}
			buf, nos = okBuf, okNos
		}
		for i, v := range buf { // link IDs as typed values
			for k, x := range v {
				if c := nt.Column(k); c != nil && c.Type == TypeLink {
					pv, err := ParseValue(c, x)
					if err != nil {
						return rowError(RowError{Row: nos[i], Column: c.Name, Message: app.ErrorMessage(err)})
					}
					v[k] = pv
				}
			}
		}
		err := batch(buf, nos)
		buf, nos = buf[:0], nos[:0]
		return err
	}
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		rec, no, err := rr.Next()
		if err == io.EOF {
			break
		} else if err != nil {
			if app.ErrorCode(err) == app.EINVALID {
				return n, rowError(RowError{Row: no, Message: app.ErrorMessage(err)})
			}
			return n, err
		}
		vals, errs := s.parseRecord(nt, cols, rec, no, j.Format)
		if vals == nil && errs == nil {
			continue
		}
		n++
		if tick != nil && n%importProgressEvery == 0 {
			if err := tick(n); err != nil {
				return n, err
			}
		}
		if len(errs) > 0 {
			for _, e := range errs {
				if err := rowError(e); err != nil {
					return n, err
				}
			}
			continue
		}
		buf, nos = append(buf, vals), append(nos, no)
		if len(buf) >= ImportBatch {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	return n, flush()
}

func (s *Service) addRowError(j *ImportJob, e RowError) {
	if len(j.Errors) < MaxImportErrors {
		j.Errors = append(j.Errors, e)
	}
	if e.Row != j.lastErrRow {
		j.ErrorCount++
		j.lastErrRow = e.Row
	}
}

// importTTL is how long an upload waits for its mapping to be started.
const importTTL = 24 * time.Hour

// expireImports fails the table's uploads whose import was never started
// within importTTL, deleting their files.
func (s *Service) expireImports(ctx context.Context, tableID int64) error {
	jobs, err := s.stores.Imports.FindImports(ctx, tableID)
	if err != nil {
		return err
	}
	for _, j := range jobs {
		if j.Status != ImportReady || s.now().Sub(j.CreatedAt) < importTTL {
			continue
		}
		now := s.now()
		j.Status, j.Message, j.FinishedAt = ImportFailed, "Never started; the uploaded file was deleted after a day.", &now
		os.Remove(j.Path)
		if err := s.stores.Imports.UpdateImport(ctx, j); err != nil {
			return err
		}
	}
	return nil
}

// FailStaleImports fails the imports a restart interrupted (their staged
// rows go) and deletes their files; returns how many there were.
func (s *Service) FailStaleImports(ctx context.Context) (int, error) {
	paths, err := s.stores.Imports.FailStaleImports(ctx)
	for _, p := range paths {
		os.Remove(p)
	}
	return len(paths), err
}

// Import returns an import job. Returns ENOTFOUND.
func (s *Service) Import(ctx context.Context, id int64) (*ImportJob, error) {
	return s.stores.Imports.FindImport(ctx, id)
}

// Imports lists a table's recent imports.
func (s *Service) Imports(ctx context.Context, tableID int64) ([]*ImportJob, error) {
	return s.stores.Imports.FindImports(ctx, tableID)
}
