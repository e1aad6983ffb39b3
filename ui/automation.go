package ui

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
)

// Lead-capture limits.
const (
	WebhookBodyLimit     = 64 << 10
	DefaultLeadRateLimit = 60 // posts per IP per minute
)

// registerWebhookRoutes adds the public form API (inbound; the CRM's
// outbound webhooks are in webhooks.go) on the marketing host:
// cross-origin posts are allowed (no CSRF token, no origin check), limited
// per IP instead.
func (s *Server) registerWebhookRoutes(r fiber.Router) {
	r.Options("/webhook/:form", s.handleWebhookPreflight)
	r.Post("/webhook/:form", s.handleWebhookCapture)
}

// registerTwilioRoutes adds Twilio's webhooks on the tenant host; each
// request must carry a valid X-Twilio-Signature for the tenant's token.
func (s *Server) registerTwilioRoutes(r fiber.Router) {
	r.Post("/twilio/sms", s.handleTwilio("sms"))
	r.Post("/twilio/voice", s.handleTwilio("voice"))
	r.Post("/twilio/status", s.handleTwilio("status"))
	// A workflow's incoming webhook: the secret token is the credential.
	r.Post("/hooks/:token", s.handleWorkflowHook)
}

// workflowBase is where a host's workflow pages live: Nexus has them at
// /automations/{id}, the portal under /automations/workflows (its
// /automations is the catalogue of requests).
func workflowBase(host string) string {
	if host == HostPortal {
		return "/automations/workflows"
	}
	return "/automations"
}

func (s *Server) registerAutomationRoutes(r fiber.Router, csrf fiber.Handler) {
	r.Get("/automations", s.handleWorkflows)
	s.registerWorkflowRoutes(r, csrf, HostNexus)
	if s.Automations != nil && s.Automations.Requests != nil {
		s.registerAutomationRequestRoutes(r, csrf)
	}
}

// registerWorkflowRoutes adds the workflow editor and the run log; in the
// portal they show the signed-in owner's tenant only.
func (s *Server) registerWorkflowRoutes(r fiber.Router, csrf fiber.Handler, host string) {
	base := workflowBase(host)
	r.Get("/automations/runs", s.handleRuns(host))
	r.Get("/automations/runs/:id", s.handleRun(host))
	r.Post("/automations/runs/:id/replay", csrf, s.handleRunReplay)
	r.Get(base+"/new", s.handleWorkflowEdit(host))
	r.Post(base+"/new", csrf, s.handleWorkflowSave(host))
	r.Get(base+"/:id/edit", s.handleWorkflowEdit(host))
	r.Post(base+"/:id/edit", csrf, s.handleWorkflowSave(host))
	r.Post(base+"/:id/enable", csrf, s.handleWorkflowEnable(host))
	r.Post(base+"/:id/hook", csrf, s.handleWorkflowHookRotate(host))
	r.Post(base+"/:id/run", csrf, s.handleWorkflowRunNow)
}

// handleWorkflowRunNow queues a test run and shows it.
func (s *Server) handleWorkflowRunNow(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	runID, err := s.Automations.RunNow(c.UserContext(), id)
	if err != nil {
		return err
	}
	s.setFlash(c, "ok", "Test run queued: it runs the current version's steps now, with manual=true as its trigger.")
	return c.Redirect(fmt.Sprintf("/automations/runs/%d", runID), fiber.StatusSeeOther)
}

// handleWorkflowHook is POST /hooks/:token: the JSON or form fields start
// a run of the workflow the token belongs to (202 with its id).
func (s *Server) handleWorkflowHook(c *fiber.Ctx) error {
	if s.Automations == nil {
		return app.Errorf(app.ENOTFOUND, "Not found.")
	}
	if err := s.limitLeads(c); err != nil {
		return err
	}
	payload, err := parsePostedFields(c)
	if err != nil {
		return err
	}
	id, err := s.Automations.Hook(c.UserContext(), utils.CopyString(c.Params("token")), payload)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"run_id": id})
}

