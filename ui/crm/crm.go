package crm

import (
	"context"
	"fmt"
	"html/template"
	"net/url"
	fedui "orengen/ui/federal"
	"orengen/ui/web"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
	"github.com/valyala/fasthttp"

	"orengen/app"
)

// The CRM in the portal (tenant users, their tenant only) and in Nexus >
// Control Room > CRM (admins: every tenant with a tenant column and
// filter; writes in the house tenant or the chosen one, see nexusWorkIn). Forms post normally and redirect (PRG); a bad form
// is shown again with the field named and status 400.

// crmKinds maps URL segments to record types (app.RecordKinds).
var crmKinds = func() map[string]string {
	m := map[string]string{}
	for _, k := range app.RecordKinds {
		m[k.Plural] = k.Type
	}
	return m
}()

func (s *Handler) Mount(r fiber.Router, csrf fiber.Handler) {
	if s.CRM == nil {
		return
	}
	r.Get("/crm/pipeline", s.handleCRMKanban)
	r.Post("/crm/deals/:id/move", csrf, s.handleCRMDealMove)
	r.Post("/crm/tasks/:id/done", csrf, s.handleCRMTaskDone)
	r.Post("/crm/people/:id/merge", csrf, s.handleCRMMerge)
	for seg := range crmKinds {
		r.Get("/crm/"+seg+".csv", s.handleCRMExport(seg))
	}
	r.Post("/crm/views", csrf, s.handleCRMViewCreate)
	r.Post("/crm/views/:id/delete", csrf, s.handleCRMViewDelete)
	r.Get("/crm/settings", s.handleCRMSettings)
	r.Get("/crm/settings/tags", s.handleCRMTags)
	r.Post("/crm/settings/tags/rename", csrf, s.handleCRMTagRename)
	r.Post("/crm/settings/tags/delete", csrf, s.handleCRMTagDelete)
	r.Post("/crm/settings/fields", csrf, s.handleCRMFieldCreate)
	r.Post("/crm/settings/fields/:id/delete", csrf, s.handleCRMFieldDelete)
	r.Post("/crm/settings/pipelines", csrf, s.handleCRMPipelineCreate)
	r.Post("/crm/settings/pipelines/:id", csrf, s.handleCRMPipelineUpdate)
	r.Post("/crm/imports/upload", csrf, s.handleCRMUploadCreate)
	r.Post("/crm/imports/upload/:upload", csrf, s.handleCRMUploadChunk)
	r.Post("/crm/imports/upload/:upload/finish", csrf, s.handleCRMUploadFinish)
	r.Get("/crm/import", s.handleCRMImportView)
	r.Post("/crm/import", csrf, s.handleCRMImport)
	r.Get("/crm/import/:id", s.handleCRMImportJob)
	r.Post("/crm/import/:id", csrf, s.handleCRMImportJobUpdate)
	for seg := range crmKinds {
		r.Get("/crm/"+seg, s.handleCRMList(seg))
		r.Post("/crm/"+seg, csrf, s.handleCRMCreate(seg))
		r.Get("/crm/"+seg+"/:id", s.handleCRMRecord(seg))
		r.Post("/crm/"+seg+"/:id", csrf, s.handleCRMUpdate(seg))
		r.Post("/crm/"+seg+"/:id/delete", csrf, s.handleCRMDelete(seg))
		r.Post("/crm/"+seg+"/:id/notes", csrf, s.handleCRMNoteCreate(seg))
		r.Post("/crm/"+seg+"/:id/tasks", csrf, s.handleCRMTaskCreate(seg))
		r.Post("/crm/"+seg+"/:id/tags", csrf, s.handleCRMTagsUpdate(seg))
	}
}

// crmListPage is a table of people, companies or deals.
type crmListPage struct {
	web.Layout
	Kind      string // people, companies, deals
	Nexus     bool
	People    []*app.Person
	Companies []*app.Company
	Deals     []*app.Deal
	Q         string
	Filter    map[string]string
	NextURL   string
	// Choices for the add form and filters.
	CompanyChoices []*app.Company
	Pipelines      []*app.Pipeline
	Tenants        []*app.Tenant
	TenantNames    map[int64]string
	CustomFields   []*app.CustomField
	CustomValues   map[string]any
	Form           map[string]string
	// Table is the list in a view's columns (nil: the default table);
	// ViewForm is the columns-and-filters form and the saved views.
	Table    *viewTable
	ViewForm viewForm
	Errors   map[string]string
	// Act is the query the page's forms post with: in Nexus the tenant
	// the admin works in ("?tenant=ID"; the house tenant when empty),
	// WorkTenant its name; ActTenant the ID alone (saved views' links).
	Act, WorkTenant, ActTenant string
}

// timelineRow is an entry with its note rendered.
type timelineRow struct {
	*app.TimelineEntry
	HTML template.HTML
}

// crmRecordPage is one person, company or deal with its timeline.
type crmRecordPage struct {
	web.Layout
	Kind           string
	Nexus          bool
	TenantName     string
	Person         *app.Person
	Company        *app.Company
	Deal           *app.Deal
	Timeline       []timelineRow
	Tasks          []*app.Task
	People         []*app.Person // a company's people
	Deals          []*app.Deal   // a company's or person's deals
	CompanyChoices []*app.Company
	Pipelines      []*app.Pipeline
	Duplicates     []*app.Person // people sharing an email or phone
	CustomFields   []*app.CustomField
	CustomValues   map[string]any
	Form           map[string]string
	Errors         map[string]string
	NoteError      string
	TaskError      string
	// TagsForm is the inline tags input sent back with its error.
	TagsForm string
	// TenantID is the record's tenant (Nexus: the forms post to it).
	TenantID int64
}

