package crm

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"orengen/ui/web"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
)

// CSV import in the portal, in steps:
//  1. POST /crm/import: the upload is copied to a file in ImportDir
//     (never held whole in memory), its header read, and an import job
//     created with a proposed column mapping.
//  2. GET/POST /crm/import/:id: the user maps columns to fields (custom
//     fields too), picks the dedupe policy and whether to continue past
//     bad rows, and sees the first rows checked with that mapping.
//  3. Start: a goroutine checks every row (pass 1, streamed), and unless
//     some are bad and the user did not choose to continue, writes them
//     in batches of app.ImportBatchSize (pass 2, streamed), one
//     transaction each, the job's counts updated in the same
//     transaction. The page polls with a Refresh header while it runs.

const (
	importPreviewRows = 10
	maxImportColumns  = 200
	importRefreshSecs = "2"
)

// importObjects are the objects a CSV can hold, by form value.
var importObjects = []struct{ Value, Label string }{{app.RecordPerson, "People"}, {app.RecordCompany, "Companies"}, {app.RecordDeal, "Deals (opportunities)"}}

// importSegs maps an object to its list's URL segment.
var importSegs = map[string]string{app.RecordPerson: "people", app.RecordCompany: "companies", app.RecordDeal: "deals"}

type importPage struct {
	web.Layout
	MaxUpload string // the server's body limit, for people
	MaxRows   int
	// MaxChunked and ChunkSize describe the chunked upload (upload.js).
	MaxChunked, ChunkSize string
	Jobs                  []*app.ImportJob
	Objects               []struct{ Value, Label string }
	Object                string
	FormError             string
}

// importColumn is one CSV column on the mapping form.
type importColumn struct {
	Index  int
	Header string
	Sample string
	Field  string
}

// importPreviewRow is one of the first rows, checked with the mapping.
type importPreviewRow struct {
	Line    int
	Cells   []string
	Field   string
	Problem string
}

type importJobPage struct {
	web.Layout
	Job       *app.ImportJob
	Fields    []app.ImportField
	Columns   []importColumn
	Preview   []importPreviewRow
	Errors    []app.ImportRowError
	FormError string
}

func (s *Handler) importStore() (app.CRMImportStore, error) {
	imp, ok := s.CRM.(app.CRMImportStore)
	if !ok {
		return nil, app.Errorf(app.ENOTFOUND, "Import is not available.")
	}
	return imp, nil
}

func (s *Handler) importDir() string {
	if s.ImportDir != "" {
		return s.ImportDir
	}
	return os.TempDir()
}

func (s *Handler) handleCRMImportView(c *fiber.Ctx) error {
	return s.renderImport(c, &importPage{Object: utils.CopyString(c.Query("object", app.RecordPerson))})
}

func (s *Handler) renderImport(c *fiber.Ctx, p *importPage) error {
	imp, err := s.importStore()
	if err != nil {
		return err
	}
	if p.Jobs, err = imp.FindImportJobs(c.UserContext(), 20); err != nil {
		return err
	}
	p.Objects = importObjects
	// A people row is about 80 bytes; the form itself needs a little room.
	p.MaxUpload, p.MaxRows = app.FormatBytes(int64(s.BodyLimit)), max(s.BodyLimit-4096, 0)/80/1000*1000
	p.MaxChunked, p.ChunkSize = app.FormatBytes(MaxChunkedUpload), app.FormatBytes(UploadChunkSize)
	p.Layout = s.Layout(c, web.HostPortal, "Import CSV")
	return s.Render(c, "portal/crm_import", p)
}

