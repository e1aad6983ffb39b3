package app

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// Automation request statuses.
const (
	RequestPending  = "pending"
	RequestApproved = "approved"
	RequestRejected = "rejected"
)

// Kinds of template parameters.
const (
	ParamEmail = "email"
	ParamPhone = "phone"
	ParamText  = "text"
	ParamURL   = "url" // an https:// address (a review page, a booking link)
)

// TemplateParam is one value a client fills in when requesting a template.
// Steps refer to it as {{.Param.NAME}}, replaced on approval.
type TemplateParam struct {
	Name     string
	Label    string
	Kind     string // email, phone, text or url
	Required bool
	Help     string
}

// AutomationTemplate is a workflow of the catalogue: clients request one
// from the portal's catalogue, and the workflow builder starts from one
// (its gallery).
type AutomationTemplate struct {
	Key         string
	Name        string
	Description string
	Params      []TemplateParam
	// Trigger starts the workflow ("": a form submission); Definition's
	// When holds the trigger's options.
	Trigger    string
	Definition Definition
}

// AutomationTemplates is the catalogue, in display order.
var AutomationTemplates = []*AutomationTemplate{
	{
		Key: "call-new-leads", Name: "Call new leads within a minute",
		Description: "Each new lead is saved, then called at once: the call says who is calling and connects them to your phone; you get an email about the lead.",
		Params: []TemplateParam{
			{Name: "forward_to", Label: "Your phone number (the lead is connected to it)", Kind: ParamPhone, Required: true},
			{Name: "business_name", Label: "Business name spoken on the call", Kind: ParamText, Required: true},
			{Name: "notify_email", Label: "Email for the lead summary", Kind: ParamEmail, Required: true},
		},
		Definition: Definition{Steps: []Step{
			{ID: "contact", Type: StepContact},
			{ID: "call", Type: StepCall, Say: "Hello {{.Contact.FirstName}}, thanks for contacting {{.Param.business_name}}.", Gather: "Press 1 to be connected now.", Forward: "{{.Param.forward_to}}"},
			{ID: "notify", Type: StepNotify, To: "{{.Param.notify_email}}", Subject: "New lead: {{.Contact.FirstName}} {{.Contact.LastName}}", Body: "Email: {{.Contact.Email}}\nPhone: {{.Contact.Phone}}\nWe called them and offered to connect them to {{.Param.forward_to}}."},
		}},
	},
	{
		Key: "text-new-leads", Name: "Text new leads",
		Description: "Each new lead with a phone number gets a text message from you right away.",
		Params: []TemplateParam{
			{Name: "business_name", Label: "Business name in the message", Kind: ParamText, Required: true},
			{Name: "reply_phone", Label: "Phone number they can call back", Kind: ParamPhone, Required: true},
		},
		Definition: Definition{Steps: []Step{
			{ID: "contact", Type: StepContact},
			{ID: "sms", Type: StepSMS, Body: "Hi {{.Contact.FirstName}}, thanks for reaching out to {{.Param.business_name}}! We will be in touch shortly. Call us any time at {{.Param.reply_phone}}."},
		}},
	},
	{
		Key: "email-new-leads", Name: "Email me each new lead",
		Description: "You get an email with the details of each new lead.",
		Params: []TemplateParam{
			{Name: "notify_email", Label: "Your email address", Kind: ParamEmail, Required: true},
		},
		Definition: Definition{Steps: []Step{
			{ID: "notify", Type: StepNotify, To: "{{.Param.notify_email}}", Subject: "New lead: {{.Contact.FirstName}} {{.Contact.LastName}}", Body: "Name: {{.Contact.FirstName}} {{.Contact.LastName}}\nEmail: {{.Contact.Email}}\nPhone: {{.Contact.Phone}}\nCompany: {{.Contact.Company}}"},
		}},
	},
	{
		Key: "lead-follow-up", Name: "Follow up new leads",
		Description: "Each new lead gets a text at once and an email the next day, and you get a task to call them.",
		Params: []TemplateParam{
			{Name: "business_name", Label: "Business name in the messages", Kind: ParamText, Required: true},
			{Name: "reply_phone", Label: "Phone number they can call back", Kind: ParamPhone, Required: true},
		},
		Definition: Definition{Steps: []Step{
			{ID: "contact", Type: StepContact},
			{ID: "text", Type: StepSMS, Body: "Hi {{.Contact.FirstName}}, thanks for contacting {{.Param.business_name}}! We will call you shortly; you can also reach us at {{.Param.reply_phone}}."},
			{ID: "call-task", Type: StepTask, Title: "Call {{.Contact.FirstName}} {{.Contact.LastName}} (new lead)", Due: "24h"},
			{ID: "wait", Type: StepWait, Wait: "24h"},
			{ID: "email", Type: StepEmail, To: "{{.Contact.Email}}", Subject: "Following up from {{.Param.business_name}}", Body: "Hi {{.Contact.FirstName}},\n\nThanks again for reaching out to {{.Param.business_name}}. Is there a good time to talk? Reply to this email or call us at {{.Param.reply_phone}}.\n\n{{.Param.business_name}}"},
		}},
	},
	{
		Key: "missed-call-text-back", Name: "Text back callers",
		Description: "Everyone who calls your Twilio number gets a text right away, so a call you could not take still gets an answer.",
		Params: []TemplateParam{
			{Name: "business_name", Label: "Business name in the message", Kind: ParamText, Required: true},
		},
		Trigger: TriggerInboundCall,
		Definition: Definition{Steps: []Step{
			{ID: "contact", Type: StepContact},
			{ID: "text", Type: StepSMS, Body: "Thanks for calling {{.Param.business_name}}! If we could not pick up, reply to this text and we will get right back to you."},
		}},
	},
	{
		Key: "appointment-reminders", Name: "Appointment reminders by text",
		Description: "Each booked appointment gets a text reminder two hours before it starts (the calendar also emails at 24 hours and 1 hour).",
		Params: []TemplateParam{
			{Name: "business_name", Label: "Business name in the reminder", Kind: ParamText, Required: true},
			{Name: "reply_phone", Label: "Phone number to call to reschedule", Kind: ParamPhone, Required: true},
		},
		Trigger: TriggerAppointmentStartsSoon,
		Definition: Definition{When: &When{Minutes: 120}, Steps: []Step{
			{ID: "contact", Type: StepContact},
			{ID: "text", Type: StepSMS, Body: "Reminder: {{.Trigger.title}} with {{.Param.business_name}} starts in 2 hours. Need to change it? Call {{.Param.reply_phone}}."},
		}},
	},
	{
		Key: "review-request", Name: "Ask won customers for a review",
		Description: "A day after a deal is won, the customer gets a text and an email asking for a review, with your review page's link.",
		Params: []TemplateParam{
			{Name: "business_name", Label: "Business name in the messages", Kind: ParamText, Required: true},
			{Name: "review_url", Label: "Your review page (https://...)", Kind: ParamURL, Required: true},
		},
		Trigger: TriggerDealStageChanged,
		Definition: Definition{When: &When{Stage: "Won"}, Steps: []Step{
			{ID: "wait", Type: StepWait, Wait: "24h"},
			{ID: "text", Type: StepSMS, Body: "Hi {{.Contact.FirstName}}, thank you for choosing {{.Param.business_name}}! Would you leave us a quick review? {{.Param.review_url}}"},
			{ID: "email", Type: StepEmail, To: "{{.Contact.Email}}", Subject: "How did we do?", Body: "Hi {{.Contact.FirstName}},\n\nThank you for choosing {{.Param.business_name}}. A short review helps us a lot: {{.Param.review_url}}\n\n{{.Param.business_name}}"},
		}},
	},
	{
		Key: "re-engagement", Name: "Win back quiet contacts",
		Description: "Tag a contact \"re-engage\": they get an email, and a text three days later if they still have a phone on file.",
		Params: []TemplateParam{
			{Name: "business_name", Label: "Business name in the messages", Kind: ParamText, Required: true},
			{Name: "reply_phone", Label: "Phone number they can call", Kind: ParamPhone, Required: true},
		},
		Trigger: TriggerTagAdded,
		Definition: Definition{When: &When{Tag: "re-engage"}, Steps: []Step{
			{ID: "email", Type: StepEmail, To: "{{.Contact.Email}}", Subject: "It has been a while", Body: "Hi {{.Contact.FirstName}},\n\nIt has been a while since we last spoke. Is there anything {{.Param.business_name}} can help you with? Reply here or call {{.Param.reply_phone}}.\n\n{{.Param.business_name}}"},
			{ID: "wait", Type: StepWait, Wait: "72h"},
			{ID: "has-phone", Type: StepIf, Field: "phone", Op: "notempty", Else: "end"},
			{ID: "text", Type: StepSMS, Body: "Hi {{.Contact.FirstName}}, it is {{.Param.business_name}}. Anything we can help with? Call us at {{.Param.reply_phone}}."},
		}},
	},
}