// Act is the query the record's forms post with: in Nexus the record's
// tenant, which nexusWorkIn makes the one the portal's handlers act in.
func (p *crmRecordPage) Act() string {
	if !p.Nexus {
		return ""
	}
	return "?tenant=" + strconv.FormatInt(p.TenantID, 10)
}

// ClientRecord reports a Nexus page of a client's record (not the house
// tenant's): its writes are audited.
func (p *crmRecordPage) ClientRecord() bool { return p.Nexus && p.TenantID != app.HouseTenantID }

// scopeOf is the host a shared write handler answers on: Nexus when
// nexusWorkIn chose the tenant, the portal otherwise.
func scopeOf(c *fiber.Ctx) web.Scope {
	if c.Locals(nexusTenantKey) != nil {
		return web.NexusScope
	}
	return web.PortalScope
}

// RecordID is the ID of the record shown.
func (p *crmRecordPage) RecordID() int64 {
	switch {
	case p.Person != nil:
		return p.Person.ID
	case p.Company != nil:
		return p.Company.ID
	case p.Deal != nil:
		return p.Deal.ID
	}
	return 0
}

// TagsValue is the inline tags input: what was sent with an error, or
// the record's tags.
func (p *crmRecordPage) TagsValue() string {
	if p.Errors["tags_inline"] != "" {
		return p.TagsForm
	}
	return strings.Join(p.RecordTags(), ", ")
}

// RecordTags are the tags of the record shown.
func (p *crmRecordPage) RecordTags() []string {
	switch {
	case p.Person != nil:
		return p.Person.Tags
	case p.Company != nil:
		return p.Company.Tags
	case p.Deal != nil:
		return p.Deal.Tags
	}
	return nil
}

// kanbanPage is the deals of a pipeline by stage.
type kanbanPage struct {
	web.Layout
	Board *kanbanBoard
}

type kanbanColumn struct {
	Stage  *app.Stage
	Deals  []*app.Deal
	Count  int
	Totals []string // one per currency
	More   int      // deals not shown
}

// The form fields of each kind: its descriptor fields, then its own.
var (
	personFormFields  = app.KindPerson.FieldKeys("emails", "phones", "company_id", "tags", "consent_email", "consent_sms", "consent_calls")
	companyFormFields = app.KindCompany.FieldKeys("tags")
	dealFormFields    = app.KindDeal.FieldKeys("amount", "currency", "pipeline_id", "stage", "expected_close", "probability", "company_id", "tags")
)

func formID(field, s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, app.FieldErrorf(field, "Choose a valid entry.")
	}
	return n, nil
}

func personUpdateFromForm(f map[string]string) (app.PersonUpdate, error) {
	cid, err := formID("company_id", f["company_id"])
	if err != nil {
		return app.PersonUpdate{}, err
	}
	vals, err := app.KindPerson.ParseFields(f)
	if err != nil {
		return app.PersonUpdate{}, err
	}
	emails, phones, tags := web.SplitList(f["emails"]), web.SplitList(f["phones"]), web.SplitList(f["tags"])
	u := app.PersonUpdate{Fields: vals, Emails: &emails, Phones: &phones, CompanyID: &cid, Tags: &tags,
		Consent: &app.Consent{Email: f["consent_email"] != "", SMS: f["consent_sms"] != "", Calls: f["consent_calls"] != ""}}
	return u, nil
}

func companyUpdateFromForm(f map[string]string) (app.CompanyUpdate, error) {
	vals, err := app.KindCompany.ParseFields(f)
	tags := web.SplitList(f["tags"])
	return app.CompanyUpdate{Fields: vals, Tags: &tags}, err
}

func dealUpdateFromForm(f map[string]string) (app.DealUpdate, error) {
	amount, err := app.ParseAmount("amount", f["amount"])
	if err != nil {
		return app.DealUpdate{}, err
	}
	ec, err := app.ParseDate("expected_close", f["expected_close"])
	if err != nil {
		return app.DealUpdate{}, err
	}
	cid, err := formID("company_id", f["company_id"])
	if err != nil {
		return app.DealUpdate{}, err
	}
	vals, err := app.KindDeal.ParseFields(f)
	if err != nil {
		return app.DealUpdate{}, err
	}
	tags := web.SplitList(f["tags"])
	currency := f["currency"]
	u := app.DealUpdate{Fields: vals, Amount: &amount, Currency: &currency, ExpectedClose: &ec, CompanyID: &cid, Tags: &tags}
	if pid, err := formID("pipeline_id", f["pipeline_id"]); err != nil {
		return u, err
	} else if pid != 0 {
		u.PipelineID = &pid
	}
	if st := strings.TrimSpace(f["stage"]); st != "" {
		u.Stage = &st
	}
	var prob *int
	if p := strings.TrimSpace(f["probability"]); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil {
			return u, app.FieldErrorf("probability", "Probability must be a whole number from 0 to 100.")
		}
		prob = &n
	}
	u.Probability = &prob
	return u, nil
}

