package app

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"text/template"
	"time"
	"unicode/utf8"

	"github.com/robfig/cron/v3"
)

// Workflow triggers.
const (
	TriggerFormSubmitted = "form_submitted"
	// TriggerFederalAlert starts a run for each federal alert: new or
	// changed opportunities (the daily digest) and registration,
	// certification and deadline reminders. The trigger fields are kind,
	// subject, body, link, due and days_before.
	TriggerFederalAlert = "federal_alert"
	// CRM events, read from the CRM timeline after they commit. The
	// trigger fields are record_id, actor, and for updates field, old and
	// new; tag_added adds tag; deal_stage_changed adds deal_id, deal_name,
	// old_stage and stage.
	TriggerContactCreated   = "contact_created"
	TriggerContactUpdated   = "contact_updated"
	TriggerTagAdded         = "tag_added"
	TriggerDealStageChanged = "deal_stage_changed"
	// Twilio: a text or a call to one of the tenant's numbers (from, to,
	// body, sid; phone is from, so a contact step finds the caller).
	TriggerInboundSMS  = "inbound_sms"
	TriggerInboundCall = "inbound_call"
	// TriggerWebhook: a POST to the workflow's secret URL; its JSON or
	// form fields are the trigger fields.
	TriggerWebhook = "webhook"
	// TriggerSchedule fires on the cron expression in when.cron (fired_at).
	TriggerSchedule = "schedule"
	// TriggerDateReached fires once per record when the date in
	// when.field, moved by when.offset_days, is today (UTC).
	TriggerDateReached = "date_reached"
	// Calendar bookings (the calendar's notices, after they commit): the
	// trigger fields are booking_id, event_type_id, person_id, title,
	// name, email, phone, start, end, location and, for starts_soon (24 h
	// and 1 h before), minutes_before.
	TriggerAppointmentBooked      = "appointment_booked"
	TriggerAppointmentCancelled   = "appointment_cancelled"
	TriggerAppointmentRescheduled = "appointment_rescheduled"
	TriggerAppointmentStartsSoon  = "appointment_starts_soon"
	// TriggerMessageReceived: a customer's message reached the
	// Conversations inbox (read from the timeline after it commits, like
	// the CRM triggers). The trigger fields are conversation_id,
	// message_id, channel, from, subject and body; when.channel and
	// when.contains narrow it (issue #18).
	TriggerMessageReceived = "message_received"
	// TriggerConversationClosed: someone (a person, a workflow, the
	// API) closed an inbox conversation of a CRM person. The trigger
	// fields are conversation_id and channel; when.channel narrows it.
	TriggerConversationClosed = "conversation_closed"
)

// Members' area triggers (issue #24, app/courses), fired after the write
// commits. The trigger fields are member_id, person_id (the CRM person),
// email, name, course_id, course_slug, course_title and, for lessons and
// quizzes, lesson_id and lesson_title.
const (
	TriggerCourseEnrolled  = "course_enrolled"
	TriggerLessonCompleted = "lesson_completed"
	TriggerCourseCompleted = "course_completed"
	TriggerQuizFailed      = "quiz_failed"
)

// CourseTriggers are the members' area's triggers.
var CourseTriggers = []string{TriggerCourseEnrolled, TriggerLessonCompleted, TriggerCourseCompleted, TriggerQuizFailed}

func init() {
	WorkflowTriggers[TriggerCourseEnrolled] = "A member is enrolled in a course (members' area)"
	WorkflowTriggers[TriggerLessonCompleted] = "A member completes a lesson"
	WorkflowTriggers[TriggerCourseCompleted] = "A member completes every lesson of a course"
	WorkflowTriggers[TriggerQuizFailed] = "A member fails a lesson's quiz"
	TriggerOrder = append(TriggerOrder, CourseTriggers...)
}

// TriggerCommunityPosted fires when a member posts in a community space
// of the members' area (issue #24). The trigger fields are member_id,
// person_id, email, name, space_id, space_slug, space_name, post_id,
// post_title and post_body.
const TriggerCommunityPosted = "community_posted"

