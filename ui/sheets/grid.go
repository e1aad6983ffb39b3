package sheets

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/app/sheets"
	"orengen/ui/web"
)

// Mount registers the pages under /data for the host's scope.
func (s *Handler) Mount(r fiber.Router, csrf fiber.Handler, sc web.Scope) {
	if s.Sheets == nil {
		return
	}
	r.Get("/data", s.handleTables(sc))
	r.Post("/data/tables", csrf, s.handleTableCreate(sc))
	g := r.Group("/data/tables/:id")
	g.Get("/", s.handleGrid(sc))
	g.Post("/rows", csrf, s.handleRowCreate(sc))
	g.Get("/rows/:row", s.handleRow(sc))
	g.Post("/rows/:row", csrf, s.handleRowSave(sc))
	g.Post("/rows/:row/delete", csrf, s.handleRowDelete(sc))
	g.Post("/cells", csrf, s.handleCell(sc))
	g.Get("/settings", s.handleSettings(sc))
	g.Post("/settings", csrf, s.handleSettingsSave(sc))
	g.Post("/columns", csrf, s.handleColumnAdd(sc))
	g.Post("/columns/:key", csrf, s.handleColumnSave(sc))
	g.Post("/columns/:key/delete", csrf, s.handleColumnDelete(sc))
	g.Post("/columns/:key/move", csrf, s.handleColumnMove(sc))
	g.Post("/delete", csrf, s.handleTableDelete(sc))
	g.Get("/export.csv", s.handleExport(sc, "csv"))
	g.Get("/export.xlsx", s.handleExport(sc, "xlsx"))
	g.Get("/import", s.handleImportView(sc))
	g.Post("/import", csrf, s.handleImport(sc))
	g.Post("/import/upload", csrf, s.handleUploadCreate(sc))
	g.Post("/import/upload/:upload", csrf, s.handleUploadChunk(sc))
	g.Post("/import/upload/:upload/finish", csrf, s.handleUploadFinish(sc))
	g.Get("/imports/:job", s.handleImportJob(sc))
	g.Post("/imports/:job", csrf, s.handleImportStart(sc))
	g.Get("/charts", s.handleCharts(sc))
	g.Post("/charts", csrf, s.handleChartAdd(sc))
	g.Post("/charts/:chart/delete", csrf, s.handleChartDelete(sc))
	g.Get("/chart.svg", s.handleChartSVG(sc))
}

// tableLayout is what every table page shows around its content.
type tableLayout struct {
	web.Layout
	Nexus      bool
	Table      *sheets.Table
	TenantName string
	Tab        string // grid, settings, import, charts
}

func (s *Handler) tableLayout(c *fiber.Ctx, sc web.Scope, t *sheets.Table, title, tab string) tableLayout {
	l := tableLayout{Layout: s.Layout(c, sc.Host, title), Nexus: sc.Nexus(), Table: t, Tab: tab}
	if tn := app.TenantFromContext(c.UserContext()); tn != nil {
		l.TenantName = tn.BrandName()
	}
	return l
}

type tablesPage struct {
	web.Layout
	Nexus   bool
	Tables  []*sheets.Table
	Tenant  *app.Tenant
	Tenants []*app.Tenant
	Name    string
	Columns string
	Error   string
}

func (s *Handler) handleTables(sc web.Scope) fiber.Handler {
	return func(c *fiber.Ctx) error {
		return s.renderTables(c, sc, &tablesPage{})
	}
}

func (s *Handler) renderTables(c *fiber.Ctx, sc web.Scope, p *tablesPage) error {
	ctx, t, err := s.listScope(c, sc)
	if err != nil {
		return err
	}
	p.Nexus, p.Tenant = sc.Nexus(), t
	if p.Tables, err = s.Sheets.Tables(ctx); err != nil {
		return err
	}
	if sc.Nexus() {
		if p.Tenants, err = s.Tenants.ListTenants(ctx); err != nil {
			return err
		}
	}
	p.Layout = s.Layout(c, sc.Host, "Data & Sheets")
	return s.Render(c, sc.Page("sheets_tables"), p)
}