// FindAutomationTemplate returns the catalogue's template key, or nil.
func FindAutomationTemplate(key string) *AutomationTemplate {
	for _, t := range AutomationTemplates {
		if t.Key == key {
			return t
		}
	}
	return nil
}

// ValidateParams checks and normalises the values of a request: emails
// are plain addresses, phones become E.164, required ones are set, text
// is short and holds no template syntax. Unknown names are dropped.
func (t *AutomationTemplate) ValidateParams(in map[string]string) (map[string]string, error) {
	out := map[string]string{}
	for _, p := range t.Params {
		v := strings.TrimSpace(in[p.Name])
		if v == "" {
			if p.Required {
				return nil, FieldErrorf(p.Name, "%s: required.", p.Label)
			}
			continue
		}
		switch p.Kind {
		case ParamEmail:
			v = strings.ToLower(v)
			if err := ValidateEmail(p.Name, v); err != nil {
				return nil, err
			}
		case ParamPhone:
			n, err := NormalizePhone(p.Name, v)
			if err != nil {
				return nil, err
			}
			v = n
		case ParamURL:
			u, err := url.Parse(v)
			if err != nil || u.Scheme != "https" || u.Host == "" || len(v) > 300 || strings.ContainsAny(v, "{}\r\n ") {
				return nil, FieldErrorf(p.Name, "%s: an https:// address, like https://g.page/r/your-business/review.", p.Label)
			}
		default:
			if !utf8.ValidString(v) || len(v) > 100 || strings.ContainsAny(v, "{}\r\n") {
				return nil, FieldErrorf(p.Name, "%s: at most 100 characters on one line, without { or }.", p.Label)
			}
		}
		out[p.Name] = v
	}
	return out, nil
}