func init() {
	WorkflowTriggers[TriggerCommunityPosted] = "A member posts in a community space (members' area)"
	TriggerOrder = append(TriggerOrder, TriggerCommunityPosted)
}

// MessageChannels are the inbox's channels a message_received trigger
// may name (app/inbox.Channels; app cannot import it).
var MessageChannels = []string{"sms", "email", "chat", "call"}

// MaxContains bounds when.contains.
const MaxContains = 200

// WorkflowTriggers names each trigger for people.
var WorkflowTriggers = map[string]string{
	TriggerFormSubmitted:          "A form is submitted (/webhook/lead-capture, the site's form, or a built form /f/:id; when.form limits it to one form)",
	TriggerContactCreated:         "A contact (CRM person) is created",
	TriggerContactUpdated:         "A contact is updated (when.field limits it to one field, like phones or tags)",
	TriggerTagAdded:               "A tag is added to a contact (when.tag limits it to one tag)",
	TriggerDealStageChanged:       "A deal moves to another stage (when.stage limits it to one stage)",
	TriggerInboundSMS:             "A text message arrives on one of the tenant's Twilio numbers",
	TriggerInboundCall:            "A call arrives on one of the tenant's Twilio numbers",
	TriggerWebhook:                "A POST to the workflow's secret webhook URL (JSON or form fields)",
	TriggerSchedule:               "On a schedule: when.cron, like \"0 9 * * 1-5\" (UTC, or CRON_TZ=America/New_York first)",
	TriggerDateReached:            "A date on a record is reached: when.object person or deal, when.field expected_close or a custom date field, when.offset_days",
	TriggerFederalAlert:           "Federal: opportunity found (daily digest) or a deadline/expiry reminder",
	TriggerAppointmentBooked:      "An appointment is booked (calendar)",
	TriggerAppointmentCancelled:   "An appointment is cancelled",
	TriggerAppointmentRescheduled: "An appointment is rescheduled",
	TriggerAppointmentStartsSoon:  "An appointment starts in N minutes (the trigger's minutes; default at 24 hours and 1 hour, minutes_before says which): reminders by SMS or email",
	TriggerMessageReceived:        "A message arrives in the inbox (when.channel: sms, email, chat; when.contains: a word or phrase in it)",
	TriggerConversationClosed:     "An inbox conversation is closed (when.channel: sms, email, chat, call)",
}

// TriggerOrder lists the triggers in the order the editor offers them.
var TriggerOrder = []string{TriggerFormSubmitted, TriggerContactCreated, TriggerContactUpdated, TriggerTagAdded, TriggerDealStageChanged,
	TriggerInboundSMS, TriggerInboundCall, TriggerWebhook, TriggerSchedule, TriggerDateReached, TriggerFederalAlert,
	TriggerAppointmentBooked, TriggerAppointmentCancelled, TriggerAppointmentRescheduled, TriggerAppointmentStartsSoon, TriggerMessageReceived, TriggerConversationClosed}

// When narrows a trigger: only the fields of the workflow's trigger apply.
type When struct {
	Form       string `json:"form,omitempty"`        // form_submitted: the form key or built form id
	Field      string `json:"field,omitempty"`       // contact_updated: the field; date_reached: the date field
	Tag        string `json:"tag,omitempty"`         // tag_added
	Stage      string `json:"stage,omitempty"`       // deal_stage_changed: the new stage's name
	Cron       string `json:"cron,omitempty"`        // schedule
	Object     string `json:"object,omitempty"`      // date_reached: person or deal
	OffsetDays int    `json:"offset_days,omitempty"` // date_reached: fire this many days after the date (negative: before)
	// Minutes is appointment_starts_soon's "starts in N minutes": the
	// workflow fires that long before each appointment (0: at the
	// calendar's own reminders, 24 hours and 1 hour before).
	Minutes int `json:"minutes,omitempty"`
	// Channel and Contains narrow message_received: the inbox channel
	// (sms, email, chat, call) and a word or phrase the message's subject
	// or body holds (case-insensitive).
	Channel  string `json:"channel,omitempty"`
	Contains string `json:"contains,omitempty"`
}

