package crm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"orengen/ui/web"
	"os"
	"path/filepath"
	"strconv"

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
	importRefreshSecs = "2"
)

// importObjects are the objects a CSV can hold, by form value, and
// importSegs maps each to its list's URL segment (app.RecordKinds).
var importObjects, importSegs = func() ([]struct{ Value, Label string }, map[string]string) {
	var objs []struct{ Value, Label string }
	segs := map[string]string{}
	for _, k := range app.RecordKinds {
		objs = append(objs, struct{ Value, Label string }{k.Type, k.ImportLabel})
		segs[k.Type] = k.Plural
	}
	return objs, segs
}()

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

func (s *Handler) importStore() (*app.CRMService, error) {
	if s.CRM.Imports == nil {
		return nil, app.Errorf(app.ENOTFOUND, "Import is not available.")
	}
	return s.CRM, nil
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
	sc := scopeOf(c)
	p.Layout = s.Layout(c, sc.Host, "Import CSV")
	return s.Render(c, sc.Page("crm_import"), p)
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
	header, err := app.ReadCSVHeader(dst.Name())
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
	if err := imp.ExpireImports(ctx); err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/crm/import/%d", j.ID), fiber.StatusSeeOther)
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
		ic, err := s.CRM.LoadImportContext(ctx, j)
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
		err = app.EachCSVRow(j.Path, func(line int, row []string) error {
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
				j.Status, j.Error = app.ImportFailed, app.ImportFailMessage(context.Canceled, j)
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
	sc := scopeOf(c)
	p.Layout = s.Layout(c, sc.Host, "Import "+j.FileName)
	return s.Render(c, sc.Page("crm_import_job"), p)
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
	ic, err := s.CRM.LoadImportContext(ctx, j)
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
	s.startImport(context.WithoutCancel(ctx), &run, ic)
	return c.Redirect(fmt.Sprintf("/crm/import/%d", j.ID), fiber.StatusSeeOther)
}

// startImport runs the job in a goroutine that Shutdown waits for (and
// cancels: the job is then marked failed between batches).
func (s *Handler) startImport(ctx context.Context, j *app.ImportJob, ic *app.ImportContext) {
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
		if err := s.CRM.RunImport(ctx, j, ic); err != nil {
			s.Logger.Error("crm import", "job", j.ID, "err", err)
		}
	}()
}
