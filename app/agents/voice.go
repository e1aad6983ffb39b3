package agents

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"orengen/app"
)

// AgentForCall returns the tenant's enabled voice agent answering the
// number to, or ENOTFOUND.
func (s *Service) AgentForCall(ctx context.Context, tenantID int64, to string) (*Agent, error) {
	a, err := s.stores.Agents.FindAgentByPhone(ctx, tenantID, to)
	if err != nil {
		return nil, err
	}
	if !a.Config.Channels.Voice {
		return nil, app.Errorf(app.ENOTFOUND, "No voice agent answers this number.")
	}
	return a, nil
}

// StartCall records a call answered (or placed) by agent a. other is the
// other party's number.
func (s *Service) StartCall(ctx context.Context, a *Agent, callSID, other, direction, purpose string) (*Conversation, error) {
	c := &Conversation{TenantID: a.TenantID, AgentID: a.ID, VersionID: a.VersionID, Channel: ChannelVoice, Direction: direction,
		Status: StatusActive, Visitor: other, ExternalID: callSID}
	if p, err := app.NormalizePhone("from", other); err == nil {
		c.Visitor = p
		if id, err := s.stores.People.FindPersonByContact(ctx, a.TenantID, "", p); err == nil && id != 0 {
			c.PersonID = id
		}
	}
	if err := s.open(ctx, c, a); err != nil {
		return nil, err
	}
	if purpose != "" {
		s.setPurpose(c.ID, purpose)
	}
	return c, nil
}

// setPurpose keeps why an outbound conversation was started until its
// opening turn.
func (s *Service) setPurpose(id int64, p string) {
	s.init()
	s.mu.Lock()
	s.purposes[id] = p
	s.mu.Unlock()
}

func (s *Service) takePurpose(id int64) string {
	s.init()
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.purposes[id]
	delete(s.purposes, id)
	return p
}

// CallConversation returns a voice conversation of the tenant.
func (s *Service) CallConversation(ctx context.Context, tenantID, id int64) (*Conversation, *Agent, error) {
	c, err := s.stores.Conversations.FindConversation(ctx, tenantID, id)
	if err != nil {
		return nil, nil, err
	}
	if c.Channel != ChannelVoice {
		return nil, nil, app.Errorf(app.ENOTFOUND, "Call not found.")
	}
	a, err := s.stores.Agents.FindAgentVersion(ctx, tenantID, c.VersionID)
	if err != nil {
		return nil, nil, err
	}
	return c, a, nil
}

// CallerSpoke runs a turn of a call: the caller's words (or a key) go to
// the agent, whose words stream to emit. The first words of an unknown
// caller make them a CRM contact (their number).
func (s *Service) CallerSpoke(ctx context.Context, c *Conversation, in Input, emit func(Event)) (*Reply, error) {
	if in.Opening {
		in.Purpose = s.takePurpose(c.ID)
	} else if c.PersonID == 0 && s.Contacts != nil {
		if ss, err := s.session(ctx, c); err == nil && ss.conv.PersonID == 0 {
			in2 := app.ContactInput{TenantID: c.TenantID, Phone: c.Visitor, Source: sourceLabel(ChannelVoice), Actor: fmt.Sprintf("agent:%d", c.AgentID)}
			if in2.Validate() == nil {
				if id, _, err := s.Contacts.UpsertContact(toolCtx(ctx, c), in2); err == nil {
					ss.mu.Lock()
					s.linkPerson(ctx, ss, id)
					ss.mu.Unlock()
					c.PersonID = id
				}
			}
		}
	}
	return s.Respond(ctx, c, in, emit)
}

// CallEnded meters a call's duration and ends its conversation (outcome
// decided from what happened; no_answer when the caller never spoke).
func (s *Service) CallEnded(ctx context.Context, c *Conversation, seconds int, reason string) error {
	if seconds > 0 {
		u := Usage{TenantID: c.TenantID, Day: s.now().UTC().Format("2006-01-02"), Kind: UsageVoice, Quantity: seconds, CostMicros: s.unitCost(ctx, UsageVoice, seconds)}
		if err := s.stores.Usage.AddUsage(ctx, c.ID, []Usage{u}); err != nil {
			return err
		}
	}
	err := s.End(ctx, c, "", reason)
	if app.ErrorCode(err) == app.ECONFLICT {
		return nil
	}
	return err
}

// CallEvent records something that happened on a call (silence, a
// carrier error) in its transcript.
func (s *Service) CallEvent(ctx context.Context, c *Conversation, text string) {
	s.recordEvent(ctx, c, text)
}