// parsePostedFields reads a JSON object or a url-encoded form of at most
// 64 KB into string fields (numbers and booleans as text).
func parsePostedFields(c *fiber.Ctx) (map[string]string, error) {
	body := c.Body()
	if len(body) > WebhookBodyLimit {
		return nil, app.FieldErrorf("body", "The request body must be at most 64 KB.")
	}
	payload := map[string]string{}
	ct := strings.ToLower(c.Get(fiber.HeaderContentType))
	switch {
	case strings.HasPrefix(ct, fiber.MIMEApplicationJSON):
		var raw map[string]any
		if err := json.Unmarshal(body, &raw); err != nil {
			return nil, app.FieldErrorf("body", "The body is not a JSON object.")
		}
		for k, v := range raw {
			switch v := v.(type) {
			case string:
				payload[k] = v
			case float64, bool:
				payload[k] = fmt.Sprint(v)
			case nil:
			default:
				return nil, app.FieldErrorf(k, "Field %q must be a string.", k)
			}
		}
	case strings.HasPrefix(ct, fiber.MIMEApplicationForm):
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, app.FieldErrorf("body", "The form body is not valid.")
		}
		for k, v := range vals {
			payload[k] = v[0]
		}
	default:
		return nil, app.FieldErrorf("body", "Send application/json or application/x-www-form-urlencoded.")
	}
	if len(payload) > 50 {
		return nil, app.FieldErrorf("body", "A form may have at most 50 fields.")
	}
	for k, v := range payload {
		if len(v) > 5000 {
			return nil, app.FieldErrorf(k, "Field %q must be at most 5000 characters.", k)
		}
	}
	return payload, nil
}

func corsHeaders(c *fiber.Ctx) {
	c.Set(fiber.HeaderAccessControlAllowOrigin, "*")
	c.Set(fiber.HeaderAccessControlAllowMethods, "POST, OPTIONS")
	c.Set(fiber.HeaderAccessControlAllowHeaders, "Content-Type")
	c.Set(fiber.HeaderAccessControlMaxAge, "86400")
}

func (s *Server) handleWebhookPreflight(c *fiber.Ctx) error {
	corsHeaders(c)
	return c.SendStatus(fiber.StatusNoContent)
}

// webhookFields maps the compatible JSON/form names to contact fields.
var webhookFields = map[string]string{
	"firstName": "first", "first_name": "first", "lastName": "last", "last_name": "last",
	"email": "email", "phone": "phone", "source": "source", "company": "company", "message": "message",
}

// handleWebhookCapture is POST /webhook/:form (the n8n-compatible
// lead-capture endpoint): submission, contact and runs commit together
// before the 201.
func (s *Server) handleWebhookCapture(c *fiber.Ctx) error {
	corsHeaders(c)
	ctx := c.UserContext()
	if s.Automations == nil {
		return app.Errorf(app.ENOTFOUND, "Not found.")
	}
	if err := s.limitLeads(c); err != nil {
		return err
	}
	form := utils.CopyString(c.Params("form"))
	if !app.KnownForms[form] {
		return app.FieldErrorf("form", "Unknown form %q.", form)
	}
	payload, err := parsePostedFields(c)
	if err != nil {
		return err
	}
	in := app.ContactInput{TenantID: app.HouseTenantID, IP: app.RequestFromContext(ctx).IP}
	for k, v := range payload {
		switch webhookFields[k] {
		case "first":
			in.FirstName = v
		case "last":
			in.LastName = v
		case "email":
			in.Email = v
		case "phone":
			in.Phone = v
		case "source":
			in.Source = v
		case "company":
			in.Company = v
		case "message":
			in.Message = v
		}
	}
	if in.Source == "" {
		in.Source = form
	}
	sub := &app.Submission{TenantID: app.HouseTenantID, Form: form, Contact: in, Payload: payload}
	if err := s.Automations.Capture(ctx, sub); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"id": sub.ID, "contact_id": sub.ContactID})
}

