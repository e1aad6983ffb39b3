package sheets

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/app/sheets"
	"orengen/ui/web"
)

// CSV and XLSX in and out. Export streams the rows matching the grid's
// filter (no row cap). Import: the file is uploaded (posted whole up to
// the body limit, or in chunks with upload.js), its header read and a
// mapping proposed; the mapping page previews the first rows checked;
// Start runs the import in the background (every row checked first, a
// file with any bad row writes nothing) and the job page refreshes itself
// with the progress until it ends.

// MaxImport is the largest file an import takes.
const MaxImport = 1 << 30

const (
	importPreviewRows = 10
	importRefreshSecs = "2"
)

func (s *Handler) handleExport(sc web.Scope, format string) fiber.Handler {
	return s.tableRoute(sc, func(c *fiber.Ctx, ctx context.Context, t *sheets.Table) error {
		var err error
		q, _ := url.ParseQuery(string(c.Request().URI().QueryArgs().QueryString()))
		f := sheets.FilterFromQuery(q)
		var buf bytes.Buffer
		if format == "csv" {
			err = s.Sheets.ExportCSV(ctx, t, f, &buf)
			c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
		} else {
			err = s.Sheets.ExportXLSX(ctx, t, f, &buf)
			c.Set(fiber.HeaderContentType, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		}
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s.%s"`, fileBase(t.Name), format))
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.Send(buf.Bytes())
	})
}

// fileBase is a table name as a download's file name.
func fileBase(s string) string {
	out := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || strings.ContainsRune(`"\/:*?<>|`, r) {
			return '_'
		}
		return r
	}, s)
	if out == "" {
		return "table"
	}
	return out
}

type importViewPage struct {
	tableLayout
	Jobs      []*sheets.ImportJob
	MaxUpload string
	MaxFile   string
	Error     string
}

func (s *Handler) handleImportView(sc web.Scope) fiber.Handler {
	return s.tableRoute(sc, func(c *fiber.Ctx, ctx context.Context, t *sheets.Table) error {
		return s.renderImportView(c, sc, ctx, t, "")
	})
}

func (s *Handler) renderImportView(c *fiber.Ctx, sc web.Scope, ctx context.Context, t *sheets.Table, msg string) error {
	p := &importViewPage{tableLayout: s.tableLayout(c, sc, t, t.Name+": import", "import"), MaxUpload: app.FormatBytes(int64(s.BodyLimit)),
		MaxFile: app.FormatBytes(MaxImport), Error: msg}
	var err error
	if p.Jobs, err = s.Sheets.Imports(ctx, t.ID); err != nil {
		return err
	}
	if msg != "" {
		c.Status(fiber.StatusBadRequest)
	}
	return s.Render(c, sc.Page("sheets_import"), p)
}

// newJob makes an import job of an uploaded file (which it keeps, under
// UploadDir, until the job ends).
func (s *Handler) newJob(ctx context.Context, t *sheets.Table, name, path string) (*sheets.ImportJob, error) {
	j, err := s.Sheets.NewImport(ctx, t, name, path)
	if err != nil {
		os.Remove(path)
		return nil, err
	}
	return j, nil
}

func jobURL(t *sheets.Table, j *sheets.ImportJob) string {
	return fmt.Sprintf("%s/imports/%d", tableURL(t), j.ID)
}

func (s *Handler) handleImport(sc web.Scope) fiber.Handler {
	return s.tableRoute(sc, func(c *fiber.Ctx, ctx context.Context, t *sheets.Table) error {
		path, name, err := web.SaveFormFile(c, "file", s.UploadDir, "sheet-*.upload")
		if err != nil {
			if app.ErrorCode(err) != app.EINVALID {
				return err
			}
			return s.renderImportView(c, sc, ctx, t, "Choose a CSV or XLSX file.")
		}
		j, err := s.newJob(ctx, t, name, path)
		if err != nil {
			if app.ErrorCode(err) != app.EINVALID {
				return err
			}
			return s.renderImportView(c, sc, ctx, t, app.ErrorMessage(err))
		}
		return c.Redirect(jobURL(t, j), fiber.StatusSeeOther)
	})
}

