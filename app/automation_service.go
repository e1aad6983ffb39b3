package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
)

// TwilioEventStore records verified inbound Twilio webhooks.
type TwilioEventStore interface {
	// CreateTwilioEvent stores ev and, in the same transaction, queues a
	// run of every enabled workflow of the tenant with trigger ("": none)
	// with payload as its trigger fields. A replay, an event of the tenant
	// with the same DedupeKey already stored, stores and queues nothing
	// and returns dup true.
	CreateTwilioEvent(ctx context.Context, ev *TwilioEvent, trigger string, payload []byte) (dup bool, runIDs []int64, err error)
}

// TwilioEvent is one verified inbound Twilio webhook.
type TwilioEvent struct {
	TenantID       int64
	Kind           string // sms, voice, status
	SID            string // MessageSid or CallSid
	From, To, Body string
	Params         map[string]string // every signed parameter
}

// DedupeKey identifies a replay: Twilio signs the URL and every
// parameter, so a replayed (or retried) request carries the same SID and
// the same parameters, while the later webhooks of one call or message
// (a key pressed, the next status) differ in theirs. "" when there is no
// SID to key on.
func (e *TwilioEvent) DedupeKey() string {
	if e.SID == "" {
		return ""
	}
	keys := make([]string, 0, len(e.Params))
	for k := range e.Params {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s", e.Kind, e.SID)
	for _, k := range keys {
		fmt.Fprintf(h, "\x00%s=%s", k, e.Params[k])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// AutomationService is the use-case layer of automations: form capture
// (public), inbound Twilio webhooks, and the Nexus pages (admins only).
type AutomationService struct {
	store WorkflowStore
	// events stores verified Twilio webhooks and queues their runs in
	// one transaction (replays are found by SID).
	events TwilioEventStore
	// requests holds clients' automation requests (the portal's
	// Automations page and the Nexus request list).
	requests AutomationRequestStore
	// Usage records the usage status callbacks report (billing; nil:
	// none).
	Usage  UsageMeter
	Engine *Engine // Wake after an enqueue; nil in tests without workers
	// Missing says which integrations a tenant lacks for its workflows
	// ("Twilio", "SMTP"); used by the Nexus banner and on enable.
	Missing func(ctx context.Context, tenantID int64) []string
	// TwilioAuthToken returns the tenant's (or the global) Twilio auth
	// token for checking webhook signatures.
	TwilioAuthToken func(ctx context.Context, tenantID int64) (string, error)
	// ValidSignature checks an X-Twilio-Signature (twilio.ValidSignature).
	ValidSignature func(token, url string, params map[string]string, sig string) bool
	// TenantForNumber finds the tenant whose own Twilio number is to
	// (a text or call to it belongs to that tenant); false: none.
	TenantForNumber func(ctx context.Context, to string) (int64, bool)
	Audit           *AuditService
	// Agents answers texts and calls with AI agents (nil: none).
	Agents AgentAnswerer
	// Sheets checks the tables and columns of sheet steps when a
	// workflow is saved (nil: workflows with sheet steps are refused).
	Sheets SheetSteps
	// Inbox records texts and their delivery reports in Conversations
	// (nil: not recorded there).
	Inbox InboxReceiver
	// Voice writes the answers to Twilio's webhooks (twilio.Markup).
	Voice VoiceMarkup
}

// VoiceAnswer is the document answering one of Twilio's webhooks: vs as
// the provider's markup (an empty script answers a text or a status
// callback with nothing to do).
func (s *AutomationService) VoiceAnswer(vs VoiceScript) (string, error) {
	if s.Voice == nil {
		return "", Errorf(EINTERNAL, "No voice markup is configured.")
	}
	return s.Voice.Script(vs), nil
}

// AutomationStorage is what NewAutomationService keeps workflows in: the
// workflows and runs, and the Twilio events (store.WorkflowStore keeps
// both).
type AutomationStorage interface {
	WorkflowStore
	TwilioEventStore
}

// NewAutomationService returns the automations' use cases over st (the
// workflow store the wiring also hands to the Engine and its Triggers)
// and the clients' automation requests; the caller sets the optional
// fields. The stores stay private: callers go through the service.
func NewAutomationService(st AutomationStorage, requests AutomationRequestStore) *AutomationService {
	return &AutomationService{store: st, events: st, requests: requests}
}

// InboxReceiver records verified Twilio texts and delivery reports in
// Conversations (inbox.Service implements it). Both are idempotent by
// MessageSid.
type InboxReceiver interface {
	// InboundSMS records a text; routed is false when no tenant owns the
	// number written to, agent true when an AI agent answers it.
	InboundSMS(ctx context.Context, tenantID int64, params map[string]string, routed, agent bool) error
	SMSStatus(ctx context.Context, tenantID int64, params map[string]string) error
	// CallEvent records a call's voice webhook, status or recording
	// callback in the contact's call thread, idempotent by CallSid.
	CallEvent(ctx context.Context, tenantID int64, params map[string]string, routed bool) error
}

// Capture validates a form post and stores the submission, its contact and
// the runs it triggers in one transaction.
func (s *AutomationService) Capture(ctx context.Context, sub *Submission) error {
	if !KnownForms[sub.Form] {
		return FieldErrorf("form", "Unknown form %q.", sub.Form)
	}
	return s.capture(ctx, sub)
}

// capture stores a submission of a known or built form (FormService).
func (s *AutomationService) capture(ctx context.Context, sub *Submission) error {
	if sub.TenantID == 0 {
		sub.TenantID = HouseTenantID
	}
	if err := sub.Contact.Validate(); err != nil {
		return err
	}
	if len(sub.Payload) > 50 {
		return FieldErrorf("payload", "A form may have at most 50 fields.")
	}
	if err := s.store.CaptureSubmission(ctx, sub); err != nil {
		return err
	}
	if len(sub.RunIDs) > 0 && s.Engine != nil {
		s.Engine.Wake()
	}
	return nil
}

func requireAdmin(ctx context.Context) error {
	if AdminFromContext(ctx) == nil {
		return Errorf(EFORBIDDEN, "Only Nexus admins can manage automations.")
	}
	return nil
}

// scope returns whose workflows the caller manages: 0 (every tenant) for
// a Nexus admin, the tenant of a signed-in tenant owner in the portal.
func (s *AutomationService) scope(ctx context.Context) (int64, error) {
	if AdminFromContext(ctx) != nil {
		return 0, nil
	}
	t, u := TenantFromContext(ctx), UserFromContext(ctx)
	if t == nil || u == nil {
		return 0, Errorf(EUNAUTHORIZED, "Sign in to continue.")
	}
	if u.Role != UserRoleOwner {
		return 0, Errorf(EFORBIDDEN, "Only the account owner can manage automations.")
	}
	return t.ID, nil
}

// requireWorkflowAccess is ENOTFOUND for another tenant's workflow.
func (s *AutomationService) requireWorkflowAccess(ctx context.Context, w *Workflow) error {
	tid, err := s.scope(ctx)
	if err != nil {
		return err
	}
	if tid != 0 && w.TenantID != tid {
		return Errorf(ENOTFOUND, "Workflow not found.")
	}
	return nil
}

// Workflows lists the workflows the caller manages (every tenant's in
// Nexus).
func (s *AutomationService) Workflows(ctx context.Context) ([]*Workflow, error) {
	tid, err := s.scope(ctx)
	if err != nil {
		return nil, err
	}
	return s.store.FindWorkflows(ctx, tid)
}

// Workflow returns one workflow.
func (s *AutomationService) Workflow(ctx context.Context, id int64) (*Workflow, error) {
	if _, err := s.scope(ctx); err != nil {
		return nil, err
	}
	w, err := s.store.FindWorkflow(ctx, id)
	if err != nil {
		return nil, err
	}
	return w, s.requireWorkflowAccess(ctx, w)
}

// SaveDefinition stores a new version of a workflow (or a new workflow
// when id is 0) from its JSON definition.
// when, if not nil, replaces the definition's trigger options.
func (s *AutomationService) SaveDefinition(ctx context.Context, id int64, name, trigger string, def []byte, when *When) (*Workflow, error) {
	tid, err := s.scope(ctx)
	if err != nil {
		return nil, err
	}
	if id != 0 { // a missing or foreign workflow answers before the input is judged
		if _, err := s.Workflow(ctx, id); err != nil {
			return nil, err
		}
	}
	d, err := ParseDefinition(def)
	if err != nil {
		return nil, err
	}
	if when != nil {
		d.When = when
	}
	w := &Workflow{TenantID: HouseTenantID, Trigger: TriggerFormSubmitted}
	if tid != 0 {
		w.TenantID = tid
	}
	if id != 0 {
		if w, err = s.Workflow(ctx, id); err != nil {
			return nil, err
		}
	}
	if tid != 0 && trigger == TriggerFederalAlert {
		return nil, FieldErrorf("trigger", "Federal alerts are for the agency's own workflows.")
	}
	if err := CheckSheetSteps(ctx, s.Sheets, w.TenantID, d); err != nil {
		return nil, err
	}
	w.Name, w.Definition = name, d
	if trigger != "" {
		w.Trigger = trigger
	}
	if err := s.store.SaveWorkflow(ctx, w); err != nil {
		return nil, err
	}
	s.audit(ctx, "workflow.save", w)
	return w, nil
}

// SetEnabled turns a workflow on or off. Turning on a workflow whose steps
// need an integration that is not configured fails and says which.
func (s *AutomationService) SetEnabled(ctx context.Context, id int64, enabled bool) error {
	w, err := s.Workflow(ctx, id)
	if err != nil {
		return err
	}
	if enabled && s.Missing != nil {
		if miss := s.MissingFor(ctx, w); len(miss) > 0 {
			return Errorf(EINVALID, "Configure %s before enabling %q.", strings.Join(miss, " and "), w.Name)
		}
	}
	if err := s.store.SetWorkflowEnabled(ctx, id, enabled); err != nil {
		return err
	}
	action := "workflow.disable"
	if enabled {
		action = "workflow.enable"
	}
	s.audit(ctx, action, w)
	return nil
}

// MissingFor lists the integrations w's steps need that are not configured.
func (s *AutomationService) MissingFor(ctx context.Context, w *Workflow) []string {
	if s.Missing == nil {
		return nil
	}
	needT, needM := false, false
	for _, st := range w.Definition.Steps {
		switch st.Type {
		case StepSMS, StepCall, StepAICall, StepAISMS:
			needT = true
		case StepEmail, StepNotify:
			needM = true
		}
	}
	var out []string
	for _, m := range s.Missing(ctx, w.TenantID) {
		if m == "Twilio" && needT || m == "SMTP" && needM {
			out = append(out, m)
		}
	}
	return out
}

// Runs lists runs for the execution log.
func (s *AutomationService) Runs(ctx context.Context, f RunFilter) ([]*Run, error) {
	tid, err := s.scope(ctx)
	if err != nil {
		return nil, err
	}
	if tid != 0 {
		f.TenantID = tid
	}
	return s.store.FindRuns(ctx, f)
}

// Run returns a run with its step log.
func (s *AutomationService) Run(ctx context.Context, id int64) (*Run, error) {
	tid, err := s.scope(ctx)
	if err != nil {
		return nil, err
	}
	r, err := s.store.FindRun(ctx, id)
	if err != nil {
		return nil, err
	}
	if tid != 0 && r.TenantID != tid {
		return nil, Errorf(ENOTFOUND, "Run not found.")
	}
	return r, nil
}

// Replay requeues a failed run from its failed step.
func (s *AutomationService) Replay(ctx context.Context, id int64) error {
	if _, err := s.Run(ctx, id); err != nil {
		return err
	}
	if err := s.store.ReplayRun(ctx, id); err != nil {
		return err
	}
	if s.Audit != nil {
		s.Audit.Record(ctx, "run.replay", fmt.Sprintf("run %d", id), "")
	}
	if s.Engine != nil {
		s.Engine.Wake()
	}
	return nil
}

func (s *AutomationService) audit(ctx context.Context, action string, w *Workflow) {
	if s.Audit != nil {
		s.Audit.Record(ctx, action, fmt.Sprintf("workflow %d", w.ID), w.Name)
	}
}

// TwilioWebhook is a verified inbound Twilio request.
type TwilioWebhook struct {
	TenantID int64
	Kind     string // sms, voice, status
	Params   map[string]string
	// Key is the idempotency key of a status callback (from its URL).
	Key string
	// Routed is true when the request names its tenant (a custom
	// domain, ?tenant=, or a number the tenant owns).
	Routed bool
}

// CheckTwilioSignature verifies X-Twilio-Signature of a webhook for
// tenantID against the public URL Twilio posted to. A forged or
// unverifiable request is EFORBIDDEN.
func (s *AutomationService) CheckTwilioSignature(ctx context.Context, tenantID int64, publicURL string, params map[string]string, signature string) error {
	if s.TwilioAuthToken == nil || s.ValidSignature == nil {
		return Errorf(EFORBIDDEN, "Twilio is not configured.")
	}
	tok, err := s.TwilioAuthToken(ctx, tenantID)
	if err != nil || tok == "" {
		return Errorf(EFORBIDDEN, "Twilio is not configured for this account.")
	}
	if !s.ValidSignature(tok, publicURL, params, signature) {
		return Errorf(EFORBIDDEN, "Invalid Twilio signature.")
	}
	return nil
}

// HandleTwilio records a verified webhook; a status callback also updates
// the step it reports on.
func (s *AutomationService) HandleTwilio(ctx context.Context, h *TwilioWebhook) error {
	p := h.Params
	sid := p["MessageSid"]
	if sid == "" {
		sid = p["CallSid"]
	}
	if h.Kind == "status" && h.Key != "" {
		status := p["MessageStatus"]
		if status == "" {
			status = p["CallStatus"]
		}
		// Idempotent, so a replay may repeat it.
		if err := s.store.RecordProviderStatus(ctx, h.Key, sid, truncate(status, 40)); err != nil {
			return err
		}
	}
	if h.Kind == "status" && s.Usage != nil {
		// A failure is a 5xx, so Twilio retries; the ledger counts the
		// retry once.
		if err := s.Usage.TwilioStatus(ctx, h.TenantID, p); err != nil {
			return err
		}
	}
	if h.Kind == "status" && s.Inbox != nil && p["MessageSid"] != "" {
		if err := s.Inbox.SMSStatus(ctx, h.TenantID, p); err != nil {
			return err
		}
	}
	if h.Kind == "status" && s.Inbox != nil && p["MessageSid"] == "" && p["CallSid"] != "" {
		// A call's end or its recording: a failure is a 5xx, and
		// Twilio's retry merges into the same call message.
		if err := s.Inbox.CallEvent(ctx, h.TenantID, p, h.Routed); err != nil {
			return err
		}
	}
	if h.Kind == "voice" && s.Inbox != nil && h.Key == "" && p["Digits"] == "" && p["SpeechResult"] == "" && p["CallSid"] != "" {
		// A new call rings: it shows in the thread now. A failure is
		// logged; the caller is answered either way, and the status
		// callback at the end records the call.
		if err := s.Inbox.CallEvent(ctx, h.TenantID, p, h.Routed); err != nil {
			slog.Default().Warn("inbox: record a ringing call", "tenant_id", h.TenantID, "err", err)
		}
	}
	// A text, or a new call (not a key pressed in a call we placed),
	// starts the tenant's inbound workflows; phone is the sender, so a
	// contact step finds or creates them.
	trigger := ""
	switch {
	case h.Kind == "sms":
		trigger = TriggerInboundSMS
	case h.Kind == "voice" && h.Key == "" && p["Digits"] == "" && p["SpeechResult"] == "":
		trigger = TriggerInboundCall
	}
	var payload []byte
	if trigger != "" {
		payload, _ = json.Marshal(map[string]string{"from": p["From"], "to": p["To"], "body": truncate(p["Body"], 2000), "sid": sid, "phone": p["From"],
			"from_city": p["FromCity"], "from_state": p["FromState"], "from_country": p["FromCountry"]})
	}
	ev := &TwilioEvent{TenantID: h.TenantID, Kind: h.Kind, SID: truncate(sid, 64), From: truncate(p["From"], 40), To: truncate(p["To"], 40), Body: truncate(p["Body"], 2000), Params: p}
	dup, ids, err := s.events.CreateTwilioEvent(ctx, ev, trigger, payload)
	if err != nil {
		return err
	}
	if dup { // a replay: stored already, its runs queued already
		if h.Kind == "sms" && s.Inbox != nil {
			// The inbox dedupes by MessageSid: this only stores a
			// text whose first recording failed.
			return s.Inbox.InboundSMS(ctx, h.TenantID, p, h.Routed, false)
		}
		return nil
	}
	if len(ids) > 0 && s.Engine != nil {
		s.Engine.Wake()
	}
	agent := false
	if h.Kind == "sms" && s.Agents != nil {
		// The agent assigned to the number answers (in the background);
		// a failure is logged, never a reason for Twilio to retry the
		// text the event already holds.
		if agent, err = s.Agents.InboundSMS(ctx, h.TenantID, p["From"], p["To"], p["Body"]); err != nil {
			slog.Default().Warn("agent: answer a text", "tenant_id", h.TenantID, "err", err)
		}
	}
	if h.Kind == "sms" && s.Inbox != nil {
		// A failure here is a 5xx: Twilio retries, and the retry (a
		// replay above) stores the text in the inbox.
		return s.Inbox.InboundSMS(ctx, h.TenantID, p, h.Routed, agent)
	}
	return nil
}

// AgentAnswerer answers a tenant's inbound texts and calls with its AI
// agents (Agent Studio's service).
type AgentAnswerer interface {
	// InboundSMS answers a text to number to; handled is false when no
	// agent answers texts there.
	InboundSMS(ctx context.Context, tenantID int64, from, to, body string) (handled bool, err error)
	// AnswerCall returns the TwiML connecting a new inbound call to the
	// agent answering number to; ok is false when none does.
	AnswerCall(ctx context.Context, tenantID int64, callSID, from, to string) (twiml string, ok bool, err error)
}

// AgentCallTwiML returns the TwiML of an inbound call answered by an AI
// agent (ok false: no agent answers calls on that number, or the call is
// not new).
func (s *AutomationService) AgentCallTwiML(ctx context.Context, h *TwilioWebhook) (string, bool, error) {
	p := h.Params
	if s.Agents == nil || h.Kind != "voice" || h.Key != "" || p["Digits"] != "" || p["SpeechResult"] != "" || p["CallSid"] == "" {
		return "", false, nil
	}
	return s.Agents.AnswerCall(ctx, h.TenantID, p["CallSid"], p["From"], p["To"])
}

// Trigger queues a run of every enabled workflow of the tenant that
// listens for trigger, with payload as its trigger fields, and wakes the
// workers. It returns how many runs it queued.
func (s *AutomationService) Trigger(ctx context.Context, tenantID int64, trigger string, payload []byte) (int, error) {
	ids, err := s.store.EnqueueTrigger(ctx, tenantID, trigger, payload)
	if err != nil {
		return 0, err
	}
	if len(ids) > 0 && s.Engine != nil {
		s.Engine.Wake()
	}
	return len(ids), nil
}

// RunNow queues a manual run of a workflow (enabled or not: a test run),
// with manual=true and who asked as its trigger fields.
func (s *AutomationService) RunNow(ctx context.Context, id int64) (int64, error) {
	w, err := s.Workflow(ctx, id)
	if err != nil {
		return 0, err
	}
	runID, err := s.store.EnqueueRun(ctx, RunSpec{Workflow: w, Payload: map[string]string{"manual": "true", "by": ActorFromContext(ctx)}})
	if err != nil {
		return 0, err
	}
	s.audit(ctx, "workflow.run", w)
	if s.Engine != nil {
		s.Engine.Wake()
	}
	return runID, nil
}

// HookURLPath is the path of a workflow's incoming webhook on the tenant's
// host.
func HookURLPath(token string) string { return "/hooks/" + token }

// RotateHook gives a webhook-triggered workflow a new secret URL token
// (the old one stops working) and returns it; only its hash is stored, so
// the token is shown once.
func (s *AutomationService) RotateHook(ctx context.Context, id int64) (string, error) {
	w, err := s.store.FindWorkflow(ctx, id)
	if err != nil {
		return "", err
	}
	if err := s.requireWorkflowAccess(ctx, w); err != nil {
		return "", err
	}
	if w.Trigger != TriggerWebhook {
		return "", FieldErrorf("trigger", "Only workflows with the webhook trigger have a webhook URL.")
	}
	tok := "wh_" + RandomToken(24)
	if err := s.store.SetWorkflowHook(ctx, id, HookHash(tok)); err != nil {
		return "", err
	}
	s.audit(ctx, "workflow.hook_rotate", w)
	return tok, nil
}

// Hook starts a run of the workflow whose secret URL token is token, with
// payload as its trigger fields. An unknown token or a disabled workflow
// is ENOTFOUND (one answer, so tokens cannot be probed).
func (s *AutomationService) Hook(ctx context.Context, token string, payload map[string]string) (int64, error) {
	if !strings.HasPrefix(token, "wh_") || len(token) > 100 {
		return 0, Errorf(ENOTFOUND, "Not found.")
	}
	w, err := s.store.FindWorkflowByHook(ctx, HookHash(token))
	if err != nil {
		return 0, err
	}
	if !w.Enabled || w.Trigger != TriggerWebhook {
		return 0, Errorf(ENOTFOUND, "Not found.")
	}
	if len(payload) > 50 {
		return 0, FieldErrorf("body", "A webhook may carry at most 50 fields.")
	}
	id, err := s.store.EnqueueRun(ctx, RunSpec{Workflow: w, Payload: payload})
	if err != nil {
		return 0, err
	}
	if s.Engine != nil {
		s.Engine.Wake()
	}
	return id, nil
}

// ParseRunFilterTime parses a yyyy-mm-dd filter date ("" is none).
func ParseRunFilterTime(field, v string) (*time.Time, error) {
	if v == "" {
		return nil, nil
	}
	t, err := time.Parse("2006-01-02", v)
	if err != nil {
		return nil, FieldErrorf(field, "Date must look like 2026-11-24.")
	}
	return &t, nil
}