// ---- forms of persons, companies, deals as page values ----

func personForm(p *app.Person) map[string]string {
	b := func(v bool) string {
		if v {
			return "on"
		}
		return ""
	}
	m := app.KindPerson.FieldTexts(p)
	m["emails"], m["phones"], m["company_id"], m["tags"] = strings.Join(p.Emails, ", "), strings.Join(p.Phones, ", "), idStr(p.CompanyID), strings.Join(p.Tags, ", ")
	m["consent_email"], m["consent_sms"], m["consent_calls"] = b(p.Consent.Email), b(p.Consent.SMS), b(p.Consent.Calls)
	return m
}

func companyForm(c *app.Company) map[string]string {
	m := app.KindCompany.FieldTexts(c)
	m["tags"] = strings.Join(c.Tags, ", ")
	return m
}

func dealForm(d *app.Deal) map[string]string {
	m := app.KindDeal.FieldTexts(d)
	m["amount"], m["currency"], m["pipeline_id"], m["stage"] = app.FormatMinor(d.Amount), d.Currency, idStr(d.PipelineID), idStr(d.StageID)
	m["company_id"], m["tags"] = idStr(d.CompanyID), strings.Join(d.Tags, ", ")
	if d.ExpectedClose != nil {
		m["expected_close"] = d.ExpectedClose.Format("2006-01-02")
	}
	if d.Probability != nil {
		m["probability"] = strconv.Itoa(*d.Probability)
	}
	return m
}

func idStr(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

// customForm reads the custom field inputs of a record form.
func (s *Handler) customForm(c *fiber.Ctx, seg string) (map[string]any, error) {
	defs, err := s.CRM.FindCustomFields(c.UserContext(), crmKinds[seg])
	if err != nil {
		return nil, err
	}
	return customFromForm(c, defs)
}

// ---- list ----

func (s *Handler) handleCRMList(seg string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		return s.renderCRMList(c, seg, &crmListPage{}, web.PortalScope)
	}
}

func (s *Handler) renderCRMList(c *fiber.Ctx, seg string, p *crmListPage, sc web.Scope) error {
	nexus := sc.Nexus()
	ctx := c.UserContext()
	p.Kind, p.Nexus = seg, nexus
	p.Q = utils.CopyString(c.Query("q"))
	p.Filter = map[string]string{}
	opts := app.ListOptions{Limit: 50, Q: p.Q, Cursor: utils.CopyString(c.Query("cursor")), Sort: utils.CopyString(c.Query("sort"))}
	qs := url.Values{}
	for _, k := range []string{"q", "sort", "tag", "company_id", "stage", "tenant"} {
		if v := c.Query(k); v != "" {
			p.Filter[k] = utils.CopyString(v)
			qs.Set(k, p.Filter[k])
		}
	}
	if nexus {
		var err error
		if p.Tenants, err = s.Tenants.ListTenants(ctx); err != nil {
			return err
		}
		p.TenantNames = map[int64]string{}
		for _, t := range p.Tenants {
			p.TenantNames[t.ID] = t.BrandName()
		}
		ctx = app.NewContextAcrossTenants(ctx)
		// The add form and its choices work in the filtered tenant, or the
		// house tenant (the agency's own CRM) when the list shows all.
		var wt *app.Tenant // the tenant the add form works in
		if ref := p.Filter["tenant"]; ref != "" {
			t, err := s.Tenants.TenantByRef(ctx, ref)
			if err != nil {
				return app.FieldErrorf("tenant", "Unknown tenant.")
			}
			ctx = app.NewContextWithTenant(ctx, t)
			wt, p.ActTenant = t, strconv.FormatInt(t.ID, 10)
			p.Act = "?tenant=" + p.ActTenant
		} else if i := slices.IndexFunc(p.Tenants, func(t *app.Tenant) bool { return t.ID == app.HouseTenantID }); i >= 0 {
			wt = p.Tenants[i] // already loaded above: no second query
		} else {
			return app.Errorf(app.ENOTFOUND, "Tenant not found.")
		}
		p.WorkTenant = wt.BrandName()
		wctx := app.NewContextWithTenant(ctx, wt)
		if err := s.crmChoices(wctx, seg, &p.CompanyChoices, &p.Pipelines); err != nil {
			return err
		}
		if p.CustomFields, err = s.CRM.FindCustomFields(wctx, crmKinds[seg]); err != nil {
			return err
		}
	}
	var next string
	var err error
	var view *app.View
	// Saved views: the portal's, and in Nexus those of the tenant chosen
	// in the filter (the list then reads that tenant only).
	views := !nexus || p.Act != ""
	if views {
		if view, err = s.listView(c, ctx, crmKinds[seg]); app.ErrorCode(err) == app.EINVALID {
			p.ViewForm.Error, view = app.ErrorMessage(err), nil
		} else if err != nil {
			return err
		}
		if view != nil {
			opts.Where = view.Where
			if opts.Sort == "" {
				opts.Sort = view.Sort
			}
			// Keep the view's parameters on the next page's link.
			args := &fasthttp.Args{}
			c.Context().QueryArgs().CopyTo(args)
			args.Del("cursor")
			qs, _ = url.ParseQuery(args.String())
		}
	}
	next, err = crmPages[seg].list(s, ctx, p, opts)
	if app.ErrorCode(err) == app.EINVALID {
		// A bad search or cursor in the address bar: show the first page
		// with the message.
		p.Errors = map[string]string{"q": app.ErrorMessage(err)}
		p.People, p.Companies, p.Deals, next = nil, nil, nil, ""
	} else if err != nil {
		return err
	}
	if next != "" {
		qs.Set("cursor", next)
		p.NextURL = c.Path() + "?" + qs.Encode()
	}
	if !nexus {
		if err := s.crmChoices(ctx, seg, &p.CompanyChoices, &p.Pipelines); err != nil {
			return err
		}
		if p.CustomFields, err = s.CRM.FindCustomFields(ctx, crmKinds[seg]); err != nil {
			return err
		}
	}
	if views {
		if err := s.fillViewForm(c, ctx, seg, p, view); err != nil {
			return err
		}
	}
	if p.Form == nil {
		p.Form = map[string]string{"currency": app.DefaultCurrency}
	}
	p.Layout = s.Layout(c, sc.Host, app.KindOf(seg).PluralLabel)
	return s.Render(c, sc.Page("crm_list"), p)
}

