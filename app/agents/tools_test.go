package agents_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"orengen/app"
	"orengen/app/agents"
	"orengen/llm/llmtest"
	"orengen/store"
)

// The messaging and workflow tools run in the conversation's tenant on
// its person: send_sms is refused without the person's consent to texts
// on a web chat (nothing sent) and sent on an SMS conversation, metered
// by segment; send_email goes out to the person's address; start_workflow
// starts only a workflow the agent lists (another tenant's by name fails
// the tool's schema, whose enum is the agent's workflows, and nothing runs); end_conversation ends it with
// the outcome given.
func TestConversation_MessagingAndWorkflowTools(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ws := store.NewWorkflowStore(e.db)
	mkWorkflow := func(tn *app.Tenant, name string) *app.Workflow {
		w := &app.Workflow{TenantID: tn.ID, Name: name, Trigger: app.TriggerWebhook, Enabled: true,
			Definition: &app.Definition{Steps: []app.Step{{ID: "tag", Type: app.StepTag, Tag: "followed-up"}}}}
		if err := ws.SaveWorkflow(ctx, w); err != nil {
			t.Fatal(err)
		}
		return w
	}
	wA := mkWorkflow(e.tA, "Roof follow-up")
	mkWorkflow(e.tB, "Bravo follow-up")
	cfg := baseConfig()
	cfg.Tools = append(cfg.Tools, agents.ToolStartWorkflow)
	cfg.Workflows = []int64{wA.ID}
	a := e.mustAgent(e.tA, cfg)

	c := e.mustPlayground(a)
	e.llm.Push(
		llmtest.Reply{ToolCalls: []llmtest.Call{
			{Name: "send_sms", Arguments: `{"body":"Your inspection is Tuesday."}`},
			{Name: "send_email", Arguments: `{"subject":"Your roof inspection","body":"See you Tuesday at 10."}`},
			{Name: "start_workflow", Arguments: `{"workflow":"Bravo follow-up"}`},
			{Name: "start_workflow", Arguments: `{"workflow":"Roof follow-up"}`},
		}},
		llmtest.Reply{ToolCalls: []llmtest.Call{{Name: "end_conversation", Arguments: `{"outcome":"qualified"}`}}},
		llmtest.Reply{Text: "Thanks, talk soon!"},
	)
	e.say(c, "I'm Ann, ann@homeowner.test, +1 512 555 0123. Please send me the details.")

	tools := map[string][]*agents.Turn{}
	for _, tr := range toolTurns(e.turns(c)) {
		tools[tr.ToolName] = append(tools[tr.ToolName], tr)
	}
	if ts := tools["send_sms"]; len(ts) != 1 || !strings.Contains(ts[0].ToolError, "not agreed") {
		t.Fatalf("send_sms without consent: %+v", ts)
	}
	if ts := tools["send_email"]; len(ts) != 1 || ts[0].ToolError != "" || !strings.Contains(ts[0].ToolResult, `"sent":true`) {
		t.Fatalf("send_email: %+v", ts)
	}
	if ts := tools["start_workflow"]; len(ts) != 2 || !strings.Contains(ts[0].ToolError, "do not match the schema") || ts[1].ToolError != "" || !strings.Contains(ts[1].ToolResult, "Roof follow-up") {
		t.Fatalf("start_workflow: %+v / %+v", *ts[0], *ts[len(ts)-1])
	}
	if n := len(e.tw.Messages()); n != 0 {
		t.Fatalf("%d texts sent without consent", n)
	}
	msgs, _, err := e.outbox.FindOutboxMessages(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	var mail *app.OutboxMessage
	for _, m := range msgs {
		if m.Subject == "Your roof inspection" {
			mail = m
		}
	}
	if mail == nil || mail.To != "ann@homeowner.test" || mail.TenantID != e.tA.ID || !strings.Contains(mail.Body, "See you Tuesday at 10.") {
		t.Fatalf("email %+v", mail)
	}
	cv := e.conv(c)
	if cv.PersonID == 0 {
		t.Fatal("the visitor is not a person")
	}
	runsA, _ := ws.FindRuns(ctx, app.RunFilter{TenantID: e.tA.ID})
	runsB, _ := ws.FindRuns(ctx, app.RunFilter{TenantID: e.tB.ID})
	if len(runsA) != 1 || runsA[0].WorkflowID != wA.ID || runsA[0].ContactID != cv.PersonID || len(runsB) != 0 {
		t.Fatalf("runs A %+v, B %+v", runsA, runsB)
	}
	waitFor(t, "the conversation to end", func() bool { cv = e.conv(c); return cv.Status == agents.StatusEnded })
	if cv.Outcome != agents.OutcomeQualified {
		t.Fatalf("outcome %q", cv.Outcome)
	}

	// On an SMS conversation the texter's own number may be texted.
	from := "+15125550142"
	e.llm.Push(llmtest.Reply{ToolCalls: []llmtest.Call{{Name: "send_sms", Arguments: `{"body":"Directions: 12 Main St."}`}}},
		llmtest.Reply{Text: "Sent you the directions."})
	if handled, err := e.svc.InboundSMS(ctx, e.tA.ID, from, numberA, "Where are you?"); err != nil || !handled {
		t.Fatalf("handled %v err %v", handled, err)
	}
	sent := e.tw.WaitMessages(2, 5*time.Second)
	var directions bool
	for _, m := range sent {
		directions = directions || (m.Get("To") == from && m.Get("Body") == "Directions: 12 Main St.")
	}
	if !directions {
		t.Fatalf("texts %+v", sent)
	}
}