// Instantiate returns the template's workflow for tenantID with params
// substituted (params must come from ValidateParams). The workflow is
// started by the template's trigger (a form submission unless it names
// another) and starts disabled.
func (t *AutomationTemplate) Instantiate(tenantID int64, params map[string]string) (*Workflow, error) {
	pairs := []string{}
	for _, p := range t.Params {
		pairs = append(pairs, "{{.Param."+p.Name+"}}", params[p.Name])
	}
	r := strings.NewReplacer(pairs...)
	d := Definition{Steps: make([]Step, len(t.Definition.Steps))}
	for i, s := range t.Definition.Steps {
		s.To, s.Subject, s.Body, s.HTML = r.Replace(s.To), r.Replace(s.Subject), r.Replace(s.Body), r.Replace(s.HTML)
		s.Say, s.Gather, s.Forward = r.Replace(s.Say), r.Replace(s.Gather), r.Replace(s.Forward)
		s.Title, s.Name, s.Purpose = r.Replace(s.Title), r.Replace(s.Name), r.Replace(s.Purpose)
		d.Steps[i] = s
	}
	if t.Definition.When != nil {
		when := *t.Definition.When
		d.When = &when
	}
	trigger := t.Trigger
	if trigger == "" {
		trigger = TriggerFormSubmitted
	}
	w := &Workflow{TenantID: tenantID, Name: t.Name, Trigger: trigger, Definition: &d}
	if err := w.Validate(); err != nil {
		return nil, fmt.Errorf("template %s: %w", t.Key, err)
	}
	return w, nil
}

