package api

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/app/agents"
	"orengen/ui/web"
)

// Agent Studio API: the key's tenant's agents (admin keys: every
// tenant's, ?tenant= one), their versions, conversations with their
// transcripts (take over, write, hand back) and usage per month. Every
// call goes through agents.Service, which scopes it to the key's tenant:
// another tenant's agent or conversation is a 404.

func (s *Handler) registerAgentAPIRoutes(api fiber.Router) {
	if s.Agents == nil {
		return
	}
	api.Get("/agents", s.apiAgents)
	api.Post("/agents", web.RequireWriteKey, s.apiAgentCreate)
	api.Get("/agents/:id", s.apiAgent)
	api.Patch("/agents/:id", web.RequireWriteKey, s.apiAgentUpdate)
	api.Get("/agents/:id/versions", s.apiAgentVersions)
	api.Get("/agent-conversations", s.apiAgentConversations)
	api.Get("/agent-conversations/:id", s.apiAgentConversation)
	api.Post("/agent-conversations/:id/takeover", web.RequireWriteKey, s.apiAgentTakeover(true))
	api.Post("/agent-conversations/:id/handback", web.RequireWriteKey, s.apiAgentTakeover(false))
	api.Post("/agent-conversations/:id/messages", web.RequireWriteKey, s.apiAgentMessage)
	api.Get("/agent-usage", s.apiAgentUsage)
}

// agentScope is the context of an agents request: an admin key's
// ?tenant= narrows it to that tenant (without, it sees every tenant's).
func (s *Handler) agentScope(c *fiber.Ctx) (context.Context, error) {
	ctx := c.UserContext()
	k := app.APIKeyFromContext(ctx)
	ref := utils.CopyString(c.Query("tenant"))
	if k == nil || !k.Admin() || ref == "" {
		return ctx, nil
	}
	t, err := s.Tenants.TenantByRef(ctx, ref)
	if err != nil {
		return nil, app.FieldErrorf("tenant", "Unknown tenant %q.", ref)
	}
	return app.NewContextWithTenant(ctx, t), nil
}

type apiAgent struct {
	ID        int64         `json:"id"`
	TenantID  int64         `json:"tenant_id"`
	Name      string        `json:"name"`
	Enabled   bool          `json:"enabled"`
	Phone     string        `json:"phone"`
	PublicKey string        `json:"public_key"`
	Version   int           `json:"version"`
	Config    agents.Config `json:"config"`
	CreatedAt time.Time     `json:"created_at"`
	UpdatedAt time.Time     `json:"updated_at"`
}

func toAPIAgent(a *agents.Agent) apiAgent {
	cfg := a.Config
	for _, l := range []*[]string{&cfg.Knowledge, &cfg.Tools, &cfg.Sheets} {
		if *l == nil {
			*l = []string{}
		}
	}
	if cfg.Fields == nil {
		cfg.Fields = []agents.Field{}
	}
	for i, d := range cfg.Hours.Days {
		if d == nil {
			cfg.Hours.Days[i] = []string{}
		}
	}
	return apiAgent{a.ID, a.TenantID, a.Name, a.Enabled, a.Phone, a.PublicKey, a.Version, cfg, a.CreatedAt, a.UpdatedAt}
}

// agentInput is a create or change: config's fields replace the agent's
// (a list the whole list), the others stay.
type agentInput struct {
	TenantID int64           `json:"tenant_id"`
	Name     *string         `json:"name"`
	Enabled  *bool           `json:"enabled"`
	Phone    *string         `json:"phone"`
	Config   json.RawMessage `json:"config"`
}

// configField names a field of the configuration as the API shows it.
func configField(err error) error {
	f := app.ErrorField(err)
	switch f {
	case "", "name", "phone", "enabled", "tenant_id":
		return err
	}
	return app.FieldErrorf("config."+f, "%s", app.ErrorMessage(err))
}

func (s *Handler) saveAPIAgent(c *fiber.Ctx, a *agents.Agent, create bool) error {
	ctx, err := s.agentScope(c)
	if err != nil {
		return err
	}
	var in agentInput
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	if create {
		if in.Name == nil {
			return app.FieldErrorf("name", "name required.")
		}
		if t := app.TenantFromContext(ctx); t != nil && in.TenantID == 0 {
			in.TenantID = t.ID
		}
		a.TenantID = in.TenantID
	}
	if in.Name != nil {
		a.Name = *in.Name
	}
	if in.Enabled != nil {
		a.Enabled = *in.Enabled
	}
	if in.Phone != nil {
		a.Phone = *in.Phone
	}
	if len(in.Config) > 0 && string(in.Config) != "null" {
		if a.Config, err = agents.MergeConfig(a.Config, in.Config); err != nil {
			return configField(err)
		}
	}
	if err := s.Agents.SaveAgent(ctx, a); err != nil {
		return configField(err)
	}
	saved, err := s.Agents.Agent(ctx, a.ID)
	if err != nil {
		return err
	}
	if create {
		c.Status(fiber.StatusCreated)
	}
	return c.JSON(fiber.Map{"data": toAPIAgent(saved)})
}