// filterID is the list filter k as an ID; nil when absent or not a number.
func (p *crmListPage) filterID(k string) *int64 {
	if v, e := strconv.ParseInt(p.Filter[k], 10, 64); e == nil {
		return &v
	}
	return nil
}

// filterStr is the list filter k; nil when absent.
func (p *crmListPage) filterStr(k string) *string {
	if v := p.Filter[k]; v != "" {
		return &v
	}
	return nil
}

// crmChoices loads the select options of the person and deal forms.
func (s *Handler) crmChoices(ctx context.Context, seg string, companies *[]*app.Company, pipelines *[]*app.Pipeline) error {
	k := crmPages[seg]
	if !k.companies {
		return nil
	}
	var err error
	if *companies, _, err = s.CRM.FindCompanies(ctx, app.CompanyFilter{ListOptions: app.ListOptions{Limit: app.MaxPageSize, Sort: "name"}}); err != nil {
		return err
	}
	if k.pipelines {
		*pipelines, err = s.CRM.Pipelines(ctx)
	}
	return err
}

// ---- create ----

func (s *Handler) handleCRMCreate(seg string) fiber.Handler {
	f := crmForms[seg]
	return func(c *fiber.Ctx) error {
		ctx := c.UserContext()
		form := web.FormMap(c, f.fields...)
		id, err := f.create(s, ctx, form, func() (map[string]any, error) { return s.customForm(c, seg) })
		if err != nil {
			if app.ErrorCode(err) != app.EINVALID {
				return err
			}
			c.Status(fiber.StatusBadRequest)
			return s.renderCRMList(c, seg, &crmListPage{Form: form, Errors: map[string]string{web.FieldOr(err, "form"): app.ErrorMessage(err)}}, scopeOf(c))
		}
		s.SetFlash(c, "ok", "Saved.")
		return c.Redirect(fmt.Sprintf("/crm/%s/%d", seg, id), fiber.StatusSeeOther)
	}
}

// ---- record ----

func (s *Handler) handleCRMRecord(seg string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := web.ParamID(c, "id")
		if err != nil {
			return err
		}
		return s.renderCRMRecord(c, seg, id, &crmRecordPage{}, web.PortalScope)
	}
}

func (s *Handler) renderCRMRecord(c *fiber.Ctx, seg string, id int64, p *crmRecordPage, sc web.Scope) error {
	nexus := sc.Nexus()
	ctx := c.UserContext()
	p.Kind, p.Nexus = seg, nexus
	if nexus {
		ctx = app.NewContextAcrossTenants(ctx)
		tid, err := s.CRM.RecordTenant(ctx, crmKinds[seg], id)
		if err != nil {
			return err
		}
		t, err := s.Tenants.TenantByID(ctx, tid)
		if err != nil {
			return err
		}
		p.TenantName, p.TenantID = t.BrandName(), t.ID
		ctx = app.NewContextWithTenant(ctx, t)
	}
	title, err := crmPages[seg].record(s, ctx, id, p)
	if err != nil {
		return err
	}
	tl, err := s.CRM.FindTimeline(ctx, crmKinds[seg], id)
	if err != nil {
		return err
	}
	for i := len(tl) - 1; i >= 0; i-- { // newest first on the page
		row := timelineRow{TimelineEntry: tl[i]}
		if tl[i].Kind == app.TimelineNote {
			row.HTML = web.Markdown(tl[i].Body)
		}
		p.Timeline = append(p.Timeline, row)
	}
	rt := crmKinds[seg]
	if p.Tasks, _, err = s.CRM.FindTasks(ctx, app.TaskFilter{RecordType: &rt, RecordID: &id, ListOptions: app.ListOptions{Limit: 100, Sort: "created_at"}}); err != nil {
		return err
	}
	// The edit form's choices, from the record's tenant (in Nexus too:
	// the admin edits there).
	if err := s.crmChoices(ctx, seg, &p.CompanyChoices, &p.Pipelines); err != nil {
		return err
	}
	if p.CustomFields, err = s.CRM.FindCustomFields(ctx, crmKinds[seg]); err != nil {
		return err
	}
	p.Layout = s.Layout(c, sc.Host, title)
	return s.Render(c, sc.Page("crm_record"), p)
}