// AutomationRequest is a client's request for a template.
type AutomationRequest struct {
	ID         int64
	TenantID   int64
	Template   string
	Params     map[string]string
	Status     string
	Note       string // the reason of a rejection
	WorkflowID int64  // set on approval
	CreatedBy  int64  // portal user
	DecidedBy  int64  // Nexus admin
	CreatedAt  time.Time
	DecidedAt  *time.Time
}

// TemplateName names the request's template for people.
func (r *AutomationRequest) TemplateName() string {
	if t := FindAutomationTemplate(r.Template); t != nil {
		return t.Name
	}
	return r.Template
}

// AutomationRequestStore persists requests.
type AutomationRequestStore interface {
	CreateAutomationRequest(ctx context.Context, r *AutomationRequest) error
	// FindAutomationRequests lists a tenant's requests (every tenant's for
	// 0), pending first, then newest first.
	FindAutomationRequests(ctx context.Context, tenantID int64) ([]*AutomationRequest, error)
	// FindAutomationRequest returns ENOTFOUND unless the request is
	// tenantID's (any tenant's for 0).
	FindAutomationRequest(ctx context.Context, tenantID, id int64) (*AutomationRequest, error)
	// ApproveAutomationRequest creates w and marks the pending request
	// approved, in one transaction; ECONFLICT if it is no longer pending.
	ApproveAutomationRequest(ctx context.Context, r *AutomationRequest, w *Workflow) error
	// RejectAutomationRequest marks the pending request rejected.
	RejectAutomationRequest(ctx context.Context, r *AutomationRequest) error
}

func requireTenantOwner(ctx context.Context) (*Tenant, *User, error) {
	t, u := TenantFromContext(ctx), UserFromContext(ctx)
	if t == nil || u == nil {
		return nil, nil, Errorf(EUNAUTHORIZED, "Sign in to continue.")
	}
	if u.Role != UserRoleOwner {
		return nil, nil, Errorf(EFORBIDDEN, "Only the account owner can request automations.")
	}
	return t, u, nil
}

// RequestAutomation records a tenant owner's request for template key.
func (s *AutomationService) RequestAutomation(ctx context.Context, key string, params map[string]string) (*AutomationRequest, error) {
	t, u, err := requireTenantOwner(ctx)
	if err != nil {
		return nil, err
	}
	tpl := FindAutomationTemplate(key)
	if tpl == nil {
		return nil, FieldErrorf("template", "Unknown automation %q.", key)
	}
	p, err := tpl.ValidateParams(params)
	if err != nil {
		return nil, err
	}
	r := &AutomationRequest{TenantID: t.ID, Template: key, Params: p, Status: RequestPending, CreatedBy: u.ID}
	if err := s.requests.CreateAutomationRequest(ctx, r); err != nil {
		return nil, err
	}
	s.Audit.Record(ctx, "automation_request.create", fmt.Sprintf("automation_request %d", r.ID), tpl.Name)
	return r, nil
}

// TenantAutomation is what a client sees of one request: the request and,
// once approved, its workflow and recent runs.
type TenantAutomation struct {
	Request  *AutomationRequest
	Workflow *Workflow
	Runs     []*Run
}

