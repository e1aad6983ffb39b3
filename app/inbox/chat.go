package inbox

import (
	"context"

	"orengen/app"
)

// replyChat writes in an Agent Studio web chat as the signed-in person
// (who must have taken it over); the chat's own record is the agent's
// conversation, mirrored into the thread by SyncChat.
func (s *Service) replyChat(ctx context.Context, c *Conversation, text string) (*Message, error) {
	if s.Chat == nil || c.AgentConversationID == 0 {
		return nil, app.Errorf(app.EINVALID, "This chat cannot be answered from the inbox.")
	}
	if err := s.Chat.HumanMessage(ctx, c.AgentConversationID, text); err != nil {
		return nil, err
	}
	return &Message{ConversationID: c.ID, TenantID: c.TenantID, Direction: DirOut, Author: app.ActorFromContext(ctx), Body: text}, nil
}

// TakeOver lets the signed-in person answer a chat thread instead of
// the agent; HandBack gives it back.
func (s *Service) TakeOver(ctx context.Context, id int64, take bool) error {
	c, err := s.conversation(ctx, id)
	if err != nil {
		return err
	}
	if s.Chat == nil || c.AgentConversationID == 0 {
		return app.Errorf(app.EINVALID, "Only a chat answered by an agent can be taken over.")
	}
	if take {
		err = s.Chat.TakeOver(ctx, c.AgentConversationID)
	} else {
		err = s.Chat.HandBack(ctx, c.AgentConversationID)
	}
	if err != nil {
		return err
	}
	s.Hub().Publish(Event{Type: EventUpdated, TenantID: c.TenantID, ConversationID: c.ID})
	return nil
}