// handleCRMImport stores the upload and creates the job (step 1).
func (s *Handler) handleCRMImport(c *fiber.Ctx) error {
	imp, err := s.importStore()
	if err != nil {
		return err
	}
	p := &importPage{Object: utils.CopyString(c.FormValue("object"))}
	fail := func(msg string) error {
		c.Status(fiber.StatusBadRequest)
		p.FormError = msg
		return s.renderImport(c, p)
	}
	if _, ok := importSegs[p.Object]; !ok {
		return fail("Choose people, companies or deals.")
	}
	fh, err := c.FormFile("file")
	if err != nil {
		return fail("Choose a CSV file.")
	}
	src, err := fh.Open()
	if err != nil {
		return fmt.Errorf("open upload: %w", err)
	}
	defer src.Close()
	if err := os.MkdirAll(s.importDir(), 0o700); err != nil {
		return fmt.Errorf("import directory: %w", err)
	}
	dst, err := os.CreateTemp(s.importDir(), "import-*.csv")
	if err != nil {
		return fmt.Errorf("import file: %w", err)
	}
	keep := false
	defer func() {
		if !keep {
			os.Remove(dst.Name())
		}
	}()
	_, err = io.Copy(dst, src)
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("copy upload: %w", err)
	}
	header, err := readCSVHeader(dst.Name())
	if err != nil {
		return fail(app.ErrorMessage(err))
	}
	ctx := c.UserContext()
	defs, err := s.CRM.FindCustomFields(ctx, p.Object)
	if err != nil {
		return err
	}
	j := &app.ImportJob{Object: p.Object, FileName: utils.CopyString(filepath.Base(fh.Filename)), Path: dst.Name(), Header: header,
		Mapping: app.AutoMap(p.Object, header, defs), Dedupe: app.DedupeSkip}
	if len(j.FileName) > 200 {
		j.FileName = j.FileName[:200]
	}
	if err := imp.CreateImportJob(ctx, j); err != nil {
		return err
	}
	keep = true
	if err := s.expireImports(ctx, imp); err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/crm/import/%d", j.ID), fiber.StatusSeeOther)
}

// importMappingTTL is how long an upload waits for its mapping before its
// file is deleted.
const importMappingTTL = 24 * time.Hour

// expireImports deletes the files of the tenant's recent uploads that
// were never started within importMappingTTL and marks them failed.
func (s *Handler) expireImports(ctx context.Context, imp app.CRMImportStore) error {
	jobs, err := imp.FindImportJobs(ctx, 50)
	if err != nil {
		return err
	}
	for _, j := range jobs {
		if j.Status != app.ImportMapping || time.Since(j.CreatedAt) < importMappingTTL {
			continue
		}
		if err := os.Remove(j.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove import file: %w", err)
		}
		j.Status, j.Error = app.ImportFailed, "Not started within a day; the file was deleted. Upload it again."
		if err := imp.UpdateImportJob(ctx, j); err != nil {
			return err
		}
	}
	return nil
}

func newCSVReader(r io.Reader) *csv.Reader {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	return cr
}

// readCSVHeader reads the first row. Returns EINVALID when the file is
// empty, not CSV or too wide.
func readCSVHeader(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open import file: %w", err)
	}
	defer f.Close()
	rec, err := newCSVReader(f).Read()
	if err != nil {
		return nil, app.FieldErrorf("file", "The file is empty or not CSV.")
	}
	if len(rec) > maxImportColumns {
		return nil, app.FieldErrorf("file", "The file has %d columns; at most %d are accepted.", len(rec), maxImportColumns)
	}
	out := make([]string, len(rec))
	for i, h := range rec {
		out[i] = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
	}
	return out, nil
}

// importContext loads what building records needs.
func (s *Handler) importContext(ctx context.Context, j *app.ImportJob) (*app.ImportContext, error) {
	ic := &app.ImportContext{Object: j.Object, Mapping: j.Mapping}
	var err error
	if ic.Custom, err = s.CRM.FindCustomFields(ctx, j.Object); err != nil {
		return nil, err
	}
	if j.Object == app.RecordDeal {
		if ic.Pipelines, err = s.CRM.Pipelines(ctx); err != nil {
			return nil, err
		}
	}
	return ic, nil
}

// eachCSVRow streams the data rows of the job's file to fn with their
// line numbers (the line a row starts on; the header is line 1). fn must
// copy the row if it keeps it. Stops at fn's error.
func eachCSVRow(path string, fn func(line int, row []string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open import file: %w", err)
	}
	defer f.Close()
	r := newCSVReader(f)
	if _, err := r.Read(); err != nil {
		return app.FieldErrorf("file", "The file is empty or not CSV.")
	}
	for {
		row, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return app.FieldErrorf("file", "Line %d is not valid CSV.", pe.StartLine)
			}
			return fmt.Errorf("read import file: %w", err)
		}
		if len(row) == 1 && strings.TrimSpace(row[0]) == "" {
			continue // blank line
		}
		if err := fn(line, row); err != nil {
			return err
		}
	}
}

