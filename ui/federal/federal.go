package federal

import (
	"errors"
	"html/template"
	"net/url"
	"orengen/ui/web"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/app/federal"
)

// Federal pages on Nexus. Federal work belongs to the house tenant; the
// admin can turn it on for a client in Settings > Federal and switch the
// pages to that client (a cookie, checked against the enabled tenants on
// every request). Every federal call runs in FedContext(c), scoped to FedTenant(c).

func (s *Handler) Mount(r fiber.Router, csrf fiber.Handler) {
	g := r.Group("/federal", s.RequireFederal)
	g.Get("/", s.handleFederalOpportunities)
	g.Get("/opportunities/:noticeId", s.handleFederalNotice)
	g.Post("/opportunities/:noticeId/pursue", csrf, s.handleFederalPursue)
	g.Post("/opportunities/:noticeId/pipeline", csrf, s.handleFederalPipelineSave)
	g.Post("/opportunities/:noticeId/matrix", csrf, s.handleFederalMatrixExtract)
	g.Post("/opportunities/:noticeId/matrix/:id", csrf, s.handleFederalMatrixUpdate)
	g.Get("/pipeline", s.handleFederalPipeline)
	g.Get("/searches", s.handleFederalSearches)
	g.Post("/searches", csrf, s.handleFederalSearchCreate)
	g.Post("/searches/:id/delete", csrf, s.handleFederalSearchDelete)
	g.Post("/run", csrf, s.handleFederalRun)
	g.Post("/tenant", csrf, s.handleFederalTenant)
	g.Get("/settings", s.handleFederalSettings)
	g.Post("/settings", csrf, s.handleFederalSettingsSave)
	g.Get("/grants", s.handleFederalGrants)
	g.Get("/compliance", s.handleFederalCompliance)
	s.registerFederalStudioRoutes(g, csrf)
	s.registerFederalWorkRoutes(g, csrf)
}

func (s *Handler) RequireFederal(c *fiber.Ctx) error {
	if s.Federal == nil {
		return app.Errorf(app.ENOTFOUND, "Federal scouting is not configured on this server.")
	}
	if err := s.LoadFedTenant(c); err != nil {
		return err
	}
	return c.Next()
}

// fedTenantCookie holds the tenant the admin works on in the Federal pages.
const fedTenantCookie = "orengen_fed_tenant"

// FedTenant is the tenant the Federal pages work for: the house tenant, or
// the client chosen in Settings > Federal while its federal work is on.
func FedTenant(c *fiber.Ctx) int64 {
	if id, ok := fedTenantKey.Get(c); ok {
		return id
	}
	return app.HouseTenantID
}

// LoadFedTenant resolves the cookie once per request (RequireFederal).
func (s *Handler) LoadFedTenant(c *fiber.Ctx) error {
	id := app.HouseTenantID
	if v, err := strconv.ParseInt(s.Cookie(c, fedTenantCookie), 10, 64); err == nil && v != id {
		on, err := s.Federal.FederalOn(c.UserContext(), v)
		if err != nil {
			return err
		}
		if on {
			id = v
		}
	}
	fedTenantKey.Set(c, id)
	return nil
}

// Err turns a federal validation error into an app EINVALID naming the
// field; other errors pass through.
func Err(err error) error {
	var v *federal.ValidationError
	if errors.As(err, &v) {
		return app.FieldErrorf(v.Field, "%s: %s.", v.Field, strings.TrimSuffix(v.Message, "."))
	}
	return err
}

// federalStatus is the scout panel on every Federal page: key, quota and
// the last run, with configuration errors spelled out.
type federalStatus struct {
	KeyConfigured bool
	KeyError      string
	KeyType       string
	QuotaLimit    int
	QuotaUsed     int
	LastRun       *federal.ScoutRun
	Running       bool
	TenantName    string // whose federal work the page shows
}

