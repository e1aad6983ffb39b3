package automation

import (
	"encoding/json"
	"fmt"
	"orengen/ui/web"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
)

// workflowBase is where a host's workflow pages live: Nexus has them at
// /automations/{id}, the portal under /automations/workflows (its
// /automations is the catalogue of requests).
func workflowBase(sc web.Scope) string {
	if sc == web.PortalScope {
		return "/automations/workflows"
	}
	return "/automations"
}

func (s *Handler) MountNexus(r fiber.Router, csrf fiber.Handler) {
	r.Get("/automations", s.handleWorkflows)
	s.MountWorkflows(r, csrf, web.NexusScope)
	if s.Automations != nil {
		s.registerAutomationRequestRoutes(r, csrf)
	}
}

// MountWorkflows adds the workflow editor and the run log; in the
// portal they show the signed-in owner's tenant only.
func (s *Handler) MountWorkflows(r fiber.Router, csrf fiber.Handler, sc web.Scope) {
	base := workflowBase(sc)
	r.Get("/automations/runs", s.handleRuns(sc))
	r.Get("/automations/runs/:id", s.handleRun(sc))
	r.Post("/automations/runs/:id/replay", csrf, s.handleRunReplay)
	r.Get(base+"/new", s.handleWorkflowEdit(sc))
	r.Post(base+"/new", csrf, s.handleWorkflowSave(sc))
	r.Get(base+"/:id/edit", s.handleWorkflowEdit(sc))
	r.Post(base+"/:id/edit", csrf, s.handleWorkflowSave(sc))
	r.Post(base+"/:id/enable", csrf, s.handleWorkflowEnable(sc))
	r.Post(base+"/:id/hook", csrf, s.handleWorkflowHookRotate(sc))
	r.Post(base+"/:id/run", csrf, s.handleWorkflowRunNow(sc))
}

// handleWorkflowRunNow queues a test run and shows it.
func (s *Handler) handleWorkflowRunNow(sc web.Scope) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := web.ParamID(c, "id")
		if err != nil {
			return err
		}
		runID, err := s.Automations.RunNow(c.UserContext(), id)
		if err != nil {
			return err
		}
		if c.FormValue("back") == "builder" {
			// From the builder: back to the canvas, which shows each step's
			// result as the run goes.
			return c.Redirect(fmt.Sprintf("%s/%d/edit?run=%d", workflowBase(sc), id, runID), fiber.StatusSeeOther)
		}
		s.SetFlash(c, "ok", "Test run queued: it runs the current version's steps now, with manual=true as its trigger.")
		return c.Redirect(fmt.Sprintf("/automations/runs/%d", runID), fiber.StatusSeeOther)
	}
}

type workflowsPage struct {
	web.Layout
	Workflows []*app.Workflow
	Missing   map[int64][]string // workflow id → integrations it needs and lacks
	Banner    []string
	Tenants   map[int64]string
	Requests  []requestRow // clients' automation requests, pending first
}

func (s *Handler) tenantNames(c *fiber.Ctx) map[int64]string {
	out := map[int64]string{}
	if s.Tenants == nil {
		return out
	}
	if ts, err := s.Tenants.ListTenants(c.UserContext()); err == nil {
		for _, t := range ts {
			out[t.ID] = t.Name
		}
	}
	return out
}

