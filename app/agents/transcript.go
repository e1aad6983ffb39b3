package agents

import (
	"context"
	"strings"

	"orengen/app"
)

// CallTranscript returns the transcript of call callSID as Agent Studio
// kept it (the caller's and the agent's words, and a person's who took
// over; tool runs and events left out), for the call's message in
// Conversations. ok is false when no agent answered or placed the call.
func (s *Service) CallTranscript(ctx context.Context, tenantID int64, callSID string) (string, bool, error) {
	c, err := s.stores.Conversations.FindConversationByExternal(ctx, tenantID, callSID)
	if app.ErrorCode(err) == app.ENOTFOUND {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	if c.Channel != ChannelVoice {
		return "", false, nil
	}
	turns, err := s.stores.Turns.FindTurns(ctx, c.TenantID, c.ID)
	if err != nil {
		return "", false, err
	}
	var b strings.Builder
	for _, t := range turns {
		who := map[string]string{RoleUser: "Caller", RoleAssistant: "Agent", RoleHuman: "Team"}[t.Role]
		text := strings.TrimSpace(t.Content)
		if who == "" || text == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(who + ": " + text)
	}
	return b.String(), true, nil
}