func (s *Handler) federalStatus(c *fiber.Ctx) federalStatus {
	ctx := c.UserContext()
	var st federalStatus
	ok, err := s.Federal.KeyConfigured(ctx)
	st.KeyConfigured = ok
	if err != nil {
		st.KeyError = "The SAM.gov key could not be read from the vault: " + err.Error()
	} else if !ok {
		st.KeyError = federal.ErrorMessage(federal.ErrNoKey)
	}
	st.QuotaLimit, st.QuotaUsed, st.KeyType, _ = s.Federal.Quota(ctx)
	if runs, err := s.Federal.FindScoutRuns(FedContext(c), 1); err == nil && len(runs) > 0 {
		st.LastRun = runs[0]
	}
	st.Running = s.Federal.Running(FedContext(c))
	st.TenantName = s.fedTenantName(c)
	return st
}

type federalListPage struct {
	web.Layout
	Status    federalStatus
	Notices   []*federal.StoredNotice
	Next      string
	Filter    federal.NoticeFilter
	SetAsides []federal.SetAside
	NextURL   template.URL // the next page with the same filter ("" on the last)
}

func NoticeFilterFrom(c *fiber.Ctx) (federal.NoticeFilter, error) {
	f := federal.NoticeFilter{
		Query:      utils.CopyString(strings.TrimSpace(c.Query("q"))),
		NAICS:      utils.CopyString(strings.TrimSpace(c.Query("naics"))),
		SetAside:   utils.CopyString(strings.TrimSpace(c.Query("set_aside"))),
		State:      utils.CopyString(strings.ToUpper(strings.TrimSpace(c.Query("state")))),
		Type:       utils.CopyString(strings.TrimSpace(c.Query("type"))),
		ActiveOnly: c.Query("active") == "1" || c.Query("active") == "true",
		Sort:       utils.CopyString(c.Query("sort")),
		Cursor:     utils.CopyString(c.Query("cursor")),
	}
	var err error
	if f.MinScore, err = web.AtoiDefault(c.Query("min_score"), 0); err != nil || f.MinScore < 0 || f.MinScore > 200 {
		return f, app.FieldErrorf("min_score", "min_score must be a number from 0 to 200.")
	}
	if f.Limit, err = web.AtoiDefault(c.Query("limit"), 50); err != nil || f.Limit < 1 || f.Limit > 500 {
		return f, app.FieldErrorf("limit", "limit must be a number from 1 to 500.")
	}
	if f.SetAside != "" {
		if code, ok := federal.CanonicalSetAside(f.SetAside); ok {
			f.SetAside = code
		} else if !strings.EqualFold(f.SetAside, "NONE") {
			return f, app.FieldErrorf("set_aside", "Unknown set-aside code %q.", f.SetAside)
		}
	}
	switch f.Sort {
	case "", federal.SortScore, federal.SortPosted, federal.SortDeadline:
	default:
		return f, app.FieldErrorf("sort", "Sort by score, posted or deadline.")
	}
	return f, nil
}

func (f federalListPage) nextQuery() string {
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("q", f.Filter.Query)
	set("naics", f.Filter.NAICS)
	set("set_aside", f.Filter.SetAside)
	set("state", f.Filter.State)
	set("sort", f.Filter.Sort)
	set("type", f.Filter.Type)
	if f.Filter.Limit != 50 {
		q.Set("limit", strconv.Itoa(f.Filter.Limit))
	}
	if f.Filter.ActiveOnly {
		q.Set("active", "1")
	}
	if f.Filter.MinScore > 0 {
		q.Set("min_score", strconv.Itoa(f.Filter.MinScore))
	}
	q.Set("cursor", f.Next)
	return q.Encode()
}

func (s *Handler) handleFederalOpportunities(c *fiber.Ctx) error {
	f, err := NoticeFilterFrom(c)
	if err != nil {
		return err
	}
	ns, next, err := s.Federal.FindNotices(FedContext(c), f)
	if err != nil {
		return err
	}
	p := &federalListPage{Status: s.federalStatus(c), Notices: ns, Next: next, Filter: f, SetAsides: federal.SetAsides}
	if next != "" {
		p.NextURL = template.URL("/federal?" + p.nextQuery()) // built from url.Values: safe
	}
	p.Layout = s.fedLayout(c, "Opportunity Studio")
	return s.Render(c, fedTemplate(c, "federal"), p)
}