func (s *Handler) handleCRMUpdate(seg string) fiber.Handler {
	f := crmForms[seg]
	return func(c *fiber.Ctx) error {
		id, err := web.ParamID(c, "id")
		if err != nil {
			return err
		}
		ctx := c.UserContext()
		form := web.FormMap(c, f.fields...)
		err = f.update(s, ctx, id, form, func() (map[string]any, error) { return s.customForm(c, seg) })
		if err != nil {
			if app.ErrorCode(err) != app.EINVALID {
				return err
			}
			c.Status(fiber.StatusBadRequest)
			return s.renderCRMRecord(c, seg, id, &crmRecordPage{Form: form, Errors: map[string]string{web.FieldOr(err, "form"): app.ErrorMessage(err)}}, scopeOf(c))
		}
		s.SetFlash(c, "ok", "Saved.")
		return c.Redirect(fmt.Sprintf("/crm/%s/%d", seg, id), fiber.StatusSeeOther)
	}
}

// handleCRMTagsUpdate replaces a record's tags from the inline form of
// its page (tags, comma-separated), leaving its other fields as they are.
func (s *Handler) handleCRMTagsUpdate(seg string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := web.ParamID(c, "id")
		if err != nil {
			return err
		}
		ctx := c.UserContext()
		raw := utils.CopyString(c.FormValue("tags"))
		tags := web.SplitList(raw)
		err = s.CRM.SetRecordTags(ctx, seg, id, tags)
		if err != nil {
			if app.ErrorCode(err) != app.EINVALID {
				return err
			}
			c.Status(fiber.StatusBadRequest)
			return s.renderCRMRecord(c, seg, id, &crmRecordPage{TagsForm: raw, Errors: map[string]string{"tags_inline": app.ErrorMessage(err)}}, scopeOf(c))
		}
		s.SetFlash(c, "ok", "Tags saved.")
		return c.Redirect(fmt.Sprintf("/crm/%s/%d", seg, id), fiber.StatusSeeOther)
	}
}

func (s *Handler) handleCRMDelete(seg string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := web.ParamID(c, "id")
		if err != nil {
			return err
		}
		ctx := c.UserContext()
		err = s.CRM.DeleteRecord(ctx, seg, id)
		if err != nil {
			return err
		}
		s.Audit.Record(ctx, "crm.delete", fmt.Sprintf("%s:%d", crmKinds[seg], id), "")
		s.SetFlash(c, "ok", "Deleted.")
		return c.Redirect("/crm/"+seg, fiber.StatusSeeOther)
	}
}

func (s *Handler) handleCRMNoteCreate(seg string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := web.ParamID(c, "id")
		if err != nil {
			return err
		}
		// Another tenant's record is a 404, not a form error.
		if err := s.crmExists(c.UserContext(), seg, id); err != nil {
			return err
		}
		n := &app.Note{RecordType: crmKinds[seg], RecordID: id, Body: utils.CopyString(c.FormValue("body"))}
		if err := s.CRM.CreateNote(c.UserContext(), n); err != nil {
			if app.ErrorCode(err) != app.EINVALID {
				return err
			}
			c.Status(fiber.StatusBadRequest)
			return s.renderCRMRecord(c, seg, id, &crmRecordPage{NoteError: app.ErrorMessage(err)}, scopeOf(c))
		}
		s.SetFlash(c, "ok", "Note added.")
		return c.Redirect(fmt.Sprintf("/crm/%s/%d", seg, id), fiber.StatusSeeOther)
	}
}

func (s *Handler) crmExists(ctx context.Context, seg string, id int64) error {
	_, err := s.CRM.RecordTenant(ctx, crmKinds[seg], id)
	return err
}

func (s *Handler) handleCRMTaskCreate(seg string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := web.ParamID(c, "id")
		if err != nil {
			return err
		}
		if err := s.crmExists(c.UserContext(), seg, id); err != nil {
			return err
		}
		t := &app.Task{RecordType: crmKinds[seg], RecordID: id, Title: utils.CopyString(c.FormValue("title"))}
		if t.Due, err = app.ParseDate("due", c.FormValue("due")); err == nil {
			err = s.CRM.CreateTask(c.UserContext(), t)
		}
		if err != nil {
			if app.ErrorCode(err) != app.EINVALID {
				return err
			}
			c.Status(fiber.StatusBadRequest)
			return s.renderCRMRecord(c, seg, id, &crmRecordPage{TaskError: app.ErrorMessage(err)}, scopeOf(c))
		}
		s.SetFlash(c, "ok", "Task added.")
		return c.Redirect(fmt.Sprintf("/crm/%s/%d", seg, id), fiber.StatusSeeOther)
	}
}

// handleCRMTaskDone marks a task done (or open again with done=0) and
// returns to the page it was shown on.
func (s *Handler) handleCRMTaskDone(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	done := c.FormValue("done") != "0"
	t, err := s.CRM.UpdateTask(c.UserContext(), id, app.TaskUpdate{Done: &done})
	if err != nil {
		return err
	}
	back := "/crm/people"
	for seg, typ := range crmKinds {
		if t.RecordType == typ {
			back = fmt.Sprintf("/crm/%s/%d", seg, t.RecordID)
		}
	}
	// A pursued notice's task returns to the portal's Federal page.
	if t.RecordType == app.RecordPursuit && s.Federal != nil {
		if on, _ := s.federalOn(c); on {
			keys, err := s.Federal.PursuitKeys(app.NewContextWithTenant(c.UserContext(), &app.Tenant{ID: t.TenantID}), false, []int64{t.RecordID})
			if err != nil {
				return err
			}
			if k, ok := keys[t.RecordID]; ok {
				back = fedui.NoticeURL(k) + "#work"
			}
		}
	}
	return c.Redirect(back, fiber.StatusSeeOther)
}

