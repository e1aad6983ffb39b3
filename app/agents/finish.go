package agents

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"orengen/app"
)

// Timeline kinds of agent conversations on the CRM person.
var timelineKind = map[string]string{
	ChannelWeb:        "ai_chat",
	ChannelPlayground: "ai_chat",
	ChannelSMS:        "ai_sms",
	ChannelVoice:      "ai_call",
}

// RefConversation is the timeline RefType linking to a conversation.
const RefConversation = "agent_conversation"

// endLater ends a conversation in the background (the summary asks the
// model, which the visitor should not wait for).
func (s *Service) endLater(c *Conversation, outcome, reason string) {
	s.init()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(s.bg), time.Minute)
		defer cancel()
		if err := s.End(ctx, c, outcome, reason); err != nil && app.ErrorCode(err) != app.ECONFLICT {
			s.Logger.Error("agents: end conversation", "conversation_id", c.ID, "err", err)
		}
	}()
}

// EndConversation ends a conversation for a signed-in person (Nexus or
// the portal).
func (s *Service) EndConversation(ctx context.Context, id int64) error {
	c, _, err := s.Conversation(ctx, id)
	if err != nil {
		return err
	}
	return s.End(ctx, c, "", "ended by "+app.ActorFromContext(ctx))
}

// End finishes conversation c: its outcome (decided from what happened
// when outcome is ""), a summary, the collected fields written to the
// person and a timeline entry, all in one transaction. ECONFLICT when it
// had already ended.
func (s *Service) End(ctx context.Context, c *Conversation, outcome, reason string) error {
	ss, err := s.session(ctx, c)
	if err != nil {
		return err
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	conv := ss.conv
	if !conv.Active() {
		s.dropSession(conv.ID)
		return app.Errorf(app.ECONFLICT, "This conversation has already ended.")
	}
	if outcome == "" {
		switch {
		case ss.booked:
			outcome = OutcomeBooked
		case ss.handoff || conv.TakenOverBy != "":
			outcome = OutcomeHandedOff
		case ss.userTurns == 0:
			outcome = OutcomeNoAnswer
		case ss.qualified || s.allCollected(ss):
			outcome = OutcomeQualified
		default:
			outcome = OutcomeCompleted
		}
	}
	summary := s.summarize(ctx, ss, outcome)
	f := &Finish{Outcome: outcome, Reason: truncateRunes(reason, 200), Summary: summary, Collected: ss.collected}
	fields := map[string]string{}
	var notes []string
	for _, fd := range ss.agent.Config.Fields {
		v := ss.collected[fd.Key]
		if v == "" {
			continue
		}
		if fd.CRMField == "note" {
			notes = append(notes, fd.Label+": "+v)
		} else {
			fields[fd.CRMField] = v
		}
	}
	body := s.timelineBody(ss, outcome, summary, notes)
	if conv.PersonID != 0 {
		f.PersonFields = fields
		f.Timeline = &app.TimelineEntry{TenantID: conv.TenantID, RecordType: app.RecordPerson, RecordID: conv.PersonID, Kind: timelineKind[conv.Channel],
			Actor: fmt.Sprintf("agent:%d", conv.AgentID), Body: body, RefType: RefConversation, RefID: conv.ID}
	}
	err = s.stores.Conversations.FinishConversation(ctx, conv, f)
	if app.ErrorCode(err) == app.EINVALID && len(f.PersonFields) > 0 {
		// A collected value the CRM refuses (a custom number field given
		// words): finish without the person's fields, and say which.
		f.PersonFields = nil
		f.Timeline.Body = body + "\nNot written to the contact: " + app.ErrorMessage(err)
		err = s.stores.Conversations.FinishConversation(ctx, conv, f)
	}
	if err != nil {
		return err
	}
	s.dropSession(conv.ID)
	s.Hub.Publish(Event{Type: EventStatus, ConversationID: conv.ID, TenantID: conv.TenantID, Status: StatusEnded, Outcome: outcome})
	return nil
}

func (s *Service) allCollected(ss *session) bool {
	if len(ss.agent.Config.Fields) == 0 {
		return false
	}
	any := false
	for _, f := range ss.agent.Config.Fields {
		if ss.collected[f.Key] != "" {
			any = true
		} else if f.Required {
			return false
		}
	}
	return any
}

func (s *Service) timelineBody(ss *session, outcome, summary string, notes []string) string {
	var b strings.Builder
	what := map[string]string{ChannelWeb: "chat", ChannelPlayground: "test chat", ChannelSMS: "text conversation", ChannelVoice: "call"}[ss.conv.Channel]
	fmt.Fprintf(&b, "AI %s with %s: %s.\n%s", what, ss.agent.Name, strings.ReplaceAll(outcome, "_", " "), summary)
	keys := make([]string, 0, len(ss.collected))
	for k := range ss.collected {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) > 0 {
		b.WriteString("\nCollected:")
		for _, k := range keys {
			fmt.Fprintf(&b, " %s: %s;", k, ss.collected[k])
		}
	}
	for _, n := range notes {
		b.WriteString("\n" + n)
	}
	return b.String()
}

// summarize asks the model for a two-sentence summary for the CRM, and
// falls back to one made from the transcript's facts.
func (s *Service) summarize(ctx context.Context, ss *session, outcome string) string {
	conv := ss.conv
	plain := fmt.Sprintf("%d messages from the %s; outcome %s.", ss.userTurns, map[bool]string{true: "caller", false: "visitor"}[conv.Channel == ChannelVoice], strings.ReplaceAll(outcome, "_", " "))
	if ss.userTurns == 0 || s.Model == nil {
		return plain
	}
	ep, err := s.endpoint(ctx, ss.agent)
	if err != nil || s.overBudget(ctx, conv.TenantID) {
		return plain
	}
	var tr strings.Builder
	for _, m := range ss.history {
		if (m.Role == "user" || m.Role == "assistant") && m.Content != "" {
			fmt.Fprintf(&tr, "%s: %s\n", map[string]string{"user": "Person", "assistant": "Agent"}[m.Role], truncateRunes(m.Content, 600))
		}
		if tr.Len() > 12000 {
			break
		}
	}
	req := ModelRequest{Model: ss.agent.Config.Model.Model, Temperature: 0, MaxTokens: 200, Messages: []Message{
		{Role: "system", Content: "Summarise this conversation between a business's AI agent and a person in at most two sentences for the business's CRM: who they are, what they wanted, what was agreed. Plain text."},
		{Role: "user", Content: tr.String()},
	}}
	sctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	r, err := s.Model.Stream(sctx, ep, req, nil)
	if err != nil || strings.TrimSpace(r.Content) == "" {
		return plain
	}
	u := s.tokenUsage(ctx, conv.TenantID, UsageTokens, req.Model, r.TokensIn, r.TokensOut)
	if err := s.stores.Usage.AddUsage(ctx, conv.ID, []Usage{u}); err != nil {
		s.Logger.Warn("agents: meter the summary", "err", err)
	}
	return truncateRunes(strings.TrimSpace(r.Content), 1000)
}
