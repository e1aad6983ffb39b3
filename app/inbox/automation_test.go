package inbox_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"slices"
	"testing"

	"orengen/app"
	"orengen/app/inbox"
	"orengen/store"
)

// wfEnv is the inbox with the workflow engine on the same database: the
// message_received trigger reads the timeline, the steps act on threads.
type wfEnv struct {
	*env
	ws  *store.WorkflowStore
	eng *app.Engine
	tr  *app.Triggers
}

func newWFEnv(t *testing.T) *wfEnv {
	e := &wfEnv{env: newEnv(t)}
	e.ws = store.NewWorkflowStore(e.db)
	e.tr = app.NewTriggers(e.ws)
	e.tr.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	e.eng = app.NewEngine(e.ws)
	e.eng.Contacts, e.eng.Inbox, e.eng.Telephony = store.NewContactStore(e.db), e.svc, e.svc.Telephony
	e.eng.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	return e
}

func (e *wfEnv) workflow(tenantID int64, name string, when *app.When, steps ...app.Step) *app.Workflow {
	e.t.Helper()
	return e.workflowOn(app.TriggerMessageReceived, tenantID, name, when, steps...)
}

func (e *wfEnv) workflowOn(trigger string, tenantID int64, name string, when *app.When, steps ...app.Step) *app.Workflow {
	e.t.Helper()
	w := &app.Workflow{TenantID: tenantID, Name: name, Trigger: trigger, Enabled: true, Definition: &app.Definition{When: when, Steps: steps}}
	if err := w.Validate(); err != nil {
		e.t.Fatal(err)
	}
	if err := e.ws.SaveWorkflow(context.Background(), w); err != nil {
		e.t.Fatal(err)
	}
	return w
}

// tick fans out the timeline and runs every queued run; it returns the
// runs enqueued.
func (e *wfEnv) tick() int {
	e.t.Helper()
	n, err := e.tr.Tick(context.Background(), false)
	if err != nil {
		e.t.Fatal(err)
	}
	for {
		ran, err := e.eng.RunOnce(context.Background())
		if err != nil {
			e.t.Fatal(err)
		}
		if !ran {
			return n
		}
	}
}

// TestWorkflow_MessageReceived: a text with the keyword starts the
// tenant's message_received workflow for SMS, which replies in the thread
// through Twilio, assigns it and labels it; a text without the keyword,
// another channel's workflow, another tenant's workflow and the reply
// itself start nothing.
func TestWorkflow_MessageReceived(t *testing.T) {
	e := newWFEnv(t)
	w := e.workflow(e.tA.ID, "Quotes", &app.When{Channel: "sms", Contains: "quote"},
		app.Step{ID: "reply", Type: app.StepConversationReply, Body: "Thanks! A quote for {{.Trigger.phone}} follows today."},
		app.Step{ID: "assign", Type: app.StepConversationAssign, Assignee: "Sam@Alpha.test"},
		app.Step{ID: "label", Type: app.StepConversationLabel, Label: "sales"})
	e.workflow(e.tA.ID, "Email only", &app.When{Channel: "email"}, app.Step{ID: "label", Type: app.StepConversationLabel, Label: "from-email"})
	e.workflow(e.tB.ID, "B's", nil, app.Step{ID: "label", Type: app.StepConversationLabel, Label: "b-saw-it"})

	e.text(e.tA.ID, "+15125550177", numberA, "hello there", "SMx1")
	if n := e.tick(); n != 0 {
		t.Fatalf("a text without the keyword started %d runs", n)
	}
	e.text(e.tA.ID, alice, numberA, "Could I get a QUOTE for a new roof?", "SMx2")
	if n := e.tick(); n != 1 {
		t.Fatalf("%d runs, want 1 (the SMS quote workflow)", n)
	}
	runs, err := e.ws.FindRuns(context.Background(), app.RunFilter{TenantID: e.tA.ID, WorkflowID: w.ID})
	if err != nil || len(runs) != 1 || runs[0].Status != app.RunSucceeded {
		t.Fatalf("runs %+v %v", runs, err)
	}
	sent := e.tw.WaitMessages(1, 0)
	if len(sent) != 1 || sent[0].Get("To") != alice || sent[0].Get("From") != numberA || sent[0].Get("Body") != "Thanks! A quote for "+alice+" follows today." {
		t.Fatalf("sent %v", sent)
	}
	ctx := e.owner(e.tA)
	var c *inbox.Conversation
	for _, cv := range e.list(ctx, inbox.Filter{}) {
		if cv.Address == alice {
			c = cv
		}
	}
	if c == nil || c.Assignee != "user:sam@alpha.test" || !slices.Equal(c.Labels, []string{"sales"}) {
		t.Fatalf("conversation %+v", c)
	}
	if runs[0].Payload["conversation_id"] == "" || runs[0].ContactID != c.PersonID || runs[0].Payload["channel"] != "sms" {
		t.Fatalf("run payload %v contact %d", runs[0].Payload, runs[0].ContactID)
	}
	ms, _ := e.svc.Messages(ctx, c.ID)
	last := ms[len(ms)-1]
	if last.Direction != inbox.DirOut || last.Author != "workflow:"+itoa(w.ID) || last.Status != inbox.DeliverySent || last.Key == "" {
		t.Fatalf("reply %+v", last)
	}
	// The reply (an outbound message) starts nothing; nothing else ran.
	if n := e.tick(); n != 0 {
		t.Fatalf("the reply started %d runs", n)
	}
	for _, cv := range e.list(e.owner(e.tB), inbox.Filter{Status: "all"}) {
		t.Fatalf("B has a conversation: %+v", cv)
	}
	// A retried step finds its reply by key: not sent twice.
	id, convID, err := e.svc.ReplyStep(app.NewContextWithActor(context.Background(), "workflow:1"), e.tA.ID, c.ID, 0, "again", last.Key)
	if err != nil || id != last.ID || convID != c.ID || len(e.tw.Messages()) != 1 {
		t.Fatalf("retried reply: %d %d %v, %d sent", id, convID, err, len(e.tw.Messages()))
	}
	// Another tenant's conversation is not found by a step.
	if _, err := e.svc.AssignStep(context.Background(), e.tB.ID, c.ID, 0, "x@y.test"); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("B's step reached A's conversation: %v", err)
	}
}