// Silence says the agent's check-in after the caller went quiet, and
// records it.
func (s *Service) Silence(ctx context.Context, c *Conversation, n int) string {
	text := "Are you still there?"
	if n > 1 {
		text = "I haven't heard anything, so I'll end the call now. Goodbye."
	}
	ss, err := s.session(ctx, c)
	if err == nil {
		ss.mu.Lock()
		err = s.commit(ctx, ss, []*Turn{{Role: RoleEvent, Content: fmt.Sprintf("The caller was silent (%d).", n)}, {Role: RoleAssistant, Content: text, Model: "silence"}}, nil)
		ss.mu.Unlock()
	}
	if err != nil {
		s.Logger.Warn("agents: record silence", "conversation_id", c.ID, "err", err)
	}
	return text
}

// RelayToken is the credential in an agent call's WebSocket URL: it names
// the conversation and is signed with the server's key, so only the
// carrier we gave the TwiML to can connect (Telnyx sends no signature of
// its own).
func RelayToken(key []byte, conversationID int64, expires time.Time) string {
	msg := fmt.Sprintf("%d.%d", conversationID, expires.Unix())
	m := hmac.New(sha256.New, key)
	m.Write([]byte("agent-relay|" + msg))
	return msg + "." + hex.EncodeToString(m.Sum(nil)[:16])
}

// CheckRelayToken returns the conversation a token names, or ENOTFOUND
// for a forged or expired token.
func CheckRelayToken(key []byte, tok string, now time.Time) (int64, error) {
	bad := app.Errorf(app.EFORBIDDEN, "Invalid call token.")
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return 0, bad
	}
	id, err1 := strconv.ParseInt(parts[0], 10, 64)
	exp, err2 := strconv.ParseInt(parts[1], 10, 64)
	if err1 != nil || err2 != nil || id <= 0 {
		return 0, bad
	}
	want := RelayToken(key, id, time.Unix(exp, 0))
	if !hmac.Equal([]byte(want), []byte(tok)) || now.Unix() > exp {
		return 0, bad
	}
	return id, nil
}

// AgentFor returns the agent a workflow step uses: ref names it by ID,
// or "" takes the tenant's first enabled agent on channel (voice or
// sms). ok is false when the tenant has none (the step's fallback runs).
func (s *Service) AgentFor(ctx context.Context, tenantID int64, ref, channel string) (int64, bool, error) {
	if ref != "" {
		id, err := strconv.ParseInt(ref, 10, 64)
		if err != nil {
			return 0, false, app.FieldErrorf("agent", "agent must be an agent's ID.")
		}
		a, err := s.stores.Agents.FindAgent(ctx, tenantID, id)
		if app.ErrorCode(err) == app.ENOTFOUND {
			return 0, false, nil
		} else if err != nil {
			return 0, false, err
		}
		return a.ID, a.Enabled && hasChannel(a, channel) && a.Phone != "", nil
	}
	as, err := s.stores.Agents.FindAgents(ctx, Filter{TenantID: tenantID})
	if err != nil {
		return 0, false, err
	}
	for _, a := range as {
		if a.Enabled && hasChannel(a, channel) && a.Phone != "" {
			return a.ID, true, nil
		}
	}
	return 0, false, nil
}

func hasChannel(a *Agent, ch string) bool {
	switch ch {
	case ChannelVoice:
		return a.Config.Channels.Voice
	case ChannelSMS:
		return a.Config.Channels.SMS
	}
	return a.Config.Channels.Web
}

// CallTwiML builds the TwiML (or TeXML) that connects a call to its agent:
// set by the wiring, which knows the public URLs.
type CallTwiML func(c *Conversation, a *Agent) (string, error)

// AICall places an outbound call answered by agent agentID to the
// contact's number (to), for purpose; key makes the call idempotent in
// the provider's status callbacks.
func (s *Service) AICall(ctx context.Context, tenantID, agentID, contactID int64, to, purpose, key string) (string, error) {
	if s.Telephony == nil || s.TwiML == nil {
		return "", &app.PermanentError{Err: fmt.Errorf("calls are not configured")}
	}
	a, err := s.stores.Agents.FindAgent(ctx, tenantID, agentID)
	if err != nil {
		return "", &app.PermanentError{Err: fmt.Errorf("agent %d: %s", agentID, app.ErrorMessage(err))}
	}
	tel, err := s.Telephony(app.WithoutValues(ctx), tenantID)
	if err != nil {
		return "", err
	}
	c, err := s.StartCall(ctx, a, "pending:"+key, to, "outbound", purpose)
	if err != nil {
		return "", err
	}
	if contactID != 0 && c.PersonID == 0 {
		_ = s.stores.Turns.SetConversationPerson(ctx, tenantID, c.ID, contactID)
	}
	twiml, err := s.TwiML(c, a)
	if err != nil {
		return "", err
	}
	from := a.Phone
	if from == "" {
		from = tel.From()
	}
	sid, err := tel.PlaceCall(ctx, app.Call{From: from, To: to, TwiML: twiml, IdempotencyKey: key})
	if err != nil {
		s.recordEvent(ctx, c, "The call could not be placed.")
		s.endLater(c, OutcomeNoAnswer, "call not placed")
		return "", err
	}
	if err := s.stores.Turns.SetConversationExternal(ctx, tenantID, c.ID, sid); err != nil {
		s.Logger.Warn("agents: record the call SID", "conversation_id", c.ID, "err", err)
	}
	return sid, nil
}

