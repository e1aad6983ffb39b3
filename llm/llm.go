// Package llm speaks the OpenAI-compatible HTTP API that most model
// providers offer (OpenAI, Azure's compatible endpoint, Groq, Together,
// Mistral, OpenRouter, vLLM, Ollama, llama.cpp's server): chat completions
// with tool calling, streamed as server-sent events, and embeddings.
//
// It is the appliance's one model client: the types mirror the wire
// format, and errors never hold the API key or the prompt. The HTTP client
// is injected, so every request to a user-configured base URL goes through
// the guarded outbound client.
package llm

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"orengen/httpx"
)

// Limits of what is read from a provider.
const (
	// MaxResponseBytes bounds a non-streamed answer and the sum of a
	// stream's events.
	MaxResponseBytes = 8 << 20
	// maxLine bounds one server-sent event line.
	maxLine = 1 << 20
	// MaxToolCalls bounds the tool calls of one answer.
	MaxToolCalls = 16
)

// Errors callers branch on. Their messages name the problem, never the
// key or the conversation.
var (
	// ErrNoKey: no API key is configured for the endpoint.
	ErrNoKey = errors.New("no API key is configured for the model endpoint")
	// ErrNoEmbeddings: the endpoint has no /embeddings (404 or 405).
	ErrNoEmbeddings = errors.New("the model endpoint offers no embeddings")
	// ErrInterrupted: the caller's token callback stopped the stream.
	ErrInterrupted = errors.New("the answer was interrupted")
)

// APIError is a non-2xx answer from the endpoint.
type APIError struct {
	Status  int
	Type    string // the provider's error type, if it gave one
	Message string // the provider's message, shortened
}

func (e *APIError) Error() string {
	switch {
	case e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden:
		return fmt.Sprintf("the model endpoint rejected the API key (HTTP %d)", e.Status)
	case e.Status == http.StatusTooManyRequests:
		return "the model endpoint is rate limiting this key (HTTP 429)"
	case e.Message != "":
		return fmt.Sprintf("the model endpoint answered HTTP %d: %s", e.Status, e.Message)
	}
	return fmt.Sprintf("the model endpoint answered HTTP %d", e.Status)
}

// Auth reports whether the endpoint refused the key.
func (e *APIError) Auth() bool {
	return e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden
}

// ProtocolError is an answer that is not the OpenAI wire format.
type ProtocolError struct{ Reason string }

func (e *ProtocolError) Error() string {
	return "the model endpoint's answer is malformed: " + e.Reason
}

// Client calls one OpenAI-compatible endpoint.
type Client struct {
	// BaseURL is like https://api.openai.com/v1 (no trailing slash needed).
	BaseURL string
	// Key is sent as a bearer token; "" is ErrNoKey (local servers that
	// need none accept any value, like "none").
	Key string
	// HTTP sends the requests; its Timeout should be 0 or long: each call
	// is bounded by its context instead, so a stream is not cut mid-answer.
	HTTP *http.Client
}

// Message is one chat message.
type Message struct {
	Role       string     // system, user, assistant, tool
	Content    string     // text ("" with tool calls)
	ToolCalls  []ToolCall // assistant: the calls it made
	ToolCallID string     // tool: the call this answers
}

type wireMessage struct {
	Role       string     `json:"role"`
	Content    *string    `json:"content"`
	ToolCalls  []ToolCall `json:"tool_calls,omitempty"`
	ToolCallID string     `json:"tool_call_id,omitempty"`
}

// MarshalJSON writes content as null for an assistant message that only
// calls tools, as the API documents.
func (m Message) MarshalJSON() ([]byte, error) {
	w := wireMessage{Role: m.Role, ToolCalls: m.ToolCalls, ToolCallID: m.ToolCallID}
	if m.Content != "" || len(m.ToolCalls) == 0 {
		c := m.Content
		w.Content = &c
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads a message (content may be null).
func (m *Message) UnmarshalJSON(b []byte) error {
	var w wireMessage
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*m = Message{Role: w.Role, ToolCalls: w.ToolCalls, ToolCallID: w.ToolCallID}
	if w.Content != nil {
		m.Content = *w.Content
	}
	return nil
}

// ToolCall is a function call the model asks for. Arguments is the JSON
// text exactly as the model wrote it (it may be malformed).
type ToolCall struct {
	ID       string       `json:"id"`
	Type     string       `json:"type"`
	Function FunctionCall `json:"function"`
}

// FunctionCall names the function and carries its arguments.
type FunctionCall struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

// Tool offers the model a function, with a JSON Schema of its arguments.
type Tool struct {
	Type     string   `json:"type"` // "function"
	Function Function `json:"function"`
}

// Function describes a callable function.
type Function struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters,omitempty"`
}

// ChatRequest is a chat completion request.
type ChatRequest struct {
	Model       string    `json:"model"`
	Messages    []Message `json:"messages"`
	Tools       []Tool    `json:"tools,omitempty"`
	ToolChoice  string    `json:"tool_choice,omitempty"` // auto, none, required
	Temperature *float64  `json:"temperature,omitempty"`
	MaxTokens   int       `json:"max_tokens,omitempty"`
	Stream      bool      `json:"stream,omitempty"`
	// StreamOptions asks for the usage in the stream's last event.
	StreamOptions *StreamOptions `json:"stream_options,omitempty"`
	User          string         `json:"user,omitempty"`
}

// StreamOptions are the stream_options of a request.
type StreamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

// Usage counts the tokens of a request.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens,omitempty"`
}