// TenantAutomations lists the signed-in tenant's requests with their
// workflows and each workflow's recent runs.
func (s *AutomationService) TenantAutomations(ctx context.Context) ([]*TenantAutomation, error) {
	t, _, err := requireTenantOwner(ctx)
	if err != nil {
		return nil, err
	}
	rs, err := s.requests.FindAutomationRequests(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	out := make([]*TenantAutomation, 0, len(rs))
	for _, r := range rs {
		ta, err := s.tenantAutomation(ctx, t.ID, r)
		if err != nil {
			return nil, err
		}
		out = append(out, ta)
	}
	return out, nil
}

// TenantAutomation returns one request of the signed-in tenant (ENOTFOUND
// for another tenant's).
func (s *AutomationService) TenantAutomation(ctx context.Context, id int64) (*TenantAutomation, error) {
	t, _, err := requireTenantOwner(ctx)
	if err != nil {
		return nil, err
	}
	r, err := s.requests.FindAutomationRequest(ctx, t.ID, id)
	if err != nil {
		return nil, err
	}
	return s.tenantAutomation(ctx, t.ID, r)
}

func (s *AutomationService) tenantAutomation(ctx context.Context, tenantID int64, r *AutomationRequest) (*TenantAutomation, error) {
	ta := &TenantAutomation{Request: r}
	if r.WorkflowID == 0 {
		return ta, nil
	}
	w, err := s.store.FindWorkflow(ctx, r.WorkflowID)
	if ErrorCode(err) == ENOTFOUND || err == nil && w.TenantID != tenantID {
		return ta, nil // deleted since
	} else if err != nil {
		return nil, err
	}
	ta.Workflow = w
	if ta.Runs, err = s.store.FindRuns(ctx, RunFilter{TenantID: tenantID, WorkflowID: w.ID, Limit: 20}); err != nil {
		return nil, err
	}
	return ta, nil
}

// AutomationRequests lists every tenant's requests, pending first (Nexus).
func (s *AutomationService) AutomationRequests(ctx context.Context) ([]*AutomationRequest, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	return s.requests.FindAutomationRequests(ctx, 0)
}

// ApproveRequest creates the requested workflow in the client's tenant
// and marks the request approved, together. The workflow is enabled when
// the tenant has the integrations its steps need; otherwise it is created
// disabled and missing names them.
func (s *AutomationService) ApproveRequest(ctx context.Context, id int64) (w *Workflow, missing []string, err error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, nil, err
	}
	r, err := s.requests.FindAutomationRequest(ctx, 0, id)
	if err != nil {
		return nil, nil, err
	}
	if r.Status != RequestPending {
		return nil, nil, Errorf(ECONFLICT, "This request is already %s.", r.Status)
	}
	tpl := FindAutomationTemplate(r.Template)
	if tpl == nil {
		return nil, nil, Errorf(EINVALID, "The template %q no longer exists; reject the request.", r.Template)
	}
	p, err := tpl.ValidateParams(r.Params)
	if err != nil {
		return nil, nil, err
	}
	if w, err = tpl.Instantiate(r.TenantID, p); err != nil {
		return nil, nil, err
	}
	missing = s.MissingFor(ctx, w)
	w.Enabled = len(missing) == 0
	r.DecidedBy = AdminFromContext(ctx).ID
	if err := s.requests.ApproveAutomationRequest(ctx, r, w); err != nil {
		return nil, nil, err
	}
	detail := fmt.Sprintf("%s for tenant %d: workflow %d", tpl.Name, r.TenantID, w.ID)
	if len(missing) > 0 {
		detail += " (disabled: needs " + strings.Join(missing, " and ") + ")"
	}
	s.auditRequest(ctx, "automation_request.approve", r, detail)
	return w, missing, nil
}

// RejectRequest rejects a pending request with a reason the client sees.
func (s *AutomationService) RejectRequest(ctx context.Context, id int64, note string) error {
	if err := requireAdmin(ctx); err != nil {
		return err
	}
	note = strings.TrimSpace(note)
	if note == "" || len(note) > 1000 || !utf8.ValidString(note) {
		return FieldErrorf("note", "Give a reason (at most 1000 characters).")
	}
	r, err := s.requests.FindAutomationRequest(ctx, 0, id)
	if err != nil {
		return err
	}
	if r.Status != RequestPending {
		return Errorf(ECONFLICT, "This request is already %s.", r.Status)
	}
	r.Note, r.DecidedBy = note, AdminFromContext(ctx).ID
	if err := s.requests.RejectAutomationRequest(ctx, r); err != nil {
		return err
	}
	s.auditRequest(ctx, "automation_request.reject", r, note)
	return nil
}

// auditRequest records an admin's decision under the client's tenant, so
// it shows in that tenant's audit trail too.
func (s *AutomationService) auditRequest(ctx context.Context, action string, r *AutomationRequest, detail string) {
	if s.Audit == nil {
		return
	}
	e := &AuditEntry{Action: action, Target: fmt.Sprintf("automation_request %d", r.ID), Detail: detail, ActorKind: ActorAnonymous, TenantID: r.TenantID}
	FillActor(ctx, e)
	s.Audit.RecordAs(ctx, e)
}
