package cli

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"orengen/app"
	"orengen/app/agents"
	"orengen/llm/llmtest"
	"orengen/store"
)

// signTwilio computes X-Twilio-Signature as Twilio documents it: base64
// of HMAC-SHA1 over the URL, then each POST parameter's name and value
// sorted by name (none for a WebSocket handshake).
func signTwilio(token, u string, params url.Values) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	m := hmac.New(sha1.New, []byte(token))
	m.Write([]byte(u))
	for _, k := range keys {
		m.Write([]byte(k + params.Get(k)))
	}
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// postSigned posts form to path on the portal host, signed with token.
func postSigned(t *testing.T, addr, token, path string, form url.Values) (int, string) {
	t.Helper()
	_, port, _ := net.SplitHostPort(addr)
	req, _ := http.NewRequest("POST", "http://"+addr+path, strings.NewReader(form.Encode()))
	req.Host = "app.localhost:" + port
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", signTwilio(token, "http://app.localhost:"+port+path, form))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

const handoffNumber = "+15125550142"

// saveCallAgent gives the house tenant an enabled voice agent on number
// that transfers to handoffNumber, in mode (relay or gather).
func saveCallAgent(t *testing.T, dir, number, mode string) *agents.Agent {
	t.Helper()
	sv := openApp(t, dir)
	defer sv.Close()
	ctx := app.NewContextWithAdmin(context.Background(), &app.Admin{ID: 1, Email: "boss@example.com", Role: app.RoleOwner})
	if err := sv.Vault.Put(ctx, app.GlobalScope, app.SecretOpenAIKey, "sk-test"); err != nil {
		t.Fatal(err)
	}
	a := &agents.Agent{TenantID: app.HouseTenantID, Name: "Receptionist " + mode, Enabled: true, Phone: number, Config: agents.Config{
		Instructions: "You answer the phone for the agency.", Greeting: "Hello!", Tools: []string{agents.ToolTransfer, agents.ToolAddTag},
		Handoff:  agents.Handoff{Kind: agents.HandoffPhone, Target: handoffNumber},
		Channels: agents.Channels{Voice: true, SMS: true, Web: true}, Voice: agents.VoiceSettings{Mode: mode}}}
	if err := sv.Agents.SaveAgent(ctx, a); err != nil {
		t.Fatal(err)
	}
	return a
}

var relayURLRE = regexp.MustCompile(`<ConversationRelay url="(ws://[^"]+)"`)

// relayClient is the carrier's side of a ConversationRelay WebSocket.
type relayClient struct {
	t    *testing.T
	conn net.Conn
	msgs chan map[string]any
}

// dialRelay opens the WebSocket as Twilio does: the handshake signed
// over the wss:// (here ws://) URL.
func dialRelay(t *testing.T, addr, wsURL, signature string) (*relayClient, int) {
	t.Helper()
	d := ws.Dialer{Timeout: 5 * time.Second,
		Header: ws.HandshakeHeaderHTTP(http.Header{"X-Twilio-Signature": {signature}}),
		NetDial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		}}
	conn, _, _, err := d.Dial(context.Background(), wsURL)
	if err != nil {
		var se ws.StatusError
		if errors_As(err, &se) {
			return nil, int(se)
		}
		t.Fatalf("dial: %v", err)
	}
	rc := &relayClient{t: t, conn: conn, msgs: make(chan map[string]any, 256)}
	go func() {
		defer close(rc.msgs)
		for {
			b, err := wsutil.ReadServerText(conn)
			if err != nil {
				return
			}
			var m map[string]any
			if json.Unmarshal(b, &m) == nil {
				rc.msgs <- m
			}
		}
	}()
	return rc, 101
}

func errors_As(err error, se *ws.StatusError) bool {
	s, ok := err.(ws.StatusError)
	if ok {
		*se = s
	}
	return ok
}

func (rc *relayClient) send(m map[string]any) {
	b, _ := json.Marshal(m)
	if err := wsutil.WriteClientText(rc.conn, b); err != nil {
		rc.t.Fatalf("send %v: %v", m, err)
	}
}

// next returns the next message from the server (nil when it closed).
func (rc *relayClient) next(d time.Duration) map[string]any {
	select {
	case m := <-rc.msgs:
		return m
	case <-time.After(d):
		rc.t.Fatalf("no message from the relay in %s", d)
		return nil
	}
}