// MaxStartsSoonMinutes bounds appointment_starts_soon's minutes.
const MaxStartsSoonMinutes = 30 * 24 * 60

// CronParser parses schedule triggers: five fields or a descriptor like
// @daily, with an optional CRON_TZ= prefix.
var CronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// NextFire returns when a schedule trigger fires next after t.
func (w *When) NextFire(t time.Time) (time.Time, error) {
	sch, err := CronParser.Parse(w.Cron)
	if err != nil {
		return time.Time{}, err
	}
	return sch.Next(t), nil
}

// validate checks the options of trigger.
func (w *When) validate(trigger string) error {
	bad := func(field, format string, args ...any) error {
		return FieldErrorf("when", "Trigger option %q: %s", field, fmt.Sprintf(format, args...))
	}
	w.Tag, w.Stage, w.Field, w.Form = strings.ToLower(strings.TrimSpace(w.Tag)), strings.TrimSpace(w.Stage), strings.TrimSpace(w.Field), strings.TrimSpace(w.Form)
	switch trigger {
	case TriggerSchedule:
		if strings.TrimSpace(w.Cron) == "" {
			return bad("cron", "a schedule needs a cron expression, like \"0 9 * * 1-5\" or @daily.")
		}
		sch, err := CronParser.Parse(w.Cron)
		if err != nil {
			return bad("cron", "%v.", err)
		}
		if first := sch.Next(time.Now()); sch.Next(first).Sub(first) < 5*time.Minute {
			return bad("cron", "a schedule may fire at most every 5 minutes.")
		}
	case TriggerConversationClosed:
		w.Channel = strings.ToLower(strings.TrimSpace(w.Channel))
		if w.Channel != "" && !slices.Contains(MessageChannels, w.Channel) {
			return bad("channel", "must be one of %s (or empty: any).", strings.Join(MessageChannels, ", "))
		}
	case TriggerMessageReceived:
		w.Channel, w.Contains = strings.ToLower(strings.TrimSpace(w.Channel)), strings.TrimSpace(w.Contains)
		if w.Channel != "" && !slices.Contains(MessageChannels, w.Channel) {
			return bad("channel", "must be one of %s (or empty: any).", strings.Join(MessageChannels, ", "))
		}
		if utf8.RuneCountInString(w.Contains) > MaxContains {
			return bad("contains", "at most %d characters.", MaxContains)
		}
	case TriggerAppointmentStartsSoon:
		if w.Minutes < 0 || w.Minutes > MaxStartsSoonMinutes {
			return bad("minutes", "must be between 0 (at the calendar's reminders) and %d (30 days).", MaxStartsSoonMinutes)
		}
	case TriggerDateReached:
		objects, builtIn, owner := dateTriggerKinds(w.Field)
		if k := kindOfType(w.Object); k == nil || !k.DateTrigger {
			return bad("object", "must be %s.", objects)
		}
		if w.Field == "" {
			return bad("field", "name the date field: %s or a custom date field's key.", builtIn)
		}
		if owner != nil && owner.Type != w.Object {
			return bad("field", "%s is a %s field.", w.Field, owner.Type)
		}
		if owner == nil && !customKeyRE().MatchString(w.Field) {
			return bad("field", "%q is not a field key.", w.Field)
		}
		if w.OffsetDays < -365 || w.OffsetDays > 365 {
			return bad("offset_days", "must be between -365 and 365.")
		}
	}
	return nil
}