// TestCall places a call from the playground to a number.
func (s *Service) TestCall(ctx context.Context, agentID int64, to string) (int64, error) {
	if err := requireManage(ctx); err != nil {
		return 0, err
	}
	a, err := s.Agent(ctx, agentID)
	if err != nil {
		return 0, err
	}
	p, err := app.NormalizePhone("to", to)
	if err != nil {
		return 0, err
	}
	if !a.Config.Channels.Voice {
		return 0, app.FieldErrorf("to", "Turn on the voice channel of the agent first.")
	}
	if _, err := s.AICall(ctx, a.TenantID, a.ID, 0, p, "a test call from the playground", "test-"+app.RandomToken(6)); err != nil {
		return 0, app.Errorf(app.EINVALID, "The call could not be placed: %s", app.ErrorMessage(err))
	}
	c, err := s.stores.Conversations.FindActiveConversation(ctx, a.TenantID, a.ID, ChannelVoice, p)
	if err != nil {
		return 0, err
	}
	return c.ID, nil
}

// AISMS starts a text conversation with the contact: the agent writes the
// first message (for purpose) and answers the replies.
func (s *Service) AISMS(ctx context.Context, tenantID, agentID, contactID int64, to, purpose, key string) (string, error) {
	a, err := s.stores.Agents.FindAgent(ctx, tenantID, agentID)
	if err != nil {
		return "", &app.PermanentError{Err: fmt.Errorf("agent %d: %s", agentID, app.ErrorMessage(err))}
	}
	phone, err := app.NormalizePhone("to", to)
	if err != nil {
		return "", &app.PermanentError{Err: err}
	}
	c, err := s.stores.Conversations.FindActiveConversation(ctx, tenantID, a.ID, ChannelSMS, phone)
	if app.ErrorCode(err) == app.ENOTFOUND {
		c = &Conversation{TenantID: tenantID, AgentID: a.ID, VersionID: a.VersionID, Channel: ChannelSMS, Direction: "outbound", Status: StatusActive,
			Visitor: phone, ExternalID: "sms:" + phone, PersonID: contactID}
		if err := s.open(ctx, c, a); err != nil {
			return "", err
		}
	} else if err != nil {
		return "", err
	}
	if c.PersonID != 0 && s.optedOut(toolCtx(ctx, c), c.PersonID) {
		return "", &app.PermanentError{Err: fmt.Errorf("the contact opted out of texts")}
	}
	r, err := s.Respond(ctx, c, Input{Opening: true, Purpose: purpose}, nil)
	if err != nil {
		return "", err
	}
	if r.Fallback {
		return "", fmt.Errorf("the agent could not write the text: %s", r.Text)
	}
	if err := s.sendSMS(ctx, c, r.Text); err != nil {
		return "", err
	}
	return fmt.Sprintf("conversation:%d", c.ID), nil
}

// RelayKey derives the key relay tokens are signed with from the
// server's session key.
func RelayKey(sessionKey []byte) []byte {
	m := hmac.New(sha256.New, sessionKey)
	m.Write([]byte("orengen agent relay tokens"))
	return m.Sum(nil)
}

// AnswerCall connects a new inbound call to the agent answering number
// to: it records the call and returns its TwiML (ok false when no voice
// agent answers that number).
func (s *Service) AnswerCall(ctx context.Context, tenantID int64, callSID, from, to string) (string, bool, error) {
	if s.TwiML == nil {
		return "", false, nil
	}
	a, err := s.AgentForCall(ctx, tenantID, to)
	if app.ErrorCode(err) == app.ENOTFOUND {
		return "", false, nil
	} else if err != nil {
		return "", false, err
	}
	c, err := s.StartCall(ctx, a, callSID, from, "inbound", "")
	if err != nil {
		return "", false, err
	}
	twiml, err := s.TwiML(c, a)
	return twiml, err == nil, err
}

// CallForToken returns the call a relay token names (the carrier's
// WebSocket, its <Connect> action and the <Gather> loop carry one): the
// token is the proof, so the conversation is looked up in its own
// tenant. A forged or expired token is EFORBIDDEN.
func (s *Service) CallForToken(ctx context.Context, key []byte, tok string) (*Conversation, *Agent, error) {
	id, err := CheckRelayToken(key, tok, s.now())
	if err != nil {
		return nil, nil, err
	}
	c, err := s.stores.Conversations.FindConversation(ctx, 0, id)
	if err != nil {
		return nil, nil, app.Errorf(app.EFORBIDDEN, "Invalid call token.")
	}
	return s.CallConversation(ctx, c.TenantID, c.ID)
}