// speech reads text tokens until the last one and returns them joined.
func (rc *relayClient) speech() string {
	var b strings.Builder
	for {
		m := rc.next(10 * time.Second)
		if m == nil {
			rc.t.Fatalf("the relay closed mid-speech after %q", b.String())
		}
		if m["type"] != "text" {
			rc.t.Fatalf("expected text, got %v", m)
		}
		b.WriteString(m["token"].(string))
		if m["last"] == true {
			return b.String()
		}
	}
}

// A call answered on ConversationRelay: the handshake is refused unless
// signed by the tenant's Twilio token (and with the call's token); the
// caller's prompt streams back as text tokens; dtmf reaches the model;
// an interrupt stops the speech; a transfer ends the session with
// handoff data and the <Connect> action dials the handoff number.
func TestAgentCall_ConversationRelay(t *testing.T) {
	dir := t.TempDir()
	prepareAutomationData(t, dir)
	saveCallAgent(t, dir, agentNumber, agents.VoiceRelay)
	model := llmtest.Start()
	defer model.Close()
	tw := newFakeTwilio(t)
	addr, _, stop := MustRunMain(t, dir, "--twilio-api-url", tw.srv.URL, "--openai-url", model.URL)
	defer stop()

	call := url.Values{"CallSid": {"CA11111111111111111111111111111111"}, "From": {"+15125550111"}, "To": {agentNumber}, "AccountSid": {testTwilioSID}}
	status, twiml := postSigned(t, addr, testTwilioToken, "/twilio/voice", call)
	m := relayURLRE.FindStringSubmatch(twiml)
	if status != 200 || m == nil {
		t.Fatalf("voice webhook: %d %s", status, twiml)
	}
	wsURL := strings.ReplaceAll(m[1], "&amp;", "&")

	// Forged: a wrong signature, a good signature over a changed token.
	if _, st := dialRelay(t, addr, wsURL, signTwilio("wrong-token", wsURL, nil)); st != 403 {
		t.Fatalf("forged handshake: %d, want 403", st)
	}
	bad := strings.Replace(wsURL, "&t=", "&t=9", 1)
	if _, st := dialRelay(t, addr, bad, signTwilio(testTwilioToken, bad, nil)); st != 403 {
		t.Fatalf("changed token: %d, want 403", st)
	}

	rc, st := dialRelay(t, addr, wsURL, signTwilio(testTwilioToken, wsURL, nil))
	if st != 101 {
		t.Fatalf("handshake %d", st)
	}
	defer rc.conn.Close()
	rc.send(map[string]any{"type": "setup", "sessionId": "VX1", "accountSid": testTwilioSID, "callSid": call.Get("CallSid"),
		"from": call.Get("From"), "to": agentNumber, "direction": "inbound", "callType": "PSTN", "callStatus": "RINGING", "customParameters": map[string]string{}})

	// A prompt: the reply's pieces come back as they stream.
	model.Push(llmtest.Reply{Chunks: []string{"We are open ", "nine to five ", "on weekdays."}, ChunkDelay: 30 * time.Millisecond})
	rc.send(map[string]any{"type": "prompt", "voicePrompt": "When are you open?", "lang": "en-US", "last": true})
	first := rc.next(10 * time.Second)
	if first["type"] != "text" || first["token"] != "We are open " || first["last"] != false {
		t.Fatalf("first token: %v", first)
	}
	if got := first["token"].(string) + rc.speech(); got != "We are open nine to five on weekdays." {
		t.Fatalf("speech %q", got)
	}

	// A key pressed reaches the model as such.
	model.Push(llmtest.Reply{Text: "You pressed one."})
	rc.send(map[string]any{"type": "dtmf", "digit": "1"})
	if got := rc.speech(); got != "You pressed one." {
		t.Fatalf("dtmf reply %q", got)
	}
	reqs := model.Requests()
	if u := reqs[len(reqs)-1].LastUser(); !strings.Contains(u, "pressed 1") {
		t.Fatalf("the key did not reach the model: %q", u)
	}

	// An interrupt stops the speech mid-way.
	model.Push(llmtest.Reply{Chunks: []string{"Let me tell you ", "about every ", "service ", "we offer ", "in detail ", "one by one."}, ChunkDelay: 150 * time.Millisecond})
	rc.send(map[string]any{"type": "prompt", "voicePrompt": "What do you do?", "last": true})
	if tok := rc.next(10 * time.Second); tok["token"] != "Let me tell you " {
		t.Fatalf("interrupted reply started with %v", tok)
	}
	rc.send(map[string]any{"type": "interrupt", "utteranceUntilInterrupt": "Let me tell you", "durationUntilInterruptMs": 900})
	deadline := time.After(1200 * time.Millisecond)
	n := 0
wait:
	for {
		select {
		case msg := <-rc.msgs:
			if msg["type"] == "text" && msg["token"] != "" {
				n++
			}
		case <-deadline:
			break wait
		}
	}
	if n > 1 { // one piece may have been in flight
		t.Fatalf("%d pieces were spoken after the interrupt", n)
	}

	// The caller asks for a person: the transfer ends the session with
	// handoff data, and the action dials the agent's handoff number.
	model.Push(llmtest.Reply{ToolCalls: []llmtest.Call{{Name: "transfer", Arguments: `{"reason":"the caller asked for a person"}`}}},
		llmtest.Reply{Text: "Connecting you to the team."})
	rc.send(map[string]any{"type": "prompt", "voicePrompt": "Can I talk to a real person?", "last": true})
	var end map[string]any
	for end == nil {
		msg := rc.next(10 * time.Second)
		if msg == nil {
			t.Fatal("closed without end")
		}
		if msg["type"] == "end" {
			end = msg
		}
	}
	var hd map[string]string
	if err := json.Unmarshal([]byte(end["handoffData"].(string)), &hd); err != nil || hd["reason"] != "transfer" || hd["to"] != handoffNumber {
		t.Fatalf("end %v (%v)", end, err)
	}
	q := wsURL[strings.Index(wsURL, "?"):]
	action := "/twilio/agent/action" + q
	form := url.Values{"CallSid": {call.Get("CallSid")}, "HandoffData": {end["handoffData"].(string)}, "SessionStatus": {"ended"}}
	if st, body := postSigned(t, addr, "wrong-token", action, form); st != 403 {
		t.Fatalf("forged action: %d %s", st, body)
	}
	// A handoff naming another number still dials the agent's own.
	form.Set("HandoffData", `{"reason":"transfer","to":"+19005550000"}`)
	if st, body := postSigned(t, addr, testTwilioToken, action, form); st != 200 || !strings.Contains(body, "<Dial>"+handoffNumber+"</Dial>") {
		t.Fatalf("action: %d %s", st, body)
	}

	// The transcript has the turns, the interrupt and the handoff.
	stop()
	db := openDataDB(t, dir)
	st2 := store.NewAgentStore(db)
	cv, err := st2.FindConversationByExternal(context.Background(), app.HouseTenantID, call.Get("CallSid"))
	if err != nil {
		t.Fatal(err)
	}
	if cv.Status != agents.StatusEnded || cv.Outcome != agents.OutcomeHandedOff {
		t.Fatalf("conversation %+v", cv)
	}
	turns, _ := st2.FindTurns(context.Background(), app.HouseTenantID, cv.ID)
	var said, transfer bool
	for _, tr := range turns {
		said = said || tr.Role == agents.RoleUser && tr.Content == "When are you open?"
		transfer = transfer || tr.Role == agents.RoleTool && tr.ToolName == "transfer"
	}
	if !said || !transfer {
		t.Fatalf("transcript %d turns: said %v transfer %v", len(turns), said, transfer)
	}
}

