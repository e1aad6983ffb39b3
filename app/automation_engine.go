package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Engine defaults.
const (
	DefaultWorkers     = 2
	DefaultLease       = time.Minute
	DefaultPoll        = time.Second
	DefaultBackoffBase = 10 * time.Second
	DefaultKeepRuns    = 10000
	DefaultRunMaxAge   = 30 * 24 * time.Hour
)

// SMS is an outgoing text message.
type SMS struct {
	From, To, Body string
	// IdempotencyKey is put in the status callback URL so a status report
	// finds the step even when the sender crashed before recording it.
	IdempotencyKey string
}

// Call is an outgoing voice call answered with TwiML.
type Call struct {
	From, To, TwiML string
	IdempotencyKey  string
}

// Telephony sends SMS and places calls (Twilio).
type Telephony interface {
	SendSMS(ctx context.Context, m SMS) (sid string, err error)
	PlaceCall(ctx context.Context, c Call) (sid string, err error)
	// FindSent looks for a message (kind "sms") or call ("call") from
	// from to to created at or after since, with this body for SMS:
	// the reconciliation of a send whose result was never recorded.
	// Returns "" when there is none.
	FindSent(ctx context.Context, kind, from, to, body string, since time.Time) (sid string, err error)
	From() string
	// Ping is the integrations hub's connection test (twilio.Client
	// lists one message: nothing sent).
	Pinger
}

// AIAgents places calls and texts answered by Agent Studio's agents
// (agents.Service implements it).
type AIAgents interface {
	// AgentFor returns the agent a step uses (ref: its ID, "" = the
	// tenant's first on channel "voice" or "sms"); ok is false when the
	// tenant has none that can.
	AgentFor(ctx context.Context, tenantID int64, ref, channel string) (id int64, ok bool, err error)
	AICall(ctx context.Context, tenantID, agentID, contactID int64, to, purpose, key string) (sid string, err error)
	AISMS(ctx context.Context, tenantID, agentID, contactID int64, to, purpose, key string) (ref string, err error)
}

// PermanentError marks a provider error that retrying cannot fix (for
// example Twilio's 400 for an invalid number): the provider did not send.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// HTTPSender makes a step's HTTP request.
type HTTPSender interface {
	SendHTTP(ctx context.Context, method, url string, headers map[string]string, body string) (status int, respBody string, err error)
}

// Engine runs workflow runs from the queue with Workers goroutines.
type Engine struct {
	store    WorkflowStore
	Contacts ContactStore
	// Telephony returns the tenant's Twilio client, or an error saying
	// what is missing.
	Telephony func(ctx context.Context, tenantID int64) (Telephony, error)
	// Mailer returns the tenant's mailer, or an error when no SMTP server
	// is configured.
	Mailer func(ctx context.Context, tenantID int64) (Mailer, error)
	HTTP   HTTPSender
	// AI places calls and texts with Agent Studio's agents (ai_call,
	// ai_sms steps); nil: those steps use their keypad/plain fallback.
	AI AIAgents
	// Sheets runs the Data & Sheets steps (nil: they fail).
	Sheets SheetSteps
	// Inbox runs the Conversations steps (nil: they fail).
	Inbox InboxSteps
	// Members runs the members' area steps (nil: they fail).
	Members MemberSteps
	// QuietHours reports whether the tenant is in its quiet hours and
	// when they end: texts and calls wait until then (nil: never quiet).
	QuietHours func(ctx context.Context, tenantID int64, now time.Time) (until time.Time, quiet bool)
	// Triggers, when set, runs with the workers (CRM events, schedules,
	// date fields).
	Triggers *Triggers
	// AdminEmail is where notify steps go when they have no "to".
	AdminEmail func(ctx context.Context) string
	// GatherAction returns the URL Twilio posts a call's pressed key (or
	// spoken answer) to;
	// with forward set, pressing 1 connects the callee to that number.
	GatherAction func(tenantID int64, key, forward string) string
	// Voice writes a call step's script as the provider's markup
	// (twilio.Markup); a call step fails without it.
	Voice VoiceMarkup

	Workers     int
	Lease       time.Duration
	Poll        time.Duration
	BackoffBase time.Duration
	KeepRuns    int
	RunMaxAge   time.Duration
	Logger      *slog.Logger
	Now         func() time.Time
	// Meter counts runs and step outcomes (nil: not counted).
	Meter Meter

	wake chan struct{}
	wg   sync.WaitGroup
}