func (s *Handler) handleWorkflows(c *fiber.Ctx) error {
	ctx := c.UserContext()
	ws, err := s.Automations.Workflows(ctx)
	if err != nil {
		return err
	}
	p := &workflowsPage{Workflows: ws, Missing: map[int64][]string{}, Tenants: s.tenantNames(c)}
	for _, w := range ws {
		if m := s.Automations.MissingFor(ctx, w); len(m) > 0 {
			p.Missing[w.ID] = m
		}
	}
	if s.Automations.Missing != nil {
		for _, m := range s.Automations.Missing(ctx, app.HouseTenantID) {
			switch m {
			case "Twilio":
				p.Banner = append(p.Banner, "Twilio is not configured: add twilio_account_sid, twilio_auth_token and twilio_from to the vault (global or the house tenant). Calls and SMS steps cannot run.")
			case "SMTP":
				p.Banner = append(p.Banner, "Email is not configured: set ORENGEN_SMTP_URL (smtp://user:pass@host:587) or add smtp_url to the vault. Email and notify steps cannot run.")
			}
		}
	}
	rs, err := s.Automations.AutomationRequests(ctx)
	if err != nil {
		return err
	}
	for _, r := range rs {
		row := requestRow{AutomationRequest: r}
		if t := app.FindAutomationTemplate(r.Template); t != nil && r.Status == app.RequestPending {
			if w, err := t.Instantiate(r.TenantID, r.Params); err == nil {
				row.Missing = s.Automations.MissingFor(ctx, w)
			}
		}
		p.Requests = append(p.Requests, row)
	}
	p.Layout = s.Layout(c, web.HostNexus, "Automations")
	return s.Render(c, "nexus/automations", p)
}

type workflowPage struct {
	web.Layout
	Base       string // where this host's workflow pages live
	Triggers   []triggerOption
	Workflow   *app.Workflow
	Name       string
	Trigger    string
	When       app.When
	Definition string
	Steps      []stepView
	HookURL    string // shown once, after a new token is made
	Errors     map[string]string
	// Builder is the visual builder's data (JSON, see builder.go).
	Builder string
	// Gallery is the templates a new workflow may start from; Template is
	// the one chosen, with its Params and their Errors.
	Gallery       []*app.AutomationTemplate
	Template      string
	Params, PErrs map[string]string
}

// MessageChannels are the channels a message received trigger may name.
func (workflowPage) MessageChannels() []string { return app.MessageChannels }

type triggerOption struct{ Key, Label string }

// stepView is one line of the editor's picture of the steps: what each
// does and where an if step goes.
type stepView struct {
	N                  int
	ID, Type, Detail   string
	Then, Else         string // a step id, "next step" or "end"
	ThenLink, ElseLink bool   // Then/Else name a step
}

func stepViews(d *app.Definition) []stepView {
	if d == nil {
		return nil
	}
	var out []stepView
	for i, st := range d.Steps {
		v := stepView{N: i + 1, ID: st.ID, Type: st.Type}
		pick := func(xs ...string) string {
			for _, x := range xs {
				if x != "" {
					return x
				}
			}
			return ""
		}
		switch st.Type {
		case app.StepIf:
			v.Detail = st.Field + " " + st.Op + " " + st.Value
			v.Then, v.Else = pick(st.Then, "next step"), pick(st.Else, "next step")
			v.ThenLink, v.ElseLink = st.Then != "" && st.Then != "end", st.Else != "" && st.Else != "end"
		case app.StepWait:
			v.Detail = pick(st.Wait, "until "+st.Until)
		case app.StepHTTP:
			v.Detail = st.Method + " " + st.URL
		case app.StepEmail, app.StepNotify:
			v.Detail = pick(st.To, "admin") + ": " + st.Subject
		case app.StepDeal:
			v.Detail = st.Name + " " + st.Amount + " " + st.Stage
		case app.StepLookupRow, app.StepAddRow, app.StepUpdateRow:
			v.Detail = "table " + st.Table
			if st.Type != app.StepAddRow {
				v.Detail += " where " + st.Field + " " + st.Op + " " + st.Value
			}
			if len(st.Set) > 0 {
				keys := make([]string, 0, len(st.Set))
				for k := range st.Set {
					keys = append(keys, k)
				}
				slices.Sort(keys)
				v.Detail += ", set " + strings.Join(keys, ", ")
			}
		default:
			v.Detail = truncateText(pick(st.Tag, st.Stage, st.Title, st.Body, st.Say, st.Gather), 80)
		}
		out = append(out, v)
	}
	return out
}