type federalNoticePage struct {
	web.Layout
	Notice       *federal.StoredNotice
	Changes      []*federal.NoticeChange
	Pipeline     *federal.PipelineEntry
	Stages       []struct{ Code, Label string }
	Matrix       []*federal.MatrixRow
	Completeness int
	Statuses     []string
	Errors       map[string]string
	RFPText      string
	Work         *pursuitWork // tasks and notes, once the notice is pursued
	LLMModel     string       // the model extraction asks, "" for rules only
}

func NoticeURL(id string) string { return "/federal/opportunities/" + url.PathEscape(id) }

func (s *Handler) NoticeID(c *fiber.Ctx) string {
	return utils.CopyString(strings.ToLower(strings.TrimSpace(c.Params("noticeId"))))
}

func (s *Handler) renderFederalNotice(c *fiber.Ctx, p *federalNoticePage) error {
	ctx, id := FedContext(c), s.NoticeID(c)
	var err error
	if p.Notice, err = s.Federal.FindNotice(ctx, id); err != nil {
		return err
	}
	if p.Changes, err = s.Federal.FindNoticeChanges(ctx, id); err != nil {
		return err
	}
	if p.Pipeline == nil {
		if e, err := s.Federal.FindPipelineEntry(ctx, id); err == nil {
			p.Pipeline = e
		} else if app.ErrorCode(err) != app.ENOTFOUND {
			return err
		}
	}
	if p.Matrix, err = s.Federal.FindMatrix(ctx, id); err != nil {
		return err
	}
	p.Completeness = federal.Completeness(p.Matrix)
	p.Stages, p.Statuses = federal.Stages, federal.RequirementStatuses
	if s.Federal.LLM.Configured(c.UserContext()) {
		p.LLMModel = s.Federal.LLM.ModelName(c.UserContext())
	}
	if err := s.pursuitWorkFor(c, p.Pipeline, nil, &p.Work); err != nil {
		return err
	}
	p.Layout = s.fedLayout(c, p.Notice.Title)
	if p.Work != nil {
		p.Work.CSRF = p.CSRF
	}
	return s.Render(c, fedTemplate(c, "federal_notice"), p)
}

func (s *Handler) handleFederalNotice(c *fiber.Ctx) error {
	return s.renderFederalNotice(c, &federalNoticePage{})
}

func (s *Handler) handleFederalPursue(c *fiber.Ctx) error {
	id := s.NoticeID(c)
	if _, err := s.Federal.Pursue(FedContext(c), id); err != nil {
		return err
	}
	s.Audit.Record(c.UserContext(), "federal.pursue", "notice:"+id, "")
	s.SetFlash(c, "ok", "Added to the bid pipeline at Triage.")
	return c.Redirect("/federal/opportunities/"+url.PathEscape(id), fiber.StatusSeeOther)
}

func (s *Handler) handleFederalPipelineSave(c *fiber.Ctx) error {
	id := s.NoticeID(c)
	e := &federal.PipelineEntry{TenantID: FedTenant(c), NoticeID: id,
		Stage: utils.CopyString(c.FormValue("stage")), Owner: utils.CopyString(c.FormValue("owner"))}
	var err error
	e.EstimatedValueCents, err = federal.ParseDollars(c.FormValue("estimated_value"))
	if err == nil {
		e.WinProbability, err = web.AtoiDefault(c.FormValue("win_probability"), 0)
		if err != nil {
			err = app.FieldErrorf("win_probability", "Win probability must be a whole percentage from 0 to 100.")
		}
	}
	if err == nil {
		err = s.Federal.SavePipelineEntry(FedContext(c), e)
	}
	if err != nil {
		err = Err(err)
		if app.ErrorCode(err) != app.EINVALID {
			return err
		}
		c.Status(fiber.StatusBadRequest)
		return s.renderFederalNotice(c, &federalNoticePage{Pipeline: e, Errors: map[string]string{"pipeline": app.ErrorMessage(err)}})
	}
	s.Audit.Record(c.UserContext(), "federal.pipeline", "notice:"+id, "stage "+e.Stage)
	s.SetFlash(c, "ok", "Pipeline saved: "+federal.StageLabel(e.Stage)+".")
	return c.Redirect("/federal/opportunities/"+url.PathEscape(id), fiber.StatusSeeOther)
}

