package ui

// Paths of an agent call's webhooks on the portal host (Twilio and
// Telnyx post to them; the relay is the ConversationRelay WebSocket).
const (
	AgentRelayPath  = "/twilio/agent/relay"
	AgentActionPath = "/twilio/agent/action"
	AgentGatherPath = "/twilio/agent/gather"
)