// Response is a finished chat completion (streamed or not).
type Response struct {
	Model        string
	Content      string
	ToolCalls    []ToolCall
	FinishReason string // stop, length, tool_calls, content_filter
	Usage        Usage
	// FirstToken is when the first content or tool-call byte arrived
	// (zero if none): the provider's time to first token.
	FirstToken time.Time
}

type chatCompletion struct {
	Model   string `json:"model"`
	Choices []struct {
		Message      Message `json:"message"`
		FinishReason string  `json:"finish_reason"`
	} `json:"choices"`
	Usage *Usage `json:"usage"`
}

type chunk struct {
	Model   string `json:"model"`
	Choices []struct {
		Index int `json:"index"`
		Delta struct {
			Role      string `json:"role"`
			Content   string `json:"content"`
			ToolCalls []struct {
				Index    int    `json:"index"`
				ID       string `json:"id"`
				Type     string `json:"type"`
				Function struct {
					Name      string `json:"name"`
					Arguments string `json:"arguments"`
				} `json:"function"`
			} `json:"tool_calls"`
		} `json:"delta"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *Usage `json:"usage"`
	Error *struct {
		Message string `json:"message"`
		Type    string `json:"type"`
	} `json:"error"`
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return fallbackHTTP
}

// fallbackHTTP is the guarded client with no allow-list, for a Client
// built without one: a base URL is a setting someone chose.
var fallbackHTTP = httpx.New(nil, httpx.Options{Timeout: -1})

func (c *Client) post(ctx context.Context, path string, body any, accept string) (*http.Response, error) {
	if strings.TrimSpace(c.Key) == "" {
		return nil, ErrNoKey
	}
	b, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("encode the model request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(c.BaseURL, "/")+path, bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("model request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", accept)
	req.Header.Set("Authorization", "Bearer "+c.Key)
	resp, err := c.httpClient().Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("the model endpoint did not answer in time: %w", ctx.Err())
		}
		return nil, fmt.Errorf("model endpoint: %w", scrub(err, c.Key))
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		return nil, apiError(resp)
	}
	return resp, nil
}

// scrub removes the key from an error's text (a transport error quotes
// the URL, which never holds it, but a proxy's message might).
func scrub(err error, key string) error {
	if key == "" || !strings.Contains(err.Error(), key) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), key, "[key]"))
}

func apiError(resp *http.Response) error {
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	e := &APIError{Status: resp.StatusCode}
	var body struct {
		Error struct {
			Message string `json:"message"`
			Type    string `json:"type"`
		} `json:"error"`
	}
	if json.Unmarshal(raw, &body) == nil {
		e.Type = body.Error.Type
		e.Message = shorten(body.Error.Message, 200)
	}
	return e
}

func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}

// Chat asks for one complete answer.
func (c *Client) Chat(ctx context.Context, r ChatRequest) (*Response, error) {
	r.Stream, r.StreamOptions = false, nil
	resp, err := c.post(ctx, "/chat/completions", r, "application/json")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("the model endpoint did not finish in time: %w", ctx.Err())
		}
		return nil, fmt.Errorf("read the model answer: %w", err)
	}
	if len(raw) > MaxResponseBytes {
		return nil, &ProtocolError{"the answer is larger than 8 MB"}
	}
	var cc chatCompletion
	if err := json.Unmarshal(raw, &cc); err != nil {
		return nil, &ProtocolError{"not a JSON chat completion"}
	}
	if len(cc.Choices) == 0 {
		return nil, &ProtocolError{"the answer has no choices"}
	}
	ch := cc.Choices[0]
	out := &Response{Model: cc.Model, Content: ch.Message.Content, ToolCalls: ch.Message.ToolCalls, FinishReason: ch.FinishReason, FirstToken: time.Now()}
	if cc.Usage != nil {
		out.Usage = *cc.Usage
	}
	if len(out.ToolCalls) > MaxToolCalls {
		return nil, &ProtocolError{fmt.Sprintf("more than %d tool calls in one answer", MaxToolCalls)}
	}
	return out, nil
}

// Stream asks for an answer streamed as server-sent events. onText gets
// each piece of text as it arrives (tool calls are assembled, not passed
// on); an error from onText stops the stream and Stream returns
// ErrInterrupted with what arrived so far. The returned Response holds the
// whole text, the tool calls and the usage (when the provider reports it).
func (c *Client) Stream(ctx context.Context, r ChatRequest, onText func(string) error) (*Response, error) {
	r.Stream = true
	r.StreamOptions = &StreamOptions{IncludeUsage: true}
	resp, err := c.post(ctx, "/chat/completions", r, "text/event-stream")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); strings.HasPrefix(ct, "application/json") {
		// Some servers ignore stream:true and answer in one piece.
		return c.decodeWhole(ctx, resp.Body, onText)
	}
	out := &Response{}
	var text strings.Builder
	type partial struct {
		id, name string
		args     strings.Builder
	}
	var calls []*partial
	rd := bufio.NewReaderSize(resp.Body, 16<<10)
	total := 0
	sawDone := false
	for {
		line, err := readLine(rd)
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			if ctx.Err() != nil {
				return out, fmt.Errorf("the model endpoint did not finish in time: %w", ctx.Err())
			}
			return out, fmt.Errorf("read the model stream: %w", err)
		}
		total += len(line)
		if total > MaxResponseBytes {
			return out, &ProtocolError{"the stream is larger than 8 MB"}
		}
		data, ok := strings.CutPrefix(line, "data:")
		if !ok {
			continue // blank separators, comments (": keep-alive"), event: lines
		}
		data = strings.TrimSpace(data)
		if data == "[DONE]" {
			sawDone = true
			break
		}
		var ck chunk
		if err := json.Unmarshal([]byte(data), &ck); err != nil {
			return out, &ProtocolError{"an event of the stream is not JSON"}
		}
		if ck.Error != nil {
			return out, &APIError{Status: http.StatusBadGateway, Type: ck.Error.Type, Message: shorten(ck.Error.Message, 200)}
		}
		if ck.Model != "" {
			out.Model = ck.Model
		}
		if ck.Usage != nil {
			out.Usage = *ck.Usage
		}
		for _, ch := range ck.Choices {
			if ch.Index != 0 {
				continue
			}
			if ch.FinishReason != nil && *ch.FinishReason != "" {
				out.FinishReason = *ch.FinishReason
			}
			for _, tc := range ch.Delta.ToolCalls {
				if tc.Index < 0 || tc.Index >= MaxToolCalls {
					return out, &ProtocolError{fmt.Sprintf("tool call index %d out of range", tc.Index)}
				}
				for len(calls) <= tc.Index {
					calls = append(calls, &partial{})
				}
				p := calls[tc.Index]
				if tc.ID != "" {
					p.id = tc.ID
				}
				if tc.Function.Name != "" {
					p.name += tc.Function.Name
				}
				p.args.WriteString(tc.Function.Arguments)
				if out.FirstToken.IsZero() {
					out.FirstToken = time.Now()
				}
			}
			if ch.Delta.Content != "" {
				if out.FirstToken.IsZero() {
					out.FirstToken = time.Now()
				}
				text.WriteString(ch.Delta.Content)
				if onText != nil {
					if err := onText(ch.Delta.Content); err != nil {
						out.Content = text.String()
						return out, ErrInterrupted
					}
				}
			}
		}
	}
	out.Content = text.String()
	for i, p := range calls {
		if p.id == "" {
			p.id = fmt.Sprintf("call_%d", i)
		}
		out.ToolCalls = append(out.ToolCalls, ToolCall{ID: p.id, Type: "function", Function: FunctionCall{Name: p.name, Arguments: p.args.String()}})
	}
	if !sawDone && out.FinishReason == "" {
		return out, &ProtocolError{"the stream ended before the answer was finished"}
	}
	return out, nil
}

// decodeWhole reads a non-streamed answer given to a streamed request.
func (c *Client) decodeWhole(ctx context.Context, body io.Reader, onText func(string) error) (*Response, error) {
	raw, err := io.ReadAll(io.LimitReader(body, MaxResponseBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read the model answer: %w", err)
	}
	var cc chatCompletion
	if err := json.Unmarshal(raw, &cc); err != nil || len(cc.Choices) == 0 {
		return nil, &ProtocolError{"not a chat completion"}
	}
	ch := cc.Choices[0]
	out := &Response{Model: cc.Model, Content: ch.Message.Content, ToolCalls: ch.Message.ToolCalls, FinishReason: ch.FinishReason, FirstToken: time.Now()}
	if cc.Usage != nil {
		out.Usage = *cc.Usage
	}
	if out.Content != "" && onText != nil {
		if err := onText(out.Content); err != nil {
			return out, ErrInterrupted
		}
	}
	return out, nil
}

// readLine reads one line without its end of line, refusing lines over
// maxLine.
func readLine(rd *bufio.Reader) (string, error) {
	var b []byte
	for {
		part, isPrefix, err := rd.ReadLine()
		if err != nil {
			if len(b) > 0 && errors.Is(err, io.EOF) {
				return string(b), nil
			}
			return "", err
		}
		b = append(b, part...)
		if len(b) > maxLine {
			return "", &ProtocolError{"an event line is longer than 1 MB"}
		}
		if !isPrefix {
			return string(b), nil
		}
	}
}

// EmbeddingRequest asks for the embeddings of several texts.
type EmbeddingRequest struct {
	Model          string   `json:"model"`
	Input          []string `json:"input"`
	EncodingFormat string   `json:"encoding_format,omitempty"`
}

// Embed returns one vector per input, in order. An endpoint without
// embeddings is ErrNoEmbeddings.
func (c *Client) Embed(ctx context.Context, model string, input []string) ([][]float32, Usage, error) {
	if len(input) == 0 {
		return nil, Usage{}, nil
	}
	resp, err := c.post(ctx, "/embeddings", EmbeddingRequest{Model: model, Input: input, EncodingFormat: "float"}, "application/json")
	if err != nil {
		var ae *APIError
		if errors.As(err, &ae) && (ae.Status == http.StatusNotFound || ae.Status == http.StatusMethodNotAllowed) {
			return nil, Usage{}, ErrNoEmbeddings
		}
		return nil, Usage{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20+1))
	if err != nil {
		return nil, Usage{}, fmt.Errorf("read the embeddings: %w", err)
	}
	if len(raw) > 64<<20 {
		return nil, Usage{}, &ProtocolError{"the embeddings are larger than 64 MB"}
	}
	var body struct {
		Data []struct {
			Index     int       `json:"index"`
			Embedding []float32 `json:"embedding"`
		} `json:"data"`
		Usage Usage `json:"usage"`
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		return nil, Usage{}, &ProtocolError{"the embeddings answer is not JSON in the documented shape"}
	}
	if len(body.Data) != len(input) {
		return nil, Usage{}, &ProtocolError{fmt.Sprintf("asked for %d embeddings, got %d", len(input), len(body.Data))}
	}
	out := make([][]float32, len(input))
	dims := -1
	for _, d := range body.Data {
		if d.Index < 0 || d.Index >= len(input) || out[d.Index] != nil {
			return nil, Usage{}, &ProtocolError{"an embedding has a bad or repeated index"}
		}
		if len(d.Embedding) == 0 || dims >= 0 && len(d.Embedding) != dims {
			return nil, Usage{}, &ProtocolError{"the embeddings have different dimensions"}
		}
		dims = len(d.Embedding)
		out[d.Index] = d.Embedding
	}
	return out, body.Usage, nil
}

// Models lists the model IDs the endpoint offers (GET /models): a read
// that checks the base URL and key and runs no model (the integrations
// hub's connection test).
func (c *Client) Models(ctx context.Context) ([]string, error) {
	if strings.TrimSpace(c.Key) == "" {
		return nil, ErrNoKey
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(c.BaseURL, "/")+"/models", nil)
	if err != nil {
		return nil, fmt.Errorf("model request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.Key)
	resp, err := c.httpClient().Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("the model endpoint did not answer in time: %w", ctx.Err())
		}
		return nil, fmt.Errorf("model endpoint: %w", scrub(err, c.Key))
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return nil, apiError(resp)
	}
	var list struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, MaxResponseBytes)).Decode(&list); err != nil {
		return nil, &ProtocolError{Reason: "the model list is not JSON"}
	}
	out := make([]string, 0, len(list.Data))
	for _, m := range list.Data {
		out = append(out, m.ID)
	}
	return out, nil
}
