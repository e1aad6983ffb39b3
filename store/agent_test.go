package store_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"orengen/app"
	"orengen/app/agents"
	"orengen/store"
)

func agentConfig() agents.Config {
	c := agents.Config{Instructions: "Answer questions.", Channels: agents.Channels{Web: true, SMS: true}}
	if err := c.Normalize(); err != nil {
		panic(err)
	}
	return c
}

func TestAgentStore_VersionsAndScope(t *testing.T) {
	db, _ := mustOpenTenantDB(t)
	ctx := context.Background()
	ta, tb := mustCreateTenant(t, db, "Alpha"), mustCreateTenant(t, db, "Bravo")
	st := store.NewAgentStore(db)
	a := &agents.Agent{TenantID: ta.ID, Name: "Reception", Enabled: true, Phone: "+15125550100", PublicKey: "ag_one", Config: agentConfig()}
	if err := st.SaveAgent(ctx, a); err != nil {
		t.Fatal(err)
	}
	v1 := a.VersionID
	a.Config.Instructions = "Second version."
	if err := st.SaveAgent(ctx, a); err != nil {
		t.Fatal(err)
	}
	if a.Version != 2 || a.VersionID == v1 {
		t.Fatalf("version %d id %d", a.Version, a.VersionID)
	}
	old, err := st.FindAgentVersion(ctx, ta.ID, v1)
	if err != nil || old.Config.Instructions != "Answer questions." || old.Version != 1 {
		t.Fatalf("version 1: %v %+v", err, old)
	}
	if _, err := st.FindAgentVersion(ctx, tb.ID, v1); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("tenant B read A's version: %v", err)
	}
	if _, err := st.FindAgent(ctx, tb.ID, a.ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("tenant B read A's agent: %v", err)
	}
	if got, err := st.FindAgentByPhone(ctx, ta.ID, "(512) 555-0100"); err != nil || got.ID != a.ID {
		t.Fatalf("by phone: %v", err)
	}
	if _, err := st.FindAgentByPhone(ctx, tb.ID, "+15125550100"); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("tenant B found A's number: %v", err)
	}
	// One enabled agent per number and tenant; another tenant may use it.
	dup := &agents.Agent{TenantID: ta.ID, Name: "Dup", Enabled: true, Phone: "+15125550100", PublicKey: "ag_two", Config: agentConfig()}
	if err := st.SaveAgent(ctx, dup); app.ErrorCode(err) != app.ECONFLICT {
		t.Fatalf("two enabled agents on one number: %v", err)
	}
	other := &agents.Agent{TenantID: tb.ID, Name: "B", Enabled: true, Phone: "+15125550100", PublicKey: "ag_three", Config: agentConfig()}
	if err := st.SaveAgent(ctx, other); err != nil {
		t.Fatal(err)
	}
	// A conversation keeps its version; deleting the agent keeps both.
	c := &agents.Conversation{TenantID: ta.ID, AgentID: a.ID, VersionID: v1, Channel: agents.ChannelWeb, Direction: "inbound"}
	if err := st.CreateConversation(ctx, c); err != nil {
		t.Fatal(err)
	}
	// A version of another agent is refused.
	bad := &agents.Conversation{TenantID: ta.ID, AgentID: a.ID, VersionID: other.VersionID, Channel: agents.ChannelWeb, Direction: "inbound"}
	if err := st.CreateConversation(ctx, bad); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("a conversation on another agent's version: %v", err)
	}
	if err := st.DeleteAgent(ctx, ta.ID, a.ID); err != nil {
		t.Fatal(err)
	}
	got, err := st.FindConversation(ctx, ta.ID, c.ID)
	if err != nil || got.Version != 1 || got.AgentName != "Reception" {
		t.Fatalf("conversation after delete: %v %+v", err, got)
	}
	if _, err := st.FindAgent(ctx, ta.ID, a.ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatal("a deleted agent is still listed")
	}
	if _, err := st.FindConversation(ctx, tb.ID, c.ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatal("tenant B read A's conversation")
	}
}

