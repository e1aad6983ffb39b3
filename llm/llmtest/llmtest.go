// Package llmtest is an OpenAI-compatible model server on loopback for
// tests and benchmarks: it speaks the documented wire format (chat
// completions with tools, non-streamed and streamed as server-sent events
// with usage in the last event, embeddings, JSON error bodies) and answers
// from a script, so a test decides exactly what "the model" says, how
// slowly, and how badly.
package llmtest

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
	"unicode"

	"orengen/llm"
)

// Reply is one scripted answer.
type Reply struct {
	// Text is the answer, streamed in pieces of about four characters
	// unless Chunks gives the pieces.
	Text   string
	Chunks []string
	// ToolCalls are function calls; Arguments is sent as written, so a
	// test can send malformed JSON.
	ToolCalls []Call
	// Delay waits before the answer's first byte (a slow provider);
	// ChunkDelay between pieces.
	Delay      time.Duration
	ChunkDelay time.Duration
	// Status answers with this HTTP status and an error body.
	Status int
	// Raw is sent as the body with status 200 (garbage).
	Raw string
	// Hang keeps the connection open without answering until the client
	// gives up (a provider that never answers).
	Hang bool
	// Token counts reported in the usage (defaults: a rough count).
	PromptTokens, CompletionTokens int
}

// Call is a scripted tool call.
type Call struct {
	Name      string
	Arguments string
}

// Request is a request the server received.
type Request struct {
	Body   llm.ChatRequest
	Auth   string
	At     time.Time // when the request arrived
	First  time.Time // when the first text piece was written and flushed
	Stream bool
}

// LastUser returns the last user message of the request.
func (r Request) LastUser() string {
	for i := len(r.Body.Messages) - 1; i >= 0; i-- {
		if r.Body.Messages[i].Role == "user" {
			return r.Body.Messages[i].Content
		}
	}
	return ""
}

// Server is the fake endpoint. Its URL (like http://127.0.0.1:PORT/v1)
// is the base URL to configure.
type Server struct {
	URL string
	// Key, when set, is the only bearer token accepted (401 otherwise).
	Key string
	// Script, when set, answers every chat request; otherwise answers
	// are taken from the queue filled by Push.
	Script func(r Request) Reply
	// EmbedDims is the size of the embeddings (default 256).
	EmbedDims int
	// NoEmbeddings answers 404 on /embeddings.
	NoEmbeddings bool

	srv      *httptest.Server
	mu       sync.Mutex
	queue    []Reply
	requests []*Request
	embeds   int
}

// Start starts a server on loopback.
func Start() *Server {
	s := &Server{}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL + "/v1"
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.CloseClientConnections(); s.srv.Close() }

// Push queues answers, used in order by the next requests.
func (s *Server) Push(r ...Reply) {
	s.mu.Lock()
	s.queue = append(s.queue, r...)
	s.mu.Unlock()
}

// Requests returns copies of the chat requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		out[i] = *r
	}
	return out
}

// EmbedCalls counts the /embeddings requests.
func (s *Server) EmbedCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.embeds
}

// Reset forgets the requests and the queue.
func (s *Server) Reset() {
	s.mu.Lock()
	s.queue, s.requests = nil, nil
	s.mu.Unlock()
}

func writeError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": msg, "type": typ, "code": nil}})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	auth := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if s.Key != "" && auth != s.Key {
		writeError(w, http.StatusUnauthorized, "invalid_request_error", "Incorrect API key provided.")
		return
	}
	switch r.URL.Path {
	case "/v1/chat/completions":
		s.chat(w, r, auth)
	case "/v1/embeddings":
		s.embeddings(w, r)
	case "/v1/models": // GET: the documented list shape
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": []map[string]any{
			{"id": "gpt-4o-mini", "object": "model", "created": 1721172741, "owned_by": "system"},
			{"id": "text-embedding-3-small", "object": "model", "created": 1705948997, "owned_by": "system"}}})
	default:
		writeError(w, http.StatusNotFound, "invalid_request_error", "Unknown request URL: "+r.URL.Path)
	}
}

func (s *Server) next(req Request) Reply {
	s.mu.Lock()
	script := s.Script
	if script == nil {
		defer s.mu.Unlock()
		if len(s.queue) == 0 {
			return Reply{Status: http.StatusInternalServerError, Text: "llmtest: the script has no answer left for this request"}
		}
		r := s.queue[0]
		s.queue = s.queue[1:]
		return r
	}
	s.mu.Unlock()
	return script(req)
}

