package cli

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"orengen/app"
	"orengen/app/agents"
	"orengen/app/sheets"
	"orengen/app/wiki"
	"orengen/llm/llmtest"
	"orengen/store"
)

// agentNumber is the number the test agent answers (a valid NANP number:
// the agent's number is checked with libphonenumber).
const agentNumber = "+15125550199"

// saveVoiceAgent gives the house tenant an enabled voice agent answering
// the Twilio number, in the data dir.
func saveVoiceAgent(t *testing.T, dir string) *agents.Agent {
	t.Helper()
	sv := openApp(t, dir)
	defer sv.Close()
	ctx := app.NewContextWithAdmin(context.Background(), &app.Admin{ID: 1, Email: "boss@example.com", Role: app.RoleOwner})
	if err := sv.Vault.Put(ctx, app.GlobalScope, app.SecretOpenAIKey, "sk-test"); err != nil {
		t.Fatal(err)
	}
	a := &agents.Agent{TenantID: app.HouseTenantID, Name: "Receptionist", Enabled: true, Phone: agentNumber, Config: agents.Config{
		Instructions: "You answer for the agency and book free consultations.", Greeting: "Hello!",
		Channels: agents.Channels{Voice: true, SMS: true, Web: true}}}
	if err := sv.Agents.SaveAgent(ctx, a); err != nil {
		t.Fatal(err)
	}
	return a
}

// The seeded Lead capture workflow calls the lead with the AI agent when
// one answers calls: the call's TwiML connects to the agent's
// ConversationRelay WebSocket with a signed token, and the call is an
// outbound conversation on the lead's contact.
func TestLeadCapture_AICall(t *testing.T) {
	dir := t.TempDir()
	prepareAutomationData(t, dir)
	ag := saveVoiceAgent(t, dir)
	tw, sink := newFakeTwilio(t), newSMTPSink(t)
	model := llmtest.Start()
	defer model.Close()
	cfgFile := filepath.Join(dir, "orengen.env")
	os.WriteFile(cfgFile, []byte("ORENGEN_SMTP_URL="+sink.URL("bot@example.com")+"\n"), 0o600)
	addr, _, stop := MustRunMain(t, dir, "--config", cfgFile, "--twilio-api-url", tw.srv.URL, "--openai-url", model.URL)
	if status, body := postLead(t, addr, seedLead, "application/json"); status != 201 {
		t.Fatalf("capture: %d %s", status, body)
	}
	waitFor(t, "the AI call", 15*time.Second, func() bool {
		tw.mu.Lock()
		defer tw.mu.Unlock()
		return len(tw.calls) > 0
	})
	tw.mu.Lock()
	c := tw.calls[0]
	tw.mu.Unlock()
	twiml := c.Get("Twiml")
	_, port, _ := strings.Cut(addr, ":")
	m := regexp.MustCompile(`<ConversationRelay url="ws://app\.localhost:` + port + `/twilio/agent/relay\?c=(\d+)&amp;t=([^"]+)"`).FindStringSubmatch(twiml)
	if c.Get("To") != "+15125550100" || m == nil || !strings.Contains(twiml, `<Connect action="http://app.localhost:`+port+`/twilio/agent/action?c=`) {
		t.Fatalf("call request: %v", c)
	}
	if strings.Contains(twiml, "<Gather") || strings.Contains(twiml, "welcomeGreeting") {
		t.Fatalf("an outbound AI call has no keypad menu and no canned greeting: %s", twiml)
	}
	tok, _ := url.QueryUnescape(strings.ReplaceAll(m[2], "&amp;", "&"))
	// The step records its result after Twilio answered: wait for it
	// before stopping the server.
	rdb := openDataDB(t, dir)
	waitFor(t, "the run to succeed", 15*time.Second, func() bool {
		runs, _ := store.NewWorkflowStore(rdb).FindRuns(context.Background(), app.RunFilter{})
		return len(runs) == 1 && runs[0].Status == app.RunSucceeded
	})
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	db := openDataDB(t, dir)
	st := store.NewAgentStore(db)
	convs, err := st.FindConversations(context.Background(), agents.ConversationFilter{TenantID: app.HouseTenantID})
	if err != nil || len(convs) != 1 {
		t.Fatalf("conversations %v %+v", err, convs)
	}
	cv := convs[0]
	if cv.Channel != agents.ChannelVoice || cv.Direction != "outbound" || cv.AgentID != ag.ID || cv.PersonID == 0 || cv.ExternalID == "" || m[1] != strconv.FormatInt(cv.ID, 10) {
		t.Fatalf("conversation %+v (token for %s)", cv, m[1])
	}
	if tok == "" {
		t.Fatal("no relay token")
	}
	runs, _ := store.NewWorkflowStore(db).FindRuns(context.Background(), app.RunFilter{})
	if len(runs) != 1 || runs[0].Status != app.RunSucceeded {
		t.Fatalf("runs %+v", runs)
	}
}

