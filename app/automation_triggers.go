package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"
)

// CRMEvent is a committed CRM change as workflows see it: the timeline
// entries one write made on one record (a person update that changed three
// fields is one event), with what the trigger fields need of a deal.
type CRMEvent struct {
	Entries      []*TimelineEntry
	DealName     string // deal events
	DealPersonID int64  // the deal's first person, 0: none
	// Message is the inbound inbox message of the event (its entry's
	// field is "in"), read by the store; nil: none, or an automatic
	// answer (never answered by a workflow, so auto-responders never
	// loop).
	Message *EventMessage
}

// EventMessage is what the message_received trigger knows of a message.
type EventMessage struct {
	ID             int64
	ConversationID int64
	Channel        string
	From           string // the contact's address (phone, email)
	Subject        string
	Body           string
}

// Matches reports whether the message is on channel ("" any) and holds
// contains ("" anything) in its subject or body, ignoring case.
func (m *EventMessage) Matches(channel, contains string) bool {
	if channel != "" && !strings.EqualFold(channel, m.Channel) {
		return false
	}
	if contains = strings.TrimSpace(contains); contains == "" {
		return true
	}
	c := strings.ToLower(contains)
	return strings.Contains(strings.ToLower(m.Body), c) || strings.Contains(strings.ToLower(m.Subject), c)
}

// RunSpec is a run to enqueue: the workflow's current version, its
// trigger fields and the records it starts with.
type RunSpec struct {
	Workflow  *Workflow
	Payload   map[string]string
	ContactID int64
	DealID    int64
}

// CRMTriggers lists the triggers CRM events fire.
var CRMTriggers = []string{TriggerContactCreated, TriggerContactUpdated, TriggerTagAdded, TriggerDealStageChanged, TriggerMessageReceived, TriggerConversationClosed}