// handleCRMMerge merges the person merge_id into :id.
func (s *Handler) handleCRMMerge(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	other, err := formID("merge_id", c.FormValue("merge_id"))
	if err != nil {
		return err
	}
	if _, err := s.CRM.FindPerson(c.UserContext(), id); err != nil {
		return err
	}
	if _, err := s.CRM.MergePeople(c.UserContext(), id, other); err != nil {
		if code := app.ErrorCode(err); code != app.EINVALID && code != app.ENOTFOUND {
			return err
		}
		s.SetFlash(c, "error", app.ErrorMessage(err))
	} else {
		s.SetFlash(c, "ok", "Merged. Every note, task and timeline entry is kept here.")
	}
	return c.Redirect(fmt.Sprintf("/crm/people/%d", id), fiber.StatusSeeOther)
}

// ---- kanban ----

func (s *Handler) handleCRMKanban(c *fiber.Ctx) error {
	b, err := s.kanbanBoard(c.UserContext(), c.Query("pipeline"))
	if err != nil {
		return err
	}
	b.Editable = true
	p := &kanbanPage{Board: b}
	p.Layout = s.Layout(c, web.HostPortal, "Pipeline")
	b.CSRF = p.CSRF
	return s.Render(c, "portal/crm_kanban", p)
}

// kanbanBoard is one pipeline's deals by stage, for the portal (with
// move forms) and Nexus (read-only, one board per tenant).
type kanbanBoard struct {
	Pipelines  []*app.Pipeline
	Pipeline   *app.Pipeline
	Columns    []kanbanColumn
	Nexus      bool
	Editable   bool   // cards can be moved (the portal; Nexus in one tenant)
	MoveQuery  string // what the move forms add to their action ("?tenant=3" in Nexus)
	CSRF       string
	TenantID   int64
	TenantName string
}

// kanbanBoard builds the board of the pipeline with ID ref (default the
// first) of the tenant in ctx. Returns ENOTFOUND for an unknown pipeline.
func (s *Handler) kanbanBoard(ctx context.Context, ref string) (*kanbanBoard, error) {
	ps, err := s.CRM.Pipelines(ctx)
	if err != nil {
		return nil, err
	}
	p := &kanbanBoard{Pipelines: ps, Pipeline: ps[0]}
	if ref != "" {
		p.Pipeline = nil
		for _, x := range ps {
			if strconv.FormatInt(x.ID, 10) == ref {
				p.Pipeline = x
			}
		}
		if p.Pipeline == nil {
			return nil, app.Errorf(app.ENOTFOUND, "Pipeline not found.")
		}
	}
	totals, err := s.CRM.StageTotals(ctx, p.Pipeline.ID)
	if err != nil {
		return nil, err
	}
	for _, st := range p.Pipeline.Stages {
		col := kanbanColumn{Stage: st}
		ref := strconv.FormatInt(st.ID, 10)
		pid := p.Pipeline.ID
		if col.Deals, _, err = s.CRM.FindDeals(ctx, app.DealFilter{PipelineID: &pid, Stage: &ref, ListOptions: app.ListOptions{Limit: 50, Sort: "-updated_at"}}); err != nil {
			return nil, err
		}
		for _, t := range totals {
			if t.StageID == st.ID {
				col.Count += t.Count
				col.Totals = append(col.Totals, app.FormatAmount(t.Amount, t.Currency))
			}
		}
		col.More = col.Count - len(col.Deals)
		p.Columns = append(p.Columns, col)
	}
	return p, nil
}

// handleCRMDealMove moves a deal to another stage: the kanban card's
// small form (no JavaScript needed; the drag-and-drop script posts the
// same form with Accept: application/json and gets the board's new
// totals). Moving to a won or lost stage takes a reason (required for
// lost), written on the deal's timeline.
func (s *Handler) handleCRMDealMove(c *fiber.Ctx) error {
	ctx := c.UserContext()
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	asJSON := strings.Contains(c.Get(fiber.HeaderAccept), fiber.MIMEApplicationJSON)
	back := "/crm/pipeline" + s.workQuery(c, "pipeline", "")
	fail := func(err error) error {
		if app.ErrorCode(err) != app.EINVALID {
			return err
		}
		if _, ferr := s.CRM.FindDeal(ctx, id); ferr != nil {
			return ferr
		}
		if asJSON {
			return c.Status(fiber.StatusBadRequest).JSON(fiber.Map{"error": app.ErrorMessage(err), "field": app.ErrorField(err)})
		}
		s.SetFlash(c, "error", app.ErrorMessage(err))
		return c.Redirect(back, fiber.StatusSeeOther)
	}
	stage := utils.CopyString(c.FormValue("stage"))
	reason := strings.TrimSpace(utils.CopyString(c.FormValue("reason")))
	if len(reason) > 1000 {
		return fail(app.FieldErrorf("reason", "Reason must be at most 1000 characters."))
	}
	old, err := s.CRM.FindDeal(ctx, id)
	if err != nil {
		return err
	}
	target, err := s.stageOf(ctx, old.PipelineID, stage)
	if err != nil {
		return fail(err)
	}
	if target.Lost && reason == "" {
		return fail(app.FieldErrorf("reason", "Say why the deal was lost."))
	}
	d, err := s.CRM.UpdateDeal(ctx, id, app.DealUpdate{Stage: &stage})
	if err != nil {
		return fail(err)
	}
	if reason != "" && (target.Won || target.Lost) {
		if err := s.CRM.CreateNote(ctx, &app.Note{RecordType: app.RecordDeal, RecordID: d.ID, Body: d.Stage + ": " + reason}); err != nil {
			return err
		}
	}
	if asJSON {
		return s.moveJSON(c, d)
	}
	s.SetFlash(c, "ok", fmt.Sprintf("%s moved to %s.", d.Name, d.Stage))
	return c.Redirect("/crm/pipeline"+s.workQuery(c, "pipeline", strconv.FormatInt(d.PipelineID, 10)), fiber.StatusSeeOther)
}

