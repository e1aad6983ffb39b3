package ui

import agentsui "orengen/ui/agents"

// Paths of an agent call's webhooks on the portal host (Twilio and
// Telnyx post to them; the relay is the ConversationRelay WebSocket).
const (
	AgentRelayPath  = agentsui.RelayPath
	AgentActionPath = agentsui.ActionPath
	AgentGatherPath = agentsui.GatherPath
)