// parseColumns reads the new-table form's columns: one a line, "Name" or
// "Name: type" (type: text, number, currency, date, checkbox; select
// with its options "Area: select North, South"; link "Owner: link
// person").
func parseColumns(text string) ([]sheets.Column, error) {
	var out []sheets.Column
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		name, spec, _ := strings.Cut(line, ":")
		c := sheets.Column{Name: strings.TrimSpace(name)}
		fields := strings.Fields(spec)
		if len(fields) > 0 {
			c.Type = strings.ToLower(fields[0])
			rest := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(spec), fields[0]))
			switch c.Type {
			case sheets.TypeSelect:
				c.Options = web.SplitList(rest)
			case sheets.TypeLink:
				c.Link = strings.ToLower(rest)
			case sheets.TypeCurrency:
				c.Currency = rest
			}
		}
		if err := c.Validate(fmt.Sprintf("columns[%d]", i)); err != nil {
			return nil, app.FieldErrorf("columns", "Line %d (%s): %s", i+1, line, app.ErrorMessage(err))
		}
		out = append(out, c)
	}
	return out, nil
}

func (s *Handler) handleTableCreate(sc web.Scope) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx, tn, err := s.listScope(c, sc)
		if err != nil {
			return err
		}
		p := &tablesPage{Name: utils.CopyString(c.FormValue("name")), Columns: utils.CopyString(c.FormValue("columns"))}
		t := &sheets.Table{Name: p.Name, Description: utils.CopyString(c.FormValue("description"))}
		if t.Columns, err = parseColumns(p.Columns); err == nil {
			err = s.Sheets.CreateTable(ctx, t)
		}
		if err != nil {
			if c := app.ErrorCode(err); c != app.EINVALID && c != app.ECONFLICT {
				return err
			}
			c.Status(web.ErrorStatus(app.ErrorCode(err)))
			p.Error = app.ErrorMessage(err)
			if sc.Nexus() {
				c.Request().URI().QueryArgs().Set("tenant", strconv.FormatInt(tn.ID, 10))
			}
			return s.renderTables(c, sc, p)
		}
		s.SetFlash(c, "ok", "Table created. Add rows below, import a CSV or XLSX file, or add columns in Columns.")
		return c.Redirect(tableURL(t), fiber.StatusSeeOther)
	}
}

// gridCell is one cell as the grid shows and edits it.
type gridCell struct {
	Col     *sheets.Column
	Text    string // display
	Edit    string // what the editor starts with
	Link    string // a linked record's page
	Options string // select: the options as JSON (sheets.js)
}

type gridRow struct {
	ID    int64
	Cells []gridCell
	// Group is set on the first row of a group (grouped grids).
	Group *groupHead
}

type groupHead struct {
	Label string
	Count int
	Sums  []string // "Price: 1,234.00" ...
}

type gridPage struct {
	tableLayout
	Rows      []gridRow
	Total     int
	Filter    sheets.Filter
	Conds     []sheets.Condition // the filter form's rows (one empty more)
	FilterErr string
	Query     string // the filter as a query string (export, charts, pages)
	Page      int
	Pages     int
	Ops       []string
	OpLabels  map[string]string
	SortKey   string
	SortDesc  bool
	AddForm   map[string]string
	AddErrors map[string]string
}

// PageURL is the grid's address for page n with the current filter.
func (p *gridPage) PageURL(n int) string {
	q, _ := url.ParseQuery(p.Query)
	q.Set("page", strconv.Itoa(n))
	return tableURL(p.Table) + "?" + q.Encode()
}