var errPreviewDone = errors.New("preview done")

func (s *Handler) handleCRMImportJob(c *fiber.Ctx) error {
	imp, err := s.importStore()
	if err != nil {
		return err
	}
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	j, err := imp.FindImportJob(c.UserContext(), id)
	if err != nil {
		return err
	}
	return s.renderImportJob(c, j, &importJobPage{})
}

func (s *Handler) renderImportJob(c *fiber.Ctx, j *app.ImportJob, p *importJobPage) error {
	ctx := c.UserContext()
	imp, err := s.importStore()
	if err != nil {
		return err
	}
	p.Job = j
	switch j.Status {
	case app.ImportMapping:
		ic, err := s.importContext(ctx, j)
		if err != nil {
			return err
		}
		p.Fields = app.ImportFields(j.Object, ic.Custom)
		for i, h := range j.Header {
			col := importColumn{Index: i, Header: h}
			if i < len(j.Mapping) {
				col.Field = j.Mapping[i]
			}
			p.Columns = append(p.Columns, col)
		}
		err = eachCSVRow(j.Path, func(line int, row []string) error {
			pr := importPreviewRow{Line: line, Cells: append([]string(nil), row...)}
			if _, err := ic.BuildImportRecord(line, row); err != nil {
				pr.Field, pr.Problem = app.ErrorField(err), app.ErrorMessage(err)
			}
			if len(p.Preview) == 0 {
				for i := range p.Columns {
					if i < len(row) {
						p.Columns[i].Sample = row[i]
					}
				}
			}
			p.Preview = append(p.Preview, pr)
			if len(p.Preview) == importPreviewRows {
				return errPreviewDone
			}
			return nil
		})
		if err != nil && !errors.Is(err, errPreviewDone) {
			if app.ErrorCode(err) != app.EINVALID {
				return err
			}
			p.FormError = app.ErrorMessage(err)
		}
	case app.ImportRunning:
		if _, ok := s.importsRunning.Load(j.ID); !ok {
			// Read again: the goroutine writes the job's end before it
			// leaves importsRunning.
			if j, err = imp.FindImportJob(ctx, j.ID); err != nil {
				return err
			}
			if j.Status == app.ImportRunning {
				// No goroutine of this process runs it: the server
				// restarted mid-import. Say so instead of polling forever.
				j.Status, j.Error = app.ImportFailed, importFailMessage(context.Canceled, j)
				if err := imp.UpdateImportJob(ctx, j); err != nil {
					return err
				}
			}
			return s.renderImportJob(c, j, p)
		}
		c.Set("Refresh", importRefreshSecs)
	default:
		if p.Errors, err = imp.FindImportErrors(ctx, j.ID, app.MaxImportErrors); err != nil {
			return err
		}
	}
	p.Layout = s.Layout(c, web.HostPortal, "Import "+j.FileName)
	return s.Render(c, "portal/crm_import_job", p)
}

// handleCRMImportJobUpdate saves the mapping and options; with
// action=start it starts the import (step 3).
func (s *Handler) handleCRMImportJobUpdate(c *fiber.Ctx) error {
	imp, err := s.importStore()
	if err != nil {
		return err
	}
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	j, err := imp.FindImportJob(ctx, id)
	if err != nil {
		return err
	}
	if j.Status != app.ImportMapping {
		return app.Errorf(app.ECONFLICT, "This import has already started.")
	}
	j.Mapping = make([]string, len(j.Header))
	for i := range j.Header {
		j.Mapping[i] = utils.CopyString(c.FormValue("col_" + strconv.Itoa(i)))
	}
	j.Dedupe = utils.CopyString(c.FormValue("dedupe", app.DedupeSkip))
	j.Continue = c.FormValue("continue") != ""
	ic, err := s.importContext(ctx, j)
	if err != nil {
		return err
	}
	check := app.CheckMapping(j.Object, j.Mapping, ic.Custom)
	if err := imp.UpdateImportJob(ctx, j); err != nil {
		if app.ErrorCode(err) != app.EINVALID {
			return err
		}
		check = err
	}
	if c.FormValue("action") != "start" {
		return c.Redirect(fmt.Sprintf("/crm/import/%d", j.ID), fiber.StatusSeeOther)
	}
	if check != nil {
		c.Status(fiber.StatusBadRequest)
		return s.renderImportJob(c, j, &importJobPage{FormError: app.ErrorMessage(check)})
	}
	j.Status = app.ImportRunning
	if err := imp.UpdateImportJob(ctx, j); err != nil {
		return err
	}
	s.Audit.Record(ctx, "crm.import", j.Object, fmt.Sprintf("job %d: %s", j.ID, j.FileName))
	// The goroutine owns its own copy of the job from here on.
	run := *j
	s.startImport(context.WithoutCancel(ctx), imp, &run, ic)
	return c.Redirect(fmt.Sprintf("/crm/import/%d", j.ID), fiber.StatusSeeOther)
}

