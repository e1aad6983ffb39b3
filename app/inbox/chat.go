package inbox

import (
	"context"
	"strconv"
	"strings"

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
	// Agent Studio's new turn is mirrored into the thread (MirrorChat).
	return &Message{ConversationID: c.ID, TenantID: c.TenantID, Direction: DirOut, Author: app.ActorFromContext(ctx), Body: text, Status: DeliverySent}, nil
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

// ChatTurn is a message of an Agent Studio web chat, as the inbox
// mirrors it: the visitor's (Role "user"), the agent's ("assistant") or
// a team member's after a takeover ("human", Author naming them).
type ChatTurn struct {
	ID     int64 // the turn's, unique: a turn is mirrored once
	Role   string
	Text   string
	Author string
}

// ChatTurns are new turns of one web chat.
type ChatTurns struct {
	TenantID       int64
	ConversationID int64  // the Agent Studio conversation
	AgentName      string // who answers
	PersonID       int64  // the CRM person, once the visitor is known
	Visitor        string // the visitor's label
	Turns          []ChatTurn
}

// MirrorChat copies a web chat's new turns into its thread (channel
// chat, one thread per chat, linked to the Agent Studio conversation so
// a person can take it over from the inbox): the visitor's words in,
// the agent's and the team's out. The thread starts with the visitor's
// first message (a greeting nobody answered makes none); a turn already
// mirrored is not stored again.
func (s *Service) MirrorChat(ctx context.Context, ch ChatTurns) {
	key := "agentchat:" + strconv.FormatInt(ch.ConversationID, 10)
	for _, t := range ch.Turns {
		if strings.TrimSpace(t.Text) == "" {
			continue
		}
		m := Message{Body: t.Text, ProviderID: "agentturn:" + strconv.FormatInt(t.ID, 10)}
		switch t.Role {
		case "user":
			m.Direction, m.Status = DirIn, DeliveryReceived
		case "assistant":
			m.Direction, m.Status, m.Author = DirOut, DeliverySent, "agent:"+ch.AgentName
		case "human":
			m.Direction, m.Status, m.Author = DirOut, DeliverySent, t.Author
		default:
			continue
		}
		if m.Direction == DirOut {
			// Answers join the visitor's thread; before the visitor
			// wrote there is none to join.
			if n, err := s.store.CountThread(ctx, ch.TenantID, ChannelChat, key); err != nil || n == 0 {
				continue
			}
		}
		who := ch.Visitor
		if who == "" {
			who = "Web chat visitor"
		}
		in := &Inbound{TenantID: ch.TenantID, Channel: ChannelChat, ThreadKey: key, Address: who, ContactName: who, PersonID: ch.PersonID,
			AgentConversationID: ch.ConversationID, Source: "Web chat", Message: m}
		c, msg, dup, err := s.store.Receive(ctx, in)
		if err != nil {
			s.logger().Warn("inbox: mirror a web chat", "tenant_id", ch.TenantID, "agent_conversation_id", ch.ConversationID, "err", err)
			return
		}
		if !dup {
			s.Hub().Publish(Event{Type: EventMessage, TenantID: c.TenantID, ConversationID: c.ID, MessageID: msg.ID, Direction: m.Direction})
		}
	}
}