func (s *Handler) apiAgents(c *fiber.Ctx) error {
	ctx, err := s.agentScope(c)
	if err != nil {
		return err
	}
	as, err := s.Agents.Agents(ctx)
	if err != nil {
		return err
	}
	out := make([]apiAgent, len(as))
	for i, a := range as {
		out[i] = toAPIAgent(a)
	}
	return c.JSON(fiber.Map{"data": out, "next_cursor": nil})
}

func (s *Handler) apiAgentCreate(c *fiber.Ctx) error {
	return s.saveAPIAgent(c, &agents.Agent{}, true)
}

func (s *Handler) apiAgentOf(c *fiber.Ctx) (context.Context, *agents.Agent, error) {
	ctx, err := s.agentScope(c)
	if err != nil {
		return nil, nil, err
	}
	id, err := web.ParamID(c, "id")
	if err != nil {
		return nil, nil, err
	}
	a, err := s.Agents.Agent(ctx, id)
	return ctx, a, err
}

func (s *Handler) apiAgent(c *fiber.Ctx) error {
	_, a, err := s.apiAgentOf(c)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": toAPIAgent(a)})
}

func (s *Handler) apiAgentUpdate(c *fiber.Ctx) error {
	_, a, err := s.apiAgentOf(c)
	if err != nil {
		return err
	}
	return s.saveAPIAgent(c, a, false)
}

func (s *Handler) apiAgentVersions(c *fiber.Ctx) error {
	ctx, a, err := s.apiAgentOf(c)
	if err != nil {
		return err
	}
	vs, err := s.Agents.AgentVersions(ctx, a.ID)
	if err != nil {
		return err
	}
	out := make([]apiAgent, len(vs))
	for i, v := range vs {
		out[i] = toAPIAgent(v)
	}
	return c.JSON(fiber.Map{"data": out, "next_cursor": nil})
}

type apiConversation struct {
	ID          int64             `json:"id"`
	TenantID    int64             `json:"tenant_id"`
	AgentID     int64             `json:"agent_id"`
	AgentName   string            `json:"agent_name"`
	Version     int               `json:"version"`
	Channel     string            `json:"channel"`
	Direction   string            `json:"direction"`
	Status      string            `json:"status"`
	Outcome     string            `json:"outcome"`
	PersonID    *int64            `json:"person_id"`
	Visitor     string            `json:"visitor"`
	TakenOverBy string            `json:"taken_over_by"`
	Summary     string            `json:"summary"`
	Collected   map[string]string `json:"collected"`
	TokensIn    int               `json:"tokens_in"`
	TokensOut   int               `json:"tokens_out"`
	CostMicros  int64             `json:"cost_micros"`
	ToolCalls   int               `json:"tool_calls"`
	Turns       int               `json:"turns"`
	EndReason   string            `json:"end_reason"`
	StartedAt   time.Time         `json:"started_at"`
	UpdatedAt   time.Time         `json:"updated_at"`
	EndedAt     *time.Time        `json:"ended_at"`
}

func toAPIConversation(v *agents.Conversation) apiConversation {
	col := v.Collected
	if col == nil {
		col = map[string]string{}
	}
	return apiConversation{v.ID, v.TenantID, v.AgentID, v.AgentName, v.Version, v.Channel, v.Direction, v.Status, v.Outcome, web.OptID(v.PersonID),
		v.Visitor, v.TakenOverBy, v.Summary, col, v.TokensIn, v.TokensOut, v.CostMicros, v.ToolCalls, v.Turns, v.EndReason, v.StartedAt, v.UpdatedAt, v.EndedAt}
}