func (s *Handler) handleFederalMatrixExtract(c *fiber.Ctx) error {
	id := s.NoticeID(c)
	text := utils.CopyString(c.FormValue("rfp_text"))
	n, err := s.Federal.ExtractMatrix(FedContext(c), id, text)
	if err != nil {
		err = Err(err)
		if app.ErrorCode(err) != app.EINVALID {
			return err
		}
		c.Status(fiber.StatusBadRequest)
		return s.renderFederalNotice(c, &federalNoticePage{RFPText: text, Errors: map[string]string{"matrix": app.ErrorMessage(err)}})
	}
	msg := strconv.Itoa(n.Added) + " requirement(s) added to the compliance matrix"
	if n.AddedByLLM > 0 {
		msg += " (" + strconv.Itoa(n.AddedByLLM) + " found by the model)"
	}
	msg += "."
	// The flash is a cookie: the model's sentence first, lists capped.
	kind := "ok"
	if n.LLM != "" {
		msg += " " + n.LLM
		if n.LLMError != nil {
			kind = "warn"
		}
	}
	if len(n.Factors) > 0 {
		msg += " Evaluation factors: " + capJoin(n.Factors, 8) + "."
	}
	if len(n.Dates) > 0 {
		ds := make([]string, 0, len(n.Dates))
		for _, d := range n.Dates {
			ds = append(ds, d.Label+" "+d.Date.Format("2006-01-02"))
		}
		msg += " Dates: " + capJoin(ds, 8) + "."
	}
	if len(msg) > 1500 {
		msg = strings.ToValidUTF8(msg[:1500], "") + "…"
	}
	s.SetFlash(c, kind, msg)
	return c.Redirect("/federal/opportunities/"+url.PathEscape(id)+"#matrix", fiber.StatusSeeOther)
}

func (s *Handler) handleFederalMatrixUpdate(c *fiber.Ctx) error {
	id := s.NoticeID(c)
	rid, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	r := &federal.MatrixRow{ID: rid, NoticeID: id, Owner: utils.CopyString(c.FormValue("owner")),
		Status: utils.CopyString(c.FormValue("status")), AnsweredIn: utils.CopyString(c.FormValue("answered_in"))}
	if err := s.Federal.UpdateMatrixRow(FedContext(c), r); err != nil {
		err = Err(err)
		if app.ErrorCode(err) != app.EINVALID {
			return err
		}
		c.Status(fiber.StatusBadRequest)
		return s.renderFederalNotice(c, &federalNoticePage{Errors: map[string]string{"matrix": app.ErrorMessage(err)}})
	}
	s.SetFlash(c, "ok", "Requirement saved.")
	return c.Redirect("/federal/opportunities/"+url.PathEscape(id)+"#matrix", fiber.StatusSeeOther)
}

type federalPipelinePage struct {
	web.Layout
	Entries       []*federal.PipelineEntry
	Stages        []struct{ Code, Label string }
	ProbableCents int64 // open stages only
	ByStage       map[string]int
}

func (s *Handler) handleFederalPipeline(c *fiber.Ctx) error {
	es, err := s.Federal.FindPipeline(FedContext(c))
	if err != nil {
		return err
	}
	p := &federalPipelinePage{Entries: es, Stages: federal.Stages, ByStage: map[string]int{}}
	for _, e := range es {
		p.ByStage[e.Stage]++
		switch e.Stage {
		case federal.StageWon, federal.StageLost, federal.StageNoBid:
		default:
			p.ProbableCents += e.ProbableValueCents()
		}
	}
	p.Layout = s.fedLayout(c, "Bid pipeline")
	return s.Render(c, fedTemplate(c, "federal_pipeline"), p)
}

type federalSearchesPage struct {
	web.Layout
	Status    federalStatus
	Searches  []*federal.SavedSearch
	Runs      []*federal.ScoutRun
	Form      federal.SavedSearch
	PTypes    string
	Errors    map[string]string
	SetAsides []federal.SetAside
}

// SetAsideSelected reports whether the form has code among its set-asides.
func (p *federalSearchesPage) SetAsideSelected(code string) bool {
	return slices.Contains(p.Form.SetAsides, code)
}