func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func (s *Handler) handleWorkflowEdit(sc web.Scope) fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := &workflowPage{Workflow: &app.Workflow{}, Definition: "{\n  \"steps\": [\n    {\"id\": \"contact\", \"type\": \"contact\"}\n  ]\n}"}
		if c.Params("id") != "" {
			id, err := web.ParamID(c, "id")
			if err != nil {
				return err
			}
			w, err := s.Automations.Workflow(c.UserContext(), id)
			if err != nil {
				return err
			}
			p = workflowPageOf(w)
		} else if err := s.requireWorkflowEditor(c, sc); err != nil {
			return err
		} else if key := c.Query("template"); key != "" {
			return s.workflowFromTemplate(c, sc, key)
		}
		return s.renderWorkflow(c, sc, p)
	}
}

// workflowFromTemplate fills a new workflow's editor from a gallery
// template and the values asked for it (?template=KEY&NAME=value...):
// nothing is saved until the owner saves the builder. Bad values show the
// gallery again with the field named.
func (s *Handler) workflowFromTemplate(c *fiber.Ctx, sc web.Scope, key string) error {
	t := app.FindAutomationTemplate(key)
	if t == nil {
		return app.Errorf(app.ENOTFOUND, "No workflow template %q.", key)
	}
	in := map[string]string{}
	for _, prm := range t.Params {
		in[prm.Name] = utils.CopyString(c.Query(prm.Name))
	}
	params, err := t.ValidateParams(in)
	if err == nil {
		var w *app.Workflow
		if w, err = t.Instantiate(0, params); err != nil {
			return err // the catalogue is tested to instantiate
		}
		p := workflowPageOf(w)
		return s.renderWorkflow(c, sc, p)
	}
	if app.ErrorCode(err) != app.EINVALID {
		return err
	}
	p := &workflowPage{Workflow: &app.Workflow{}, Definition: "{\n  \"steps\": []\n}", Template: key, Params: in,
		PErrs: map[string]string{app.ErrorField(err): app.ErrorMessage(err)}}
	c.Status(fiber.StatusBadRequest)
	return s.renderWorkflow(c, sc, p)
}

// workflowPageOf fills the editor with a saved workflow: its steps as
// JSON, its trigger options as form fields.
func workflowPageOf(w *app.Workflow) *workflowPage {
	b, _ := json.MarshalIndent(app.Definition{Steps: w.Definition.Steps}, "", "  ")
	return &workflowPage{Workflow: w, Name: w.Name, Trigger: w.Trigger, When: w.WhenOf(), Definition: string(b)}
}

// requireWorkflowEditor lets portal owners only into the editor (the
// service checks again).
func (s *Handler) requireWorkflowEditor(c *fiber.Ctx, sc web.Scope) error {
	if sc == web.PortalScope {
		return web.RequireOwner(c, "manage automations")
	}
	return nil
}

func (s *Handler) renderWorkflow(c *fiber.Ctx, sc web.Scope, p *workflowPage) error {
	for _, k := range app.TriggerOrder {
		if sc == web.PortalScope && k == app.TriggerFederalAlert {
			continue
		}
		p.Triggers = append(p.Triggers, triggerOption{k, app.WorkflowTriggers[k]})
	}
	if p.Trigger == "" {
		p.Trigger = app.TriggerFormSubmitted
	}
	if p.Steps == nil {
		if d, err := app.ParseDefinition([]byte(p.Definition)); err == nil {
			p.Steps = stepViews(d)
		}
	}
	p.Base = workflowBase(sc)
	if p.Workflow.ID == 0 {
		p.Gallery = app.AutomationTemplates
	}
	bctx := c.UserContext()
	if sc == web.NexusScope {
		// Nexus edits any tenant's workflow: the dropdowns show that
		// tenant's forms, tags, stages, users, tables and agents.
		tid := app.HouseTenantID
		if p.Workflow != nil && p.Workflow.TenantID != 0 {
			tid = p.Workflow.TenantID
		}
		if t, err := s.Tenants.TenantByID(bctx, tid); err == nil {
			bctx = app.NewContextWithTenant(bctx, t)
		}
	}
	p.Builder = s.builderJSON(c, bctx, p)
	title := "New workflow"
	if p.Workflow.ID != 0 {
		title = p.Workflow.Name
	}
	p.Layout = s.Layout(c, sc.Host, title)
	return s.Render(c, sc.Page("workflow"), p)
}

