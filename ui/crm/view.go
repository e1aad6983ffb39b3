package crm

import (
	"context"
	"fmt"
	"html/template"
	"orengen/ui/web"
	"slices"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
	"github.com/valyala/fasthttp"

	"orengen/app"
)

// Views in the portal: the list pages take columns, conditions and a
// sort from the query (the "Columns and filters" form, method GET) or a
// saved view (?view=ID); POST /crm/views saves the current one. The CSV
// export of a list takes the same parameters.

// viewFormConditions is how many condition rows the form shows.
const viewFormConditions = 5

func (s *Handler) viewStore() (*app.CRMService, error) {
	if s.CRM.Views == nil {
		return nil, app.Errorf(app.ENOTFOUND, "Views are not available.")
	}
	return s.CRM, nil
}

// viewFromArgs reads an unsaved view from query or form arguments: match,
// cf<i>/co<i>/cv<i> (field, operator, value), col (repeated), sort.
// ok is false when none of these is given.
func viewFromArgs(object string, get func(string) string, multi func(string) []string) (v *app.View, ok bool) {
	v = &app.View{Object: object, Sort: get("sort")}
	v.Where.Match = get("match")
	for _, col := range multi("col") {
		v.Columns = append(v.Columns, col)
	}
	ok = len(v.Columns) > 0 || v.Where.Match != ""
	for i := range app.MaxConditions {
		f := get("cf" + strconv.Itoa(i))
		if f == "" {
			continue
		}
		ok = true
		v.Where.Conditions = append(v.Where.Conditions, app.Condition{Field: f, Op: get("co" + strconv.Itoa(i)), Value: get("cv" + strconv.Itoa(i))})
	}
	return v, ok
}

func queryGetters(c *fiber.Ctx) (func(string) string, func(string) []string) {
	args := c.Context().QueryArgs()
	return func(k string) string { return string(args.Peek(k)) }, func(k string) []string {
		var out []string
		for _, b := range args.PeekMulti(k) {
			out = append(out, string(b))
		}
		return out
	}
}

// listView returns the view a list request asks for: ?view=ID (a saved
// view, ENOTFOUND for another tenant's), else the query's columns and
// conditions, else nil. The query's sort wins over the view's.
func (s *Handler) listView(c *fiber.Ctx, ctx context.Context, object string) (*app.View, error) {
	get, multi := queryGetters(c)
	var v *app.View
	if ref := get("view"); ref != "" {
		vs, err := s.viewStore()
		if err != nil {
			return nil, err
		}
		id, err := strconv.ParseInt(ref, 10, 64)
		if err != nil {
			return nil, app.Errorf(app.ENOTFOUND, "View not found.")
		}
		if v, err = vs.FindView(ctx, id); err != nil {
			return nil, err
		}
		if v.Object != object {
			return nil, app.Errorf(app.ENOTFOUND, "View not found.")
		}
	} else {
		var ok bool
		if v, ok = viewFromArgs(object, get, multi); !ok {
			return nil, nil
		}
		v.Name = "Unsaved view"
	}
	if srt := get("sort"); srt != "" {
		v.Sort = srt
	}
	defs, err := s.CRM.FindCustomFields(ctx, object)
	if err != nil {
		return nil, err
	}
	if err := v.Validate(defs); err != nil {
		return nil, err
	}
	return v, nil
}

// viewTable is a list shown with a view's columns.
type viewTable struct {
	Headers []string
	Rows    []viewRow
}

type viewRow struct {
	Link     string
	TenantID int64
	Cells    []string
}

// cellNames resolves names a deal's cells show (company, pipeline),
// caching them for one page or export (app.CellNames).
type cellNames struct {
	ctx       context.Context
	crm       *app.CRMService
	companies map[int64]string
	pipelines map[int64]string
}

func newCellNames(ctx context.Context, crm *app.CRMService) *cellNames {
	return &cellNames{ctx: ctx, crm: crm, companies: map[int64]string{}}
}

func (n *cellNames) CompanyName(id int64) string {
	if id == 0 {
		return ""
	}
	if name, ok := n.companies[id]; ok {
		return name
	}
	name := ""
	if c, err := n.crm.FindCompany(n.ctx, id); err == nil {
		name = c.Name
	}
	n.companies[id] = name
	return name
}

func (n *cellNames) PipelineName(id int64) string {
	if n.pipelines == nil {
		n.pipelines = map[int64]string{}
		if ps, err := n.crm.Pipelines(n.ctx); err == nil {
			for _, p := range ps {
				n.pipelines[p.ID] = p.Name
			}
		}
	}
	return n.pipelines[id]
}

// recordCells are a record's values for columns, as shown in tables and
// written to CSV (app.RecordKind.Cell).
func recordCells(rec any, cols []string, names *cellNames) []string {
	k := app.KindOfRecord(rec)
	out := make([]string, len(cols))
	for i, col := range cols {
		out[i] = k.Cell(rec, col, names)
	}
	return out
}

