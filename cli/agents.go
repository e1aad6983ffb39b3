package cli

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"orengen/app"
	"orengen/app/agents"
	"orengen/integrations"
	"orengen/llm"
	"orengen/store"
	"orengen/ui"
)

// wireAgents builds Agent Studio: the service on its store and the CRM,
// the model client (OpenAI-compatible; --openai-url is the default
// endpoint, keys from the vault), and its place in the automation engine
// (AI call and AI SMS steps) and in Twilio's webhooks (the agent assigned
// to a number answers its texts and calls).
func (a *App) wireAgents() {
	cfg := a.Config
	st := store.NewAgentStore(a.DB)
	a.Agents = &agents.Service{
		Store: st,
		// Every request goes to a base URL a tenant may set: it moves to
		// the guarded outbound client when that lands (one line).
		Model:    &llm.AgentModel{HTTP: &http.Client{}},
		CRM:      a.CRM,
		Contacts: store.NewContactStore(a.DB),
		People:   st,
		Tenants:  a.Tenants.Store,
		Key: func(ctx context.Context, tenantID int64, name string) (string, error) {
			v := a.Integrations.Secret(ctx, tenantID, name)
			if v == "" && name == app.SecretOpenAIKey {
				v = cfg.OpenAIAPIKey
			}
			return v, nil
		},
		DefaultBaseURL: strings.TrimRight(cfg.OpenAIURL, "/"),
		Telephony:      a.Integrations.Telephony,
		Mailer:         a.Integrations.Mailer,
		Workflows:      store.NewWorkflowStore(a.DB),
		Wake:           a.Engine.Wake,
		Audit:          a.Audit,
		Logger:         a.Logger,
	}
	a.Agents.TwiML = a.agentTwiML
	a.Engine.AI = a.Agents
	a.Automations.Agents = a.Agents
}

// agentTwiML connects a call to its agent: ConversationRelay on a
// WebSocket (wss:// on the portal host) whose URL carries a signed token
// naming the conversation, or the <Gather> loop.
func (a *App) agentTwiML(c *agents.Conversation, ag *agents.Agent) (string, error) {
	base := a.Server.URL(ui.HostPortal)
	tok := agents.RelayToken(agents.RelayKey(a.Server.SessionKey), c.ID, time.Now().Add(6*time.Hour))
	q := url.Values{"c": {strconv.FormatInt(c.ID, 10)}, "t": {tok}}.Encode()
	v := ag.Config.Voice
	greeting := ""
	if c.Direction != "outbound" {
		greeting = ag.Config.Greeting
	}
	if v.Mode == agents.VoiceGather {
		say := greeting
		if say == "" {
			say = "Hello, this is " + ag.Name + "."
		}
		return integrations.GatherTwiML(base+ui.AgentGatherPath+"?"+q, base+ui.AgentGatherPath+"?"+q+"&silence=1", say, v.Language, v.Voice), nil
	}
	ws := "wss" + strings.TrimPrefix(base, "https")
	if strings.HasPrefix(base, "http:") {
		ws = "ws" + strings.TrimPrefix(base, "http")
	}
	return integrations.RelayTwiML(ws+ui.AgentRelayPath+"?"+q, base+ui.AgentActionPath+"?"+q, greeting, v.Language, v.Voice, nil), nil
}