// stageOf finds the stage ref (ID or name) of a pipeline; EINVALID
// naming stage when it has none such.
func (s *Handler) stageOf(ctx context.Context, pipelineID int64, ref string) (*app.Stage, error) {
	ps, err := s.CRM.Pipelines(ctx)
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		if p.ID == pipelineID {
			if st := p.StageByRef(ref); st != nil {
				return st, nil
			}
		}
	}
	return nil, app.FieldErrorf("stage", "Choose a stage of the deal's pipeline.")
}

// moveJSON answers a drag: the deal's stage and every column's count and
// totals, so the board updates without a reload.
func (s *Handler) moveJSON(c *fiber.Ctx, d *app.Deal) error {
	totals, err := s.CRM.StageTotals(c.UserContext(), d.PipelineID)
	if err != nil {
		return err
	}
	type col struct {
		StageID int64    `json:"stage_id"`
		Count   int      `json:"count"`
		Totals  []string `json:"totals"`
	}
	byStage := map[int64]*col{}
	var cols []*col
	for _, t := range totals {
		cl := byStage[t.StageID]
		if cl == nil {
			cl = &col{StageID: t.StageID, Totals: []string{}}
			byStage[t.StageID] = cl
			cols = append(cols, cl)
		}
		cl.Count += t.Count
		cl.Totals = append(cl.Totals, app.FormatAmount(t.Amount, t.Currency))
	}
	return c.JSON(fiber.Map{"deal": fiber.Map{"id": d.ID, "name": d.Name, "stage": d.Stage, "stage_id": d.StageID}, "columns": cols})
}