// exportColumns are the CSV columns without a view: the ID and every
// field, custom fields included, named so the import maps them back.
func exportColumns(object string, defs []*app.CustomField) []string {
	cols := []string{"id"}
	for _, f := range app.ViewFields(object, defs) {
		if object == app.RecordPerson && f.Key == "name" {
			continue // first_name and last_name follow
		}
		cols = append(cols, f.Key)
	}
	return cols
}

// viewsPage data: the columns-and-filters form on list pages.
type viewForm struct {
	Fields     []app.ImportField
	Ops        []app.ImportField
	Views      []*app.View
	Current    *app.View // nil: default table
	Conditions []app.Condition
	ExportURL  template.URL // the list's CSV with the current view
	Error      string
}

// HasColumn is for the form's checkboxes.
func (f *viewForm) HasColumn(k string) bool {
	if f.Current == nil {
		return false
	}
	return slices.Contains(f.Current.Columns, k)
}

// handleCRMViewCreate saves the posted view and shows it.
func (s *Handler) handleCRMViewCreate(c *fiber.Ctx) error {
	vs, err := s.viewStore()
	if err != nil {
		return err
	}
	object := utils.CopyString(c.FormValue("object"))
	seg, ok := importSegs[object]
	if !ok {
		return app.FieldErrorf("object", "A view shows people, companies or deals.")
	}
	args := c.Request().PostArgs()
	get := func(k string) string { return utils.CopyString(c.FormValue(k)) }
	multi := func(k string) []string {
		var out []string
		for _, b := range args.PeekMulti(k) {
			out = append(out, string(b))
		}
		if mf, err := c.MultipartForm(); err == nil && len(out) == 0 {
			out = append(out, mf.Value[k]...)
		}
		return out
	}
	v, _ := viewFromArgs(object, get, multi)
	v.Name = get("name")
	if err := vs.CreateView(c.UserContext(), v); err != nil {
		if code := app.ErrorCode(err); code != app.EINVALID && code != app.ECONFLICT {
			return err
		}
		s.SetFlash(c, "error", app.ErrorMessage(err))
		return c.Redirect("/crm/"+seg+s.workQuery(c, "view", ""), fiber.StatusSeeOther)
	}
	s.SetFlash(c, "ok", fmt.Sprintf("View %s saved.", v.Name))
	return c.Redirect("/crm/"+seg+s.workQuery(c, "view", strconv.FormatInt(v.ID, 10)), fiber.StatusSeeOther)
}

// handleCRMViewDelete deletes a saved view.
func (s *Handler) handleCRMViewDelete(c *fiber.Ctx) error {
	vs, err := s.viewStore()
	if err != nil {
		return err
	}
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	v, err := vs.FindView(c.UserContext(), id)
	if err != nil {
		return err
	}
	if err := vs.DeleteView(c.UserContext(), id); err != nil {
		return err
	}
	s.SetFlash(c, "ok", fmt.Sprintf("View %s deleted.", v.Name))
	return c.Redirect("/crm/"+importSegs[v.Object]+s.workQuery(c, "view", ""), fiber.StatusSeeOther)
}

// fillViewForm fills the list page's columns-and-filters form and, with
// a view, the table in its columns.
func (s *Handler) fillViewForm(c *fiber.Ctx, ctx context.Context, seg string, p *crmListPage, v *app.View) error {
	object := crmKinds[seg]
	f := &p.ViewForm
	f.Fields, f.Ops, f.Current = app.ViewFields(object, p.CustomFields), app.ConditionOps, v
	if vs, err := s.viewStore(); err == nil {
		if f.Views, err = vs.FindViews(ctx, object); err != nil {
			return err
		}
	}
	if v != nil {
		f.Conditions = slices.Clone(v.Where.Conditions)
	}
	for len(f.Conditions) < viewFormConditions {
		f.Conditions = append(f.Conditions, app.Condition{})
	}
	if n := len(f.Conditions); n < app.MaxConditions && f.Conditions[n-1].Field != "" {
		f.Conditions = append(f.Conditions, app.Condition{})
	}
	f.ExportURL = template.URL("/crm/" + seg + ".csv")
	if v == nil {
		return nil
	}
	// fasthttp re-encodes the arguments, so the link is well formed.
	args := &fasthttp.Args{}
	c.Context().QueryArgs().CopyTo(args)
	args.Del("cursor")
	f.ExportURL = template.URL("/crm/" + seg + ".csv?" + args.String())
	names := newCellNames(ctx, s.CRM)
	t := &viewTable{}
	for _, col := range v.Columns {
		t.Headers = append(t.Headers, app.FieldLabel(object, col, p.CustomFields))
	}
	add := func(rec any, id, tid int64) {
		t.Rows = append(t.Rows, viewRow{Link: fmt.Sprintf("/crm/%s/%d", seg, id), TenantID: tid, Cells: recordCells(rec, v.Columns, names)})
	}
	for _, x := range p.People {
		add(x, x.ID, x.TenantID)
	}
	for _, x := range p.Companies {
		add(x, x.ID, x.TenantID)
	}
	for _, x := range p.Deals {
		add(x, x.ID, x.TenantID)
	}
	p.Table = t
	return nil
}