type apiTurn struct {
	ID           int64             `json:"id"`
	Seq          int               `json:"seq"`
	Role         string            `json:"role"`
	Content      string            `json:"content"`
	ToolCalls    []agents.ToolCall `json:"tool_calls"`
	ToolCallID   string            `json:"tool_call_id,omitempty"`
	ToolName     string            `json:"tool_name,omitempty"`
	ToolArgs     string            `json:"tool_args,omitempty"`
	ToolResult   string            `json:"tool_result,omitempty"`
	ToolError    string            `json:"tool_error,omitempty"`
	DurationMS   int64             `json:"duration_ms"`
	TokensIn     int               `json:"tokens_in"`
	TokensOut    int               `json:"tokens_out"`
	FirstTokenMS int64             `json:"first_token_ms"`
	LatencyMS    int64             `json:"latency_ms"`
	Model        string            `json:"model,omitempty"`
	Sources      []agents.Source   `json:"sources"`
	Author       string            `json:"author,omitempty"`
	CreatedAt    time.Time         `json:"created_at"`
}

func toAPITurn(t *agents.Turn) apiTurn {
	tc, src := t.ToolCalls, t.Sources
	if tc == nil {
		tc = []agents.ToolCall{}
	}
	if src == nil {
		src = []agents.Source{}
	}
	return apiTurn{t.ID, t.Seq, t.Role, t.Content, tc, t.ToolCallID, t.ToolName, t.ToolArgs, t.ToolResult, t.ToolError, t.DurationMS,
		t.TokensIn, t.TokensOut, t.FirstTokenMS, t.LatencyMS, t.Model, src, t.Author, t.CreatedAt}
}

// apiAgentConversations lists conversations newest first, a page at a
// time (?cursor=), filtered by status, channel, outcome, agent_id.
func (s *Handler) apiAgentConversations(c *fiber.Ctx) error {
	ctx, err := s.agentScope(c)
	if err != nil {
		return err
	}
	limit, err := web.AtoiDefault(c.Query("limit"), app.DefaultPageSize)
	if err != nil || limit < 1 || limit > 200 {
		return app.FieldErrorf("limit", "limit must be a number from 1 to 200.")
	}
	f := agents.ConversationFilter{Status: utils.CopyString(c.Query("status")), Channel: utils.CopyString(c.Query("channel")),
		Outcome: utils.CopyString(c.Query("outcome")), Limit: limit + 1}
	if f.Status != "" && f.Status != agents.StatusActive && f.Status != agents.StatusEnded {
		return app.FieldErrorf("status", "status is active or ended.")
	}
	if f.Channel != "" && !validChannel(f.Channel) {
		return app.FieldErrorf("channel", "channel is web, sms, voice or playground.")
	}
	if f.Outcome != "" && !slices.Contains(agents.Outcomes, f.Outcome) {
		return app.FieldErrorf("outcome", "outcome is one of %s.", strings.Join(agents.Outcomes, ", "))
	}
	if v := c.Query("agent_id"); v != "" {
		if f.AgentID, err = strconv.ParseInt(v, 10, 64); err != nil || f.AgentID <= 0 {
			return app.FieldErrorf("agent_id", "agent_id must be an agent's ID.")
		}
	}
	if cur := c.Query("cursor"); cur != "" {
		cc, err := app.DecodeCursor(cur)
		if err != nil {
			return err
		}
		f.BeforeID = cc.ID
	}
	cs, err := s.Agents.Conversations(ctx, f)
	if err != nil {
		return err
	}
	var next any
	if len(cs) > limit {
		cs = cs[:limit]
		next = app.Cursor{Sort: "-id", ID: cs[limit-1].ID}.Encode()
	}
	out := make([]apiConversation, len(cs))
	for i, v := range cs {
		out[i] = toAPIConversation(v)
	}
	return c.JSON(fiber.Map{"data": out, "next_cursor": next})
}

func validChannel(ch string) bool {
	switch ch {
	case agents.ChannelWeb, agents.ChannelSMS, agents.ChannelVoice, agents.ChannelPlayground:
		return true
	}
	return false
}

func (s *Handler) conversationJSON(c *fiber.Ctx, ctx context.Context, id int64) error {
	v, turns, err := s.Agents.Conversation(ctx, id)
	if err != nil {
		return err
	}
	ts := make([]apiTurn, len(turns))
	for i, t := range turns {
		ts[i] = toAPITurn(t)
	}
	return c.JSON(fiber.Map{"data": toAPIConversation(v), "turns": ts})
}

// apiAgentConversation is a conversation with its transcript: every
// turn, tool call (input, output, duration), tokens and sources.
func (s *Handler) apiAgentConversation(c *fiber.Ctx) error {
	ctx, err := s.agentScope(c)
	if err != nil {
		return err
	}
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	return s.conversationJSON(c, ctx, id)
}