func uploadKind(t *sheets.Table) string { return "sheet:" + strconv.FormatInt(t.ID, 10) }

func (s *Handler) handleUploadCreate(sc web.Scope) fiber.Handler {
	return func(c *fiber.Ctx) error {
		_, t, err := s.table(c, sc)
		if err != nil {
			return web.UploadJSONError(c, err)
		}
		return s.chunked().Create(c, uploadKind(t), MaxImport)
	}
}

func (s *Handler) handleUploadChunk(sc web.Scope) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if _, _, err := s.table(c, sc); err != nil {
			return web.UploadJSONError(c, err)
		}
		return s.chunked().HandleChunk(c)
	}
}

func (s *Handler) handleUploadFinish(sc web.Scope) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx, t, err := s.table(c, sc)
		if err != nil {
			return web.UploadJSONError(c, err)
		}
		kind := uploadKind(t)
		return s.chunked().Take(c, func(k string) bool { return k == kind }, func(m web.UploadMeta, data string) (fiber.Map, error) {
			if err := os.MkdirAll(s.UploadDir, 0o700); err != nil {
				return nil, err
			}
			path := filepath.Join(s.UploadDir, "sheet-"+strconv.FormatInt(time.Now().UnixNano(), 36)+".upload")
			if err := os.Rename(data, path); err != nil {
				return nil, fmt.Errorf("move upload: %w", err)
			}
			j, err := s.newJob(ctx, t, m.FileName, path)
			if err != nil {
				return nil, err
			}
			return fiber.Map{"job": j.ID, "location": jobURL(t, j)}, nil
		})
	}
}

// mapRow is one column of the file on the mapping form.
type mapRow struct {
	Index   int
	Header  string
	Entry   sheets.MapEntry
	Choice  string // the select's value: key:<column>, new:<type>, or ""
	Samples []string
}

type importJobPage struct {
	tableLayout
	Job       *sheets.ImportJob
	Map       []mapRow
	Preview   []sheets.PreviewRow
	Types     []string
	FormError string
	Percent   int
}

func (s *Handler) job(c *fiber.Ctx, ctx context.Context, t *sheets.Table) (*sheets.ImportJob, error) {
	id, err := web.ParamID(c, "job")
	if err != nil {
		return nil, err
	}
	j, err := s.Sheets.Import(ctx, id)
	if err != nil {
		return nil, err
	}
	if j.TableID != t.ID {
		return nil, app.Errorf(app.ENOTFOUND, "Import not found.")
	}
	return j, nil
}

func (s *Handler) handleImportJob(sc web.Scope) fiber.Handler {
	return s.tableRoute(sc, func(c *fiber.Ctx, ctx context.Context, t *sheets.Table) error {
		j, err := s.job(c, ctx, t)
		if err != nil {
			return err
		}
		return s.renderJob(c, sc, ctx, t, j, "")
	})
}

func (s *Handler) renderJob(c *fiber.Ctx, sc web.Scope, ctx context.Context, t *sheets.Table, j *sheets.ImportJob, formErr string) error {
	p := &importJobPage{tableLayout: s.tableLayout(c, sc, t, t.Name+": import "+j.FileName, "import"), Job: j, Types: []string{sheets.TypeText, sheets.TypeNumber, sheets.TypeCurrency, sheets.TypeDate, sheets.TypeCheckbox},
		FormError: formErr, Percent: j.Percent()}
	if j.Status == sheets.ImportRunning {
		c.Set("Refresh", importRefreshSecs)
	}
	if j.Status == sheets.ImportReady {
		prev, err := s.Sheets.Preview(ctx, t, j, importPreviewRows)
		if err != nil && app.ErrorCode(err) != app.EINVALID {
			return err
		} else if err != nil && formErr == "" {
			p.FormError = app.ErrorMessage(err)
		}
		p.Preview = prev
		for i, h := range j.Header {
			e := j.Mapping[i]
			mr := mapRow{Index: i, Header: h, Entry: e}
			switch {
			case e.Column != "":
				mr.Choice = "key:" + e.Column
			case e.NewType != "":
				mr.Choice = "new:" + e.NewType
			}
			p.Map = append(p.Map, mr)
		}
	}
	if formErr != "" {
		c.Status(fiber.StatusBadRequest)
	}
	return s.Render(c, sc.Page("sheets_import_job"), p)
}