// SortURL sorts by key (ascending; descending when already ascending).
func (p *gridPage) SortURL(key string) string {
	q, _ := url.ParseQuery(p.Query)
	if p.SortKey == key && !p.SortDesc {
		q.Set("sort", "-"+key)
	} else {
		q.Set("sort", key)
	}
	q.Del("page")
	return tableURL(p.Table) + "?" + q.Encode()
}

// gridPageSize is how many rows a grid page shows.
const gridPageSize = 100

// linkPaths are the CRM pages of linked records.
var linkPaths = map[string]string{app.RecordPerson: "/crm/people/", app.RecordCompany: "/crm/companies/", app.RecordDeal: "/crm/deals/"}

func cellsOf(t *sheets.Table, r *sheets.Row) []gridCell {
	text := r.Text(t)
	out := make([]gridCell, len(t.Columns))
	for i := range t.Columns {
		c := &t.Columns[i]
		v := r.Values[c.Key]
		gc := gridCell{Col: c, Text: text[c.Key], Edit: sheets.EditValue(c, v)}
		if id, ok := v.(int64); ok && c.Type == sheets.TypeLink {
			gc.Link = linkPaths[c.Link] + strconv.FormatInt(id, 10)
			if gc.Text == "" {
				gc.Text = "#" + strconv.FormatInt(id, 10)
			}
		}
		if c.Type == sheets.TypeSelect {
			b, _ := json.Marshal(c.Options)
			gc.Options = string(b)
		}
		out[i] = gc
	}
	return out
}

func (s *Handler) handleGrid(sc web.Scope) fiber.Handler {
	return s.tableRoute(sc, func(c *fiber.Ctx, ctx context.Context, t *sheets.Table) error {
		return s.renderGrid(c, sc, ctx, t, &gridPage{})
	})
}

func (s *Handler) renderGrid(c *fiber.Ctx, sc web.Scope, ctx context.Context, t *sheets.Table, p *gridPage) error {
	q, _ := url.ParseQuery(string(c.Request().URI().QueryArgs().QueryString()))
	f := sheets.FilterFromQuery(q)
	p.Conds = append(append([]sheets.Condition{}, f.Where...), sheets.Condition{})
	fq := f.Query()
	p.Query = fq.Encode()
	p.Page, _ = strconv.Atoi(q.Get("page"))
	p.Page = max(p.Page, 1)
	f.Limit, f.Offset, f.Count = gridPageSize, (p.Page-1)*gridPageSize, true
	p.Ops, p.OpLabels = sheets.Ops, sheets.OpLabels
	p.tableLayout = s.tableLayout(c, sc, t, t.Name, "grid")
	rows, _, total, err := s.Sheets.Rows(ctx, t, f)
	if err != nil {
		if app.ErrorCode(err) != app.EINVALID {
			return err
		}
		// A bad filter shows the table unfiltered and says why.
		p.FilterErr = app.ErrorMessage(err)
		f = sheets.Filter{Limit: gridPageSize, Count: true}
		if rows, _, total, err = s.Sheets.Rows(ctx, t, f); err != nil {
			return err
		}
	}
	p.Filter, p.Total = f, total
	p.Pages = max(1, (total+gridPageSize-1)/gridPageSize)
	p.SortKey, p.SortDesc = f.SortKey()
	var heads map[string]*groupHead
	if f.Group != "" {
		groups, err := s.Sheets.Groups(ctx, t, f, f.Group)
		if err != nil {
			return err
		}
		gc := t.Column(f.Group)
		heads = map[string]*groupHead{}
		for _, g := range groups {
			h := &groupHead{Label: sheets.FormatValue(gc, g.Value), Count: g.Count}
			if h.Label == "" {
				h.Label = "(empty)"
			}
			for _, col := range t.Columns {
				if v, ok := g.Sums[col.Key]; ok {
					h.Sums = append(h.Sums, col.Name+": "+sheets.FormatMinor(int64(v*100+0.5*sign(v))))
				}
			}
			heads[h.Label] = h
		}
	}
	last := "\x00"
	for _, r := range rows {
		gr := gridRow{ID: r.ID, Cells: cellsOf(t, r)}
		if f.Group != "" {
			label := sheets.FormatValue(t.Column(f.Group), r.Values[f.Group])
			if label == "" {
				label = "(empty)"
			}
			if label != last {
				gr.Group, last = heads[label], label
			}
		}
		p.Rows = append(p.Rows, gr)
	}
	return s.Render(c, sc.Page("sheets_grid"), p)
}