// startImport runs the job in a goroutine that Shutdown waits for (and
// cancels: the job is then marked failed between batches).
func (s *Handler) startImport(ctx context.Context, imp app.CRMImportStore, j *app.ImportJob, ic *app.ImportContext) {
	s.mu.Lock()
	if s.bgCtx == nil {
		s.bgCtx, s.bgCancel = context.WithCancel(context.Background())
	}
	bg := s.bgCtx
	s.bgWG.Add(1)
	s.mu.Unlock()
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(bg, cancel)
	s.importsRunning.Store(j.ID, true)
	go func() {
		defer s.bgWG.Done()
		defer s.importsRunning.Delete(j.ID)
		defer stop()
		defer cancel()
		if err := RunImport(ctx, imp, j, ic); err != nil {
			s.Logger.Error("crm import", "job", j.ID, "err", err)
		}
	}()
}

// RunImport runs an import job to its end: pass 1 checks every row
// (reporting bad ones by line), pass 2 writes the good ones in batches
// of app.ImportBatchSize. If a row is bad and the job does not continue
// past bad rows, nothing is written. The job's file is removed at the
// end. The job ends done or failed (with Error); the returned error is
// only for the log.
func RunImport(ctx context.Context, imp app.CRMImportStore, j *app.ImportJob, ic *app.ImportContext) error {
	defer os.Remove(j.Path)
	fail := func(msg string, cause error) error {
		j.Status, j.Error = app.ImportFailed, msg
		if err := imp.UpdateImportJob(context.WithoutCancel(ctx), j); err != nil {
			return fmt.Errorf("fail import job: %w", err)
		}
		if cause != nil && app.ErrorCode(cause) == app.EINTERNAL {
			return cause
		}
		return nil
	}
	var errs []app.ImportRowError
	flushErrs := func() error {
		if len(errs) == 0 {
			return nil
		}
		err := imp.AddImportErrors(ctx, j.ID, errs)
		errs = errs[:0]
		return err
	}
	report := func(line int, err error) error {
		j.Invalid++
		if j.Invalid <= app.MaxImportErrors {
			errs = append(errs, app.ImportRowError{Line: line, Field: app.ErrorField(err), Message: app.ErrorMessage(err)})
		}
		if len(errs) >= app.ImportBatchSize {
			return flushErrs()
		}
		return nil
	}
	// Pass 1: check every row.
	j.Rows, j.Invalid = 0, 0
	err := eachCSVRow(j.Path, func(line int, row []string) error {
		j.Rows++
		if _, err := ic.BuildImportRecord(line, row); err != nil {
			if err := report(line, err); err != nil {
				return err
			}
		}
		if j.Rows%(10*app.ImportBatchSize) == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			return imp.UpdateImportJob(ctx, j)
		}
		return nil
	})
	if err == nil {
		err = flushErrs()
	}
	if err != nil {
		return fail(importFailMessage(err, j), err)
	}
	if j.Invalid > 0 && !j.Continue {
		return fail(fmt.Sprintf("%d of %d rows are invalid; nothing was imported. Fix them, or choose to continue past bad rows.", j.Invalid, j.Rows), nil)
	}
	// Pass 2: write the good rows, batch by batch.
	batch := make([]*app.ImportRecord, 0, app.ImportBatchSize)
	write := func() error {
		for len(batch) > 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			_, err := imp.ImportBatch(ctx, j, batch)
			if err == nil {
				batch = batch[:0]
				return nil
			}
			var be *app.BatchError
			if !errors.As(err, &be) || app.ErrorCode(err) == app.EINTERNAL {
				return err
			}
			if !j.Continue {
				return app.FieldErrorf(app.ErrorField(err), "Line %d: %s", batch[be.Index].Line, app.ErrorMessage(err))
			}
			// The store refused a record: report it and write the rest.
			if err := report(batch[be.Index].Line, be.Err); err != nil {
				return err
			}
			batch = append(batch[:be.Index], batch[be.Index+1:]...)
		}
		return nil
	}
	err = eachCSVRow(j.Path, func(line int, row []string) error {
		rec, err := ic.BuildImportRecord(line, row)
		if err != nil {
			return nil // reported in pass 1
		}
		if batch = append(batch, rec); len(batch) == app.ImportBatchSize {
			return write()
		}
		return nil
	})
	if err == nil {
		err = write()
	}
	if ferr := flushErrs(); err == nil {
		err = ferr
	}
	if err != nil {
		return fail(importFailMessage(err, j), err)
	}
	j.Status = app.ImportDone
	if err := imp.UpdateImportJob(context.WithoutCancel(ctx), j); err != nil {
		return fmt.Errorf("finish import job: %w", err)
	}
	return nil
}