// TestWorkflow_MessageReceivedAutoReply: an email that is an automatic
// answer (Auto-Submitted) is stored but starts no workflow, so two
// auto-responders never write to each other forever; an ordinary email
// does.
func TestWorkflow_MessageReceivedAutoReply(t *testing.T) {
	e := newWFEnv(t)
	e.workflow(e.tA.ID, "Email", &app.When{Channel: "email"}, app.Step{ID: "label", Type: app.StepConversationLabel, Label: "seen"})
	st := store.NewInboxStore(e.db)
	recv := func(id string, auto bool) {
		t.Helper()
		in := &inbox.Inbound{TenantID: e.tA.ID, Channel: inbox.ChannelEmail, Address: "dana@example.com", Email: "dana@example.com", LocalAddress: "hi@alpha.test",
			Message: inbox.Message{Direction: inbox.DirIn, Subject: "Out of office", Body: "I am away", ProviderID: id, Auto: auto, Status: inbox.DeliveryReceived}}
		if _, _, _, err := st.Receive(context.Background(), in); err != nil {
			t.Fatal(err)
		}
	}
	recv("auto-1@example.com", true)
	if n := e.tick(); n != 0 {
		t.Fatalf("an automatic answer started %d runs", n)
	}
	recv("human-1@example.com", false)
	if n := e.tick(); n != 1 {
		t.Fatalf("an ordinary email started %d runs, want 1", n)
	}
}

