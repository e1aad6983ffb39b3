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
	os.WriteFile(cfgFile, []byte("ORENGEN_SMTP_URL=smtp://"+sink.ln.Addr().String()+"?from=bot@example.com\n"), 0o600)
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