func sign(v float64) float64 {
	if v < 0 {
		return -1
	}
	return 1
}

// rowValues reads the row form's fields (c_<key>) for every column.
func rowValues(c *fiber.Ctx, t *sheets.Table) (map[string]any, map[string]string) {
	vals, form := map[string]any{}, map[string]string{}
	for _, col := range t.Columns {
		v := utils.CopyString(c.FormValue("c_" + col.Key))
		if col.Type == sheets.TypeCheckbox {
			v = strconv.FormatBool(v == "on" || v == "true")
		}
		vals[col.Key], form[col.Key] = v, v
	}
	return vals, form
}

func (s *Handler) handleRowCreate(sc web.Scope) fiber.Handler {
	return s.tableRoute(sc, func(c *fiber.Ctx, ctx context.Context, t *sheets.Table) error {
		vals, form := rowValues(c, t)
		if _, err := s.Sheets.CreateRow(ctx, t, vals); err != nil {
			if app.ErrorCode(err) != app.EINVALID {
				return err
			}
			c.Status(fiber.StatusBadRequest)
			return s.renderGrid(c, sc, ctx, t, &gridPage{AddForm: form, AddErrors: map[string]string{web.FieldOr(err, "row"): app.ErrorMessage(err)}})
		}
		s.SetFlash(c, "ok", "Row added.")
		return c.Redirect(tableURL(t)+"?"+string(c.Request().URI().QueryArgs().QueryString()), fiber.StatusSeeOther)
	})
}

type rowPage struct {
	tableLayout
	Row    *sheets.Row
	Cells  []gridCell
	Form   map[string]string
	Errors map[string]string
}

func (s *Handler) rowOf(c *fiber.Ctx, ctx context.Context, t *sheets.Table) (*sheets.Row, error) {
	id, err := web.ParamID(c, "row")
	if err != nil {
		return nil, err
	}
	return s.Sheets.Row(ctx, t, id)
}

func (s *Handler) handleRow(sc web.Scope) fiber.Handler {
	return s.tableRoute(sc, func(c *fiber.Ctx, ctx context.Context, t *sheets.Table) error {
		r, err := s.rowOf(c, ctx, t)
		if err != nil {
			return err
		}
		p := &rowPage{Row: r, Cells: cellsOf(t, r), tableLayout: s.tableLayout(c, sc, t, fmt.Sprintf("%s: row %d", t.Name, r.ID), "grid")}
		return s.Render(c, sc.Page("sheets_row"), p)
	})
}

func (s *Handler) handleRowSave(sc web.Scope) fiber.Handler {
	return s.tableRoute(sc, func(c *fiber.Ctx, ctx context.Context, t *sheets.Table) error {
		r, err := s.rowOf(c, ctx, t)
		if err != nil {
			return err
		}
		vals, form := rowValues(c, t)
		if _, err := s.Sheets.UpdateRow(ctx, t, r.ID, vals); err != nil {
			if app.ErrorCode(err) != app.EINVALID {
				return err
			}
			c.Status(fiber.StatusBadRequest)
			p := &rowPage{Row: r, Cells: cellsOf(t, r), Form: form, Errors: map[string]string{web.FieldOr(err, "row"): app.ErrorMessage(err)},
				tableLayout: s.tableLayout(c, sc, t, fmt.Sprintf("%s: row %d", t.Name, r.ID), "grid")}
			return s.Render(c, sc.Page("sheets_row"), p)
		}
		s.SetFlash(c, "ok", fmt.Sprintf("Row %d saved.", r.ID))
		return c.Redirect(tableURL(t), fiber.StatusSeeOther)
	})
}