func (s *Handler) renderFederalSearches(c *fiber.Ctx, p *federalSearchesPage) error {
	var err error
	if p.Searches, err = s.Federal.FindSavedSearches(FedContext(c)); err != nil {
		return err
	}
	if p.Runs, err = s.Federal.FindScoutRuns(FedContext(c), 10); err != nil {
		return err
	}
	p.Status, p.SetAsides = s.federalStatus(c), federal.SetAsides
	if p.Form.PostedDays == 0 {
		p.Form.PostedDays = 30
	}
	p.Layout = s.fedLayout(c, "Saved searches")
	return s.Render(c, fedTemplate(c, "federal_searches"), p)
}

func (s *Handler) handleFederalSearches(c *fiber.Ctx) error {
	return s.renderFederalSearches(c, &federalSearchesPage{})
}

func searchFromForm(c *fiber.Ctx, tenantID int64) (federal.SavedSearch, string, error) {
	var setAsides []string
	for _, v := range c.Request().PostArgs().PeekMulti("set_aside") {
		setAsides = append(setAsides, string(v))
	}
	ss := federal.SavedSearch{TenantID: tenantID, Kind: utils.CopyString(c.FormValue("kind")), Name: utils.CopyString(c.FormValue("name")),
		NAICS: federal.SplitCodes(utils.CopyString(c.FormValue("naics"))), PSC: federal.SplitCodes(utils.CopyString(c.FormValue("psc"))), SetAsides: setAsides,
		State: utils.CopyString(c.FormValue("state")), Title: utils.CopyString(c.FormValue("title")),
		FetchDescriptions: c.FormValue("fetch_descriptions") != ""}
	pt := utils.CopyString(c.FormValue("ptypes"))
	ss.ProcurementTypes = strings.FieldsFunc(pt, func(r rune) bool { return r == ',' || r == ' ' })
	days, err := web.AtoiDefault(c.FormValue("posted_days"), 30)
	if err != nil {
		return ss, pt, app.FieldErrorf("postedDays", "Posted within must be a number of days from 1 to 365.")
	}
	ss.PostedDays = days
	return ss, pt, nil
}

func (s *Handler) handleFederalSearchCreate(c *fiber.Ctx) error {
	ss, pt, err := searchFromForm(c, FedTenant(c))
	if err == nil {
		err = s.Federal.CreateSearch(FedContext(c), &ss)
	}
	if err != nil {
		err = Err(err)
		code := app.ErrorCode(err)
		if code != app.EINVALID && code != app.ECONFLICT {
			return err
		}
		c.Status(web.ErrorStatus(code))
		return s.renderFederalSearches(c, &federalSearchesPage{Form: ss, PTypes: pt, Errors: map[string]string{web.FieldOr(err, "name"): app.ErrorMessage(err)}})
	}
	s.Audit.Record(c.UserContext(), "federal.search.create", "search:"+strconv.FormatInt(ss.ID, 10), ss.Name)
	s.SetFlash(c, "ok", "Saved search “"+ss.Name+"” added; it runs with the next scout run.")
	return c.Redirect("/federal/searches", fiber.StatusSeeOther)
}

func (s *Handler) handleFederalSearchDelete(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	if err := s.Federal.DeleteSavedSearch(FedContext(c), id); err != nil {
		return err
	}
	s.Audit.Record(c.UserContext(), "federal.search.delete", "search:"+strconv.FormatInt(id, 10), "")
	s.SetFlash(c, "ok", "Saved search deleted.")
	return c.Redirect("/federal/searches", fiber.StatusSeeOther)
}

func (s *Handler) handleFederalRun(c *fiber.Ctx) error {
	if ok, err := s.Federal.KeyConfigured(c.UserContext()); err == nil && !ok {
		s.SetFlash(c, "error", federal.ErrorMessage(federal.ErrNoKey))
	} else if started, err := s.Federal.RunNow(FedContext(c), "ui"); err != nil {
		return err
	} else if started {
		s.SetFlash(c, "ok", "The scout is running every saved search now; reload this page to see the result.")
	} else {
		s.SetFlash(c, "ok", "A scout run is already going.")
	}
	return c.Redirect("/federal/searches", fiber.StatusSeeOther)
}