var gatherRE = regexp.MustCompile(`<Gather [^>]*action="http://app\.localhost:\d+(/twilio/agent/gather\?[^"]+)"`)

// The <Gather> fallback: each signed post of what the caller said gets
// the agent's reply and the next <Gather>; a silent caller is asked once
// and then hung up on; a transfer answers <Dial>.
func TestAgentCall_Gather(t *testing.T) {
	dir := t.TempDir()
	prepareAutomationData(t, dir)
	saveCallAgent(t, dir, agentNumber, agents.VoiceGather)
	model := llmtest.Start()
	defer model.Close()
	tw := newFakeTwilio(t)
	addr, _, stop := MustRunMain(t, dir, "--twilio-api-url", tw.srv.URL, "--openai-url", model.URL)
	defer stop()

	call := url.Values{"CallSid": {"CA22222222222222222222222222222222"}, "From": {"+15125550111"}, "To": {agentNumber}}
	status, twiml := postSigned(t, addr, testTwilioToken, "/twilio/voice", call)
	m := gatherRE.FindStringSubmatch(twiml)
	if status != 200 || m == nil || !strings.Contains(twiml, `input="speech dtmf"`) || !strings.Contains(twiml, "<Say") {
		t.Fatalf("voice webhook: %d %s", status, twiml)
	}
	path := strings.ReplaceAll(m[1], "&amp;", "&")
	spoke := url.Values{"CallSid": call["CallSid"], "SpeechResult": {"Do you work on Saturdays?"}, "Confidence": {"0.9"}}
	if st, _ := postSigned(t, addr, "wrong-token", path, spoke); st != 403 {
		t.Fatalf("forged gather: %d", st)
	}
	model.Push(llmtest.Reply{Text: "Yes, Saturdays from nine to noon."})
	st, body := postSigned(t, addr, testTwilioToken, path, spoke)
	if st != 200 || !strings.Contains(body, ">Yes, Saturdays from nine to noon.</Say></Gather>") || !strings.Contains(body, "silence=1") {
		t.Fatalf("gather reply: %d %s", st, body)
	}
	if u := model.Requests()[0].LastUser(); u != "Do you work on Saturdays?" {
		t.Fatalf("model heard %q", u)
	}
	// Silence: asked once, then the call ends.
	quiet := url.Values{"CallSid": call["CallSid"]}
	st, body = postSigned(t, addr, testTwilioToken, path+"&silence=1", quiet)
	if st != 200 || !strings.Contains(body, "Are you still there?") || !strings.Contains(body, "silence=2") {
		t.Fatalf("first silence: %d %s", st, body)
	}
	model.Push(llmtest.Reply{ToolCalls: []llmtest.Call{{Name: "transfer", Arguments: `{"reason":"asked for a person"}`}}}, llmtest.Reply{Text: "Transferring you now."})
	st, body = postSigned(t, addr, testTwilioToken, path, url.Values{"CallSid": call["CallSid"], "SpeechResult": {"A person please"}})
	if st != 200 || !strings.Contains(body, "<Dial>"+handoffNumber+"</Dial>") {
		t.Fatalf("transfer: %d %s", st, body)
	}
	// The call has ended: a late post hangs up.
	st, body = postSigned(t, addr, testTwilioToken, path+"&silence=2", quiet)
	if st != 200 || !strings.Contains(body, "<Hangup/>") {
		t.Fatalf("after the end: %d %s", st, body)
	}
}