// NewEngine returns a workflow engine over st (the store the
// AutomationService enqueues runs in); the caller sets the rest.
func NewEngine(st WorkflowStore) *Engine { return &Engine{store: st} }

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// Wake tells an idle worker to look at the queue now (after an enqueue).
func (e *Engine) Wake() {
	if e.wake == nil {
		return
	}
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Start starts the workers and the retention loop; they stop when ctx is
// done. Wait waits for them.
func (e *Engine) Start(ctx context.Context) {
	if e.Workers <= 0 {
		e.Workers = DefaultWorkers
	}
	if e.Lease <= 0 {
		e.Lease = DefaultLease
	}
	if e.Poll <= 0 {
		e.Poll = DefaultPoll
	}
	if e.BackoffBase <= 0 {
		e.BackoffBase = DefaultBackoffBase
	}
	if e.Logger == nil {
		e.Logger = slog.Default()
	}
	e.wake = make(chan struct{}, e.Workers)
	for i := 0; i < e.Workers; i++ {
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			e.work(ctx)
		}()
	}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		e.retain(ctx)
	}()
	if e.Triggers != nil {
		if e.Triggers.Engine == nil {
			e.Triggers.Engine = e
		}
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			e.Triggers.Run(ctx)
		}()
	}
}

// Wait waits for the workers to stop.
func (e *Engine) Wait() { e.wg.Wait() }

