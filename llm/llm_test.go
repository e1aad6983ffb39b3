package llm_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"orengen/llm"
	"orengen/llm/llmtest"
)

func newClient(s *llmtest.Server) *llm.Client {
	return &llm.Client{BaseURL: s.URL, Key: "sk-test", HTTP: &http.Client{}}
}

func userReq(text string) llm.ChatRequest {
	return llm.ChatRequest{Model: "gpt-test", Messages: []llm.Message{{Role: "system", Content: "be brief"}, {Role: "user", Content: text}}}
}

func TestStream_TextArrivesInPieces(t *testing.T) {
	s := llmtest.Start()
	defer s.Close()
	s.Push(llmtest.Reply{Text: "Hello there, how can I help?", PromptTokens: 12, CompletionTokens: 7})
	var pieces []string
	resp, err := newClient(s).Stream(context.Background(), userReq("hi"), func(p string) error { pieces = append(pieces, p); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(pieces, ""), "Hello there, how can I help?"; got != want {
		t.Fatalf("streamed %q, want %q", got, want)
	}
	if len(pieces) < 3 {
		t.Fatalf("the text came in %d pieces, want it streamed", len(pieces))
	}
	if resp.Content != "Hello there, how can I help?" || resp.FinishReason != "stop" {
		t.Fatalf("response %+v", resp)
	}
	if resp.Usage.PromptTokens != 12 || resp.Usage.CompletionTokens != 7 {
		t.Fatalf("usage %+v, want 12/7 from the stream's last event", resp.Usage)
	}
	reqs := s.Requests()
	if len(reqs) != 1 || !reqs[0].Stream || reqs[0].Auth != "sk-test" || reqs[0].Body.StreamOptions == nil || !reqs[0].Body.StreamOptions.IncludeUsage {
		t.Fatalf("request %+v", reqs)
	}
}

func TestStream_ToolCallsAssembled(t *testing.T) {
	s := llmtest.Start()
	defer s.Close()
	s.Push(llmtest.Reply{ToolCalls: []llmtest.Call{
		{Name: "book", Arguments: `{"start":"2027-01-05T15:00:00Z","minutes":30}`},
		{Name: "add_tag", Arguments: `{"tag":"booked"}`},
	}})
	req := userReq("book me")
	req.Tools = []llm.Tool{{Type: "function", Function: llm.Function{Name: "book", Parameters: []byte(`{"type":"object"}`)}}}
	resp, err := newClient(s).Stream(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.FinishReason != "tool_calls" || len(resp.ToolCalls) != 2 {
		t.Fatalf("response %+v", resp)
	}
	if c := resp.ToolCalls[0]; c.Function.Name != "book" || c.Function.Arguments != `{"start":"2027-01-05T15:00:00Z","minutes":30}` || c.ID == "" {
		t.Fatalf("first call %+v", c)
	}
	if c := resp.ToolCalls[1]; c.Function.Name != "add_tag" || c.Function.Arguments != `{"tag":"booked"}` {
		t.Fatalf("second call %+v", c)
	}
	if len(s.Requests()[0].Body.Tools) != 1 {
		t.Fatal("the tools were not sent")
	}
}

// A tool result goes back with the call's ID, and an assistant message
// that only calls tools has null content: the fake server checks the
// pairing as the real API does.
func TestChat_ToolRoundTrip(t *testing.T) {
	s := llmtest.Start()
	defer s.Close()
	s.Push(llmtest.Reply{ToolCalls: []llmtest.Call{{Name: "find_person", Arguments: `{"email":"a@b.test"}`}}}, llmtest.Reply{Text: "Found you."})
	c := newClient(s)
	req := userReq("who am I")
	r1, err := c.Chat(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	req.Messages = append(req.Messages, llm.Message{Role: "assistant", ToolCalls: r1.ToolCalls},
		llm.Message{Role: "tool", ToolCallID: r1.ToolCalls[0].ID, Content: `{"found":true}`})
	r2, err := c.Chat(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if r2.Content != "Found you." {
		t.Fatalf("second answer %+v", r2)
	}
	// A tool message answering no call is refused by the server.
	bad := userReq("x")
	bad.Messages = append(bad.Messages, llm.Message{Role: "tool", ToolCallID: "nope", Content: "{}"})
	_, err = c.Chat(context.Background(), bad)
	var ae *llm.APIError
	if !errors.As(err, &ae) || ae.Status != 400 {
		t.Fatalf("unpaired tool message: %v, want a 400", err)
	}
}

func TestErrors(t *testing.T) {
	s := llmtest.Start()
	defer s.Close()
	s.Key = "sk-right"
	c := newClient(s)
	_, err := c.Stream(context.Background(), userReq("hi"), nil)
	var ae *llm.APIError
	if !errors.As(err, &ae) || !ae.Auth() {
		t.Fatalf("wrong key: %v", err)
	}
	if strings.Contains(err.Error(), "sk-test") {
		t.Fatal("the error holds the key")
	}
	s.Key = ""

	c.Key = ""
	if _, err := c.Chat(context.Background(), userReq("hi")); !errors.Is(err, llm.ErrNoKey) {
		t.Fatalf("no key: %v", err)
	}
	c.Key = "sk-test"

	s.Push(llmtest.Reply{Status: 503, Text: "overloaded"})
	if _, err := c.Stream(context.Background(), userReq("hi"), nil); !errors.As(err, &ae) || ae.Status != 503 || !strings.Contains(err.Error(), "overloaded") {
		t.Fatalf("503: %v", err)
	}

	s.Push(llmtest.Reply{Raw: "data: {not json\n\n"})
	var pe *llm.ProtocolError
	if _, err := c.Stream(context.Background(), userReq("hi"), nil); !errors.As(err, &pe) {
		t.Fatalf("garbage stream: %v", err)
	}
	s.Push(llmtest.Reply{Raw: "<html>gateway</html>"})
	if _, err := c.Chat(context.Background(), userReq("hi")); !errors.As(err, &pe) {
		t.Fatalf("garbage body: %v", err)
	}
	// A stream cut before [DONE] or a finish reason is not a finished answer.
	s.Push(llmtest.Reply{Raw: `data: {"choices":[{"index":0,"delta":{"content":"Hal"}}]}` + "\n\n"})
	if _, err := c.Stream(context.Background(), userReq("hi"), nil); !errors.As(err, &pe) {
		t.Fatalf("cut stream: %v", err)
	}

	s.Push(llmtest.Reply{Hang: true})
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	_, err = c.Stream(ctx, userReq("hi"), nil)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(t0) > 2*time.Second {
		t.Fatalf("hung provider: %v after %s", err, time.Since(t0))
	}
}

func TestStream_Interrupt(t *testing.T) {
	s := llmtest.Start()
	defer s.Close()
	s.Push(llmtest.Reply{Text: strings.Repeat("word ", 200), ChunkDelay: time.Millisecond})
	n := 0
	stop := errors.New("caller spoke")
	resp, err := newClient(s).Stream(context.Background(), userReq("talk"), func(string) error {
		n++
		if n == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, llm.ErrInterrupted) {
		t.Fatalf("err %v", err)
	}
	if resp == nil || len(resp.Content) == 0 || len(resp.Content) > 20 {
		t.Fatalf("the partial answer should be what arrived before the interrupt: %+v", resp)
	}
}

func TestEmbed(t *testing.T) {
	s := llmtest.Start()
	defer s.Close()
	c := newClient(s)
	vs, u, err := c.Embed(context.Background(), "text-embedding-3-small", []string{"opening hours monday", "prices of a roof repair"})
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 2 || len(vs[0]) != 256 || u.PromptTokens == 0 {
		t.Fatalf("got %d vectors of %d, usage %+v", len(vs), len(vs[0]), u)
	}
	s.NoEmbeddings = true
	if _, _, err := c.Embed(context.Background(), "m", []string{"x"}); !errors.Is(err, llm.ErrNoEmbeddings) {
		t.Fatalf("no embeddings: %v", err)
	}
}