// sseEvents reads server-sent events' data lines into a channel.
func sseEvents(t *testing.T, resp *http.Response) <-chan map[string]any {
	out := make(chan map[string]any, 256)
	go func() {
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			line := sc.Text()
			if d, ok := strings.CutPrefix(line, "data: "); ok {
				var m map[string]any
				if json.Unmarshal([]byte(d), &m) == nil {
					out <- m
				}
			}
		}
	}()
	return out
}

func siteRequest(t *testing.T, method, addr, host, path, body string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(method, "http://"+addr+path, strings.NewReader(body))
	req.Host = host
	req.Header.Set("Accept", "application/json")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func readJSON(t *testing.T, resp *http.Response, v any) {
	t.Helper()
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%d %s: %v", resp.StatusCode, b, err)
	}
}

// The web chat on the marketing site: the loader script, the framed page
// in the tenant's brand, a chat started and a message answered as an SSE
// stream of tokens (never the tool calls), the visitor a CRM contact
// once they give their email, another tenant's host refusing the chat,
// and a wrong token refused.
func TestAgentChat_Widget(t *testing.T) {
	dir := t.TempDir()
	prepareAutomationData(t, dir)
	ag := saveCallAgent(t, dir, agentNumber, agents.VoiceRelay)
	model := llmtest.Start()
	defer model.Close()
	addr, _, stop := MustRunMain(t, dir, "--openai-url", model.URL)
	defer stop()
	_, port, _ := net.SplitHostPort(addr)
	site := "localhost:" + port

	resp := siteRequest(t, "GET", addr, site, "/chat/widget.js", "")
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "data-agent") {
		t.Fatalf("widget.js %d", resp.StatusCode)
	}
	resp = siteRequest(t, "GET", addr, site, "/chat/"+ag.PublicKey+"?page=https://example.com/pricing", "")
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `data-key="`+ag.PublicKey+`"`) || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "frame-ancestors *") {
		t.Fatalf("chat page %d %s", resp.StatusCode, b)
	}
	if resp := siteRequest(t, "GET", addr, site, "/chat/ag_doesnotexist", ""); resp.StatusCode != 404 {
		t.Fatalf("unknown agent: %d", resp.StatusCode)
	}

	var started struct {
		ID    int64  `json:"id"`
		Token string `json:"token"`
	}
	sr := siteRequest(t, "POST", addr, site, "/chat/"+ag.PublicKey+"/start", `{"page":"https://example.com/pricing"}`)
	readJSON(t, sr, &started)
	if started.ID == 0 || len(started.Token) < 20 {
		t.Fatalf("start %+v", started)
	}
	base := fmt.Sprintf("/chat/%s/c/%d", ag.PublicKey, started.ID)
	if resp := siteRequest(t, "GET", addr, site, base+"/events?token=wrong", ""); resp.StatusCode != 404 {
		t.Fatalf("wrong token: %d", resp.StatusCode)
	}
	events := siteRequest(t, "GET", addr, site, base+"/events?token="+url.QueryEscape(started.Token), "")
	defer events.Body.Close()
	if events.StatusCode != 200 || !strings.HasPrefix(events.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("events %d %s", events.StatusCode, events.Header.Get("Content-Type"))
	}
	evs := sseEvents(t, events)

	model.Push(llmtest.Reply{ToolCalls: []llmtest.Call{{Name: "add_tag", Arguments: `{"tag":"pricing"}`}}},
		llmtest.Reply{Chunks: []string{"Thanks Ada! ", "Our plans start ", "at $99."}, ChunkDelay: 20 * time.Millisecond})
	msg, _ := json.Marshal(map[string]string{"text": "Hi, I'm Ada (ada@example.com). How much is it?", "token": started.Token})
	if resp := siteRequest(t, "POST", addr, site, base+"/messages", string(msg)); resp.StatusCode != 202 {
		t.Fatalf("message %d", resp.StatusCode)
	}
	var tokens []string
	var final string
	for final == "" {
		select {
		case e, ok := <-evs:
			if !ok {
				t.Fatal("the stream closed")
			}
			switch e["type"] {
			case "token":
				tokens = append(tokens, e["text"].(string))
			case "message":
				if e["role"] == "assistant" {
					final = e["text"].(string)
				}
			case "tool", "sources":
				t.Fatalf("a private event reached the visitor: %v", e)
			}
		case <-time.After(15 * time.Second):
			t.Fatalf("no reply; tokens %v", tokens)
		}
	}
	if len(tokens) < 3 || strings.Join(tokens, "") != "Thanks Ada! Our plans start at $99." || final != "Thanks Ada! Our plans start at $99." {
		t.Fatalf("tokens %q final %q", tokens, final)
	}
	var hist struct {
		Status   string `json:"status"`
		Messages []struct{ Role, Text string }
	}
	readJSON(t, siteRequest(t, "GET", addr, site, base+"/history?token="+url.QueryEscape(started.Token), ""), &hist)
	if hist.Status != "active" || len(hist.Messages) != 3 || hist.Messages[0].Text != "Hello!" || hist.Messages[2].Role != "assistant" {
		t.Fatalf("history %+v", hist)
	}
	for _, m := range hist.Messages {
		if strings.Contains(m.Text, "pricing") && m.Role != "user" {
			t.Fatalf("a tool result reached the history: %+v", m)
		}
	}
	events.Body.Close()
	stop()
	db := openDataDB(t, dir)
	id, err := store.NewAgentStore(db).FindPersonByContact(context.Background(), app.HouseTenantID, "ada@example.com", "")
	if err != nil || id == 0 {
		t.Fatalf("the visitor is not a contact: %d %v", id, err)
	}
}
