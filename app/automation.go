package app

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"text/template"
	"time"
)

// Workflow triggers.
const (
	TriggerFormSubmitted = "form_submitted"
	// TriggerFederalAlert starts a run for each federal alert: new or
	// changed opportunities (the daily digest) and registration,
	// certification and deadline reminders. The trigger fields are kind,
	// subject, body, link, due and days_before.
	TriggerFederalAlert = "federal_alert"
)

// WorkflowTriggers names each trigger for people.
var WorkflowTriggers = map[string]string{
	TriggerFormSubmitted: "A form is submitted (/webhook/lead-capture, the site's form, or a built form /f/:id: trigger.form_id names it)",
	TriggerFederalAlert:  "Federal: opportunity found (daily digest) or a deadline/expiry reminder",
}

// Run statuses.
const (
	RunQueued    = "queued"
	RunRunning   = "running"
	RunWaiting   = "waiting"
	RunSucceeded = "succeeded"
	RunFailed    = "failed"
)

// Step statuses in the run log. StepStarted means a side effect may have
// happened and was not recorded: the next attempt reconciles it with the
// provider before sending again.
const (
	StepStarted   = "started"
	StepSucceeded = "succeeded"
	StepFailed    = "failed"
	StepSkipped   = "skipped"
)

// Step types.
const (
	StepContact = "contact" // create/update the contact from the trigger
	StepTag     = "tag"     // add (or with remove: remove) a tag
	StepSMS     = "sms"
	StepCall    = "call"
	StepEmail   = "email"
	StepHTTP    = "http"
	StepWait    = "wait"
	StepIf      = "if"
	StepNotify  = "notify" // email to the admin
)

// DefaultStepRetries is how many times a failing step is tried in all.
const DefaultStepRetries = 3

// Forms that may post to /webhook/:form.
var KnownForms = map[string]bool{"lead-capture": true, "website": true}

// Workflow is an automation of one tenant: a trigger and the steps of its
// current version.
type Workflow struct {
	ID         int64       `json:"id"`
	TenantID   int64       `json:"tenant_id"`
	Name       string      `json:"name"`
	Trigger    string      `json:"trigger"`
	Enabled    bool        `json:"enabled"`
	Version    int         `json:"version"`
	VersionID  int64       `json:"-"`
	Definition *Definition `json:"definition"`
	Seed       string      `json:"-"` // key of a seeded workflow ("lead-capture"), else ""
	CreatedAt  time.Time   `json:"created_at"`
	UpdatedAt  time.Time   `json:"updated_at"`
}

// Definition is the ordered list of a workflow's steps. Steps run in
// order; an "if" step jumps to its then/else step ids (only forward, so a
// run always ends).
type Definition struct {
	Steps []Step `json:"steps"`
}