// apiAgentTakeover takes a chat or text thread over from the agent (the
// key then writes with /messages), or hands it back.
func (s *Handler) apiAgentTakeover(take bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx, err := s.agentScope(c)
		if err != nil {
			return err
		}
		id, err := web.ParamID(c, "id")
		if err != nil {
			return err
		}
		if take {
			err = s.Agents.TakeOver(ctx, id)
		} else {
			err = s.Agents.HandBack(ctx, id)
		}
		if err != nil {
			return err
		}
		return s.conversationJSON(c, ctx, id)
	}
}

// apiAgentMessage writes to the visitor of a conversation the key took
// over ({"text": ...}); 409 unless it did.
func (s *Handler) apiAgentMessage(c *fiber.Ctx) error {
	ctx, err := s.agentScope(c)
	if err != nil {
		return err
	}
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	if _, _, err := s.Agents.Conversation(ctx, id); err != nil {
		return err
	}
	var in struct {
		Text string `json:"text"`
	}
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	if err := s.Agents.HumanMessage(ctx, id, in.Text); err != nil {
		return err
	}
	c.Status(fiber.StatusCreated)
	return s.conversationJSON(c, ctx, id)
}

type apiUsage struct {
	TenantID   int64  `json:"tenant_id"`
	TenantName string `json:"tenant_name"`
	Month      string `json:"month"`
	Kind       string `json:"kind"`
	Model      string `json:"model"`
	TokensIn   int64  `json:"tokens_in"`
	TokensOut  int64  `json:"tokens_out"`
	Quantity   int64  `json:"quantity"`
	CostMicros int64  `json:"cost_micros"`
}

// apiAgentUsage is usage per tenant, month, kind and model, from month
// ?from= (YYYY-MM, default 11 months back) to ?to= (default this month).
func (s *Handler) apiAgentUsage(c *fiber.Ctx) error {
	ctx, err := s.agentScope(c)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	month := func(k string, def time.Time) (time.Time, error) {
		v := c.Query(k)
		if v == "" {
			return def, nil
		}
		m, err := time.Parse("2006-01", v)
		if err != nil {
			return m, app.FieldErrorf(k, "%s must be a month like 2026-12.", k)
		}
		return m, nil
	}
	this := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	from, err := month("from", this.AddDate(0, -11, 0))
	if err != nil {
		return err
	}
	to, err := month("to", this)
	if err != nil {
		return err
	}
	if to.Before(from) {
		return app.FieldErrorf("to", "to must not be before from.")
	}
	rows, err := s.Agents.Usage(ctx, from)
	if err != nil {
		return err
	}
	last := to.Format("2006-01")
	out := []apiUsage{}
	for _, r := range rows {
		if r.Month > last {
			continue
		}
		out = append(out, apiUsage{r.TenantID, r.TenantName, r.Month, r.Kind, r.Model, r.TokensIn, r.TokensOut, r.Quantity, r.CostMicros})
	}
	return c.JSON(fiber.Map{"data": out, "next_cursor": nil})
}