type federalSettingsPage struct {
	web.Layout
	Form       federalProfileForm
	Errors     map[string]string
	SetAsides  []federal.SetAside
	Tenants    []*app.Tenant
	Enabled    map[int64]bool
	TenantID   int64
	TenantName string
}

func (s *Handler) fedTenantName(c *fiber.Ctx) string {
	if s.Tenants == nil {
		return ""
	}
	t, err := s.Tenants.TenantByID(c.UserContext(), FedTenant(c))
	if err != nil {
		return ""
	}
	return t.BrandName()
}

func (s *Handler) renderFederalSettings(c *fiber.Ctx, p *federalSettingsPage) error {
	p.SetAsides, p.TenantID, p.TenantName = federal.SetAsides, FedTenant(c), s.fedTenantName(c)
	if s.Tenants != nil && !fedPortal(c) { // the tenant switch is Nexus's
		ts, err := s.Tenants.ListTenants(c.UserContext())
		if err != nil {
			return err
		}
		p.Tenants = ts
	}
	ids, err := s.Federal.FederalTenants(c.UserContext())
	if err != nil {
		return err
	}
	p.Enabled = map[int64]bool{}
	for _, id := range ids {
		p.Enabled[id] = true
	}
	p.Layout = s.fedLayout(c, "Federal profile")
	if fedPortal(c) {
		return s.Render(c, "portal/federal_profile", p)
	}
	return s.Render(c, "nexus/federal_settings", p)
}

// handleFederalTenant switches the Federal pages to another tenant, turning
// federal work on for a client when the admin ticked "enable".
func (s *Handler) handleFederalTenant(c *fiber.Ctx) error {
	id, err := strconv.ParseInt(c.FormValue("tenant"), 10, 64)
	if err != nil {
		return app.FieldErrorf("tenant", "Choose a tenant.")
	}
	if _, err := s.Tenants.TenantByID(c.UserContext(), id); err != nil {
		return err
	}
	if id != app.HouseTenantID {
		switch c.FormValue("federal") {
		case "on":
			if err := s.Federal.SetFederalEnabled(c.UserContext(), id, true); err != nil {
				return err
			}
			s.Audit.Record(c.UserContext(), "federal.enable", "tenant:"+strconv.FormatInt(id, 10), "")
		case "off":
			if err := s.Federal.SetFederalEnabled(c.UserContext(), id, false); err != nil {
				return err
			}
			s.Audit.Record(c.UserContext(), "federal.disable", "tenant:"+strconv.FormatInt(id, 10), "")
			s.ClearCookie(c, fedTenantCookie)
			s.SetFlash(c, "ok", "Federal work is off for that client; the pages show the house tenant.")
			return c.Redirect("/federal/settings", fiber.StatusSeeOther)
		}
		on, err := s.Federal.FederalOn(c.UserContext(), id)
		if err != nil {
			return err
		}
		if !on {
			return app.FieldErrorf("tenant", "Federal work is off for this client: tick “turn federal work on” to enable it.")
		}
	}
	s.SetCookie(c, fedTenantCookie, strconv.FormatInt(id, 10), 30*24*time.Hour)
	s.SetFlash(c, "ok", "The Federal pages now work for this tenant.")
	return c.Redirect("/federal/settings", fiber.StatusSeeOther)
}

// federalProfileForm is the profile as the form shows it: lists as
// comma-separated text, certifications one per line.
type federalProfileForm struct {
	UEI, CAGE, NAICSPrimary, NAICSOther, PSC, Keywords, States, SAMExpires, Certifications string
	SetAsides                                                                              map[string]bool
}

func profileForm(p *federal.Profile) federalProfileForm {
	f := federalProfileForm{UEI: p.UEI, CAGE: p.CAGE, NAICSPrimary: p.NAICSPrimary, NAICSOther: strings.Join(p.NAICSOther, ", "),
		PSC: strings.Join(p.PSCCodes, ", "), Keywords: strings.Join(p.Keywords, ", "), States: strings.Join(p.States, ", "), SetAsides: map[string]bool{}}
	if !p.SAMExpires.IsZero() {
		f.SAMExpires = p.SAMExpires.Format(time.DateOnly)
	}
	for _, s := range p.SetAsides {
		f.SetAsides[s] = true
	}
	var lines []string
	for _, c := range p.Certifications {
		exp := ""
		if !c.Expires.IsZero() {
			exp = c.Expires.Format(time.DateOnly)
		}
		lines = append(lines, strings.TrimRight(c.Name+" | "+c.Number+" | "+exp, " |"))
	}
	f.Certifications = strings.Join(lines, "\n")
	return f
}