func (s *Handler) handleRowDelete(sc web.Scope) fiber.Handler {
	return s.tableRoute(sc, func(c *fiber.Ctx, ctx context.Context, t *sheets.Table) error {
		r, err := s.rowOf(c, ctx, t)
		if err != nil {
			return err
		}
		if _, err := s.Sheets.DeleteRows(ctx, t, []int64{r.ID}); err != nil {
			return err
		}
		s.SetFlash(c, "ok", fmt.Sprintf("Row %d deleted.", r.ID))
		return c.Redirect(tableURL(t), fiber.StatusSeeOther)
	})
}

// handleCell saves one cell from the grid editor (sheets.js) and answers
// JSON: the cell as stored, or why it was refused (naming the column).
func (s *Handler) handleCell(sc web.Scope) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx, t, err := s.table(c, sc)
		if err != nil {
			return web.UploadJSONError(c, err)
		}
		rowID, err := strconv.ParseInt(c.FormValue("row"), 10, 64)
		if err != nil {
			return web.UploadJSONError(c, app.FieldErrorf("row", "row: the row's ID."))
		}
		col := t.Column(c.FormValue("column"))
		if col == nil {
			return web.UploadJSONError(c, app.FieldErrorf("column", "Table %q has no column %q.", t.Name, c.FormValue("column")))
		}
		r, err := s.Sheets.UpdateRow(ctx, t, rowID, map[string]any{col.Key: utils.CopyString(c.FormValue("value"))})
		if err != nil {
			if app.ErrorCode(err) == app.EINVALID {
				err = app.FieldErrorf(col.Key, "Row %d, %s", rowID, app.ErrorMessage(err))
			}
			return web.UploadJSONError(c, err)
		}
		gc := cellsOf(t, r)
		for _, cell := range gc {
			if cell.Col.Key == col.Key {
				return c.JSON(fiber.Map{"text": cell.Text, "edit": cell.Edit})
			}
		}
		return c.JSON(fiber.Map{"text": "", "edit": ""})
	}
}

type settingsPage struct {
	tableLayout
	Types      []string
	TypeLabels map[string]string
	LinkTypes  []string
	Error      string
	ErrorKey   string // the column the error is about ("" : the table, "new": the add form)
}

func (s *Handler) handleSettings(sc web.Scope) fiber.Handler {
	return func(c *fiber.Ctx) error {
		_, t, err := s.table(c, sc)
		if err != nil {
			return err
		}
		return s.renderSettings(c, sc, t, "", nil)
	}
}

func (s *Handler) renderSettings(c *fiber.Ctx, sc web.Scope, t *sheets.Table, key string, err error) error {
	p := &settingsPage{tableLayout: s.tableLayout(c, sc, t, t.Name+": columns", "settings"), Types: sheets.Types, TypeLabels: sheets.TypeLabels, LinkTypes: sheets.LinkTypes}
	if err != nil {
		if c := app.ErrorCode(err); c != app.EINVALID && c != app.ECONFLICT && c != app.ENOTFOUND {
			return err
		}
		c.Status(web.ErrorStatus(app.ErrorCode(err)))
		p.Error, p.ErrorKey = app.ErrorMessage(err), key
	}
	return s.Render(c, sc.Page("sheets_settings"), p)
}

// columnForm reads a column's form (name, type, options one a line,
// currency, link target, required).
func columnForm(c *fiber.Ctx) sheets.Column {
	return sheets.Column{Name: utils.CopyString(c.FormValue("name")), Key: utils.CopyString(c.FormValue("key")), Type: utils.CopyString(c.FormValue("type")),
		Options:  strings.Split(strings.ReplaceAll(utils.CopyString(c.FormValue("options")), "\r", ""), "\n"),
		Currency: utils.CopyString(c.FormValue("currency")), Link: utils.CopyString(c.FormValue("link")), Required: c.FormValue("required") == "on"}
}