// dateTriggerKinds describes the kinds a date_reached trigger watches
// (RecordKind.DateTrigger): objects their types ("person or deal"),
// builtIn their built-in date fields ("expected_close (deals)"), owner the
// kind whose built-in date field field is (nil: none).
func dateTriggerKinds(field string) (objects, builtIn string, owner *RecordKind) {
	var types, fields []string
	for _, k := range RecordKinds {
		if !k.DateTrigger {
			continue
		}
		types = append(types, k.Type)
		if len(k.DateTriggerFields) > 0 {
			fields = append(fields, strings.Join(k.DateTriggerFields, ", ")+" ("+k.Plural+")")
		}
		if slices.Contains(k.DateTriggerFields, field) {
			owner = k
		}
	}
	return orList(types), orList(fields), owner
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
	// CRM steps.
	StepDeal      = "deal"       // create a deal for the contact
	StepDealStage = "deal_stage" // move the run's deal (trigger or an earlier deal step) to stage
	StepTask      = "task"       // create a task on the contact (or the run's deal)
	// Agent Studio steps: a call or a text conversation with one of the
	// tenant's AI agents (agent: its ID, "" = the first that answers the
	// channel; purpose: why, a template). Without an agent, an AI call
	// with say/gather/forward places the keypad call instead, and an AI
	// SMS with a body sends it as a plain text.
	StepAICall = "ai_call"
	StepAISMS  = "ai_sms"
	// Conversations steps (issue #18): they act on the run's
	// conversation, the message_received trigger's, else the contact's
	// latest. conversation_reply answers on the thread's channel (body),
	// conversation_assign gives it to assignee, conversation_label adds
	// (or with remove takes off) label.
	StepConversationReply  = "conversation_reply"
	StepConversationAssign = "conversation_assign"
	StepConversationLabel  = "conversation_label"
)

// StepTypes lists the step types in the order the editor offers them.
var StepTypes = []string{StepContact, StepTag, StepDeal, StepDealStage, StepTask, StepSMS, StepCall, StepAICall, StepAISMS, StepEmail, StepHTTP, StepWait, StepIf, StepNotify,
	StepLookupRow, StepAddRow, StepUpdateRow, StepConversationReply, StepConversationAssign, StepConversationLabel}

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

// Definition is the ordered list of a workflow's steps, and the options
// of its trigger. Steps run in order; an "if" step jumps to its then/else
// step ids (only forward, so a run always ends).
type Definition struct {
	When  *When  `json:"when,omitempty"`
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
	Wait    string            `json:"wait,omitempty"`  // duration like 10m or 24h
	Until   string            `json:"until,omitempty"` // wait until a time: RFC 3339 or yyyy-mm-dd hh:mm (UTC), a template
	// contact: fields to set (first_name, last_name, email, phone,
	// company, source, title), templates.
	Set map[string]string `json:"set,omitempty"`
	// deal: name, amount (like 1500 or 1500.50), pipeline and stage by
	// name ("" = the first); deal_stage: stage. task: title, due (a
	// duration from now, like 24h).
	Name     string `json:"name,omitempty"`
	Amount   string `json:"amount,omitempty"`
	Pipeline string `json:"pipeline,omitempty"`
	Stage    string `json:"stage,omitempty"`
	Title    string `json:"title,omitempty"`
	Due      string `json:"due,omitempty"`
	Field    string `json:"field,omitempty"`
	Op       string `json:"op,omitempty"` // eq ne contains empty notempty
	Value    string `json:"value,omitempty"`
	// lookup_row, add_row, update_row: the table (name or ID); they
	// match rows with field (a column), op and value, and set takes
	// the values by column.
	Table   string `json:"table,omitempty"`
	Then    string `json:"then,omitempty"` // step id or "end"; "" = next step
	Else    string `json:"else,omitempty"`
	Retries int    `json:"retries,omitempty"`
	// ai_call, ai_sms: the agent (ID; "" = the tenant's first on the
	// channel) and why the agent reaches out (a template).
	Agent   string `json:"agent,omitempty"`
	Purpose string `json:"purpose,omitempty"`
	// conversation_assign: who gets the run's conversation (an email,
	// "" unassigns); conversation_label: the label (remove: take it off).
	Assignee string `json:"assignee,omitempty"`
	Label    string `json:"label,omitempty"`
	// member_enrol, member_grant, member_revoke (issue #24): the course
	// (address or ID) or space (address), and days until the access ends
	// (0: for good).
	Course string `json:"course,omitempty"`
	Space  string `json:"space,omitempty"`
	Days   int    `json:"days,omitempty"`
}

var stepIDRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`) })

var agentRefRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[1-9][0-9]{0,17}$`) })

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
		if !stepIDRE().MatchString(s.ID) {
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
		tpl := map[string]string{"to": s.To, "subject": s.Subject, "body": s.Body, "html": s.HTML, "say": s.Say, "purpose": s.Purpose,
			"gather": s.Gather, "forward": s.Forward, "tag": s.Tag, "url": s.URL, "value": s.Value, "until": s.Until,
			"name": s.Name, "amount": s.Amount, "stage": s.Stage, "title": s.Title, "assignee": s.Assignee, "label": s.Label}
		for k, v := range s.Set {
			tpl["set."+k] = v
		}
		for field, v := range tpl {
			if _, err := parseTemplate(v); err != nil {
				return bad(field, "template error: %v.", err)
			}
		}
		var err error
		if s.Type == "" {
			err = bad("type", "required.")
		} else if k, ok := stepKinds[s.Type]; !ok {
			err = bad("type", "unknown type %q (%s).", s.Type, strings.Join(StepTypes, ", "))
		} else {
			err = k.check(&stepCheck{s: s, i: i, index: index, bad: bad, need: need})
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
		return FieldErrorf("trigger", "Trigger must be one of %s.", strings.Join(TriggerOrder, ", "))
	}
	if w.Definition == nil {
		return FieldErrorf("definition", "Definition required.")
	}
	if w.Definition.When == nil && (w.Trigger == TriggerSchedule || w.Trigger == TriggerDateReached) {
		w.Definition.When = &When{}
	}
	if w.Definition.When != nil {
		if err := w.Definition.When.validate(w.Trigger); err != nil {
			return err
		}
	}
	return w.Definition.Validate()
}

// WhenOf returns the workflow's trigger options (empty when none).
func (w *Workflow) WhenOf() When {
	if w.Definition == nil || w.Definition.When == nil {
		return When{}
	}
	return *w.Definition.When
}

var contactSetFields = map[string]bool{"first_name": true, "last_name": true, "email": true, "phone": true, "company": true, "source": true, "title": true}

// ParseUntil parses a wait step's until: RFC 3339, or "2006-01-02 15:04"
// or "2006-01-02" in UTC.
func ParseUntil(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339, "2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time like 2026-12-01 09:00 (UTC) or 2026-12-01T09:00:00-05:00", s)
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
	// Steps holds what earlier sheet steps found or made, by step id
	// (lookup_row: each column's text, found, row_id).
	Steps map[string]map[string]string
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

// Contact is the CRM person a workflow acts on: its primary email and
// phone, and its company's name.
type Contact struct {
	ID        int64
	TenantID  int64
	FirstName string
	LastName  string
	Email     string
	Phone     string
	Company   string
	Title     string
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
	Title     string
	Message   string
	Source    string
	IP        string
	// Actor names who wrote the contact in its timeline ("form:website");
	// "" takes the principal in the context.
	Actor string
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
	first := l.FirstName // trimmed and cut to its limit like the others
	if in.FirstName == "" {
		first = "" // not the placeholder
	}
	in.FirstName, in.LastName, in.Email, in.Phone, in.Company, in.Source = first, l.LastName, strings.ToLower(l.Email), l.Phone, l.Company, l.Source
	in.Title = clean(in.Title)
	if len(in.Title) > 200 {
		return FieldErrorf("title", "Title must be at most 200 characters.")
	}
	if len(PhoneDigits(in.Phone)) > 0 && len(strings.TrimPrefix(PhoneDigits(in.Phone), "+")) < 7 {
		return FieldErrorf("phone", "Enter a phone number with at least 7 digits.")
	}
	if in.Phone != "" {
		// The CRM keeps phones in E.164, so the contact is found again
		// whichever way the number was written.
		ph, err := NormalizePhones("phone", []string{in.Phone})
		if err != nil {
			return err
		}
		in.Phone = ph[0]
	}
	return nil
}