// RunsFor returns the runs the event starts among the tenant's enabled
// workflows. A workflow never triggers itself (its own writes carry the
// actor workflow:ID), so a contact_updated workflow that updates the
// contact ends.
func (ev *CRMEvent) RunsFor(ws []*Workflow) []RunSpec {
	if len(ev.Entries) == 0 {
		return nil
	}
	first := ev.Entries[0]
	base := map[string]string{"record_type": first.RecordType, "record_id": strconv.FormatInt(first.RecordID, 10), "actor": first.Actor}
	with := func(kv ...string) map[string]string {
		m := make(map[string]string, len(base)+len(kv)/2)
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	var fires []eventFire
	var contactID, dealID int64
	if k := kindOfType(first.RecordType); k != nil && k.fires != nil {
		fires, contactID, dealID = k.fires(ev, with)
	}
	var out []RunSpec
	for _, w := range ws {
		if !w.Enabled || first.Actor == "workflow:"+strconv.FormatInt(w.ID, 10) {
			continue
		}
		for _, f := range fires {
			if f.trigger == w.Trigger && f.match(w.WhenOf()) {
				out = append(out, RunSpec{Workflow: w, Payload: f.payload, ContactID: contactID, DealID: dealID})
			}
		}
	}
	return out
}

// eventFire is a trigger a CRM event fires: its payload, and whether a
// workflow's options match.
type eventFire struct {
	trigger string
	payload map[string]string
	match   func(When) bool
}

func matchAny(When) bool { return true }

// personEventFires is what an event on a person fires (KindPerson):
// contact_created, contact_updated, tag_added, and message_received or
// conversation_closed for their inbox; the person is the run's contact.
func personEventFires(ev *CRMEvent, with func(kv ...string) map[string]string) (fires []eventFire, contactID, dealID int64) {
	contactID = ev.Entries[0].RecordID
	var fields []string
	var upd *TimelineEntry
	for _, e := range ev.Entries {
		if m := ev.Message; m != nil && e.RefType == RefConversation && e.Field == "in" && e.New == strconv.FormatInt(m.ID, 10) {
			p := with("conversation_id", strconv.FormatInt(m.ConversationID, 10), "message_id", e.New, "channel", m.Channel,
				"from", m.From, "subject", m.Subject, "body", m.Body)
			switch m.Channel {
			case "sms":
				p["phone"] = m.From
			case "email":
				p["email"] = m.From
			}
			fires = append(fires, eventFire{TriggerMessageReceived, p, func(w When) bool { return m.Matches(w.Channel, w.Contains) }})
		}
		if e.RefType == RefConversation && e.Field == ConversationClosedField {
			channel := e.New
			fires = append(fires, eventFire{TriggerConversationClosed, with("conversation_id", strconv.FormatInt(e.RefID, 10), "channel", channel),
				func(w When) bool { return w.Channel == "" || strings.EqualFold(w.Channel, channel) }})
		}
		switch e.Kind {
		case TimelineCreated:
			fires = append(fires, eventFire{TriggerContactCreated, with(), matchAny})
		case TimelineUpdated:
			fields, upd = append(fields, e.Field), e
			if e.Field == "tags" {
				for _, t := range splitList(e.New) {
					if !slices.Contains(splitList(e.Old), t) {
						fires = append(fires, eventFire{TriggerTagAdded, with("tag", t), func(w When) bool { return w.Tag == "" || w.Tag == t }})
					}
				}
			}
		}
	}
	if len(fields) > 0 {
		p := with("fields", strings.Join(fields, ","))
		if len(fields) == 1 {
			p["field"], p["old"], p["new"] = upd.Field, upd.Old, upd.New
		}
		fires = append(fires, eventFire{TriggerContactUpdated, p, func(w When) bool { return w.Field == "" || slices.Contains(fields, w.Field) }})
	}
	return fires, contactID, 0
}

// dealEventFires is what an event on a deal fires (KindDeal):
// deal_stage_changed; the run's deal is the deal, its contact the deal's
// first person.
func dealEventFires(ev *CRMEvent, with func(kv ...string) map[string]string) (fires []eventFire, contactID, dealID int64) {
	dealID, contactID = ev.Entries[0].RecordID, ev.DealPersonID
	for _, e := range ev.Entries {
		if e.Kind == TimelineUpdated && e.Field == "stage" {
			stage := e.New
			fires = append(fires, eventFire{TriggerDealStageChanged,
				with("deal_id", strconv.FormatInt(dealID, 10), "deal_name", ev.DealName, "old_stage", e.Old, "stage", e.New),
				func(w When) bool { return w.Stage == "" || strings.EqualFold(w.Stage, stage) }})
		}
	}
	return fires, contactID, dealID
}

// splitList splits a timeline value like "a, b" (how list fields are written).
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// TriggerStore is what the trigger scheduler needs of the store.
type TriggerStore interface {
	// FanOutCRMEvents reads timeline entries after the automation cursor
	// (at most limit), enqueues the runs runsFor returns for each event
	// among the tenant's enabled CRM-triggered workflows, and moves the
	// cursor, in one transaction. It returns how many entries it read.
	FanOutCRMEvents(ctx context.Context, limit int, runsFor func(ev *CRMEvent, ws []*Workflow) []RunSpec) (int, error)
	// FireSchedules enqueues a run of every enabled schedule workflow due
	// at now and sets its next time with next; a workflow with no next
	// time yet only gets one (a missed time fires once on restart).
	FireSchedules(ctx context.Context, now time.Time, next func(*Workflow, time.Time) (time.Time, error)) (int, error)
	// FireDates enqueues a run of the date_reached workflow w for each
	// record whose date field, moved by the offset, falls in the week up
	// to today and has not fired before.
	FireDates(ctx context.Context, w *Workflow, today time.Time) (int, error)
	// FindTriggered returns the enabled workflows of every tenant with
	// one of the triggers.
	FindTriggered(ctx context.Context, triggers ...string) ([]*Workflow, error)
	// EnqueueRun queues one run of spec.Workflow's current version.
	EnqueueRun(ctx context.Context, spec RunSpec) (int64, error)
	// SetWorkflowHook stores the hash of a workflow's webhook token.
	SetWorkflowHook(ctx context.Context, id int64, hash string) error
	// FindWorkflowByHook returns the workflow whose token hashes to hash.
	FindWorkflowByHook(ctx context.Context, hash string) (*Workflow, error)
}

// Triggers runs the triggers that do not come from a request: CRM events
// (from the timeline), schedules and date fields.
type Triggers struct {
	store  TriggerStore
	Engine *Engine // Wake after an enqueue; may be nil
	Logger *slog.Logger
	Now    func() time.Time
	// Poll is how often the timeline and the schedules are read (1 s).
	Poll time.Duration
	// DateEvery is how often date fields are checked (10 min).
	DateEvery time.Duration
}

// NewTriggers returns the trigger runner over st (the workflow store in
// the wiring); the caller sets the rest.
func NewTriggers(st TriggerStore) *Triggers { return &Triggers{store: st} }

func (t *Triggers) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

// Tick runs one pass over CRM events and schedules; with dates it also
// checks date fields. It returns the number of runs enqueued.
func (t *Triggers) Tick(ctx context.Context, dates bool) (int, error) {
	runs := 0
	for {
		n, err := t.store.FanOutCRMEvents(ctx, 500, func(ev *CRMEvent, ws []*Workflow) []RunSpec {
			specs := ev.RunsFor(ws)
			runs += len(specs)
			return specs
		})
		if err != nil {
			return runs, fmt.Errorf("crm triggers: %w", err)
		}
		if n < 500 {
			break
		}
	}
	n, err := t.store.FireSchedules(ctx, t.now(), func(w *Workflow, at time.Time) (time.Time, error) {
		wh := w.WhenOf()
		return wh.NextFire(at)
	})
	runs += n
	if err != nil {
		return runs, fmt.Errorf("schedules: %w", err)
	}
	if dates {
		ws, err := t.store.FindTriggered(ctx, TriggerDateReached)
		if err != nil {
			return runs, err
		}
		for _, w := range ws {
			n, err := t.store.FireDates(ctx, w, t.now())
			runs += n
			if err != nil {
				t.log().Error("date trigger", "workflow_id", w.ID, "err", err)
			}
		}
	}
	if runs > 0 && t.Engine != nil {
		t.Engine.Wake()
	}
	return runs, nil
}

func (t *Triggers) log() *slog.Logger {
	if t.Logger != nil {
		return t.Logger
	}
	return slog.Default()
}

// Run ticks until ctx is done.
func (t *Triggers) Run(ctx context.Context) {
	poll, dateEvery := t.Poll, t.DateEvery
	if poll <= 0 {
		poll = time.Second
	}
	if dateEvery <= 0 {
		dateEvery = 10 * time.Minute
	}
	var lastDates time.Time
	Every(ctx, poll, func(ctx context.Context) {
		dates := time.Since(lastDates) >= dateEvery
		if _, err := t.Tick(ctx, dates); err != nil && ctx.Err() == nil {
			t.log().Error("automation triggers", "err", err)
		} else if dates {
			lastDates = time.Now()
		}
	})
}

// HookHash is what the store keeps of a webhook trigger's token.
func HookHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}