// handleImportStart stores the mapping; with start set it runs the job.
func (s *Handler) handleImportStart(sc web.Scope) fiber.Handler {
	return s.tableRoute(sc, func(c *fiber.Ctx, ctx context.Context, t *sheets.Table) error {
		j, err := s.job(c, ctx, t)
		if err != nil {
			return err
		}
		if j.Status != sheets.ImportReady {
			return c.Redirect(jobURL(t, j), fiber.StatusSeeOther)
		}
		m := make([]sheets.MapEntry, len(j.Header))
		for i := range j.Header {
			choice := c.FormValue("map" + strconv.Itoa(i))
			switch {
			case strings.HasPrefix(choice, "key:"):
				m[i].Column = utils.CopyString(strings.TrimPrefix(choice, "key:"))
			case strings.HasPrefix(choice, "new:"):
				m[i].NewType = utils.CopyString(strings.TrimPrefix(choice, "new:"))
				m[i].NewName = utils.CopyString(c.FormValue("name" + strconv.Itoa(i)))
			}
		}
		if err := s.Sheets.SetMapping(ctx, t, j, m); err != nil {
			if app.ErrorCode(err) != app.EINVALID {
				return err
			}
			j.Mapping = m
			return s.renderJob(c, sc, ctx, t, j, app.ErrorMessage(err))
		}
		if c.FormValue("start") == "" {
			return c.Redirect(jobURL(t, j), fiber.StatusSeeOther)
		}
		// The job runs in the background with the request's principal
		// and tenant, until it ends or the server stops.
		jctx := context.WithoutCancel(ctx)
		job := *j
		s.background(func(bg context.Context) {
			run, cancel := context.WithCancel(jctx)
			defer cancel()
			stop := context.AfterFunc(bg, cancel)
			defer stop()
			if err := s.Sheets.RunImport(run, t, &job, nil); err != nil {
				s.Logger.Error("sheets: import", "job", job.ID, "err", err)
			}
		})
		// The first progress row is written by RunImport; give it a
		// moment so the page does not show the job as waiting.
		time.Sleep(50 * time.Millisecond)
		return c.Redirect(jobURL(t, j), fiber.StatusSeeOther)
	})
}

type chartsPage struct {
	tableLayout
	Charts  []chartView
	Types   []string
	Aggs    []string
	Numbers []sheets.Column
	Form    sheets.Chart
	Error   string
	Query   string // the grid's filter, for a chart of it
}

type chartView struct {
	sheets.Chart
	SVG template.HTML
}

func (s *Handler) handleCharts(sc web.Scope) fiber.Handler {
	return s.tableRoute(sc, func(c *fiber.Ctx, ctx context.Context, t *sheets.Table) error {
		return s.renderCharts(c, sc, ctx, t, &chartsPage{Form: sheets.Chart{Type: "bar", Agg: "count"}})
	})
}

func (s *Handler) renderCharts(c *fiber.Ctx, sc web.Scope, ctx context.Context, t *sheets.Table, p *chartsPage) error {
	p.tableLayout = s.tableLayout(c, sc, t, t.Name+": charts", "charts")
	p.Types, p.Aggs = sheets.ChartTypes, sheets.Aggs
	p.Query = utils.CopyString(c.Query("where", p.Form.Where))
	for _, col := range t.Columns {
		if col.Type == sheets.TypeNumber || col.Type == sheets.TypeCurrency {
			p.Numbers = append(p.Numbers, col)
		}
	}
	for _, ch := range t.Charts {
		ch := ch
		svg, err := s.chartSVG(ctx, t, &ch)
		if err != nil {
			return err
		}
		p.Charts = append(p.Charts, chartView{Chart: ch, SVG: template.HTML(svg)})
	}
	if p.Error != "" {
		c.Status(fiber.StatusBadRequest)
	}
	return s.Render(c, sc.Page("sheets_charts"), p)
}