// whenFromForm reads the trigger options of the editor's form.
func whenFromForm(c *fiber.Ctx) (*app.When, error) {
	w := &app.When{Form: utils.CopyString(c.FormValue("when_form")), Field: utils.CopyString(c.FormValue("when_field")),
		Tag: utils.CopyString(c.FormValue("when_tag")), Stage: utils.CopyString(c.FormValue("when_stage")),
		Cron: strings.TrimSpace(utils.CopyString(c.FormValue("when_cron"))), Object: utils.CopyString(c.FormValue("when_object")),
		Channel: utils.CopyString(c.FormValue("when_channel")), Contains: utils.CopyString(c.FormValue("when_contains"))}
	if v := strings.TrimSpace(c.FormValue("when_offset_days")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return w, app.FieldErrorf("when", "Days after the date must be a whole number, like -2 or 7.")
		}
		w.OffsetDays = n
	}
	if v := strings.TrimSpace(c.FormValue("when_minutes")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return w, app.FieldErrorf("when", "Minutes before the appointment must be a whole number, like 30.")
		}
		w.Minutes = n
	}
	if *w == (app.When{}) {
		return nil, nil
	}
	return w, nil
}

func (s *Handler) handleWorkflowSave(sc web.Scope) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx := c.UserContext()
		var id int64
		if c.Params("id") != "" {
			var err error
			if id, err = web.ParamID(c, "id"); err != nil {
				return err
			}
		} else if err := s.requireWorkflowEditor(c, sc); err != nil {
			return err
		}
		name, def := utils.CopyString(c.FormValue("name")), utils.CopyString(c.FormValue("definition"))
		trigger := utils.CopyString(c.FormValue("trigger"))
		when, err := whenFromForm(c)
		var w *app.Workflow
		if err == nil {
			w, err = s.Automations.SaveDefinition(ctx, id, name, trigger, []byte(def), when)
		}
		if app.ErrorCode(err) == app.EINVALID {
			p := &workflowPage{Workflow: &app.Workflow{ID: id, Trigger: trigger}, Name: name, Trigger: trigger, Definition: def,
				Errors: map[string]string{app.ErrorField(err): app.ErrorMessage(err)}}
			if when != nil {
				p.When = *when
			}
			if id != 0 {
				if p.Workflow, err = s.Automations.Workflow(ctx, id); err != nil {
					return err
				}
			}
			c.Status(fiber.StatusBadRequest)
			return s.renderWorkflow(c, sc, p)
		} else if err != nil {
			return err
		}
		s.SetFlash(c, "ok", fmt.Sprintf("Saved %q (version %d).", w.Name, w.Version))
		if w.Trigger == app.TriggerWebhook {
			return c.Redirect(fmt.Sprintf("%s/%d/edit", workflowBase(sc), w.ID), fiber.StatusSeeOther)
		}
		return c.Redirect("/automations", fiber.StatusSeeOther)
	}
}

func (s *Handler) handleWorkflowEnable(sc web.Scope) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := web.ParamID(c, "id")
		if err != nil {
			return err
		}
		on := c.FormValue("enabled") == "1"
		if err := s.Automations.SetEnabled(c.UserContext(), id, on); app.ErrorCode(err) == app.EINVALID {
			s.SetFlash(c, "error", app.ErrorMessage(err))
		} else if err != nil {
			return err
		} else if on {
			s.SetFlash(c, "ok", "Workflow enabled.")
		} else {
			s.SetFlash(c, "ok", "Workflow disabled.")
		}
		return c.Redirect("/automations", fiber.StatusSeeOther)
	}
}