// AddContact folds a validated contact input into p, an existing person
// or a new, empty one: names given replace the old ones, a new email or
// phone is added, a lacking title or source is filled. What a public form
// brings never makes the person invalid: an email or phone past the
// person's cap is left out and described in the returned sentences (the
// caller records them on the person's timeline; the submission keeps every
// value), and a name taken from an address is cut to fit.
func (p *Person) AddContact(in *ContactInput) (left []string) {
	if in.FirstName != "" {
		p.FirstName = in.FirstName
	}
	if in.LastName != "" {
		p.LastName = in.LastName
	}
	if in.Email != "" && !slices.Contains(p.Emails, in.Email) {
		if len(p.Emails) < MaxPersonEmails {
			p.Emails = append(p.Emails, in.Email)
		} else {
			left = append(left, fmt.Sprintf("email %s (the contact already has %d email addresses, the most a contact keeps)", in.Email, MaxPersonEmails))
		}
	}
	if in.Phone != "" && !slices.Contains(p.Phones, in.Phone) {
		if len(p.Phones) < MaxPersonPhones {
			p.Phones = append(p.Phones, in.Phone)
		} else {
			left = append(left, fmt.Sprintf("phone %s (the contact already has %d phone numbers, the most a contact keeps)", in.Phone, MaxPersonPhones))
		}
	}
	if in.Title != "" && p.Title == "" {
		p.Title = in.Title
	}
	if p.Source == "" {
		p.Source = in.Source
	}
	if p.FirstName == "" && p.LastName == "" { // forms may omit names
		p.FirstName = in.Email
		if p.FirstName == "" {
			p.FirstName = in.Phone
		}
		p.FirstName = truncateRunes(p.FirstName, MaxPersonName)
	}
	return left
}

// truncateRunes cuts s to at most n bytes without splitting a character.
func truncateRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// ContactUpserter creates or updates a contact, deduplicated by normalised
// email, then phone.
type ContactUpserter interface {
	UpsertContact(ctx context.Context, in ContactInput) (contactID int64, created bool, err error)
}

// ContactStore is what workflow steps need of the CRM. Writes record the
// actor in ctx (NewContextWithActor) in the records' timelines.
type ContactStore interface {
	ContactUpserter
	FindContact(ctx context.Context, tenantID, id int64) (*Contact, error)
	// TagContact adds tag, or removes it when remove is set.
	TagContact(ctx context.Context, tenantID, id int64, tag string, remove bool) error
	// CreateContactDeal creates d in the tenant, linked to the contact
	// (0: none), in the pipeline named pipeline ("" = the first) at
	// d.StageRef ("" = its first stage).
	CreateContactDeal(ctx context.Context, tenantID, contactID int64, d *Deal, pipeline string) error
	// MoveDeal moves a deal of the tenant to the stage named stage in its
	// pipeline and returns the stage it left.
	MoveDeal(ctx context.Context, tenantID, dealID int64, stage string) (from string, err error)
	// CreateRecordTask creates t (linked to t.RecordType/RecordID) in the tenant.
	CreateRecordTask(ctx context.Context, tenantID int64, t *Task) error
	// RecordActivity writes a timeline entry of kind (sms, call, email)
	// on the contact.
	RecordActivity(ctx context.Context, tenantID, contactID int64, kind, body string) error
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
	DealID        int64 // the deal the run acts on (trigger or a deal step), 0: none
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
	ContactID  int64
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
	DealID    int64     // 0: unchanged
}

// WorkflowStore persists workflows, form submissions and the run queue.
type WorkflowStore interface {
	TriggerStore
	// EnqueueTrigger queues a run of every enabled workflow of the tenant
	// with the trigger, with payload (a JSON object) as its fields.
	EnqueueTrigger(ctx context.Context, tenantID int64, trigger string, payload []byte) ([]int64, error)
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
	// HoldRun parks a run at its current step until until (quiet hours):
	// nothing is recorded for the step, which runs then.
	HoldRun(ctx context.Context, token string, runID int64, until time.Time, note string) error
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