// profile parses the form. Returns EINVALID naming the field for a date
// or certification line it cannot read.
func (f federalProfileForm) profile() (*federal.Profile, error) {
	p := &federal.Profile{UEI: f.UEI, CAGE: f.CAGE, NAICSPrimary: f.NAICSPrimary}
	trim := func(v []string) []string {
		var out []string
		for _, x := range v {
			if x = strings.TrimSpace(x); x != "" {
				out = append(out, x)
			}
		}
		return out
	}
	p.NAICSOther, p.PSCCodes, p.Keywords, p.States = trim(web.SplitList(f.NAICSOther)), trim(web.SplitList(f.PSC)), trim(web.SplitList(f.Keywords)), trim(web.SplitList(f.States))
	for code, on := range f.SetAsides {
		if on {
			p.SetAsides = append(p.SetAsides, code)
		}
	}
	sort.Strings(p.SetAsides)
	if v := strings.TrimSpace(f.SAMExpires); v != "" {
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return p, app.FieldErrorf("samExpires", "SAM registration expiry must be a date like 2027-03-31.")
		}
		p.SAMExpires = t
	}
	for i, line := range strings.Split(f.Certifications, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		parts := strings.Split(line, "|")
		c := federal.Certification{Name: strings.TrimSpace(parts[0])}
		if len(parts) > 1 {
			c.Number = strings.TrimSpace(parts[1])
		}
		if len(parts) > 2 && strings.TrimSpace(parts[2]) != "" {
			t, err := time.Parse(time.DateOnly, strings.TrimSpace(parts[2]))
			if err != nil {
				return p, app.FieldErrorf("certifications", "Certification line %d: the expiry must be a date like 2027-03-31.", i+1)
			}
			c.Expires = t
		}
		if len(parts) > 3 {
			return p, app.FieldErrorf("certifications", "Certification line %d: write name | number | expiry.", i+1)
		}
		p.Certifications = append(p.Certifications, c)
	}
	return p, nil
}

func (s *Handler) handleFederalSettings(c *fiber.Ctx) error {
	p := &federalSettingsPage{Form: federalProfileForm{SetAsides: map[string]bool{}}}
	prof, err := s.Federal.FindProfile(FedContext(c))
	if err == nil {
		p.Form = profileForm(prof)
	} else if app.ErrorCode(err) != app.ENOTFOUND {
		return err
	}
	return s.renderFederalSettings(c, p)
}

func (s *Handler) handleFederalSettingsSave(c *fiber.Ctx) error {
	f := federalProfileForm{UEI: utils.CopyString(c.FormValue("uei")), CAGE: utils.CopyString(c.FormValue("cage")),
		NAICSPrimary: utils.CopyString(c.FormValue("naics_primary")), NAICSOther: utils.CopyString(c.FormValue("naics_other")),
		PSC: utils.CopyString(c.FormValue("psc")), Keywords: utils.CopyString(c.FormValue("keywords")), States: utils.CopyString(c.FormValue("states")),
		SAMExpires: utils.CopyString(c.FormValue("sam_expires")), Certifications: utils.CopyString(c.FormValue("certifications")), SetAsides: map[string]bool{}}
	if form, err := c.MultipartForm(); err == nil && form != nil {
		for _, v := range form.Value["set_asides"] {
			f.SetAsides[strings.Clone(v)] = true
		}
	} else {
		c.Request().PostArgs().VisitAll(func(k, v []byte) {
			if string(k) == "set_asides" {
				f.SetAsides[string(v)] = true
			}
		})
	}
	prof, err := f.profile()
	if err == nil {
		err = s.Federal.SaveProfile(FedContext(c), prof)
	}
	if err != nil {
		err = Err(err)
		if app.ErrorCode(err) != app.EINVALID {
			return err
		}
		c.Status(fiber.StatusBadRequest)
		return s.renderFederalSettings(c, &federalSettingsPage{Form: f, Errors: map[string]string{"profile": app.ErrorMessage(err)}})
	}
	s.Audit.Record(c.UserContext(), "federal.profile", "tenant:"+strconv.FormatInt(FedTenant(c), 10), "")
	s.SetFlash(c, "ok", "Federal profile saved; every stored notice was re-scored.")
	if fedPortal(c) {
		return c.Redirect("/federal/profile", fiber.StatusSeeOther)
	}
	return c.Redirect("/federal/settings", fiber.StatusSeeOther)
}