func countTokens(s string) int { return (len(s) + 3) / 4 }

func (s *Server) chat(w http.ResponseWriter, r *http.Request, auth string) {
	at := time.Now()
	var body llm.ChatRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 32<<20))
	if err := dec.Decode(&body); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "We could not parse the JSON body of your request.")
		return
	}
	if msg := checkChat(body); msg != "" {
		writeError(w, http.StatusBadRequest, "invalid_request_error", msg)
		return
	}
	rec := &Request{Body: body, Auth: auth, At: at, Stream: body.Stream}
	s.mu.Lock()
	s.requests = append(s.requests, rec)
	s.mu.Unlock()
	reply := s.next(*rec)
	if reply.Hang {
		<-r.Context().Done()
		return
	}
	if reply.Delay > 0 {
		select {
		case <-time.After(reply.Delay):
		case <-r.Context().Done():
			return
		}
	}
	if reply.Status != 0 && reply.Status != http.StatusOK {
		writeError(w, reply.Status, "server_error", reply.Text)
		return
	}
	if reply.Raw != "" {
		w.Header().Set("Content-Type", "application/json")
		if body.Stream {
			w.Header().Set("Content-Type", "text/event-stream")
		}
		w.Write([]byte(reply.Raw))
		return
	}
	prompt := reply.PromptTokens
	if prompt == 0 {
		for _, m := range body.Messages {
			prompt += countTokens(m.Content) + 4
		}
	}
	completion := reply.CompletionTokens
	if completion == 0 {
		completion = countTokens(reply.Text) + 10*len(reply.ToolCalls)
	}
	usage := llm.Usage{PromptTokens: prompt, CompletionTokens: completion, TotalTokens: prompt + completion}
	id := fmt.Sprintf("chatcmpl-%d", at.UnixNano())
	finish := "stop"
	if len(reply.ToolCalls) > 0 {
		finish = "tool_calls"
	}
	c := &chatAnswer{id: id, at: at, body: body, reply: reply, rec: rec, finish: finish, usage: usage}
	if !body.Stream {
		s.answer(w, c)
		return
	}
	s.stream(w, r, c)
}

// checkChat is what the real API answers a request it refuses with (400
// invalid_request_error), "" for a request it takes: model and messages
// required, and a tool message must answer a call of the assistant
// message before it.
func checkChat(body llm.ChatRequest) string {
	if body.Model == "" || len(body.Messages) == 0 {
		return "model and messages are required"
	}
	open := map[string]bool{}
	for _, m := range body.Messages {
		switch m.Role {
		case "assistant":
			open = map[string]bool{}
			for _, c := range m.ToolCalls {
				open[c.ID] = true
			}
		case "tool":
			if !open[m.ToolCallID] {
				return "messages with role 'tool' must be a response to a preceeding message with 'tool_calls'"
			}
		case "system", "user":
		default:
			return "unknown role " + m.Role
		}
	}
	return ""
}

// chatAnswer is one chat completion being answered.
type chatAnswer struct {
	id     string
	at     time.Time
	body   llm.ChatRequest
	reply  Reply
	rec    *Request
	finish string
	usage  llm.Usage
}

// answer writes the completion as one JSON object (no stream).
func (s *Server) answer(w http.ResponseWriter, c *chatAnswer) {
	id, at, body, reply, rec, finish, usage := c.id, c.at, c.body, c.reply, c.rec, c.finish, c.usage
	msg := map[string]any{"role": "assistant", "content": nil}
	if reply.Text != "" {
		msg["content"] = reply.Text
	}
	if len(reply.ToolCalls) > 0 {
		var tcs []map[string]any
		for i, c := range reply.ToolCalls {
			tcs = append(tcs, map[string]any{"id": fmt.Sprintf("call_%d_%d", at.UnixNano()%1e6, i), "type": "function",
				"function": map[string]any{"name": c.Name, "arguments": c.Arguments}})
		}
		msg["tool_calls"] = tcs
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"id": id, "object": "chat.completion", "created": at.Unix(), "model": body.Model,
		"choices": []any{map[string]any{"index": 0, "message": msg, "finish_reason": finish}}, "usage": usage})
	rec.First = time.Now()
}

