package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"orengen/app"
	"orengen/app/agents"
	"orengen/llm/llmtest"
)

// TestBrowser_InboxTakeover: a visitor chats with the tenant's agent
// through the chat widget's endpoints and the agent answers; the owner
// opens the chat's thread in Conversations, takes over from the agent
// and replies; the visitor reads the person's reply, and their next
// message reaches no model; handed back, the agent answers again.
func TestBrowser_InboxTakeover(t *testing.T) {
	ctx := newBrowserFor(t, 2*time.Minute)
	model := llmtest.Start()
	defer model.Close()
	model.Script = func(r llmtest.Request) llmtest.Reply {
		return llmtest.Reply{Text: "The agent says: gutter cleaning is $120."}
	}
	flags := []string{"--openai-url", model.URL}
	dir := t.TempDir()
	const email = "desk@takeover.test"
	var key string
	_, password := inboxSetup(t, dir, email, flags, func(sv *App, tn *app.Tenant) {
		bg := context.Background()
		admin := app.NewContextWithAdmin(bg, &app.Admin{ID: 1, Email: "boss@example.com", Role: app.RoleOwner})
		if err := sv.Vault.Put(admin, app.GlobalScope, app.SecretOpenAIKey, "sk-test"); err != nil {
			t.Fatal(err)
		}
		ag := &agents.Agent{TenantID: tn.ID, Name: "Front desk", Enabled: true, Config: agents.Config{
			Instructions: "You answer questions about gutters.", Greeting: "Hi!", Channels: agents.Channels{Web: true}}}
		if err := sv.Agents.SaveAgent(admin, ag); err != nil {
			t.Fatal(err)
		}
		key = ag.PublicKey
	})
	addr, _, stop := MustRunMain(t, dir, flags...)
	defer stop()
	port := addr[strings.LastIndex(addr, ":")+1:]
	base := "http://app.localhost:" + port
	defer func() {
		if t.Failed() {
			screenshot(t, ctx, "inbox-takeover-failed")
		}
	}()

	// The visitor's side: the widget's JSON endpoints on the portal host.
	visitor := func(method, path string, body any) map[string]any {
		t.Helper()
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, _ := http.NewRequest(method, "http://"+addr+path, rd)
		req.Host = "app.localhost:" + port
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode >= 300 || json.Unmarshal(raw, &out) != nil {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, raw)
		}
		return out
	}
	chat := visitor("POST", "/chat/"+key+"/start", map[string]string{"page": "https://takeover.test/"})
	id, token := int64(chat["id"].(float64)), chat["token"].(string)
	cpath := "/chat/" + key + "/c/" + itoa64(id)
	say := func(text string) { visitor("POST", cpath+"/messages", map[string]string{"text": text, "token": token}) }
	// history returns the transcript's lines as "role: text".
	history := func() []string {
		var out []string
		for _, m := range visitor("GET", cpath+"/history?token="+token, nil)["messages"].([]any) {
			mm := m.(map[string]any)
			out = append(out, mm["role"].(string)+": "+mm["text"].(string))
		}
		return out
	}
	waitHistory := func(n int) []string {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			if h := history(); len(h) >= n {
				return h
			} else if time.Now().After(deadline) {
				t.Fatalf("the visitor's chat has %d messages, want %d: %q", len(h), n, h)
			}
		}
	}
	say("Hi, do you clean gutters?")
	if h := waitHistory(3); h[2] != "assistant: The agent says: gutter cleaning is $120." { // greeting, question, answer
		t.Fatalf("agent's answer: %q", h)
	}
	asked := len(model.Requests())

	const human = "A person here: we can come Tuesday at 9."
	var thread, href string
	if err := chromedp.Run(ctx,
		loginTasks(base+"/login", email, password),
		waitLoaded("main.content h1", chromedp.ByQuery),
		chromedp.Navigate(base+"/inbox"),
		waitLoaded(`#inbox-list a[data-id]`, chromedp.ByQuery),
		chromedp.Poll(`document.getElementById("inbox-list").textContent.indexOf("gutter cleaning is $120") >= 0 || document.getElementById("inbox-list").textContent.indexOf("do you clean gutters") >= 0`, nil, chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.AttributeValue(`#inbox-list a[data-id]`, "href", &href, nil, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Run(ctx,
		chromedp.Navigate(base+href),
		waitLoaded(`form[action$="/takeover"] button`, chromedp.ByQuery),
		chromedp.Click(`form[action$="/takeover"] button`, chromedp.ByQuery),
		chromedp.Sleep(time.Second), // the form posts and the thread comes back
		chromedp.Navigate(base+href),
		waitLoaded("#reply-text", chromedp.ByID),
		chromedp.SendKeys("#reply-text", human, chromedp.ByID),
		chromedp.Click("#reply-send", chromedp.ByID),
	); err != nil {
		t.Fatal(err)
	}
	// The reply posts and the thread page comes back with it (polled
	// across the navigation).
	for deadline := time.Now().Add(15 * time.Second); !strings.Contains(thread, human); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the reply is not in the thread: %q", thread)
		}
		chromedp.Run(ctx, chromedp.Evaluate(`(function () { var m = document.getElementById("inbox-messages"); return m ? m.textContent : ""; })()`, &thread))
	}
	if !strings.Contains(thread, "do you clean gutters") || !strings.Contains(thread, "gutter cleaning is $120") {
		t.Fatalf("the thread lacks the chat: %s", thread)
	}
	if h := waitHistory(4); h[3] != "human: "+human {
		t.Fatalf("the visitor does not read the person's reply: %q", h)
	}
	// Taken over: the visitor's next words reach the team, not the model.
	say("Tuesday is perfect, thanks")
	h := waitHistory(5)
	time.Sleep(time.Second)
	if n := len(model.Requests()); n != asked || len(history()) != 5 || h[4] != "user: Tuesday is perfect, thanks" {
		t.Fatalf("after the takeover the model was asked %d times more: %q", n-asked, history())
	}
	// Handed back: the agent answers again.
	if err := chromedp.Run(ctx,
		chromedp.Navigate(base+href),
		waitLoaded(`form[action$="/handback"] button`, chromedp.ByQuery),
		chromedp.Click(`form[action$="/handback"] button`, chromedp.ByQuery),
		chromedp.Sleep(time.Second),
	); err != nil {
		t.Fatal(err)
	}
	say("One more: do you do downspouts?")
	if h := waitHistory(7); h[6] != "assistant: The agent says: gutter cleaning is $120." {
		t.Fatalf("the agent did not answer after the hand-back: %q", h)
	}
}