// TestWorkflow_ConversationCreatedEvent: the first message of a thread
// writes, in its transaction, the entry the webhooks send as
// conversation.created (once per thread, not per message).
func TestWorkflow_ConversationCreatedEvent(t *testing.T) {
	e := newEnv(t)
	e.text(e.tA.ID, alice, numberA, "first", "SMc1")
	e.text(e.tA.ID, alice, numberA, "second", "SMc2")
	c := e.list(e.owner(e.tA), inbox.Filter{})[0]
	entries, err := e.crm.Timeline.FindTimeline(app.NewContextWithTenant(context.Background(), e.tA), app.RecordPerson, c.PersonID)
	if err != nil {
		t.Fatal(err)
	}
	var created []map[string]any
	for _, en := range entries {
		name, payload := app.EventFor(en)
		if name != "conversation.created" {
			continue
		}
		var ev struct {
			Data map[string]any `json:"data"`
		}
		if err := json.Unmarshal(payload, &ev); err != nil {
			t.Fatal(err)
		}
		created = append(created, ev.Data)
	}
	if len(created) != 1 || created[0]["conversation_id"] != float64(c.ID) || created[0]["channel"] != "sms" || created[0]["person_id"] != float64(c.PersonID) {
		t.Fatalf("conversation.created events %v", created)
	}
	if !slices.Contains(app.WebhookEvents, "conversation.created") {
		t.Fatal("conversation.created cannot be subscribed to")
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// TestWorkflow_ConversationClosed: closing a conversation starts the
// tenant's conversation_closed workflows for its channel, once (closing
// it again or reopening starts nothing), with the conversation and
// channel as trigger fields; another channel's and another tenant's
// workflows stay idle.
func TestWorkflow_ConversationClosed(t *testing.T) {
	e := newWFEnv(t)
	w := e.workflowOn(app.TriggerConversationClosed, e.tA.ID, "Survey", &app.When{Channel: "sms"},
		app.Step{ID: "tag", Type: app.StepTag, Tag: "closed-thread"})
	e.workflowOn(app.TriggerConversationClosed, e.tA.ID, "Email only", &app.When{Channel: "email"}, app.Step{ID: "tag", Type: app.StepTag, Tag: "email-closed"})
	e.workflowOn(app.TriggerConversationClosed, e.tB.ID, "B's", nil, app.Step{ID: "tag", Type: app.StepTag, Tag: "b-saw-it"})
	e.text(e.tA.ID, alice, numberA, "Thanks, all sorted.", "SMc1")
	if n := e.tick(); n != 0 {
		t.Fatalf("an incoming text started %d closed runs", n)
	}
	ctx := e.owner(e.tA)
	cs := e.list(ctx, inbox.Filter{})
	if len(cs) != 1 {
		t.Fatalf("%d conversations", len(cs))
	}
	c := cs[0]
	if _, err := e.svc.SetStatus(ctx, c.ID, inbox.StatusPending); err != nil {
		t.Fatal(err)
	}
	if n := e.tick(); n != 0 {
		t.Fatalf("pending started %d runs", n)
	}
	if _, err := e.svc.SetStatus(ctx, c.ID, inbox.StatusClosed); err != nil {
		t.Fatal(err)
	}
	if n := e.tick(); n != 1 {
		t.Fatalf("closing started %d runs, want 1 (the SMS workflow)", n)
	}
	runs, err := e.ws.FindRuns(context.Background(), app.RunFilter{TenantID: e.tA.ID, WorkflowID: w.ID})
	if err != nil || len(runs) != 1 || runs[0].Status != app.RunSucceeded {
		t.Fatalf("runs %+v %v", runs, err)
	}
	if runs[0].Payload["conversation_id"] != itoa(c.ID) || runs[0].Payload["channel"] != "sms" || runs[0].ContactID != c.PersonID {
		t.Fatalf("payload %v contact %d", runs[0].Payload, runs[0].ContactID)
	}
	p, err := store.NewCRMStores(e.db).People.FindPerson(app.NewContextWithTenant(context.Background(), e.tA), c.PersonID)
	if err != nil || !slices.Contains(p.Tags, "closed-thread") || slices.Contains(p.Tags, "email-closed") {
		t.Fatalf("person %+v %v", p, err)
	}
	// Closed again: nothing; reopened and closed: once more.
	if _, err := e.svc.SetStatus(ctx, c.ID, inbox.StatusClosed); err != nil {
		t.Fatal(err)
	}
	if n := e.tick(); n != 0 {
		t.Fatalf("closing a closed conversation started %d runs", n)
	}
	if _, err := e.svc.SetStatus(ctx, c.ID, inbox.StatusOpen); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SetStatus(ctx, c.ID, inbox.StatusClosed); err != nil {
		t.Fatal(err)
	}
	if n := e.tick(); n != 1 {
		t.Fatalf("closing it again after reopening started %d runs, want 1", n)
	}
	bRuns, _ := e.ws.FindRuns(context.Background(), app.RunFilter{TenantID: e.tB.ID})
	if len(bRuns) != 0 {
		t.Fatalf("B's workflow ran: %+v", bRuns)
	}
	// Each close is also the webhooks' conversation.closed, naming who.
	entries, err := e.crm.Timeline.FindTimeline(app.NewContextWithTenant(context.Background(), e.tA), app.RecordPerson, c.PersonID)
	if err != nil {
		t.Fatal(err)
	}
	closed := 0
	for _, en := range entries {
		name, payload := app.EventFor(en)
		if name != "conversation.closed" {
			continue
		}
		var ev struct {
			Data map[string]any `json:"data"`
		}
		if err := json.Unmarshal(payload, &ev); err != nil || ev.Data["conversation_id"] != float64(c.ID) || ev.Data["channel"] != "sms" || ev.Data["actor"] == "" {
			t.Fatalf("conversation.closed %s: %v", payload, err)
		}
		closed++
	}
	if closed != 2 || !slices.Contains(app.WebhookEvents, "conversation.closed") {
		t.Fatalf("%d conversation.closed events, want 2 (subscribable: %v)", closed, slices.Contains(app.WebhookEvents, "conversation.closed"))
	}
}