// chartSVG draws a chart of the table; sheets.SVG escapes every label.
func (s *Handler) chartSVG(ctx context.Context, t *sheets.Table, ch *sheets.Chart) (string, error) {
	pts, err := s.Sheets.ChartData(ctx, t, ch)
	if err != nil {
		return "", err
	}
	var format func(float64) string
	if y := t.Column(ch.Y); y != nil && y.Type == sheets.TypeCurrency {
		format = func(v float64) string { return sheets.FormatMinor(int64(v*100+0.5*sign(v))) + " " + y.Currency }
	}
	return sheets.SVG(ch.Type, ch.Title, pts, format), nil
}

func chartForm(c *fiber.Ctx) sheets.Chart {
	return sheets.Chart{Title: utils.CopyString(c.FormValue("title")), Type: utils.CopyString(c.FormValue("type")), X: utils.CopyString(c.FormValue("x")),
		Y: utils.CopyString(c.FormValue("y")), Agg: utils.CopyString(c.FormValue("agg")), Where: utils.CopyString(c.FormValue("where"))}
}

func (s *Handler) handleChartAdd(sc web.Scope) fiber.Handler {
	return s.tableRoute(sc, func(c *fiber.Ctx, ctx context.Context, t *sheets.Table) error {
		ch := chartForm(c)
		nt := *t
		nt.Charts = append(append([]sheets.Chart{}, t.Charts...), ch)
		if err := s.Sheets.UpdateTable(ctx, &nt); err != nil {
			if app.ErrorCode(err) != app.EINVALID {
				return err
			}
			return s.renderCharts(c, sc, ctx, t, &chartsPage{Form: ch, Error: app.ErrorMessage(err)})
		}
		s.SetFlash(c, "ok", "Chart saved.")
		return c.Redirect(tableURL(t)+"/charts", fiber.StatusSeeOther)
	})
}

func (s *Handler) handleChartDelete(sc web.Scope) fiber.Handler {
	return s.tableRoute(sc, func(c *fiber.Ctx, ctx context.Context, t *sheets.Table) error {
		id := utils.CopyString(c.Params("chart"))
		nt := *t
		nt.Charts = nil
		for _, ch := range t.Charts {
			if ch.ID != id {
				nt.Charts = append(nt.Charts, ch)
			}
		}
		if len(nt.Charts) == len(t.Charts) {
			return app.Errorf(app.ENOTFOUND, "Chart not found.")
		}
		if err := s.Sheets.UpdateTable(ctx, &nt); err != nil {
			return err
		}
		s.SetFlash(c, "ok", "Chart deleted.")
		return c.Redirect(tableURL(t)+"/charts", fiber.StatusSeeOther)
	})
}

// handleChartSVG draws a chart from the query (type, x, y, agg, title and
// the grid's filter parameters) as an SVG image.
func (s *Handler) handleChartSVG(sc web.Scope) fiber.Handler {
	return s.tableRoute(sc, func(c *fiber.Ctx, ctx context.Context, t *sheets.Table) error {
		q, _ := url.ParseQuery(string(c.Request().URI().QueryArgs().QueryString()))
		ch := sheets.Chart{Type: q.Get("type"), X: q.Get("x"), Y: q.Get("y"), Agg: q.Get("agg"), Title: q.Get("title")}
		if ch.Type == "" {
			ch.Type = "bar"
		}
		if ch.X == "" && len(t.Columns) > 0 { // rows per value of the first column
			ch.X = t.Columns[0].Key
		}
		f := sheets.FilterFromQuery(q)
		ch.Where = f.Query().Encode()
		svg, err := s.chartSVG(ctx, t, &ch)
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, "image/svg+xml; charset=utf-8")
		c.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.SendString(svg)
	})
}