// workQuery is the query string a redirect keeps: in Nexus the tenant
// worked in, then key=value when value is set (the board's pipeline, the
// list's saved view).
func (s *Handler) workQuery(c *fiber.Ctx, key, value string) string {
	q := url.Values{}
	if t, ok := c.Locals(nexusTenantKey).(*app.Tenant); ok && t != nil {
		q.Set("tenant", strconv.FormatInt(t.ID, 10))
	}
	if value != "" && value != "0" {
		q.Set(key, value)
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

// nexusTenantKey holds, in Nexus, the tenant an admin works in.
const nexusTenantKey = "crmNexusTenant"

// nexusWorkIn lets an admin act in one tenant's CRM with the portal's
// handlers: the tenant is ?tenant= (the house tenant when absent); a
// write that succeeded in a client's tenant is recorded in the audit log.
func (s *Handler) nexusWorkIn(c *fiber.Ctx) error {
	ctx := c.UserContext()
	id := app.HouseTenantID
	if v := c.Query("tenant"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return app.Errorf(app.ENOTFOUND, "Tenant not found.")
		}
		id = n
	}
	t, err := s.Tenants.TenantByID(ctx, id)
	if err != nil {
		return err
	}
	c.Locals(nexusTenantKey, t)
	ctx = app.NewContextWithTenant(ctx, t)
	c.SetUserContext(ctx)
	if err := c.Next(); err != nil || t.ID == app.HouseTenantID || c.Method() == fiber.MethodGet || s.Audit == nil {
		return err
	}
	// A client's record changed (not a refused or missing one).
	if c.Response().StatusCode() < 400 {
		s.Audit.Record(ctx, "crm.admin_write", fmt.Sprintf("tenant %d (%s)", t.ID, t.Name), c.Method()+" "+c.Path())
	}
	return nil
}

// nexusHouse is nexusWorkIn for the agency's own CRM only (CSV import):
// a client's data is imported by the client, in its portal.
func (s *Handler) nexusHouse(c *fiber.Ctx) error {
	if v := c.Query("tenant"); v != "" && v != strconv.FormatInt(app.HouseTenantID, 10) {
		return app.Errorf(app.EINVALID, "Nexus imports into the agency's own CRM; a client imports its CSV files in its portal (CRM > Import CSV).")
	}
	return s.nexusWorkIn(c)
}

// ---- Nexus: every tenant's records; the house tenant's and, chosen, a client's to work in ----

func (s *Handler) MountNexus(r fiber.Router, csrf fiber.Handler) {
	if s.CRM == nil {
		return
	}
	// The admin works in one tenant's pipeline (the house tenant's by
	// default) with the portal's handler.
	r.Post("/crm/deals/:id/move", csrf, s.nexusWorkIn, s.handleCRMDealMove)
	// The agency's own CRM (the house tenant) and, with ?tenant=, a
	// client's (audited): the portal's write handlers in that tenant.
	r.Post("/crm/tasks/:id/done", csrf, s.nexusWorkIn, s.handleCRMTaskDone)
	r.Post("/crm/views", csrf, s.nexusWorkIn, s.handleCRMViewCreate)
	r.Post("/crm/views/:id/delete", csrf, s.nexusWorkIn, s.handleCRMViewDelete)
	r.Post("/crm/people/:id/merge", csrf, s.nexusWorkIn, s.handleCRMMerge)
	for seg := range crmKinds {
		r.Get("/crm/"+seg+".csv", s.nexusWorkIn, s.handleCRMExport(seg))
		r.Post("/crm/"+seg, csrf, s.nexusWorkIn, s.handleCRMCreate(seg))
		r.Post("/crm/"+seg+"/:id", csrf, s.nexusWorkIn, s.handleCRMUpdate(seg))
		r.Post("/crm/"+seg+"/:id/delete", csrf, s.nexusWorkIn, s.handleCRMDelete(seg))
		r.Post("/crm/"+seg+"/:id/notes", csrf, s.nexusWorkIn, s.handleCRMNoteCreate(seg))
		r.Post("/crm/"+seg+"/:id/tasks", csrf, s.nexusWorkIn, s.handleCRMTaskCreate(seg))
		r.Post("/crm/"+seg+"/:id/tags", csrf, s.nexusWorkIn, s.handleCRMTagsUpdate(seg))
	}
	// CSV import into the agency's own CRM, with the portal's steps
	// (upload in pieces, map, check, run with progress).
	r.Post("/crm/imports/upload", csrf, s.nexusHouse, s.handleCRMUploadCreate)
	r.Post("/crm/imports/upload/:upload", csrf, s.nexusHouse, s.handleCRMUploadChunk)
	r.Post("/crm/imports/upload/:upload/finish", csrf, s.nexusHouse, s.handleCRMUploadFinish)
	r.Get("/crm/import", s.nexusHouse, s.handleCRMImportView)
	r.Post("/crm/import", csrf, s.nexusHouse, s.handleCRMImport)
	r.Get("/crm/import/:id", s.nexusHouse, s.handleCRMImportJob)
	r.Post("/crm/import/:id", csrf, s.nexusHouse, s.handleCRMImportJobUpdate)
	r.Get("/crm/pipeline", s.handleNexusCRMKanban)
	r.Get("/crm/tasks", s.handleNexusCRMTasks)
	for seg := range crmKinds {
		seg := seg
		r.Get("/crm/"+seg, func(c *fiber.Ctx) error { return s.renderCRMList(c, seg, &crmListPage{}, web.NexusScope) })
		r.Get("/crm/"+seg+"/:id", func(c *fiber.Ctx) error {
			id, err := web.ParamID(c, "id")
			if err != nil {
				return err
			}
			return s.renderCRMRecord(c, seg, id, &crmRecordPage{}, web.NexusScope)
		})
	}
}

// nexusKanbanMaxTenants is how many tenants' boards Nexus shows without
// a tenant filter.
const nexusKanbanMaxTenants = 20

type nexusKanbanPage struct {
	web.Layout
	Tenants []*app.Tenant
	Tenant  string // the tenant filter ("": every tenant)
	Boards  []*kanbanBoard
	More    int // tenants not shown
}

// handleNexusCRMKanban shows the deals of every tenant (or the filtered
// one) by stage: the portal's board, read-only, one per tenant.
func (s *Handler) handleNexusCRMKanban(c *fiber.Ctx) error {
	ctx := c.UserContext()
	tenants, err := s.Tenants.ListTenants(ctx)
	if err != nil {
		return err
	}
	p := &nexusKanbanPage{Tenants: tenants, Tenant: utils.CopyString(c.Query("tenant"))}
	for _, t := range tenants {
		if p.Tenant != "" && strconv.FormatInt(t.ID, 10) != p.Tenant {
			continue
		}
		if len(p.Boards) == nexusKanbanMaxTenants {
			p.More++
			continue
		}
		ref := ""
		if p.Tenant != "" {
			ref = c.Query("pipeline")
		}
		b, err := s.kanbanBoard(app.NewContextWithTenant(app.NewContextAcrossTenants(ctx), t), ref)
		if err != nil {
			return err
		}
		b.Nexus, b.TenantID, b.TenantName = true, t.ID, t.BrandName()
		if p.Tenant != "" {
			// One tenant: the admin works in its pipeline (audited for a
			// client's), with the portal's move handler.
			b.Editable, b.MoveQuery = true, "?tenant="+strconv.FormatInt(t.ID, 10)
		}
		p.Boards = append(p.Boards, b)
	}
	if p.Tenant != "" && len(p.Boards) == 0 {
		return app.Errorf(app.ENOTFOUND, "Tenant not found.")
	}
	p.Layout = s.Layout(c, web.HostNexus, "Pipeline")
	for _, b := range p.Boards {
		b.CSRF = p.CSRF
	}
	return s.Render(c, "nexus/crm_kanban", p)
}