// limitLeads counts a public form post against its IP's budget.
func (s *Server) limitLeads(c *fiber.Ctx) error {
	limit := s.LeadRateLimit
	if limit == 0 {
		limit = DefaultLeadRateLimit
	}
	if limit < 0 || s.Auth == nil || s.Auth.Limiter == nil {
		return nil
	}
	ctx := c.UserContext()
	n, reset, err := s.Auth.Limiter.Hit(ctx, "leadform:"+app.RequestFromContext(ctx).IP, time.Minute)
	if err != nil {
		return err
	}
	if n > limit {
		return &app.RateLimitError{Err: app.Errorf(app.ETOOMANY, "Too many submissions from your address; try again in a minute."), RetryAfter: time.Until(reset)}
	}
	return nil
}

// TwilioCallbackURL is the status callback URL given to Twilio for a
// step's idempotency key.
func (s *Server) TwilioCallbackURL(tenantID int64, key string) string {
	return s.URL(HostPortal) + "/twilio/status?" + url.Values{"tenant": {strconv.FormatInt(tenantID, 10)}, "key": {key}}.Encode()
}

// TwilioGatherURL is the action of a call's <Gather>: the pressed key is
// posted there (signed by Twilio, so forward cannot be forged).
func (s *Server) TwilioGatherURL(tenantID int64, key, forward string) string {
	v := url.Values{"tenant": {strconv.FormatInt(tenantID, 10)}, "key": {key}}
	if forward != "" {
		v.Set("forward", forward)
	}
	return s.URL(HostPortal) + "/twilio/voice?" + v.Encode()
}

// handleTwilio verifies and records a Twilio webhook. The tenant is the
// custom domain's, else ?tenant= (default the house tenant); the signature
// is checked against the public URL Twilio posted to.
func (s *Server) handleTwilio(kind string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx := c.UserContext()
		if s.Automations == nil {
			return app.Errorf(app.ENOTFOUND, "Not found.")
		}
		tenantID := app.HouseTenantID
		base := s.URL(HostPortal)
		if t, ok := c.Locals("domain_tenant").(*app.Tenant); ok {
			tenantID, base = t.ID, s.TenantURL(bareHost(c.Hostname()))
		} else if v := c.Query("tenant"); v != "" {
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil || id <= 0 {
				return app.Errorf(app.EFORBIDDEN, "Invalid Twilio signature.")
			}
			tenantID = id
		}
		params := map[string]string{}
		c.Request().PostArgs().VisitAll(func(k, v []byte) { params[string(k)] = string(v) })
		if c.Query("tenant") == "" && domainTenant(c) == nil && s.Automations.TenantForNumber != nil {
			// One webhook URL for every number: the tenant whose Twilio
			// number was called or texted owns the request (and its
			// token must have signed it).
			if id, ok := s.Automations.TenantForNumber(ctx, params["To"]); ok {
				tenantID = id
			}
		}
		publicURL := base + utils.CopyString(c.OriginalURL())
		if err := s.Automations.CheckTwilioSignature(ctx, tenantID, publicURL, params, utils.CopyString(c.Get("X-Twilio-Signature"))); err != nil {
			return err
		}
		h := &app.TwilioWebhook{TenantID: tenantID, Kind: kind, Params: params, Key: utils.CopyString(c.Query("key"))}
		if err := s.Automations.HandleTwilio(ctx, h); err != nil {
			return err
		}
		switch kind {
		case "status":
			return c.SendStatus(fiber.StatusNoContent)
		case "voice":
			c.Set(fiber.HeaderContentType, "text/xml; charset=utf-8")
			if twiml, ok, err := s.Automations.AgentCallTwiML(ctx, h); err != nil {
				return err
			} else if ok {
				return c.SendString(twiml)
			}
			if fwd := app.PhoneDigits(c.Query("forward")); fwd != "" && len(fwd) >= 7 && (params["Digits"] == "1" || saidYes(params["SpeechResult"])) {
				return c.SendString(`<?xml version="1.0" encoding="UTF-8"?><Response><Say>Connecting you now.</Say><Dial>` + xmlText(fwd) + `</Dial></Response>`)
			} else if params["Digits"] != "" || params["SpeechResult"] != "" {
				return c.SendString(`<?xml version="1.0" encoding="UTF-8"?><Response><Say>Thank you. Goodbye.</Say></Response>`)
			}
			name := "us"
			if s.Tenants != nil {
				if t, err := s.Tenants.Store.FindTenantByID(ctx, tenantID); err == nil {
					name = t.BrandName()
				}
			}
			return c.SendString(`<?xml version="1.0" encoding="UTF-8"?><Response><Say>Thank you for calling ` + xmlText(name) + `. We will call you back shortly.</Say></Response>`)
		}
		c.Set(fiber.HeaderContentType, "text/xml; charset=utf-8")
		return c.SendString(`<?xml version="1.0" encoding="UTF-8"?><Response></Response>`)
	}
}