// An agent grounds answers in the tenant's wiki space and looks up rows
// of its sheet (the wiki and sheets services, wired).
func TestAgents_WikiAndSheets(t *testing.T) {
	dir := t.TempDir()
	model := llmtest.Start()
	defer model.Close()
	sv := openApp(t, dir, "--openai-url", model.URL)
	defer sv.Close()
	ctx := app.NewContextWithAdmin(context.Background(), &app.Admin{ID: 1, Email: "boss@example.com", Role: app.RoleOwner})
	if err := sv.Vault.Put(ctx, app.GlobalScope, app.SecretOpenAIKey, "sk-test"); err != nil {
		t.Fatal(err)
	}
	house, _ := sv.Tenants.TenantByID(ctx, app.HouseTenantID)
	tctx := app.NewContextWithTenant(ctx, house)
	sp, err := sv.Wiki.Space(tctx)
	if err != nil {
		t.Fatal(err)
	}
	policy, err := sv.Wiki.CreatePage(tctx, sp.ID, 0, "Refund policy", "# Refunds\n\nDeposits are refunded in full up to 48 hours before the appointment.")
	if err != nil {
		t.Fatal(err)
	}
	tb := &sheets.Table{Name: "Price list", Columns: []sheets.Column{{Key: "service", Name: "Service", Type: sheets.TypeText}, {Key: "price", Name: "Price", Type: sheets.TypeNumber}}}
	if err := sv.Sheets.CreateTable(tctx, tb); err != nil {
		t.Fatal(err)
	}
	for _, r := range []map[string]any{{"service": "Roof inspection", "price": 0.0}, {"service": "Gutter cleaning", "price": 120.0}} {
		if _, err := sv.Sheets.CreateRow(tctx, tb, r); err != nil {
			t.Fatal(err)
		}
	}
	spaces, tables, err := sv.agentCatalog(ctx, app.HouseTenantID)
	if err != nil || len(spaces) != 1 || len(tables) != 1 {
		t.Fatalf("catalog %v %v %v", spaces, tables, err)
	}
	a := &agents.Agent{TenantID: app.HouseTenantID, Name: "Desk", Config: agents.Config{Instructions: "Answer customers.",
		Knowledge: []string{"wiki:" + spaces[0].ID}, Tools: []string{agents.ToolLookupSheet}, Sheets: []string{tables[0].ID}}}
	if err := sv.Agents.SaveAgent(ctx, a); err != nil {
		t.Fatal(err)
	}
	c, err := sv.Agents.StartPlayground(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	model.Push(llmtest.Reply{ToolCalls: []llmtest.Call{{Name: "lookup_sheet", Arguments: `{"sheet":"Price list","query":"gutter"}`}}},
		llmtest.Reply{Text: "Gutter cleaning is $120, and deposits are refundable up to 48 hours before."})
	r, err := sv.Agents.Respond(context.Background(), c, agents.Input{Text: "How much is gutter cleaning and can I get my deposit back?"}, nil)
	if err != nil || r.Fallback {
		t.Fatalf("%v %+v", err, r)
	}
	reqs := model.Requests()
	if !strings.Contains(reqs[0].Body.Messages[1].Content, "refunded in full up to 48 hours") {
		t.Fatalf("the wiki passage did not reach the model: %q", reqs[0].Body.Messages[1].Content)
	}
	var tool string
	for _, m := range reqs[1].Body.Messages {
		if m.Role == "tool" {
			tool = m.Content
		}
	}
	if !strings.Contains(tool, `"Gutter cleaning"`) || !strings.Contains(tool, "120") || strings.Contains(tool, "Roof inspection") {
		t.Fatalf("sheet rows: %s", tool)
	}
	_, turns, _ := sv.Agents.Conversation(ctx, c.ID)
	var wikiSource bool
	for _, tr := range turns {
		for _, s := range tr.Sources {
			wikiSource = wikiSource || s.Kind == "wiki" && strings.Contains(s.Title, "Refund policy")
		}
	}
	if !wikiSource {
		t.Fatal("the transcript does not record the wiki source")
	}
	// The page changed: the agent's next answer reads the new text, not
	// the old (the save re-indexes before it returns; the issue allows
	// seconds, the check allows none).
	if _, err := sv.Wiki.SavePage(tctx, policy.ID, wiki.PageUpdate{Title: "Refund policy", BaseRevision: policy.Revision,
		Body: "# Refunds\n\nFrom January, deposits are refunded in full up to 72 hours before the appointment."}); err != nil {
		t.Fatal(err)
	}
	model.Push(llmtest.Reply{Text: "Deposits come back up to 72 hours before."})
	if r, err := sv.Agents.Respond(context.Background(), c, agents.Input{Text: "Until when is my deposit refunded?"}, nil); err != nil || r.Fallback {
		t.Fatalf("%v %+v", err, r)
	}
	reqs = model.Requests()
	last := reqs[len(reqs)-1].Body.Messages
	var grounded string
	for _, m := range last {
		if m.Role == "system" {
			grounded += m.Content
		}
	}
	if !strings.Contains(grounded, "refunded in full up to 72 hours") || strings.Contains(grounded, "up to 48 hours before") {
		t.Fatalf("after the change the model was given: %q", grounded)
	}
}
