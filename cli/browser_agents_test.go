package cli

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"orengen/app"
	"orengen/app/agents"
	"orengen/app/sites"
	"orengen/llm/llmtest"
	"orengen/store"
)

// agentScript is the loopback model of the browser tests: a tool call
// when asked to tag, the answer after a tool result, else a reply in
// three pieces sent 400 ms apart (so a page that shows the reply only
// at the end is caught).
func agentScript(r llmtest.Request) llmtest.Reply {
	msgs := r.Body.Messages
	if n := len(msgs); n > 0 && msgs[n-1].Role == "tool" {
		return llmtest.Reply{Text: "Tagged. Gutter cleaning is $120."}
	}
	if strings.Contains(r.LastUser(), "tag me") {
		return llmtest.Reply{ToolCalls: []llmtest.Call{{Name: "add_tag", Arguments: `{"tag":"gutters"}`}}}
	}
	return llmtest.Reply{Chunks: []string{"Gutter cleaning ", "is $120 ", "per visit."}, ChunkDelay: 400 * time.Millisecond}
}

// TestBrowser_AgentChatAndPlayground: the owner switches the chat
// button on for every page of their site in the site settings (no code
// pasted) and publishes; a visitor on the tenant's domain opens the
// button, asks, and sees the reply grow piece by piece as the model
// streams it, then is a CRM person because they wrote their email; the
// tenant's hosted form carries the same button; in the portal's
// playground the owner sees the agent's tool call (input and output)
// and the knowledge passage it retrieved.
func TestBrowser_AgentChatAndPlayground(t *testing.T) {
	ctx := newBrowserFor(t, 3*time.Minute)
	dir := t.TempDir()
	bg := context.Background()
	tn := &app.Tenant{Name: "Gutter Pros"}
	m, sv, tok := setupTenantInvite(t, dir, tn, "", "owner@gutter-pros.test")
	if _, err := sv.Users.RedeemToken(bg, tok, app.TokenInvite, "Gil", "agent studio password"); err != nil {
		t.Fatal(err)
	}
	admin := app.NewContextWithAdmin(bg, &app.Admin{ID: 1, Email: "boss@example.com", Role: app.RoleOwner})
	tctx := app.NewContextWithTenant(bg, tn)
	if err := m.Domains.AddTenantDomain(bg, tn.ID, "gutter-pros.localhost"); err != nil {
		t.Fatal(err)
	}
	if err := m.Vault.Put(admin, app.GlobalScope, app.SecretOpenAIKey, "sk-test"); err != nil {
		t.Fatal(err)
	}
	ag := &agents.Agent{TenantID: tn.ID, Name: "Gutter helper", Enabled: true, Config: agents.Config{
		Instructions: "You answer questions about gutter cleaning.", Greeting: "Hi! Ask me about gutters.",
		Channels: agents.Channels{Web: true, Forms: true}, Knowledge: []string{"docs"},
		Tools: []string{agents.ToolAddTag, agents.ToolCreatePerson}}}
	if err := m.Agents.SaveAgent(admin, ag); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Agents.AddDocument(tctx, tn.ID, "prices.md", []byte("# Prices\n\nGutter cleaning costs 120 dollars per visit, downspouts included.\n")); err != nil {
		t.Fatal(err)
	}
	site := &sites.Site{TenantID: tn.ID, Name: "Gutter Pros", Domain: "gutter-pros.localhost"}
	if err := m.Sites.CreateSite(tctx, site); err != nil {
		t.Fatal(err)
	}
	form := &app.Form{Name: "Quote", Fields: []app.FormField{{Name: "email", Label: "Email", Type: app.FieldEmail, Required: true}}}
	if err := m.Forms.SaveForm(tctx, form); err != nil {
		t.Fatal(err)
	}
	m.Close()

	model := llmtest.Start()
	defer model.Close()
	model.Script = agentScript
	addr, _, _ := MustRunMain(t, dir, "--openai-url", model.URL)
	port := addr[strings.LastIndex(addr, ":")+1:]
	portal := "http://app.localhost:" + port
	live := "http://gutter-pros.localhost:" + port
	defer func() {
		if t.Failed() {
			screenshot(t, ctx, "agent-chat-failed")
		}
	}()

	// The owner picks the agent for the chat button and publishes.
	if err := chromedp.Run(ctx,
		loginTasks(portal+"/login", "owner@gutter-pros.test", "agent studio password"),
		chromedp.WaitVisible("aside.side", chromedp.ByQuery),
		chromedp.Navigate(portal+"/sites/"+itoa64(site.ID)),
		waitLoaded("#chat_agent", chromedp.ByID),
		chromedp.SetValue("#chat_agent", ag.PublicKey, chromedp.ByID),
		chromedp.Submit("#chat_agent", chromedp.ByID),
		waitLoaded(`.alert.ok`, chromedp.ByQuery),
		chromedp.Click(`form[action$="/publish"] button`, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	for deadline, live := time.Now().Add(20*time.Second), false; !live; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the site was not published")
		}
		chromedp.Run(ctx, chromedp.Evaluate(`document.body.innerText.includes("Live: revision")`, &live))
	}

	// A visitor opens the button in the corner and asks.
	if err := chromedp.Run(ctx,
		chromedp.Navigate(live+"/"),
		waitLoaded(`button[aria-label="Chat with us"]`, chromedp.ByQuery),
		chromedp.Click(`button[aria-label="Chat with us"]`, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	// The frame is the appliance's own page on the same host, so its
	// document is readable from the test.
	const inFrame = `(function () { var f = document.querySelector('iframe[src*="/chat/"]'); return f && f.contentDocument; })()`
	var ready bool
	for deadline := time.Now().Add(20 * time.Second); !ready; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the chat frame did not load")
		}
		chromedp.Run(ctx, chromedp.Evaluate(`(function () { var d = `+inFrame+`; return !!(d && d.getElementById("chat-form") && d.querySelector("#chat-log .msg-assistant")); })()`, &ready))
	}
	var sent bool
	if err := chromedp.Run(ctx, chromedp.Evaluate(`(function () { var d = `+inFrame+`;
		d.getElementById("chat-input").value = "Hi, I'm Vera (vera@visitor.test). How much is gutter cleaning?";
		d.getElementById("chat-form").requestSubmit(); return true; })()`, &sent)); err != nil {
		t.Fatal(err)
	}
	// Poll the reply's bubble: it must show a part of the reply before
	// the whole.
	const want = "Gutter cleaning is $120 per visit."
	var seen []string
	for deadline := time.Now().Add(30 * time.Second); len(seen) == 0 || seen[len(seen)-1] != want; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the reply never completed; seen %q", seen)
		}
		var text string
		chromedp.Run(ctx, chromedp.Evaluate(`(function () { var d = `+inFrame+`; var b = d.querySelectorAll("#chat-log .msg-assistant .text"); return b.length > 1 ? b[b.length-1].textContent : ""; })()`, &text))
		if text != "" && (len(seen) == 0 || seen[len(seen)-1] != text) {
			seen = append(seen, text)
		}
	}
	if len(seen) < 2 || !strings.HasPrefix(want, seen[0]) || seen[0] == want {
		t.Fatalf("the reply did not stream into the page: %q", seen)
	}

	// The hosted form carries the same button.
	req, _ := http.NewRequest("GET", "http://"+addr+"/f/"+itoa64(form.ID), nil)
	req.Host = "gutter-pros.localhost:" + port
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `src="/chat/widget.js" data-agent="`+ag.PublicKey+`"`) {
		t.Fatalf("hosted form %d: no chat button in %.400s", resp.StatusCode, body)
	}

	// The playground shows the tool call and the retrieved passage.
	if err := chromedp.Run(ctx,
		chromedp.Navigate(portal+"/agents/"+itoa64(ag.ID)),
		waitLoaded(`form[action="/agents/`+itoa64(ag.ID)+`/playground"] button`, chromedp.ByQuery),
		chromedp.Click(`form[action="/agents/`+itoa64(ag.ID)+`/playground"] button`, chromedp.ByQuery),
		waitLoaded(`#agent-chat[data-mode="playground"] #chat-input`, chromedp.ByQuery),
		chromedp.SendKeys("#chat-input", "Gutter cleaning price? And tag me please.", chromedp.ByID),
		chromedp.Click(`#chat-form button[type=submit]`, chromedp.ByQuery),
		waitLoaded(`#chat-log .msg-tool summary`, chromedp.ByQuery),
		waitLoaded(`#chat-log .msg-sources summary`, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	var tool, sources, reply string
	for deadline := time.Now().Add(20 * time.Second); reply != "Tagged. Gutter cleaning is $120."; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("playground reply %q", reply)
		}
		chromedp.Run(ctx, chromedp.Evaluate(`(function () { var b = document.querySelectorAll("#chat-log .msg-assistant .text"); return b.length ? b[b.length-1].textContent : ""; })()`, &reply))
	}
	if err := chromedp.Run(ctx,
		chromedp.Evaluate(`document.querySelector("#chat-log .msg-tool").textContent`, &tool),
		chromedp.Evaluate(`document.querySelector("#chat-log .msg-sources").textContent`, &sources),
	); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(tool, "Tool add_tag") || !strings.Contains(tool, `"tag":"gutters"`) {
		t.Fatalf("tool call row %q", tool)
	}
	if !strings.Contains(sources, "prices.md") || !strings.Contains(sources, "120 dollars per visit") {
		t.Fatalf("sources row %q", sources)
	}
	screenshot(t, ctx, "agent-playground")

	// The visitor who wrote their email is a person of the tenant.
	db := openDataDB(t, dir)
	if id, err := store.NewAgentStore(db).FindPersonByContact(bg, tn.ID, "vera@visitor.test", ""); err != nil || id == 0 {
		t.Fatalf("the visitor is not a contact: %d %v", id, err)
	}
}
