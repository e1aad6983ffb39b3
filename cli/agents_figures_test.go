package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"orengen/app/agents"
	"orengen/llm"
	"orengen/llm/llmtest"
	agentsui "orengen/ui/agents"
)

// pct returns the p-th percentile of ds (sorted in place).
func pct(ds []time.Duration, p int) time.Duration {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	i := len(ds) * p / 100
	if i >= len(ds) {
		i = len(ds) - 1
	}
	return ds[i]
}

func rssKB(t *testing.T) int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status")
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	return 0
}

// TestAgentFigures measures issue #17's figures on loopback, the whole
// server in this process: the time the server adds between the model's
// first token (the fake model's flush, llmtest Request.First) and that
// token reaching a web chat's SSE stream and a ConversationRelay
// WebSocket, against the same hop made by a bare llm.Client reading
// the fake model (the peer: loopback and parsing alone); the time from
// a relay prompt to the model's request; and 1,000 chat streams held
// open at once with the process's RSS. Run by make bench
// (ORENGEN_BENCH_AGENTS=1); numbers go to docs/BENCHMARKS.md.
func TestAgentFigures(t *testing.T) {
	if os.Getenv("ORENGEN_BENCH_AGENTS") == "" {
		t.Skip("set ORENGEN_BENCH_AGENTS=1 (make bench)")
	}
	const rounds = 200
	dir := t.TempDir()
	prepareAutomationData(t, dir)
	ag := saveCallAgent(t, dir, agentNumber, agents.VoiceRelay)
	model := llmtest.Start()
	defer model.Close()
	model.Script = func(llmtest.Request) llmtest.Reply {
		return llmtest.Reply{Chunks: []string{"Hello ", "there, ", "how can I help?"}, ChunkDelay: 2 * time.Millisecond, PromptTokens: 50, CompletionTokens: 6}
	}
	tw := newFakeTwilio(t)
	addr, _, stop := MustRunMain(t, dir, "--twilio-api-url", tw.srv.URL, "--openai-url", model.URL, "--lead-rate-limit", "-1")
	defer stop()
	_, port, _ := net.SplitHostPort(addr)
	site := "localhost:" + port
	lastReq := func() llmtest.Request { r := model.Requests(); return r[len(r)-1] }

	// The peer: a bare client's first piece after the fake's flush.
	var peer []time.Duration
	cl := &llm.Client{BaseURL: model.URL, Key: "sk-test", HTTP: &http.Client{}}
	for i := 0; i < rounds; i++ {
		var first time.Time
		if _, err := cl.Stream(context.Background(), llm.ChatRequest{Model: "m", Messages: []llm.Message{{Role: "user", Content: "hi"}}}, func(string) error {
			if first.IsZero() {
				first = time.Now()
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		peer = append(peer, first.Sub(lastReq().First))
	}

	// Web chat: five messages a chat (within the turn limit).
	var web []time.Duration
	for i := 0; i < rounds/5; i++ {
		var st struct {
			ID    int64  `json:"id"`
			Token string `json:"token"`
		}
		readJSON(t, siteRequest(t, "POST", addr, site, "/chat/"+ag.PublicKey+"/start", `{}`), &st)
		base := fmt.Sprintf("/chat/%s/c/%d", ag.PublicKey, st.ID)
		events := siteRequest(t, "GET", addr, site, base+"/events?token="+url.QueryEscape(st.Token), "")
		evs := sseEvents(t, events)
		for j := 0; j < 5; j++ {
			msg, _ := json.Marshal(map[string]string{"text": "What are your hours? " + strconv.Itoa(j), "token": st.Token})
			if resp := siteRequest(t, "POST", addr, site, base+"/messages", string(msg)); resp.StatusCode != 202 {
				t.Fatalf("message %d", resp.StatusCode)
			} else {
				resp.Body.Close()
			}
			var first time.Time
			for done := false; !done; {
				select {
				case e, ok := <-evs:
					if !ok {
						t.Fatal("the stream closed")
					}
					if e["type"] == "token" && first.IsZero() {
						first = time.Now()
					}
					done = e["type"] == "message" && e["role"] == "assistant"
				case <-time.After(10 * time.Second):
					t.Fatal("no reply")
				}
			}
			if first.IsZero() {
				t.Fatal("the reply came without tokens")
			}
			web = append(web, first.Sub(lastReq().First))
		}
		events.Body.Close()
	}

	// ConversationRelay: five prompts a call.
	var relay, toModel []time.Duration
	for i := 0; i < rounds/5; i++ {
		call := url.Values{"CallSid": {fmt.Sprintf("CA%032d", i)}, "From": {"+15125550111"}, "To": {agentNumber}, "AccountSid": {testTwilioSID}}
		status, twiml := postSigned(t, addr, testTwilioToken, "/twilio/voice", call)
		m := relayURLRE.FindStringSubmatch(twiml)
		if status != 200 || m == nil {
			t.Fatalf("voice webhook: %d %s", status, twiml)
		}
		wsURL := strings.ReplaceAll(m[1], "&amp;", "&")
		rc, st := dialRelay(t, addr, wsURL, signTwilio(testTwilioToken, wsURL, nil))
		if st != 101 {
			t.Fatalf("handshake %d", st)
		}
		rc.send(map[string]any{"type": "setup", "sessionId": "VX1", "accountSid": testTwilioSID, "callSid": call.Get("CallSid"),
			"from": call.Get("From"), "to": agentNumber, "direction": "inbound", "callType": "PSTN", "callStatus": "RINGING", "customParameters": map[string]string{}})
		for j := 0; j < 5; j++ {
			sent := time.Now()
			rc.send(map[string]any{"type": "prompt", "voicePrompt": "What are your hours? " + strconv.Itoa(j), "lang": "en-US", "last": true})
			var first time.Time
			for {
				msg := rc.next(10 * time.Second)
				if msg == nil {
					t.Fatal("the relay closed")
				}
				if msg["type"] == "text" && first.IsZero() {
					first = time.Now()
				}
				if msg["type"] == "text" && msg["last"] == true {
					break
				}
			}
			r := lastReq()
			relay = append(relay, first.Sub(r.First))
			toModel = append(toModel, r.At.Sub(sent))
		}
		rc.conn.Close()
	}

	// 1,000 chat streams held at once: raw connections that send the
	// request and read the first bytes, so the client side costs little.
	const streams = 1000
	type chat struct {
		id    int64
		token string
	}
	chats := make([]chat, streams)
	for i := range chats {
		var st struct {
			ID    int64  `json:"id"`
			Token string `json:"token"`
		}
		readJSON(t, siteRequest(t, "POST", addr, site, "/chat/"+ag.PublicKey+"/start", `{}`), &st)
		chats[i] = chat{st.ID, st.Token}
	}
	runtime.GC()
	time.Sleep(500 * time.Millisecond)
	before, gBefore := rssKB(t), runtime.NumGoroutine()
	conns := make([]net.Conn, streams)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var openErr error
	sem := make(chan struct{}, 50)
	t0 := time.Now()
	for i := range chats {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := net.Dial("tcp", addr)
			if err == nil {
				fmt.Fprintf(c, "GET /chat/%s/c/%d/events?token=%s HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n\r\n", ag.PublicKey, chats[i].id, url.QueryEscape(chats[i].token), site)
				c.SetReadDeadline(time.Now().Add(20 * time.Second))
				var got []byte
				buf := make([]byte, 512)
				for !strings.Contains(string(got), ": ok\n\n") && err == nil {
					var n int
					n, err = c.Read(buf)
					got = append(got, buf[:n]...)
				}
				if err == nil && !strings.HasPrefix(string(got), "HTTP/1.1 200") {
					err = fmt.Errorf("stream %d: %.80q", i, got)
				}
			}
			mu.Lock()
			conns[i] = c
			if err != nil && openErr == nil {
				openErr = err
			}
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	opened := time.Since(t0)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()
	if openErr != nil {
		t.Fatal(openErr)
	}
	runtime.GC()
	time.Sleep(500 * time.Millisecond)
	after, gAfter := rssKB(t), runtime.NumGoroutine()
	// Held past a heartbeat: every stream still open and pinged.
	time.Sleep(agentsui.Heartbeat + 2*time.Second)
	alive := 0
	buf := make([]byte, 256)
	for _, c := range conns {
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		if n, err := c.Read(buf); err == nil && strings.Contains(string(buf[:n]), ": ping") {
			alive++
		}
	}
	if alive != streams {
		t.Fatalf("%d of %d streams alive after a heartbeat", alive, streams)
	}
	// And a message on one of them still streams its reply.
	msg, _ := json.Marshal(map[string]string{"text": "Still there?", "token": chats[streams-1].token})
	if resp := siteRequest(t, "POST", addr, site, fmt.Sprintf("/chat/%s/c/%d/messages", ag.PublicKey, chats[streams-1].id), string(msg)); resp.StatusCode != 202 {
		t.Fatalf("message %d", resp.StatusCode)
	}
	last := conns[streams-1]
	last.SetReadDeadline(time.Now().Add(10 * time.Second))
	rd := bufio.NewReader(last)
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			t.Fatalf("the 1,000th stream got no reply: %v", err)
		}
		if strings.Contains(line, `"type":"token"`) {
			break
		}
	}

	fmt.Printf("| peer: bare llm.Client, fake model flush to first piece read, p50 / p99 (%d) | %s / %s |\n", rounds, pct(peer, 50), pct(peer, 99))
	fmt.Printf("| web chat: fake model flush to first token read from the widget's SSE, p50 / p99 (%d) | %s / %s |\n", len(web), pct(web, 50), pct(web, 99))
	fmt.Printf("| ConversationRelay: fake model flush to first text message read from the WebSocket, p50 / p99 (%d) | %s / %s |\n", len(relay), pct(relay, 50), pct(relay, 99))
	fmt.Printf("| ConversationRelay: prompt sent to the model's request arriving, p50 / p99 (%d) | %s / %s |\n", len(toModel), pct(toModel, 50), pct(toModel, 99))
	fmt.Printf("| %d chat streams opened (50 at a time) | %s |\n", streams, opened.Round(time.Millisecond))
	fmt.Printf("| RSS before / after %d open streams (server and raw-socket clients, one process) | %d MB / %d MB (+%d KB a stream); goroutines %d / %d |\n",
		streams, before/1024, after/1024, (after-before)/streams, gBefore, gAfter)
}