// saidYes reads a gather's speech answer (Twilio's transcript) as
// pressing 1: "yes", "yeah", "sure", "please", "one".
func saidYes(speech string) bool {
	for _, w := range strings.FieldsFunc(strings.ToLower(speech), func(r rune) bool { return r < 'a' || r > 'z' }) {
		switch w {
		case "yes", "yeah", "yep", "sure", "please", "one", "ok", "okay":
			return true
		}
	}
	return false
}

var xmlTextReplacer = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")

func xmlText(s string) string { return xmlTextReplacer.Replace(s) }

type workflowsPage struct {
	Layout
	Workflows []*app.Workflow
	Missing   map[int64][]string // workflow id → integrations it needs and lacks
	Banner    []string
	Tenants   map[int64]string
	Requests  []requestRow // clients' automation requests, pending first
}

func (s *Server) tenantNames(c *fiber.Ctx) map[int64]string {
	out := map[int64]string{}
	if s.Tenants == nil {
		return out
	}
	if ts, err := s.Tenants.Store.FindTenants(c.UserContext()); err == nil {
		for _, t := range ts {
			out[t.ID] = t.Name
		}
	}
	return out
}

func (s *Server) handleWorkflows(c *fiber.Ctx) error {
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
	if s.Automations.Requests != nil {
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
	}
	p.Layout = s.layout(c, HostNexus, "Automations")
	return s.render(c, "nexus/automations", p)
}

type workflowPage struct {
	Layout
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
}

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

func (s *Server) handleWorkflowEdit(host string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		p := &workflowPage{Workflow: &app.Workflow{}, Definition: "{\n  \"steps\": [\n    {\"id\": \"contact\", \"type\": \"contact\"}\n  ]\n}"}
		if c.Params("id") != "" {
			id, err := paramID(c, "id")
			if err != nil {
				return err
			}
			w, err := s.Automations.Workflow(c.UserContext(), id)
			if err != nil {
				return err
			}
			p = workflowPageOf(w)
		} else if err := s.requireWorkflowEditor(c, host); err != nil {
			return err
		}
		return s.renderWorkflow(c, host, p)
	}
}

// workflowPageOf fills the editor with a saved workflow: its steps as
// JSON, its trigger options as form fields.
func workflowPageOf(w *app.Workflow) *workflowPage {
	b, _ := json.MarshalIndent(app.Definition{Steps: w.Definition.Steps}, "", "  ")
	return &workflowPage{Workflow: w, Name: w.Name, Trigger: w.Trigger, When: w.WhenOf(), Definition: string(b)}
}

// requireWorkflowEditor lets portal owners only into the editor (the
// service checks again).
func (s *Server) requireWorkflowEditor(c *fiber.Ctx, host string) error {
	if host == HostPortal {
		return s.requireOwner(c, "manage automations")
	}
	return nil
}

