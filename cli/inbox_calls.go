package cli

import (
	"orengen/app/agents"
	"orengen/app/inbox"
)

// The inbox reaches Agent Studio as its ChatBridge (wireInbox); Agent
// Studio also gives an AI call's transcript to the call's message.
var _ inbox.CallTranscripts = (*agents.Service)(nil)