func (e *Engine) retain(ctx context.Context) {
	keep, age := e.KeepRuns, e.RunMaxAge
	if keep <= 0 {
		keep = DefaultKeepRuns
	}
	if age <= 0 {
		age = DefaultRunMaxAge
	}
	// The first pass waits a minute: startup has more urgent writes.
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return
	case <-time.After(time.Minute):
	}
	for {
		if n, err := e.store.DeleteOldRuns(ctx, e.now().Add(-age), keep); err != nil && ctx.Err() == nil {
			e.Logger.Error("automation retention", "err", err)
		} else if n > 0 {
			e.Logger.Info("automation retention: deleted old runs", "runs", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (e *Engine) work(ctx context.Context) {
	// Idle polling begins after serve's start delay; an enqueue (Wake)
	// starts a worker at once.
	AfterStartDelay(ctx, e.wake)
	for ctx.Err() == nil {
		ran, err := e.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			e.Logger.Error("automation worker", "err", err)
		}
		if ran {
			continue
		}
		t := time.NewTimer(e.Poll)
		select {
		case <-ctx.Done():
		case <-e.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// RunOnce claims one due run and runs its steps until it finishes, waits
// or fails a step. It reports whether it found a run.
func (e *Engine) RunOnce(ctx context.Context) (bool, error) {
	if e.Lease <= 0 {
		e.Lease = DefaultLease
	}
	if e.BackoffBase <= 0 {
		e.BackoffBase = DefaultBackoffBase
	}
	if e.Logger == nil {
		e.Logger = slog.Default()
	}
	token := RandomToken(12)
	run, err := e.store.ClaimRun(ctx, token, e.Lease)
	if err != nil || run == nil {
		return false, err
	}
	for {
		if ctx.Err() != nil {
			return true, e.store.ReleaseRun(context.WithoutCancel(ctx), token, run.ID)
		}
		done, err := e.step(ctx, token, run)
		if err != nil || done {
			return true, err
		}
	}
}

// step runs run.Definition.Steps[run.StepIndex] and records the outcome;
// done means the run left this worker (finished, waiting, retrying, failed).
func (e *Engine) step(ctx context.Context, token string, run *Run) (done bool, err error) {
	steps := run.Definition.Steps
	if run.StepIndex >= len(steps) {
		rs := &RunStep{RunID: run.ID, StepIndex: run.StepIndex, StepID: "end", Type: "end"}
		return true, e.store.FinishStep(ctx, token, rs, RunAdvance{StepIndex: run.StepIndex, Status: RunSucceeded})
	}
	st := steps[run.StepIndex]
	key := fmt.Sprintf("r%d-s%d", run.ID, run.StepIndex)
	prev, err := e.store.FindRunStep(ctx, run.ID, run.StepIndex)
	if err != nil && ErrorCode(err) != ENOTFOUND {
		return true, err
	}
	rs := &RunStep{RunID: run.ID, StepIndex: run.StepIndex, StepID: st.ID, Type: st.Type, IdempotencyKey: key}
	if prev != nil {
		rs.Attempt = prev.Attempt
		rs.ProviderID = prev.ProviderID
		rs.StartedAt = prev.StartedAt
	}
	next := RunAdvance{StepIndex: run.StepIndex + 1, Status: RunRunning}
	if prev != nil && prev.Status == StepSucceeded { // recorded, but the run did not move on
		rs.Status, rs.Output = prev.Status, prev.Output
		return e.advance(ctx, token, run, rs, next)
	}
	// Quiet hours: a text or call the contact would get in the tenant's
	// quiet window waits, in the database, until it ends (one whose
	// earlier attempt may have gone out is reconciled first, never held).
	if e.QuietHours != nil && (st.Type == StepSMS || st.Type == StepCall || st.Type == StepAICall || st.Type == StepAISMS) &&
		(prev == nil || prev.Status != StepStarted) {
		if until, quiet := e.QuietHours(ctx, run.TenantID, e.now()); quiet {
			e.Logger.Info("automation: held for quiet hours", "run_id", run.ID, "step", st.ID, "until", until)
			return true, e.store.HoldRun(context.WithoutCancel(ctx), token, run.ID, until,
				fmt.Sprintf("Held for quiet hours until %s.", until.UTC().Format(time.RFC3339)))
		}
	}
	data, err := e.templateData(ctx, run)
	if err != nil {
		return true, err
	}
	if st.Type == StepAICall || st.Type == StepAISMS {
		// Without an agent the step is its fallback (keypad call, plain
		// text), reconciled like one.
		if st, err = e.aiStep(ctx, run, st); err != nil {
			rs.Attempt++
			return true, e.fail(ctx, token, run, st, rs, err, false)
		}
	}
	// Reconcile a send that may have happened: the previous attempt
	// started and never recorded a result.
	if prev != nil && prev.Status == StepStarted && (st.Type == StepSMS || st.Type == StepCall) {
		sid, rerr := e.reconcile(ctx, run, st, prev, data)
		if rerr == nil && sid != "" {
			e.Logger.Info("automation: reconciled a send recorded by the provider", "run_id", run.ID, "step", st.ID, "sid", sid)
			rs.ProviderID, rs.Output, rs.Status = sid, `{"reconciled":true,"sid":"`+sid+`"}`, StepSucceeded
			return e.advance(ctx, token, run, rs, next)
		}
		if rerr != nil {
			return true, e.fail(ctx, token, run, st, rs, fmt.Errorf("reconcile with provider: %w", rerr), true)
		}
	}
	// An AI call or text is not found again by its body: if its previous
	// attempt started and recorded nothing, it may have reached the
	// contact, so it is never made twice.
	if prev != nil && prev.Status == StepStarted && (st.Type == StepAICall || st.Type == StepAISMS) {
		if prev.ProviderID != "" { // a status callback told us
			rs.ProviderID, rs.Output, rs.Status = prev.ProviderID, `{"reconciled":true,"sid":"`+prev.ProviderID+`"}`, StepSucceeded
			return e.advance(ctx, token, run, rs, next)
		}
		return true, e.fail(ctx, token, run, st, rs, &PermanentError{errors.New("the previous attempt may have reached the contact and recorded no result; not trying again (see Agent Studio > Conversations)")}, false)
	}
	rs.Attempt++
	rs.StartedAt = e.now()
	rs.Input = stepInput(st)
	// Steps with an outside effect are recorded as started first, so a
	// crash leaves a trace to reconcile; steps that only touch this
	// database (or repeat harmlessly) are recorded once, when done.
	switch st.Type {
	case StepContact, StepTag, StepIf, StepWait, StepDealStage, StepLookupRow:
	default:
		if err := e.store.StartStep(ctx, token, rs, e.now().Add(e.Lease)); err != nil {
			return true, err
		}
	}
	actx := NewContextWithActor(ctx, fmt.Sprintf("workflow:%d", run.WorkflowID))
	out, adv, uncertain, err := e.exec(actx, run, st, rs, data)
	if err != nil {
		return true, e.fail(ctx, token, run, st, rs, err, uncertain)
	}
	if adv != nil {
		next = *adv
	}
	rs.Output, rs.Status = out, StepSucceeded
	done, err = e.advance(ctx, token, run, rs, next)
	if err == nil && e.Meter != nil {
		e.Meter.StepFinished(st.Type, StepSucceeded)
	}
	return done, err
}

func (e *Engine) advance(ctx context.Context, token string, run *Run, rs *RunStep, next RunAdvance) (bool, error) {
	if next.StepIndex >= len(run.Definition.Steps) && next.Status == RunRunning {
		next.Status = RunSucceeded
	}
	if err := e.store.FinishStep(context.WithoutCancel(ctx), token, rs, next); err != nil {
		return true, err
	}
	if e.Meter != nil && (next.Status == RunSucceeded || next.Status == RunFailed) {
		e.Meter.RunFinished(next.Status)
	}
	if next.ContactID != 0 {
		run.ContactID = next.ContactID
	}
	if next.DealID != 0 {
		run.DealID = next.DealID
	}
	run.StepIndex, run.Attempts = next.StepIndex, 0
	return next.Status != RunRunning, nil
}

func (e *Engine) fail(ctx context.Context, token string, run *Run, st Step, rs *RunStep, err error, uncertain bool) error {
	rs.Error = err.Error()
	limit := st.Retries
	if limit == 0 {
		limit = DefaultStepRetries
	}
	var retryAt *time.Time
	var perm *PermanentError
	if rs.Attempt < limit && !errors.As(err, &perm) {
		d := e.BackoffBase << (rs.Attempt - 1)
		d += time.Duration(rand.Int64N(int64(d)/4 + 1))
		t := e.now().Add(d)
		retryAt = &t
	}
	e.Logger.Warn("automation step failed", "run_id", run.ID, "step", st.ID, "attempt", rs.Attempt, "retry", retryAt != nil, "err", err)
	if err := e.store.FailStep(context.WithoutCancel(ctx), token, rs, uncertain, retryAt); err != nil {
		return err
	}
	if e.Meter != nil {
		if retryAt != nil {
			e.Meter.StepFinished(st.Type, "retry")
		} else {
			e.Meter.StepFinished(st.Type, RunFailed)
			e.Meter.RunFinished(RunFailed)
		}
	}
	return nil
}

func (e *Engine) templateData(ctx context.Context, run *Run) (*TemplateData, error) {
	d := &TemplateData{Trigger: run.Payload, Contact: &Contact{}}
	if run.Definition != nil && hasSheetSteps(run.Definition, run.StepIndex) {
		steps, err := e.stepResults(ctx, run)
		if err != nil {
			return nil, err
		}
		d.Steps = steps
	}
	if run.ContactID != 0 {
		c, err := e.Contacts.FindContact(ctx, run.TenantID, run.ContactID)
		if err != nil && ErrorCode(err) != ENOTFOUND {
			return nil, err
		}
		if c != nil {
			d.Contact = c
		}
	}
	return d, nil
}

func stepInput(st Step) string {
	b, _ := json.Marshal(st)
	return string(b)
}

func (e *Engine) reconcile(ctx context.Context, run *Run, st Step, prev *RunStep, data *TemplateData) (string, error) {
	if prev.ProviderID != "" { // a status callback told us
		return prev.ProviderID, nil
	}
	tel, err := e.Telephony(ctx, run.TenantID)
	if err != nil {
		return "", err
	}
	to, err := e.recipient(st, data)
	if err != nil {
		return "", err
	}
	body := ""
	if st.Type == StepSMS {
		if body, err = RenderTemplate(st.Body, data); err != nil {
			return "", err
		}
	}
	return tel.FindSent(ctx, st.Type, tel.From(), to, body, prev.StartedAt.Add(-time.Minute))
}

func (e *Engine) recipient(st Step, data *TemplateData) (string, error) {
	to := st.To
	if to == "" {
		to = "{{.Contact.Phone}}"
	}
	r, err := RenderTemplate(to, data)
	if err != nil {
		return "", err
	}
	r = PhoneDigits(r)
	if len(strings.TrimPrefix(r, "+")) < 7 {
		return "", &PermanentError{fmt.Errorf("step %s: no phone number to reach (to=%q)", st.ID, r)}
	}
	return r, nil
}

// exec performs one step. uncertain reports that an error left it unknown
// whether the side effect happened (a timeout after sending).
func (e *Engine) exec(ctx context.Context, run *Run, st Step, rs *RunStep, data *TemplateData) (out string, adv *RunAdvance, uncertain bool, err error) {
	k, ok := stepKinds[st.Type]
	if !ok {
		return "", nil, false, &PermanentError{fmt.Errorf("unknown step type %q", st.Type)}
	}
	return k.run(&stepRun{e: e, ctx: ctx, run: run, st: st, rs: rs, data: data, render: func(s string) (string, error) { return RenderTemplate(s, data) }})
}

// aiStep resolves an AI step: with an agent answering the channel, the
// step with Agent set to its ID; without one, its fallback (a keypad
// call for an AI call with say, gather or forward; a plain text for an
// AI SMS with a body), or a permanent error.
func (e *Engine) aiStep(ctx context.Context, run *Run, st Step) (Step, error) {
	ch := map[string]string{StepAICall: "voice", StepAISMS: "sms"}[st.Type]
	if e.AI != nil {
		id, ok, err := e.AI.AgentFor(ctx, run.TenantID, st.Agent, ch)
		if err != nil {
			return st, crmStepError(err)
		}
		if ok {
			st.Agent = strconv.FormatInt(id, 10)
			return st, nil
		}
	}
	switch {
	case st.Type == StepAICall && (st.Say != "" || st.Gather != "" || st.Forward != ""):
		st.Type = StepCall
	case st.Type == StepAISMS && st.Body != "":
		st.Type = StepSMS
	default:
		return st, &PermanentError{fmt.Errorf("step %s: no AI agent of this account answers %s (turn one on in Agent Studio, with a number)",
			st.ID, map[string]string{"voice": "calls", "sms": "texts"}[ch])}
	}
	return st, nil
}

// activity records a sent message or call on the run's contact; a failure
// is logged, not retried: the send itself succeeded.
func (e *Engine) activity(ctx context.Context, run *Run, kind, body string) {
	if run.ContactID == 0 {
		return
	}
	if err := e.Contacts.RecordActivity(ctx, run.TenantID, run.ContactID, kind, body); err != nil && ErrorCode(err) != ENOTFOUND {
		e.Logger.Warn("automation: timeline entry", "run_id", run.ID, "err", err)
	}
}

// payloadField returns the first of names present in a trigger payload.
func payloadField(p map[string]string, names ...string) string {
	for _, n := range names {
		if v := strings.TrimSpace(p[n]); v != "" {
			return v
		}
	}
	return ""
}

// crmStepError marks a CRM write's refusal (bad input, a record that is
// gone) permanent: retrying cannot fix it. Other errors are retried.
func crmStepError(err error) error {
	if c := ErrorCode(err); c == EINVALID || c == ENOTFOUND {
		return &PermanentError{err}
	}
	return err
}

func isPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// fieldValue reads "contact.email", "trigger.source" or a bare trigger
// field name.
func fieldValue(field string, d *TemplateData) string {
	f := strings.ToLower(field)
	if name, ok := strings.CutPrefix(f, "contact."); ok {
		c := d.Contact
		switch name {
		case "first_name", "firstname":
			return c.FirstName
		case "last_name", "lastname":
			return c.LastName
		case "email":
			return c.Email
		case "phone":
			return c.Phone
		case "company":
			return c.Company
		case "source":
			return c.Source
		case "tags":
			return strings.Join(c.Tags, ",")
		}
		return ""
	}
	if rest, ok := strings.CutPrefix(f, "steps."); ok {
		id, key, _ := strings.Cut(rest, ".")
		for sid, m := range d.Steps {
			if strings.EqualFold(sid, id) {
				return m[key]
			}
		}
		return ""
	}
	name := strings.TrimPrefix(field, "trigger.")
	if v, ok := d.Trigger[name]; ok {
		return v
	}
	for k, v := range d.Trigger {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// twiml builds the call's TwiML: say; then gather one key (with forward:
// pressing 1 connects to the forward number, through GatherAction); or,
// without gather, forward at once.
func (e *Engine) twiml(tenantID int64, key string, st Step, render func(string) (string, error)) (string, error) {
	if e.Voice == nil {
		return "", &PermanentError{fmt.Errorf("step %s: no voice markup is configured for calls", st.ID)}
	}
	var vs VoiceScript
	if st.Say != "" {
		s, err := render(st.Say)
		if err != nil {
			return "", err
		}
		vs.Say = s
	}
	forward := ""
	if st.Forward != "" {
		s, err := render(st.Forward)
		if err != nil {
			return "", err
		}
		if forward = PhoneDigits(s); len(forward) < 7 {
			return "", &PermanentError{fmt.Errorf("step %s: forward number %q is not a phone number", st.ID, s)}
		}
	}
	if st.Gather != "" {
		s, err := render(st.Gather)
		if err != nil {
			return "", err
		}
		vs.Gather, vs.Prompt = true, s
		if e.GatherAction != nil {
			vs.Action = e.GatherAction(tenantID, key, forward)
		}
	} else {
		vs.Dial = forward
	}
	return e.Voice.Script(vs), nil
}

// LeadCaptureWorkflow is the seeded workflow of the house tenant: form
// submitted → contact → call the lead (with the AI agent when one
// answers calls, else the keypad menu) → email the admin.
func LeadCaptureWorkflow() *Workflow {
	return &Workflow{TenantID: HouseTenantID, Name: "Lead capture", Trigger: TriggerFormSubmitted, Seed: "lead-capture",
		Definition: &Definition{Steps: []Step{
			{ID: "contact", Type: StepContact},
			{ID: "has-phone", Type: StepIf, Field: "contact.phone", Op: "empty", Then: "notify"},
			// An AI call when the tenant has a voice agent (Agent Studio),
			// else the keypad menu.
			{ID: "call", Type: StepAICall, Say: "Hello {{.Contact.FirstName}}, thank you for contacting us. We will call you back within one business day.",
				Gather: "Press 1 to confirm that you would like a call back.", Retries: 3,
				Purpose: "{{.Contact.FirstName}} just filled in the website form: thank them, answer their questions, find out what they need and book a free consultation."},
			{ID: "notify", Type: StepNotify, Subject: "New lead: {{.Contact.FirstName}} {{.Contact.LastName}}",
				Body: "Name: {{.Contact.FirstName}} {{.Contact.LastName}}\nEmail: {{.Contact.Email}}\nPhone: {{.Contact.Phone}}\nSource: {{.Trigger.source}}\n"},
		}}}
}