// Step is one step of a workflow. Text fields are text/template templates
// over .Contact and .Trigger (see RenderTemplate).
type Step struct {
	ID      string            `json:"id"`
	Type    string            `json:"type"`
	To      string            `json:"to,omitempty"`
	Subject string            `json:"subject,omitempty"`
	Body    string            `json:"body,omitempty"`
	HTML    string            `json:"html,omitempty"`
	Say     string            `json:"say,omitempty"`     // call: spoken text
	Gather  string            `json:"gather,omitempty"`  // call: prompt read while waiting for one key
	Forward string            `json:"forward,omitempty"` // call: number to connect the callee to
	Tag     string            `json:"tag,omitempty"`
	Remove  bool              `json:"remove,omitempty"`
	Method  string            `json:"method,omitempty"`
	URL     string            `json:"url,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
	Wait    string            `json:"wait,omitempty"` // duration like 10m or 24h
	Field   string            `json:"field,omitempty"`
	Op      string            `json:"op,omitempty"` // eq ne contains empty notempty
	Value   string            `json:"value,omitempty"`
	Then    string            `json:"then,omitempty"` // step id or "end"; "" = next step
	Else    string            `json:"else,omitempty"`
	Retries int               `json:"retries,omitempty"`
}

var stepIDRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)

// ParseDefinition parses and validates a JSON definition.
func ParseDefinition(b []byte) (*Definition, error) {
	var d Definition
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return nil, FieldErrorf("definition", "Definition is not valid JSON: %s.", strings.TrimPrefix(err.Error(), "json: "))
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	return &d, nil
}

// Validate checks every step; the error names the step and its field.
func (d *Definition) Validate() error {
	if len(d.Steps) == 0 {
		return FieldErrorf("definition", "A workflow needs at least one step.")
	}
	if len(d.Steps) > 50 {
		return FieldErrorf("definition", "A workflow may have at most 50 steps.")
	}
	index := map[string]int{}
	for i := range d.Steps {
		s := &d.Steps[i]
		if s.ID == "" {
			s.ID = fmt.Sprintf("step%d", i+1)
		}
		if !stepIDRE.MatchString(s.ID) {
			return FieldErrorf("definition", "Step %d: id %q must be lowercase letters, digits, - or _.", i+1, s.ID)
		}
		if _, dup := index[s.ID]; dup {
			return FieldErrorf("definition", "Step %d: id %q is used twice.", i+1, s.ID)
		}
		index[s.ID] = i
	}
	for i := range d.Steps {
		s := &d.Steps[i]
		bad := func(field, format string, args ...any) error {
			return FieldErrorf("definition", "Step %d (%s), field %q: %s", i+1, s.ID, field, fmt.Sprintf(format, args...))
		}
		need := func(field, v string) error {
			if strings.TrimSpace(v) == "" {
				return bad(field, "required for a %s step.", s.Type)
			}
			return nil
		}
		if s.Retries < 0 || s.Retries > 10 {
			return bad("retries", "must be between 0 and 10.")
		}
		for field, v := range map[string]string{"to": s.To, "subject": s.Subject, "body": s.Body, "html": s.HTML, "say": s.Say,
			"gather": s.Gather, "forward": s.Forward, "tag": s.Tag, "url": s.URL, "value": s.Value} {
			if _, err := parseTemplate(v); err != nil {
				return bad(field, "template error: %v.", err)
			}
		}
		var err error
		switch s.Type {
		case StepContact:
		case StepTag:
			err = need("tag", s.Tag)
		case StepSMS:
			if err = need("body", s.Body); err == nil && len(s.Body) > 1600 {
				err = bad("body", "must be at most 1600 characters.")
			}
		case StepCall:
			if s.Say == "" && s.Gather == "" && s.Forward == "" {
				err = bad("say", "a call step needs say, gather or forward.")
			}
		case StepEmail:
			if err = need("to", s.To); err == nil {
				if err = need("subject", s.Subject); err == nil && s.Body == "" && s.HTML == "" {
					err = bad("body", "an email needs a body or html.")
				}
			}
		case StepNotify:
			if err = need("subject", s.Subject); err == nil {
				err = need("body", s.Body)
			}
		case StepHTTP:
			switch s.Method {
			case "":
				s.Method = "POST"
			case "GET", "POST", "PUT", "PATCH", "DELETE":
			default:
				err = bad("method", "must be GET, POST, PUT, PATCH or DELETE.")
			}
			if err == nil && !strings.HasPrefix(s.URL, "https://") && !strings.HasPrefix(s.URL, "http://") {
				err = bad("url", "must start with https:// or http://.")
			}
			for k := range s.Headers {
				if k == "" || strings.ContainsAny(k, " :\r\n") {
					err = bad("headers", "header name %q is not valid.", k)
				}
			}
		case StepWait:
			d, perr := time.ParseDuration(s.Wait)
			if perr != nil || d <= 0 || d > 90*24*time.Hour {
				err = bad("wait", "must be a duration like 10m or 24h, at most 2160h.")
			}
		case StepIf:
			if err = need("field", s.Field); err != nil {
				break
			}
			switch s.Op {
			case "eq", "ne", "contains", "empty", "notempty":
			default:
				err = bad("op", "must be eq, ne, contains, empty or notempty.")
			}
			for _, f := range [][2]string{{"then", s.Then}, {"else", s.Else}} {
				if err != nil || f[1] == "" || f[1] == "end" {
					continue
				}
				j, ok := index[f[1]]
				if !ok {
					err = bad(f[0], "no step has id %q.", f[1])
				} else if j <= i {
					err = bad(f[0], "may only jump forward (step %q comes before).", f[1])
				}
			}
		case "":
			err = bad("type", "required.")
		default:
			err = bad("type", "unknown type %q (contact, tag, sms, call, email, http, wait, if, notify).", s.Type)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Validate checks a workflow before it is saved.
func (w *Workflow) Validate() error {
	w.Name = strings.TrimSpace(w.Name)
	if w.Name == "" || len(w.Name) > 100 {
		return FieldErrorf("name", "Name required (at most 100 characters).")
	}
	if _, ok := WorkflowTriggers[w.Trigger]; !ok {
		return FieldErrorf("trigger", "Trigger must be %q or %q.", TriggerFormSubmitted, TriggerFederalAlert)
	}
	if w.Definition == nil {
		return FieldErrorf("definition", "Definition required.")
	}
	return w.Definition.Validate()
}

// templateFuncs is the small func map of step templates: no file, network
// or HTML access.
var templateFuncs = template.FuncMap{
	"upper": strings.ToUpper,
	"lower": strings.ToLower,
	"trim":  strings.TrimSpace,
	"default": func(def string, v any) string {
		if s := fmt.Sprint(v); v != nil && s != "" {
			return s
		}
		return def
	},
	"truncate": func(n int, s string) string { return truncate(s, n) },
}

func parseTemplate(s string) (*template.Template, error) {
	return template.New("step").Funcs(templateFuncs).Option("missingkey=zero").Parse(s)
}

// TemplateData is what step templates see.
type TemplateData struct {
	Contact *Contact
	Trigger map[string]string
}

// RenderTemplate renders a step template (plain text, at most 64 KiB).
func RenderTemplate(src string, data *TemplateData) (string, error) {
	if !strings.Contains(src, "{{") {
		return src, nil
	}
	t, err := parseTemplate(src)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if err := t.Execute(&limitWriter{w: &b, n: 64 << 10}, data); err != nil {
		return "", err
	}
	return strings.ReplaceAll(b.String(), "<no value>", ""), nil
}

type limitWriter struct {
	w *strings.Builder
	n int
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if len(p) > l.n {
		return 0, fmt.Errorf("template output over 64 KiB")
	}
	l.n -= len(p)
	return l.w.Write(p)
}

// Contact is a person a workflow acts on (today a row of leads; the CRM
// replaces the implementation behind ContactUpserter/ContactStore).
type Contact struct {
	ID        int64
	TenantID  int64
	FirstName string
	LastName  string
	Email     string
	Phone     string
	Company   string
	Source    string
	Tags      []string
}

// ContactInput is what a form or a step knows about a contact.
type ContactInput struct {
	TenantID  int64
	FirstName string
	LastName  string
	Email     string
	Phone     string
	Company   string
	Message   string
	Source    string
	IP        string
}

// PhoneDigits keeps a leading + and the digits (a dedupe key for leads).
func PhoneDigits(p string) string {
	var b strings.Builder
	for i, r := range strings.TrimSpace(p) {
		if r >= '0' && r <= '9' || r == '+' && i == 0 {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Validate checks a contact from an API form: an email or a phone, both
// well formed when present.
func (in *ContactInput) Validate() error {
	l := Lead{FirstName: in.FirstName, LastName: in.LastName, Email: in.Email, Phone: in.Phone, Company: in.Company, Source: in.Source}
	if l.FirstName == "" {
		l.FirstName = "-" // names are optional on API forms
	}
	if err := l.Validate(); err != nil {
		return err
	}
	if len(in.Message) > 5000 {
		return FieldErrorf("message", "Message must be at most 5000 characters.")
	}
	in.FirstName, in.LastName, in.Email, in.Phone, in.Company, in.Source = strings.TrimSpace(in.FirstName), l.LastName, l.Email, l.Phone, l.Company, l.Source
	if len(PhoneDigits(in.Phone)) > 0 && len(strings.TrimPrefix(PhoneDigits(in.Phone), "+")) < 7 {
		return FieldErrorf("phone", "Enter a phone number with at least 7 digits.")
	}
	return nil
}

// ContactUpserter creates or updates a contact, deduplicated by normalised
// email, then phone.
type ContactUpserter interface {
	UpsertContact(ctx context.Context, in ContactInput) (contactID int64, created bool, err error)
}

// ContactStore is what workflow steps need of contacts.
type ContactStore interface {
	ContactUpserter
	FindContact(ctx context.Context, tenantID, id int64) (*Contact, error)
	// TagContact adds tag, or removes it when remove is set.
	TagContact(ctx context.Context, tenantID, id int64, tag string, remove bool) error
}

// Submission is one post of a public form.
type Submission struct {
	ID        int64
	TenantID  int64
	Form      string
	Contact   ContactInput
	Payload   map[string]string // the fields as posted
	ContactID int64
	RunIDs    []int64
	CreatedAt time.Time
}

// Run is one execution of a workflow version.
type Run struct {
	ID            int64
	TenantID      int64
	WorkflowID    int64
	WorkflowName  string
	VersionID     int64
	Version       int
	Status        string
	StepIndex     int // the next step to run
	Attempts      int // attempts of the current step
	NextAttemptAt time.Time
	LeaseUntil    *time.Time
	Payload       map[string]string
	ContactID     int64
	Error         string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	Definition    *Definition // the version's steps, loaded on claim and in detail views
	Steps         []*RunStep  // the log, in detail views
}

// RunStep is the log of one step of a run.
type RunStep struct {
	ID             int64
	RunID          int64
	StepIndex      int
	StepID         string
	Type           string
	Status         string
	Input          string
	Output         string
	Error          string
	Attempt        int
	IdempotencyKey string
	ProviderID     string
	StartedAt      time.Time
	FinishedAt     *time.Time
}

// RunFilter selects runs for the execution log.
type RunFilter struct {
	TenantID   int64 // 0: every tenant (Nexus)
	WorkflowID int64
	Status     string
	Since      *time.Time
	Until      *time.Time
	Limit      int
}

// RunAdvance is where a run goes after a step succeeded.
type RunAdvance struct {
	StepIndex int // next step; past the end means succeeded
	Status    string
	At        time.Time // when the run is due again (waits)
	ContactID int64     // 0: unchanged
}

// WorkflowStore persists workflows, form submissions and the run queue.
type WorkflowStore interface {
	FindWorkflows(ctx context.Context, tenantID int64) ([]*Workflow, error)
	FindWorkflow(ctx context.Context, id int64) (*Workflow, error)
	// SaveWorkflow creates a workflow (ID 0) or stores a new version of it.
	SaveWorkflow(ctx context.Context, w *Workflow) error
	SetWorkflowEnabled(ctx context.Context, id int64, enabled bool) error

	// CaptureSubmission stores the submission, upserts its contact and
	// enqueues a run of every enabled form workflow of the tenant, in one
	// transaction. It fills s.ID, s.ContactID and s.RunIDs.
	CaptureSubmission(ctx context.Context, s *Submission) error

	// ClaimRun takes the next due run (queued, waiting and due, or running
	// with an expired lease) for token until the lease ends; nil if none.
	ClaimRun(ctx context.Context, token string, lease time.Duration) (*Run, error)
	FindRunStep(ctx context.Context, runID int64, index int) (*RunStep, error)
	// StartStep records an attempt of a step before its side effect; it
	// fails with ECONFLICT when token no longer holds the run, and
	// extends the lease to leaseUntil.
	StartStep(ctx context.Context, token string, rs *RunStep, leaseUntil time.Time) error
	// FinishStep records the step's result and moves the run on, at once.
	FinishStep(ctx context.Context, token string, rs *RunStep, next RunAdvance) error
	// FailStep records the error; retryAt nil fails the run.
	FailStep(ctx context.Context, token string, rs *RunStep, uncertain bool, retryAt *time.Time) error
	// ReleaseRun gives the run back (shutdown) without counting an attempt.
	ReleaseRun(ctx context.Context, token string, runID int64) error

	FindRuns(ctx context.Context, f RunFilter) ([]*Run, error)
	FindRun(ctx context.Context, id int64) (*Run, error)
	// ReplayRun requeues a failed run at its failed step.
	ReplayRun(ctx context.Context, id int64) error
	// RecordProviderStatus stores a provider's status callback on the step
	// with that idempotency key (and its provider id if it had none).
	RecordProviderStatus(ctx context.Context, key, providerID, status string) error
	// DeleteOldRuns deletes finished runs created before before, and all
	// but the newest keep finished runs. Returns how many were deleted.
	DeleteOldRuns(ctx context.Context, before time.Time, keep int) (int, error)
}