type federalGrantsPage struct {
	web.Layout
	Grants []*federal.StoredGrant
	Next   string
	Q      string
	Open   bool
}

func (s *Handler) handleFederalGrants(c *fiber.Ctx) error {
	p := &federalGrantsPage{Q: utils.CopyString(c.Query("q")), Open: c.Query("open") == "1"}
	var err error
	p.Grants, p.Next, err = s.Federal.FindGrants(FedContext(c),
		federal.GrantFilter{Query: p.Q, OpenOnly: p.Open, Cursor: utils.CopyString(c.Query("cursor")), Limit: 100})
	if err != nil {
		return err
	}
	p.Layout = s.Layout(c, web.HostNexus, "Grants")
	return s.Render(c, "nexus/federal_grants", p)
}

type expiryRow struct {
	federal.Expiry
	Days   int
	Bucket string // "expired", "7", "30", "90"
}

type federalCompliancePage struct {
	web.Layout
	HasProfile bool
	Rows       []expiryRow
	Deadlines  []*federal.PipelineEntry // open pursuits due in 30 days
	Alerts     []*federal.FederalAlert  // recorded 90/30/7-day alerts, newest first
}

func (s *Handler) handleFederalCompliance(c *fiber.Ctx) error {
	p := &federalCompliancePage{}
	now := time.Now().UTC()
	prof, err := s.Federal.FindProfile(FedContext(c))
	if err == nil {
		p.HasProfile = true
		for _, e := range prof.Expiring(now, 90*24*time.Hour) {
			r := expiryRow{Expiry: e, Days: int(e.Expires.Sub(now).Hours() / 24)}
			switch {
			case e.Expired:
				r.Bucket = "expired"
			case r.Days < 7:
				r.Bucket = "7"
			case r.Days < 30:
				r.Bucket = "30"
			default:
				r.Bucket = "90"
			}
			p.Rows = append(p.Rows, r)
		}
	} else if app.ErrorCode(err) != app.ENOTFOUND {
		return err
	}
	es, err := s.Federal.FindPipeline(FedContext(c))
	if err != nil {
		return err
	}
	for _, e := range es {
		open := e.Stage != federal.StageWon && e.Stage != federal.StageLost && e.Stage != federal.StageNoBid && e.Stage != federal.StageSubmitted
		if open && !e.ResponseDeadline.IsZero() && e.ResponseDeadline.After(now) && e.ResponseDeadline.Before(now.AddDate(0, 0, 30)) {
			p.Deadlines = append(p.Deadlines, e)
		}
	}
	if p.Alerts, err = s.Federal.FindAlerts(FedContext(c), federal.AlertFilter{Limit: 50}); err != nil {
		return err
	}
	p.Layout = s.Layout(c, web.HostNexus, "Compliance & risk")
	return s.Render(c, "nexus/federal_compliance", p)
}

// capJoin joins at most max items with "; ", saying how many were left out.
func capJoin(items []string, max int) string {
	if len(items) <= max {
		return strings.Join(items, "; ")
	}
	return strings.Join(items[:max], "; ") + "; and " + strconv.Itoa(len(items)-max) + " more"
}

// Request-scope values of the federal pages.
var (
	fedTenantKey = web.NewKey[int64]("fed_tenant")    // whose federal data the request shows
	fedOnKey     = web.NewKey[bool]("fed_on")         // whether the portal tenant has federal work on
	fedScopeKey  = web.NewKey[web.Scope]("fed_scope") // the host served (unset: Nexus)
)