func (s *Handler) handleSettingsSave(sc web.Scope) fiber.Handler {
	return s.tableRoute(sc, func(c *fiber.Ctx, ctx context.Context, t *sheets.Table) error {
		nt := *t
		nt.Name, nt.Description = utils.CopyString(c.FormValue("name")), utils.CopyString(c.FormValue("description"))
		if err := s.Sheets.UpdateTable(ctx, &nt); err != nil {
			return s.renderSettings(c, sc, t, "", err)
		}
		s.SetFlash(c, "ok", "Saved.")
		return c.Redirect(tableURL(t)+"/settings", fiber.StatusSeeOther)
	})
}

func (s *Handler) handleColumnAdd(sc web.Scope) fiber.Handler {
	return s.tableRoute(sc, func(c *fiber.Ctx, ctx context.Context, t *sheets.Table) error {
		if _, err := s.Sheets.AddColumn(ctx, t, columnForm(c)); err != nil {
			return s.renderSettings(c, sc, t, "new", err)
		}
		s.SetFlash(c, "ok", "Column added.")
		return c.Redirect(tableURL(t)+"/settings", fiber.StatusSeeOther)
	})
}

// columnRoute changes the column :key with change and goes back to the
// columns page (with the error shown by the column when it fails).
func (s *Handler) columnRoute(sc web.Scope, flash string, change func(c *fiber.Ctx, ctx context.Context, t *sheets.Table, key string) error) fiber.Handler {
	return s.tableRoute(sc, func(c *fiber.Ctx, ctx context.Context, t *sheets.Table) error {
		key := utils.CopyString(c.Params("key"))
		if t.Column(key) == nil {
			return app.Errorf(app.ENOTFOUND, "Column not found.")
		}
		if err := change(c, ctx, t, key); err != nil {
			return s.renderSettings(c, sc, t, key, err)
		}
		if flash != "" {
			s.SetFlash(c, "ok", flash)
		}
		return c.Redirect(tableURL(t)+"/settings", fiber.StatusSeeOther)
	})
}

func (s *Handler) handleColumnSave(sc web.Scope) fiber.Handler {
	return s.columnRoute(sc, "Column saved.", func(c *fiber.Ctx, ctx context.Context, t *sheets.Table, key string) error {
		_, err := s.Sheets.UpdateColumn(ctx, t, key, columnForm(c))
		return err
	})
}

func (s *Handler) handleColumnDelete(sc web.Scope) fiber.Handler {
	return s.columnRoute(sc, "Column deleted with its values.", func(c *fiber.Ctx, ctx context.Context, t *sheets.Table, key string) error {
		_, err := s.Sheets.DeleteColumn(ctx, t, key)
		return err
	})
}

func (s *Handler) handleColumnMove(sc web.Scope) fiber.Handler {
	return s.columnRoute(sc, "", func(c *fiber.Ctx, ctx context.Context, t *sheets.Table, key string) error {
		delta := 1
		if c.FormValue("direction") == "left" {
			delta = -1
		}
		_, err := s.Sheets.MoveColumn(ctx, t, key, delta)
		return err
	})
}

func (s *Handler) handleTableDelete(sc web.Scope) fiber.Handler {
	return s.tableRoute(sc, func(c *fiber.Ctx, ctx context.Context, t *sheets.Table) error {
		if err := s.Sheets.DeleteTable(ctx, t.ID); err != nil {
			return err
		}
		s.SetFlash(c, "ok", "Table “"+t.Name+"” deleted with its rows.")
		back := "/data"
		if sc.Nexus() {
			back += "?tenant=" + strconv.FormatInt(t.TenantID, 10)
		}
		return c.Redirect(back, fiber.StatusSeeOther)
	})
}