// handleWorkflowHookRotate makes a new secret URL for a webhook workflow
// and shows it once.
func (s *Handler) handleWorkflowHookRotate(sc web.Scope) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx := c.UserContext()
		id, err := web.ParamID(c, "id")
		if err != nil {
			return err
		}
		tok, err := s.Automations.RotateHook(ctx, id)
		if err != nil {
			return err
		}
		w, err := s.Automations.Workflow(ctx, id)
		if err != nil {
			return err
		}
		p := workflowPageOf(w)
		base := s.URL(web.HostPortal)
		if t := web.DomainTenant(c); t != nil {
			base = s.TenantURL(web.BareHost(c.Hostname()))
		}
		p.HookURL = base + app.HookURLPath(tok)
		return s.renderWorkflow(c, sc, p)
	}
}

type runsPage struct {
	web.Layout
	Runs      []*app.Run
	Workflows []*app.Workflow
	Status    string
	Workflow  int64
	Contact   int64
	Since     string
	Until     string
	Statuses  []string
	Errors    map[string]string
}

func (s *Handler) handleRuns(sc web.Scope) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx := c.UserContext()
		p := &runsPage{Status: utils.CopyString(c.Query("status")), Since: utils.CopyString(c.Query("since")), Until: utils.CopyString(c.Query("until")),
			Statuses: []string{app.RunQueued, app.RunRunning, app.RunWaiting, app.RunSucceeded, app.RunFailed}, Errors: map[string]string{}}
		f := app.RunFilter{Limit: 200}
		if v := c.Query("workflow"); v != "" {
			p.Workflow, _ = strconv.ParseInt(v, 10, 64)
			f.WorkflowID = p.Workflow
		}
		if v := c.Query("contact"); v != "" {
			p.Contact, _ = strconv.ParseInt(v, 10, 64)
			f.ContactID = p.Contact
		}
		for _, st := range p.Statuses {
			if st == p.Status {
				f.Status = st
			}
		}
		var err error
		if f.Since, err = app.ParseRunFilterTime("since", p.Since); err != nil {
			p.Errors["since"] = app.ErrorMessage(err)
		}
		if f.Until, err = app.ParseRunFilterTime("until", p.Until); err != nil {
			p.Errors["until"] = app.ErrorMessage(err)
		} else if f.Until != nil {
			u := f.Until.Add(24 * time.Hour) // through the end of that day
			f.Until = &u
		}
		if p.Runs, err = s.Automations.Runs(ctx, f); err != nil {
			return err
		}
		if p.Workflows, err = s.Automations.Workflows(ctx); err != nil {
			return err
		}
		p.Layout = s.Layout(c, sc.Host, "Run log")
		return s.Render(c, sc.Page("runs"), p)
	}
}

type runPage struct {
	web.Layout
	Run *app.Run
}

func (s *Handler) handleRun(sc web.Scope) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := web.ParamID(c, "id")
		if err != nil {
			return err
		}
		p := &runPage{}
		if p.Run, err = s.Automations.Run(c.UserContext(), id); err != nil {
			return err
		}
		p.Layout = s.Layout(c, sc.Host, fmt.Sprintf("Run %d", id))
		return s.Render(c, sc.Page("run"), p)
	}
}

func (s *Handler) handleRunReplay(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	if err := s.Automations.Replay(c.UserContext(), id); app.ErrorCode(err) == app.ECONFLICT {
		s.SetFlash(c, "error", app.ErrorMessage(err))
	} else if err != nil {
		return err
	} else {
		s.SetFlash(c, "ok", "Run queued again from its failed step.")
	}
	return c.Redirect(fmt.Sprintf("/automations/runs/%d", id), fiber.StatusSeeOther)
}