func (s *Server) renderWorkflow(c *fiber.Ctx, host string, p *workflowPage) error {
	for _, k := range app.TriggerOrder {
		if host == HostPortal && k == app.TriggerFederalAlert {
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
	p.Base = workflowBase(host)
	title := "New workflow"
	if p.Workflow.ID != 0 {
		title = p.Workflow.Name
	}
	p.Layout = s.layout(c, host, title)
	return s.render(c, host+"/workflow", p)
}

// whenFromForm reads the trigger options of the editor's form.
func whenFromForm(c *fiber.Ctx) (*app.When, error) {
	w := &app.When{Form: utils.CopyString(c.FormValue("when_form")), Field: utils.CopyString(c.FormValue("when_field")),
		Tag: utils.CopyString(c.FormValue("when_tag")), Stage: utils.CopyString(c.FormValue("when_stage")),
		Cron: strings.TrimSpace(utils.CopyString(c.FormValue("when_cron"))), Object: utils.CopyString(c.FormValue("when_object"))}
	if v := strings.TrimSpace(c.FormValue("when_offset_days")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return w, app.FieldErrorf("when", "Days after the date must be a whole number, like -2 or 7.")
		}
		w.OffsetDays = n
	}
	if *w == (app.When{}) {
		return nil, nil
	}
	return w, nil
}

func (s *Server) handleWorkflowSave(host string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx := c.UserContext()
		var id int64
		if c.Params("id") != "" {
			var err error
			if id, err = paramID(c, "id"); err != nil {
				return err
			}
		} else if err := s.requireWorkflowEditor(c, host); err != nil {
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
			return s.renderWorkflow(c, host, p)
		} else if err != nil {
			return err
		}
		s.setFlash(c, "ok", fmt.Sprintf("Saved %q (version %d).", w.Name, w.Version))
		if w.Trigger == app.TriggerWebhook {
			return c.Redirect(fmt.Sprintf("%s/%d/edit", workflowBase(host), w.ID), fiber.StatusSeeOther)
		}
		return c.Redirect("/automations", fiber.StatusSeeOther)
	}
}

func (s *Server) handleWorkflowEnable(host string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := paramID(c, "id")
		if err != nil {
			return err
		}
		on := c.FormValue("enabled") == "1"
		if err := s.Automations.SetEnabled(c.UserContext(), id, on); app.ErrorCode(err) == app.EINVALID {
			s.setFlash(c, "error", app.ErrorMessage(err))
		} else if err != nil {
			return err
		} else if on {
			s.setFlash(c, "ok", "Workflow enabled.")
		} else {
			s.setFlash(c, "ok", "Workflow disabled.")
		}
		return c.Redirect("/automations", fiber.StatusSeeOther)
	}
}

// handleWorkflowHookRotate makes a new secret URL for a webhook workflow
// and shows it once.
func (s *Server) handleWorkflowHookRotate(host string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx := c.UserContext()
		id, err := paramID(c, "id")
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
		base := s.URL(HostPortal)
		if t := domainTenant(c); t != nil {
			base = s.TenantURL(bareHost(c.Hostname()))
		}
		p.HookURL = base + app.HookURLPath(tok)
		return s.renderWorkflow(c, host, p)
	}
}

type runsPage struct {
	Layout
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

func (s *Server) handleRuns(host string) fiber.Handler {
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
		p.Layout = s.layout(c, host, "Run log")
		return s.render(c, host+"/runs", p)
	}
}

type runPage struct {
	Layout
	Run *app.Run
}

func (s *Server) handleRun(host string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := paramID(c, "id")
		if err != nil {
			return err
		}
		p := &runPage{}
		if p.Run, err = s.Automations.Run(c.UserContext(), id); err != nil {
			return err
		}
		p.Layout = s.layout(c, host, fmt.Sprintf("Run %d", id))
		return s.render(c, host+"/run", p)
	}
}

func (s *Server) handleRunReplay(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	if err := s.Automations.Replay(c.UserContext(), id); app.ErrorCode(err) == app.ECONFLICT {
		s.setFlash(c, "error", app.ErrorMessage(err))
	} else if err != nil {
		return err
	} else {
		s.setFlash(c, "ok", "Run queued again from its failed step.")
	}
	return c.Redirect(fmt.Sprintf("/automations/runs/%d", id), fiber.StatusSeeOther)
}