// Ending a conversation writes the outcome, the person's fields and the
// timeline entry together, or nothing.
func TestAgentStore_FinishIsAtomic(t *testing.T) {
	db, _ := mustOpenTenantDB(t)
	ctx := context.Background()
	ta := mustCreateTenant(t, db, "Alpha")
	tctx := app.NewContextWithTenant(ctx, ta)
	crm := store.NewCRMStores(db)
	if err := crm.Fields.CreateCustomField(tctx, &app.CustomField{Object: app.RecordPerson, Key: "budget", Label: "Budget", Type: app.CustomNumber}); err != nil {
		t.Fatal(err)
	}
	p := &app.Person{FirstName: "Dana", Emails: []string{"dana@example.com"}}
	if err := crm.People.CreatePerson(tctx, p); err != nil {
		t.Fatal(err)
	}
	st := store.NewAgentStore(db)
	a := &agents.Agent{TenantID: ta.ID, Name: "R", PublicKey: "ag_x", Config: agentConfig()}
	if err := st.SaveAgent(ctx, a); err != nil {
		t.Fatal(err)
	}
	c := &agents.Conversation{TenantID: ta.ID, AgentID: a.ID, VersionID: a.VersionID, Channel: agents.ChannelWeb, Direction: "inbound", PersonID: p.ID}
	if err := st.CreateConversation(ctx, c); err != nil {
		t.Fatal(err)
	}
	before, _ := crm.Timeline.FindTimeline(tctx, app.RecordPerson, p.ID)
	f := &agents.Finish{Outcome: agents.OutcomeQualified, Summary: "s", Collected: map[string]string{"budget": "about five grand"},
		PersonFields: map[string]string{"custom:budget": "about five grand", "title": "Owner", "phone": "+15125550123"},
		Timeline:     &app.TimelineEntry{Kind: "ai_chat", Body: "AI chat", RefType: agents.RefConversation, RefID: c.ID, Actor: "agent:1"}}
	err := st.FinishConversation(ctx, c, f)
	if app.ErrorCode(err) != app.EINVALID || !strings.Contains(app.ErrorField(err), "budget") {
		t.Fatalf("a non-number budget: %v (field %q)", err, app.ErrorField(err))
	}
	got, _ := st.FindConversation(ctx, ta.ID, c.ID)
	pp, _ := crm.People.FindPerson(tctx, p.ID)
	after, _ := crm.Timeline.FindTimeline(tctx, app.RecordPerson, p.ID)
	if got.Status != agents.StatusActive || pp.Title != "" || len(pp.Phones) != 0 || len(after) != len(before) {
		t.Fatalf("half-written: conversation %s, person %+v, timeline %d -> %d", got.Status, pp, len(before), len(after))
	}
	f.PersonFields["custom:budget"] = "5000"
	if err := st.FinishConversation(ctx, c, f); err != nil {
		t.Fatal(err)
	}
	pp, _ = crm.People.FindPerson(tctx, p.ID)
	if pp.Title != "Owner" || len(pp.Phones) != 1 || pp.Custom["budget"] == nil || len(pp.Emails) != 1 {
		t.Fatalf("person %+v", pp)
	}
	if err := st.FinishConversation(ctx, c, f); app.ErrorCode(err) != app.ECONFLICT {
		t.Fatalf("finished twice: %v", err)
	}
}

// The upgrade of the seeded Lead capture workflow: only an untouched seed
// gets the AI call.
func TestMigration_LeadCaptureAICall(t *testing.T) {
	db, _ := mustOpenTenantDB(t)
	ctx := context.Background()
	ws := store.NewWorkflowStore(db)
	var def app.Definition
	// The seed as it was before Agent Studio.
	if err := json.Unmarshal([]byte(`{"steps":[{"id":"contact","type":"contact"},{"id":"has-phone","type":"if","field":"contact.phone","op":"empty","then":"notify"},{"id":"call","type":"call","say":"Hello {{.Contact.FirstName}}, thank you for contacting us. We will call you back within one business day.","gather":"Press 1 to confirm that you would like a call back.","retries":3},{"id":"notify","type":"notify","subject":"New lead: {{.Contact.FirstName}} {{.Contact.LastName}}","body":"Name: {{.Contact.FirstName}} {{.Contact.LastName}}\nEmail: {{.Contact.Email}}\nPhone: {{.Contact.Phone}}\nSource: {{.Trigger.source}}\n"}]}`), &def); err != nil {
		t.Fatal(err)
	}
	seed := &app.Workflow{TenantID: app.HouseTenantID, Name: "Lead capture", Trigger: app.TriggerFormSubmitted, Seed: "lead-capture", Definition: &def}
	if _, err := ws.SeedWorkflow(ctx, seed); err != nil {
		t.Fatal(err)
	}
	edited := mustCreateTenant(t, db, "Edited")
	def2 := def
	def2.Steps = append([]app.Step(nil), def.Steps...)
	def2.Steps[2].Say = "Hi there"
	mine := &app.Workflow{TenantID: edited.ID, Name: "Lead capture", Trigger: app.TriggerFormSubmitted, Seed: "lead-capture", Definition: &def2}
	if _, err := ws.SeedWorkflow(ctx, mine); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ReadDB().ExecContext(ctx, "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	if err := db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM schema_migrations WHERE name = '0041_lead_capture_ai_call.sql'`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if applied, err := db.Migrate(ctx); err != nil || len(applied) != 1 {
		t.Fatalf("migrate: %v %v", applied, err)
	}
	got, err := ws.FindWorkflow(ctx, seed.ID)
	if err != nil || got.Version != 2 || got.Definition.Steps[2].Type != app.StepAICall || got.Definition.Steps[2].Gather == "" {
		t.Fatalf("the untouched seed: %v %+v", err, got)
	}
	want := app.LeadCaptureWorkflow().Definition
	if a, b := mustJSON(t, got.Definition), mustJSON(t, want); a != b {
		t.Fatalf("upgraded seed differs from LeadCaptureWorkflow:\n%s\n%s", a, b)
	}
	if got, _ := ws.FindWorkflow(ctx, mine.ID); got.Version != 1 || got.Definition.Steps[2].Type != app.StepCall {
		t.Fatalf("an edited workflow was changed: %+v", got)
	}
}

func mustJSON(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
