package llm

import (
	"context"
	"errors"
	"net/http"

	"orengen/app/agents"
)

// AgentModel implements agents.Model on OpenAI-compatible endpoints.
type AgentModel struct {
	// HTTP sends every request (the guarded outbound client).
	HTTP *http.Client
}

var _ agents.Model = (*AgentModel)(nil)

func (m *AgentModel) client(ep agents.Endpoint) *Client {
	return &Client{BaseURL: ep.BaseURL, Key: ep.Key, HTTP: m.HTTP}
}

// Stream implements agents.Model.
func (m *AgentModel) Stream(ctx context.Context, ep agents.Endpoint, req agents.ModelRequest, onText func(string) error) (*agents.ModelReply, error) {
	temp := req.Temperature
	r := ChatRequest{Model: req.Model, Temperature: &temp, MaxTokens: req.MaxTokens}
	for _, msg := range req.Messages {
		wm := Message{Role: msg.Role, Content: msg.Content, ToolCallID: msg.ToolCallID}
		for _, c := range msg.ToolCalls {
			wm.ToolCalls = append(wm.ToolCalls, ToolCall{ID: c.ID, Type: "function", Function: FunctionCall{Name: c.Name, Arguments: c.Arguments}})
		}
		r.Messages = append(r.Messages, wm)
	}
	for _, t := range req.Tools {
		r.Tools = append(r.Tools, Tool{Type: "function", Function: Function{Name: t.Name, Description: t.Description, Parameters: t.Parameters}})
	}
	if len(r.Tools) > 0 {
		r.ToolChoice = "auto"
	}
	resp, err := m.client(ep).Stream(ctx, r, onText)
	if err != nil {
		return nil, agentError(ctx, err)
	}
	out := &agents.ModelReply{Model: resp.Model, Content: resp.Content, FinishReason: resp.FinishReason,
		TokensIn: resp.Usage.PromptTokens, TokensOut: resp.Usage.CompletionTokens, FirstToken: resp.FirstToken}
	for _, c := range resp.ToolCalls {
		out.ToolCalls = append(out.ToolCalls, agents.ToolCall{ID: c.ID, Name: c.Function.Name, Arguments: c.Function.Arguments})
	}
	return out, nil
}

// Embed implements agents.Model.
func (m *AgentModel) Embed(ctx context.Context, ep agents.Endpoint, model string, texts []string) ([][]float32, int, error) {
	vs, u, err := m.client(ep).Embed(ctx, model, texts)
	if err != nil {
		return nil, 0, agentError(ctx, err)
	}
	return vs, u.PromptTokens, nil
}

// agentError classifies an llm error for the agents' fallbacks.
func agentError(ctx context.Context, err error) error {
	var ae *APIError
	var pe *ProtocolError
	switch {
	case errors.Is(err, ErrInterrupted):
		return &agents.ModelError{Kind: agents.ModelInterrupted, Msg: "the reply was interrupted"}
	case errors.Is(err, ErrNoKey):
		return &agents.ModelError{Kind: agents.ModelNoKey, Msg: err.Error()}
	case errors.Is(err, ErrNoEmbeddings):
		return &agents.ModelError{Kind: agents.ModelNoEmbeddings, Msg: err.Error()}
	case errors.Is(err, context.DeadlineExceeded):
		return &agents.ModelError{Kind: agents.ModelTimeout, Msg: "the model did not answer in time"}
	case errors.Is(err, context.Canceled) || ctx.Err() != nil:
		return &agents.ModelError{Kind: agents.ModelInterrupted, Msg: "the reply was cancelled"}
	case errors.As(err, &ae) && ae.Auth():
		return &agents.ModelError{Kind: agents.ModelAuth, Msg: err.Error()}
	case errors.As(err, &ae):
		return &agents.ModelError{Kind: agents.ModelDown, Msg: err.Error()}
	case errors.As(err, &pe):
		return &agents.ModelError{Kind: agents.ModelMalformed, Msg: err.Error()}
	}
	return &agents.ModelError{Kind: agents.ModelDown, Msg: "the model endpoint could not be reached"}
}