func importFailMessage(err error, j *app.ImportJob) string {
	done := ""
	if n := j.Created + j.Updated; n > 0 {
		done = fmt.Sprintf(" %d rows written before it stopped stay.", n)
	}
	switch {
	case errors.Is(err, context.Canceled):
		return "The import was stopped by a server shutdown or restart." + done
	case app.ErrorCode(err) == app.EINTERNAL:
		return "The import failed with an internal error." + done
	}
	return app.ErrorMessage(err) + done
}

// ImportFile imports a CSV file on disk for the tenant of ctx, with the
// columns mapped from its header (the CLI's path for files larger than a
// web upload may be). The file is copied into dir first (RunImport
// removes its copy). progress, if set, is called with the job as batches
// commit. Returns the finished job; its Status says whether it succeeded.
func ImportFile(ctx context.Context, crm app.CRMStore, dir, src, object, dedupe string, cont bool, progress func(*app.ImportJob)) (*app.ImportJob, error) {
	imp, ok := crm.(app.CRMImportStore)
	if !ok {
		return nil, errors.New("this store cannot import")
	}
	switch object {
	case app.RecordPerson, app.RecordCompany, app.RecordDeal:
	default:
		return nil, app.FieldErrorf("object", "Object must be person, company or deal.")
	}
	switch dedupe {
	case app.DedupeSkip, app.DedupeUpdate, app.DedupeCreate:
	default:
		return nil, app.FieldErrorf("dedupe", "Dedupe must be skip, update or create.")
	}
	in, err := os.Open(src)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", src, err)
	}
	defer in.Close()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("import directory: %w", err)
	}
	dst, err := os.CreateTemp(dir, "import-*.csv")
	if err != nil {
		return nil, err
	}
	if _, err = io.Copy(dst, in); err == nil {
		err = dst.Close()
	}
	if err != nil {
		os.Remove(dst.Name())
		return nil, fmt.Errorf("copy %s: %w", src, err)
	}
	header, err := readCSVHeader(dst.Name())
	if err != nil {
		os.Remove(dst.Name())
		return nil, err
	}
	defs, err := crm.FindCustomFields(ctx, object)
	if err != nil {
		return nil, err
	}
	j := &app.ImportJob{Object: object, FileName: filepath.Base(src), Path: dst.Name(), Header: header,
		Mapping: app.AutoMap(object, header, defs), Dedupe: dedupe, Continue: cont}
	if err := imp.CreateImportJob(ctx, j); err != nil {
		os.Remove(dst.Name())
		return nil, err
	}
	ic := &app.ImportContext{Object: object, Mapping: j.Mapping, Custom: defs}
	if object == app.RecordDeal {
		if ic.Pipelines, err = crm.Pipelines(ctx); err != nil {
			return nil, err
		}
	}
	done := make(chan error, 1)
	run := *j
	go func() { done <- RunImport(ctx, imp, &run, ic) }()
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			final, ferr := imp.FindImportJob(context.WithoutCancel(ctx), j.ID)
			if ferr != nil {
				return nil, errors.Join(err, ferr)
			}
			return final, nil
		case <-tick.C:
			if progress != nil {
				if cur, err := imp.FindImportJob(ctx, j.ID); err == nil {
					progress(cur)
				}
			}
		}
	}
}
