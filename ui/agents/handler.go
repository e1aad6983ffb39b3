// Package agents serves Agent Studio over HTTP: the chat widget's public
// endpoints (its script, its framed page, starting a chat, posting a
// message and the SSE stream of the reply) on the marketing site, the
// portal host and tenants' domains; an agent call's carrier endpoints
// (the ConversationRelay WebSocket, its <Connect> action and the
// <Gather> fallback) on the portal host; and the pages of Nexus > System
// > Agent Studio and the portal's AI agents.
//
// agents imports app, app/agents and ui/web; never a store, never the
// carrier package (cli hands it the carrier's TwiML and relay session as
// Voice).
package agents

import (
	"context"
	"sync"

	"orengen/app"
	"orengen/app/agents"
	"orengen/ui/web"
)

// Paths of an agent call's endpoints on the portal host (Twilio and
// Telnyx post to them; the relay is the ConversationRelay WebSocket).
const (
	RelayPath  = "/twilio/agent/relay"
	ActionPath = "/twilio/agent/action"
	GatherPath = "/twilio/agent/gather"
)

// RelayConn is one WebSocket of a call, message by message.
type RelayConn interface {
	ReadMessage() ([]byte, error)
	WriteMessage([]byte) error
}

// Voice is the carrier side of agent calls, set by the wiring from the
// carrier package: a ConversationRelay session on a connection, and the
// TwiML (TeXML for Telnyx) of the <Gather> fallback and the transfer.
type Voice struct {
	Relay  func(ctx context.Context, conn RelayConn, c *agents.Conversation, a *agents.Agent) error
	Gather func(action, silenceURL, text, language, voice string) string
	Dial   func(text, number, language, voice string) string
	Hangup func(text, language, voice string) string
}

// Handler serves Agent Studio.
type Handler struct {
	*web.Kit
	Agents      *agents.Service // nil: no routes answer
	Tenants     *app.TenantService
	Automations *app.AutomationService // checks Twilio's signatures
	Voice       Voice
	LeadLimit   *web.LeadLimit // bounds chats started per IP

	once   sync.Once
	ctx    context.Context
	cancel context.CancelFunc
	live   web.Streams
}

func (s *Handler) init() {
	s.once.Do(func() { s.ctx, s.cancel = context.WithCancel(context.Background()) })
}

// On reports whether Agent Studio is wired.
func (s *Handler) On() bool { return s != nil && s.Agents != nil }

// Shutdown ends the calls' WebSockets and the chats' streams and waits
// for them.
func (s *Handler) Shutdown() {
	if s == nil {
		return
	}
	s.init()
	s.cancel()
	s.live.Wait()
}

func (s *Handler) relayKey() []byte { return agents.RelayKey(s.SessionKey) }