// addAgentAPI documents Agent Studio's endpoints.
func addAgentAPI(paths, schemas obj, std func(obj, ...string) obj, idParam obj) {
	tenant := qparam("tenant", "Nexus (admin keys) only: tenant ID or slug; without it lists span every tenant (a create then needs tenant_id)", str)
	boolean := obj{"type": "boolean"}
	spans := obj{"type": "array", "items": obj{"type": "string", "pattern": "^\\d\\d:\\d\\d-\\d\\d:\\d\\d$"}}
	schemas["AgentConfig"] = props(nil, obj{
		"instructions": obj{"type": "string", "maxLength": 20000, "description": "required: who the agent is and what it does"},
		"greeting":     obj{"type": "string", "maxLength": 500},
		"model": props(nil, obj{"base_url": obj{"type": "string", "description": "an OpenAI-compatible endpoint (\"\": the server's default); requests go through the guarded outbound client, which refuses private and metadata addresses"},
			"model": str, "temperature": obj{"type": "number", "minimum": 0, "maximum": 2}, "key_secret": obj{"type": "string", "description": "the vault secret holding the key (never the key)"},
			"embedding_model": obj{"type": "string", "description": "\"\": BM25 retrieval only"}}),
		"channels": props(nil, obj{"web": boolean, "sms": boolean, "voice": boolean, "forms": boolean}),
		"voice": props(nil, obj{"mode": obj{"type": "string", "enum": []string{agents.VoiceRelay, agents.VoiceGather}},
			"carrier": obj{"type": "string", "enum": []string{agents.CarrierTwilio, agents.CarrierTelnyx}}, "voice": str, "language": str}),
		"knowledge": obj{"type": "array", "items": str, "description": "docs (every uploaded document), doc:ID, site, wiki:ID"},
		"tools":     obj{"type": "array", "items": obj{"type": "string", "enum": agents.ToolOrder}},
		"workflows": obj{"type": "array", "items": integ, "description": "workflow IDs start_workflow may start"},
		"sheets":    obj{"type": "array", "items": str, "description": "sheet IDs lookup_sheet may read"},
		"hours": props(nil, obj{"tz": str, "closed": str, "days": obj{"type": "array", "minItems": 7, "maxItems": 7, "items": spans,
			"description": "per weekday, Sunday first: spans like 09:00-17:00; all empty: always open"}}),
		"handoff": props(nil, obj{"kind": obj{"type": "string", "enum": []string{agents.HandoffNone, agents.HandoffPhone, agents.HandoffEmail, agents.HandoffUser}}, "target": str}),
		"fields": obj{"type": "array", "maxItems": 30, "items": props([]string{"key"}, obj{"key": obj{"type": "string", "pattern": "^[a-z][a-z0-9_]{0,39}$"},
			"label": str, "description": str, "crm_field": obj{"type": "string", "description": strings.Join(agents.CRMFields, ", ") + ", custom:KEY or note"}, "required": boolean})},
		"limits": props(nil, obj{"max_turns": integ, "max_tokens": integ, "max_tool_calls": integ, "reply_timeout": obj{"type": "integer", "description": "seconds per model call (0: the channel's default)"}}),
	})
	schemas["Agent"] = props([]string{"id", "tenant_id", "name", "enabled", "version", "config"}, obj{"id": integ, "tenant_id": integ, "name": str, "enabled": boolean,
		"phone": obj{"type": "string", "description": "E.164: the number it answers for SMS and calls"}, "public_key": obj{"type": "string", "description": "the chat widget's data-agent (not a secret)"},
		"version": obj{"type": "integer", "description": "each change stores a new version; a conversation keeps the one it started with"},
		"config":  ref("AgentConfig"), "created_at": tstamp, "updated_at": tstamp})
	schemas["AgentInput"] = props(nil, obj{"tenant_id": obj{"type": "integer", "description": "create with an admin key and no ?tenant=: the tenant"},
		"name": str, "enabled": boolean, "phone": str,
		"config": obj{"allOf": []obj{ref("AgentConfig")}, "description": "the fields given replace the agent's (a list replaces the whole list); the others stay"}})
	schemas["AgentConversation"] = props([]string{"id", "agent_id", "channel", "status", "outcome"}, obj{"id": integ, "tenant_id": integ, "agent_id": integ, "agent_name": str,
		"version": integ, "channel": obj{"type": "string", "enum": []string{agents.ChannelWeb, agents.ChannelSMS, agents.ChannelVoice, agents.ChannelPlayground}},
		"direction": str, "status": obj{"type": "string", "enum": []string{agents.StatusActive, agents.StatusEnded}}, "outcome": obj{"type": "string", "enum": append([]string{""}, agents.Outcomes...)},
		"person_id": nInt, "visitor": str, "taken_over_by": obj{"type": "string", "description": "who took the chat over (\"\": the agent answers)"}, "summary": str,
		"collected": obj{"type": "object", "additionalProperties": str}, "tokens_in": integ, "tokens_out": integ,
		"cost_micros": obj{"type": "integer", "description": "millionths of the price table's currency"}, "tool_calls": integ, "turns": integ, "end_reason": str,
		"started_at": tstamp, "updated_at": tstamp, "ended_at": nTime})
	schemas["AgentTurn"] = props([]string{"id", "seq", "role", "content"}, obj{"id": integ, "seq": integ,
		"role": obj{"type": "string", "enum": []string{agents.RoleUser, agents.RoleAssistant, agents.RoleTool, agents.RoleHuman, agents.RoleEvent}}, "content": str,
		"tool_calls":   obj{"type": "array", "items": props([]string{"id", "name", "arguments"}, obj{"id": str, "name": str, "arguments": str})},
		"tool_call_id": str, "tool_name": str, "tool_args": str, "tool_result": str, "tool_error": str, "duration_ms": integ, "tokens_in": integ, "tokens_out": integ,
		"first_token_ms": integ, "latency_ms": integ, "model": str, "author": str, "created_at": tstamp,
		"sources": obj{"type": "array", "items": props([]string{"kind", "title"}, obj{"kind": str, "document_id": integ, "chunk_id": integ, "title": str, "ref": str, "score": obj{"type": "number"}, "text": str})}})
	transcript := props([]string{"data", "turns"}, obj{"data": ref("AgentConversation"), "turns": obj{"type": "array", "items": ref("AgentTurn")}})
	paths["/api/v1/agents"] = obj{
		"get": obj{"summary": "AI agents", "parameters": []obj{tenant}, "responses": std(obj{"200": jsonResp("OK", pageOf(ref("Agent")))}, "400")},
		"post": obj{"summary": "Create an agent (version 1)", "parameters": []obj{tenant}, "requestBody": jsonBody(ref("AgentInput")),
			"responses": std(obj{"201": jsonResp("Created", dataOf(ref("Agent")))}, "400", "403")},
	}
	paths["/api/v1/agents/{id}"] = obj{"parameters": []obj{idParam, tenant},
		"get": obj{"summary": "An agent and its current configuration", "responses": std(obj{"200": jsonResp("OK", dataOf(ref("Agent")))}, "404")},
		"patch": obj{"summary": "Change an agent: stores a new version", "requestBody": jsonBody(ref("AgentInput")),
			"responses": std(obj{"200": jsonResp("OK", dataOf(ref("Agent")))}, "400", "403", "404")},
	}
	paths["/api/v1/agents/{id}/versions"] = obj{"parameters": []obj{idParam, tenant},
		"get": obj{"summary": "Every version of an agent, newest first", "responses": std(obj{"200": jsonResp("OK", pageOf(ref("Agent")))}, "404")}}
	paths["/api/v1/agent-conversations"] = obj{"get": obj{"summary": "Conversations with agents, newest first",
		"parameters": []obj{tenant, qparam("status", "active or ended", str), qparam("channel", "web, sms, voice or playground", str),
			qparam("outcome", strings.Join(agents.Outcomes, ", "), str), qparam("agent_id", "one agent's", integ),
			qparam("limit", "1 to 200, default 50", integ), qparam("cursor", "next_cursor of the previous page", str)},
		"responses": std(obj{"200": jsonResp("A page", pageOf(ref("AgentConversation")))}, "400")}}
	paths["/api/v1/agent-conversations/{id}"] = obj{"parameters": []obj{idParam, tenant},
		"get": obj{"summary": "A conversation and its transcript: turns, tool calls (input, output, duration), tokens, latency and the knowledge used",
			"responses": std(obj{"200": jsonResp("OK", transcript)}, "404")}}
	paths["/api/v1/agent-conversations/{id}/takeover"] = obj{"parameters": []obj{idParam, tenant},
		"post": obj{"summary": "Take a chat or text thread over from the agent (the agent stops answering; write with /messages)",
			"responses": std(obj{"200": jsonResp("Taken over", transcript)}, "400", "403", "404", "409")}}
	paths["/api/v1/agent-conversations/{id}/handback"] = obj{"parameters": []obj{idParam, tenant},
		"post": obj{"summary": "Hand a conversation back to the agent", "responses": std(obj{"200": jsonResp("Handed back", transcript)}, "400", "403", "404", "409")}}
	paths["/api/v1/agent-conversations/{id}/messages"] = obj{"parameters": []obj{idParam, tenant},
		"post": obj{"summary": "Write to the visitor of a conversation this key took over (texts go out by SMS)",
			"requestBody": jsonBody(props([]string{"text"}, obj{"text": obj{"type": "string", "maxLength": agents.MaxInput}})),
			"responses":   std(obj{"201": jsonResp("Sent", transcript)}, "400", "403", "404", "409")}}
	paths["/api/v1/agent-usage"] = obj{"get": obj{"summary": "Usage per tenant, month, kind (tokens, embed, voice, sms) and model, with cost from the price table: the input for rebilling",
		"parameters": []obj{tenant, qparam("from", "first month, YYYY-MM (default 11 months back)", str), qparam("to", "last month, YYYY-MM (default this month)", str)},
		"responses": std(obj{"200": jsonResp("OK", pageOf(props([]string{"tenant_id", "month", "kind"}, obj{"tenant_id": integ, "tenant_name": str, "month": str,
			"kind": str, "model": str, "tokens_in": integ, "tokens_out": integ, "quantity": obj{"type": "integer", "description": "voice seconds, SMS segments"}, "cost_micros": integ})))}, "400")}}
}