// stream writes the completion as server-sent chunks: the text in pieces
// (ChunkDelay apart), each tool call's arguments in two, the finish reason,
// the usage when asked for, and [DONE].
func (s *Server) stream(w http.ResponseWriter, r *http.Request, c *chatAnswer) {
	id, at, body, reply, rec, finish, usage := c.id, c.at, c.body, c.reply, c.rec, c.finish, c.usage
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	fl, _ := w.(http.Flusher)
	send := func(v any) bool {
		b, _ := json.Marshal(v)
		if _, err := fmt.Fprintf(w, "data: %s\n\n", b); err != nil {
			return false
		}
		if fl != nil {
			fl.Flush()
		}
		return true
	}
	base := func(delta map[string]any, fin any) map[string]any {
		return map[string]any{"id": id, "object": "chat.completion.chunk", "created": at.Unix(), "model": body.Model,
			"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": fin}}}
	}
	if !send(base(map[string]any{"role": "assistant", "content": ""}, nil)) {
		return
	}
	pieces := reply.Chunks
	if pieces == nil && reply.Text != "" {
		rs := []rune(reply.Text)
		for i := 0; i < len(rs); i += 4 {
			pieces = append(pieces, string(rs[i:min(i+4, len(rs))]))
		}
	}
	for i, p := range pieces {
		if i > 0 && reply.ChunkDelay > 0 {
			select {
			case <-time.After(reply.ChunkDelay):
			case <-r.Context().Done():
				return
			}
		}
		if !send(base(map[string]any{"content": p}, nil)) {
			return
		}
		if i == 0 {
			s.mu.Lock()
			rec.First = time.Now()
			s.mu.Unlock()
		}
	}
	for i, c := range reply.ToolCalls {
		callID := fmt.Sprintf("call_%d_%d", at.UnixNano()%1e6, i)
		if !send(base(map[string]any{"tool_calls": []any{map[string]any{"index": i, "id": callID, "type": "function",
			"function": map[string]any{"name": c.Name, "arguments": ""}}}}, nil)) {
			return
		}
		half := len(c.Arguments) / 2
		for _, part := range []string{c.Arguments[:half], c.Arguments[half:]} {
			if !send(base(map[string]any{"tool_calls": []any{map[string]any{"index": i, "function": map[string]any{"arguments": part}}}}, nil)) {
				return
			}
		}
	}
	send(base(map[string]any{}, finish))
	if body.StreamOptions != nil && body.StreamOptions.IncludeUsage {
		send(map[string]any{"id": id, "object": "chat.completion.chunk", "created": at.Unix(), "model": body.Model, "choices": []any{}, "usage": usage})
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
	if fl != nil {
		fl.Flush()
	}
}

func (s *Server) embeddings(w http.ResponseWriter, r *http.Request) {
	if s.NoEmbeddings {
		writeError(w, http.StatusNotFound, "invalid_request_error", "Unknown request URL: POST /v1/embeddings")
		return
	}
	var body struct {
		Model string          `json:"model"`
		Input json.RawMessage `json:"input"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 32<<20)).Decode(&body); err != nil || body.Model == "" {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "model and input are required")
		return
	}
	var inputs []string
	if err := json.Unmarshal(body.Input, &inputs); err != nil {
		var one string
		if err := json.Unmarshal(body.Input, &one); err != nil {
			writeError(w, http.StatusBadRequest, "invalid_request_error", "input must be a string or an array of strings")
			return
		}
		inputs = []string{one}
	}
	s.mu.Lock()
	s.embeds++
	dims := s.EmbedDims
	s.mu.Unlock()
	if dims <= 0 {
		dims = 256
	}
	data := make([]any, len(inputs))
	tokens := 0
	for i, in := range inputs {
		data[i] = map[string]any{"object": "embedding", "index": i, "embedding": Vector(in, dims)}
		tokens += countTokens(in)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": data, "model": body.Model,
		"usage": map[string]int{"prompt_tokens": tokens, "total_tokens": tokens}})
}

// Vector is the server's embedding of text: the character trigrams of
// its words hashed into dims buckets and normalised, so texts sharing
// words or word stems ("garage", "garages") are near each other (a real,
// if simple, embedding the tests can reason about).
func Vector(text string, dims int) []float32 {
	v := make([]float32, dims)
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		rs := []rune(" " + w + " ")
		for i := 0; i+3 <= len(rs); i++ {
			h := fnv.New32a()
			h.Write([]byte(string(rs[i : i+3])))
			v[h.Sum32()%uint32(dims)]++
		}
	}
	var n float64
	for _, x := range v {
		n += float64(x * x)
	}
	if n > 0 {
		n = math.Sqrt(n)
		for i := range v {
			v[i] = float32(float64(v[i]) / n)
		}
	}
	return v
}
