package agents

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"orengen/app"
)

// WidgetAgent returns the enabled web-chat agent with the public key. On
// a tenant's own host (hostTenant != 0) only that tenant's agents answer.
func (s *Service) WidgetAgent(ctx context.Context, key string, hostTenant int64) (*Agent, error) {
	if !strings.HasPrefix(key, "ag_") || len(key) > 64 {
		return nil, app.Errorf(app.ENOTFOUND, "Chat not found.")
	}
	a, err := s.stores.Agents.FindAgentByKey(ctx, key)
	if err != nil {
		return nil, err
	}
	if !a.Enabled || !a.Config.Channels.Web || (hostTenant != 0 && a.TenantID != hostTenant) {
		return nil, app.Errorf(app.ENOTFOUND, "Chat not found.")
	}
	return a, nil
}

// FormsAgent returns the tenant's agent whose chat button shows on its
// hosted forms: the first enabled one answering web chat with Forms on.
// Returns ENOTFOUND when there is none.
func (s *Service) FormsAgent(ctx context.Context, tenantID int64) (*Agent, error) {
	as, err := s.stores.Agents.FindAgents(ctx, Filter{TenantID: tenantID})
	if err != nil {
		return nil, err
	}
	for _, a := range as {
		if a.TenantID == tenantID && a.Enabled && a.Config.Channels.Web && a.Config.Channels.Forms {
			return a, nil
		}
	}
	return nil, app.Errorf(app.ENOTFOUND, "No chat on forms.")
}

func tokenHash(tok string) string {
	sum := sha256.Sum256([]byte("agent-chat|" + tok))
	return "web:" + hex.EncodeToString(sum[:])
}

// StartChat opens a web chat with agent a and returns it with the
// visitor's token (shown once; only its hash is kept).
func (s *Service) StartChat(ctx context.Context, a *Agent, page string) (*Conversation, string, error) {
	tok := app.RandomToken(24)
	c := &Conversation{TenantID: a.TenantID, AgentID: a.ID, VersionID: a.VersionID, Channel: ChannelWeb, Direction: "inbound",
		Status: StatusActive, Visitor: "Web visitor", ExternalID: tokenHash(tok)}
	if page = strings.TrimSpace(page); page != "" {
		c.Visitor = "Web visitor on " + truncateRunes(page, 200)
	}
	if err := s.open(ctx, c, a); err != nil {
		return nil, "", err
	}
	return c, tok, nil
}

// open creates a conversation and records the agent's greeting.
func (s *Service) open(ctx context.Context, c *Conversation, a *Agent) error {
	c.StartedAt = s.now()
	if err := s.stores.Conversations.CreateConversation(ctx, c); err != nil {
		return err
	}
	if g := a.Config.Greeting; g != "" && c.Direction != "outbound" {
		if err := s.stores.Turns.AddTurns(ctx, c, []*Turn{{ConversationID: c.ID, TenantID: c.TenantID, Role: RoleAssistant, Content: g, Model: "greeting", CreatedAt: s.now()}}, nil); err != nil {
			return err
		}
	}
	s.Hub.Publish(Event{Type: EventList, ConversationID: c.ID, TenantID: c.TenantID, Status: StatusActive})
	return nil
}

// VisitorConversation returns a web chat of agent a for its visitor's
// token (one answer for a wrong token or a missing chat).
func (s *Service) VisitorConversation(ctx context.Context, a *Agent, id int64, token string) (*Conversation, error) {
	c, err := s.stores.Conversations.FindConversation(ctx, a.TenantID, id)
	if err != nil || c.AgentID != a.ID || c.Channel != ChannelWeb {
		return nil, app.Errorf(app.ENOTFOUND, "Chat not found.")
	}
	if subtle.ConstantTimeCompare([]byte(c.ExternalID), []byte(tokenHash(token))) != 1 {
		return nil, app.Errorf(app.ENOTFOUND, "Chat not found.")
	}
	return c, nil
}

// acquire counts a reply waiting for conversation id (a visitor cannot
// queue more than max); release uncounts it.
func (s *Service) acquire(id int64, max int) bool {
	s.init()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending[id] >= max {
		return false
	}
	s.pending[id]++
	return true
}

func (s *Service) release(id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending[id]--; s.pending[id] <= 0 {
		delete(s.pending, id)
	}
}

// Send queues a message of the visitor (or of the tester in the
// playground) and answers it in the background: the words stream to the
// conversation's subscribers. Returns ECONFLICT when the conversation has
// ended, ETOOMANY when replies are already waiting.
func (s *Service) Send(ctx context.Context, c *Conversation, text string) error {
	s.init()
	if !c.Active() {
		return app.Errorf(app.ECONFLICT, "This chat has ended. Start a new one.")
	}
	if strings.TrimSpace(text) == "" {
		return app.FieldErrorf("text", "Message required.")
	}
	if !s.acquire(c.ID, 3) {
		return app.Errorf(app.ETOOMANY, "Please wait for the answer before sending more.")
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer s.release(c.ID)
		ctx, cancel := context.WithTimeout(context.WithoutCancel(s.bg), 3*time.Minute)
		defer cancel()
		if _, err := s.Respond(ctx, c, Input{Text: text}, nil); err != nil && app.ErrorCode(err) != app.ECONFLICT {
			s.Logger.Error("agents: reply", "conversation_id", c.ID, "err", err)
		}
	}()
	return nil
}

// StartPlayground opens a test chat with an agent for a signed-in person.
func (s *Service) StartPlayground(ctx context.Context, agentID int64) (*Conversation, error) {
	a, err := s.Agent(ctx, agentID)
	if err != nil {
		return nil, err
	}
	c := &Conversation{TenantID: a.TenantID, AgentID: a.ID, VersionID: a.VersionID, Channel: ChannelPlayground, Direction: "inbound",
		Status: StatusActive, Visitor: "Playground: " + app.ActorFromContext(ctx)}
	if err := s.open(ctx, c, a); err != nil {
		return nil, err
	}
	return c, nil
}

// PlaygroundSend sends a tester's message in a playground conversation.
func (s *Service) PlaygroundSend(ctx context.Context, id int64, text string) error {
	c, _, err := s.Conversation(ctx, id)
	if err != nil {
		return err
	}
	if c.Channel != ChannelPlayground {
		return app.Errorf(app.ENOTFOUND, "Not a playground conversation.")
	}
	return s.Send(ctx, c, text)
}

// Watch subscribes a signed-in person to a conversation's events.
func (s *Service) Watch(ctx context.Context, id int64) (*Conversation, []*Turn, *Sub, error) {
	s.init()
	c, turns, err := s.Conversation(ctx, id)
	if err != nil {
		return nil, nil, nil, err
	}
	return c, turns, s.Hub.Subscribe(c.ID), nil
}

// WatchList subscribes a signed-in person to the live list of their
// conversations (every tenant's in Nexus).
func (s *Service) WatchList(ctx context.Context) (*Sub, error) {
	s.init()
	tid, _, err := scope(ctx)
	if err != nil {
		return nil, err
	}
	return s.Hub.SubscribeList(tid), nil
}

// TakeOver lets the signed-in person answer a chat or text thread
// instead of the agent.
func (s *Service) TakeOver(ctx context.Context, id int64) error {
	return s.setTakeover(ctx, id, true)
}

// HandBack gives a conversation back to the agent.
func (s *Service) HandBack(ctx context.Context, id int64) error {
	return s.setTakeover(ctx, id, false)
}

func (s *Service) setTakeover(ctx context.Context, id int64, take bool) error {
	c, _, err := s.Conversation(ctx, id)
	if err != nil {
		return err
	}
	if !c.Active() {
		return app.Errorf(app.ECONFLICT, "This conversation has ended.")
	}
	if c.Channel == ChannelVoice {
		return app.Errorf(app.EINVALID, "A call cannot be taken over here; the agent transfers calls to the handoff number.")
	}
	ss, err := s.session(ctx, c)
	if err != nil {
		return err
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	who := app.ActorFromContext(ctx)
	by, text, status := who, who+" took over the conversation.", "taken_over"
	if !take {
		by, text, status = "", who+" handed the conversation back to the agent.", "agent"
	}
	if err := s.stores.Turns.SetTakeover(ctx, c.TenantID, c.ID, by); err != nil {
		return err
	}
	ss.conv.TakenOverBy = by
	if take {
		ss.handoff = true
	}
	if err := s.commit(ctx, ss, []*Turn{{Role: RoleEvent, Content: text}}, nil); err != nil {
		return err
	}
	s.Hub.Publish(Event{Type: EventStatus, ConversationID: c.ID, TenantID: c.TenantID, Status: status})
	return nil
}

// HumanMessage sends a message of the signed-in person in a conversation
// they took over (a text thread's goes out as an SMS).
func (s *Service) HumanMessage(ctx context.Context, id int64, text string) error {
	c, _, err := s.Conversation(ctx, id)
	if err != nil {
		return err
	}
	text = cleanInput(text)
	if text == "" {
		return app.FieldErrorf("text", "Message required.")
	}
	if len(text) > MaxInput {
		return app.FieldErrorf("text", "At most %d characters.", MaxInput)
	}
	if !c.Active() {
		return app.Errorf(app.ECONFLICT, "This conversation has ended.")
	}
	ss, err := s.session(ctx, c)
	if err != nil {
		return err
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	who := app.ActorFromContext(ctx)
	if ss.conv.TakenOverBy != who {
		return app.Errorf(app.ECONFLICT, "Take over the conversation first.")
	}
	var usage []Usage
	if c.Channel == ChannelSMS {
		if err := s.sendSMS(ctx, c, text); err != nil {
			return err
		}
	}
	t := &Turn{Role: RoleHuman, Content: text, Author: who}
	if err := s.commit(ctx, ss, []*Turn{t}, usage); err != nil {
		return err
	}
	ss.history = append(ss.history, Message{Role: "assistant", Content: "(A person from the team wrote:) " + text})
	s.Hub.Publish(Event{Type: EventMessage, ConversationID: c.ID, TenantID: c.TenantID, Role: RoleHuman, Text: text, TurnID: t.ID})
	return nil
}

// sendSMS texts the conversation's visitor from the tenant's number and
// meters the segments.
func (s *Service) sendSMS(ctx context.Context, c *Conversation, body string) error {
	if s.Telephony == nil {
		return app.Errorf(app.EINVALID, "Texting is not configured.")
	}
	tel, err := s.Telephony(app.WithoutValues(ctx), c.TenantID)
	if err != nil {
		return app.Errorf(app.EINVALID, "Texting is not configured for this account: %s", app.ErrorMessage(err))
	}
	from := tel.From()
	if a, err := s.stores.Agents.FindAgent(ctx, c.TenantID, c.AgentID); err == nil && a.Phone != "" {
		from = a.Phone
	}
	if _, err := tel.SendSMS(ctx, app.SMS{From: from, To: c.Visitor, Body: body}); err != nil {
		return fmt.Errorf("send the reply text: %w", err)
	}
	seg := SMSSegments(body)
	return s.stores.Usage.AddUsage(ctx, c.ID, []Usage{{TenantID: c.TenantID, Day: s.now().UTC().Format("2006-01-02"), Kind: UsageSMS, Quantity: seg, CostMicros: s.unitCost(ctx, UsageSMS, seg)}})
}

// SMS keywords (CTIA): opt out, opt back in, help.
var (
	stopWords_ = []string{"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"}
	startWords = []string{"START", "UNSTOP", "YES", "OPTIN"}
	helpWords  = []string{"HELP", "INFO"}
)

// OptOutTag marks a person who texted STOP: the agent never texts them
// until they text START.
const OptOutTag = "sms-opted-out"

// InboundSMS answers a text to one of the tenant's numbers with the agent
// assigned to it (handled false when none answers texts on that number).
// STOP and START are recorded as the person's SMS consent; HELP gets the
// help message. The reply is sent in the background.
func (s *Service) InboundSMS(ctx context.Context, tenantID int64, from, to, body string) (bool, error) {
	s.init()
	a, err := s.stores.Agents.FindAgentByPhone(ctx, tenantID, to)
	if app.ErrorCode(err) == app.ENOTFOUND {
		return false, nil
	} else if err != nil {
		return false, err
	}
	if !a.Config.Channels.SMS {
		return false, nil
	}
	phone, err := app.NormalizePhone("From", from)
	if err != nil {
		return false, nil // a short code or an alphanumeric sender: nobody to answer
	}
	in := &smsIn{tenantID: tenantID, agent: a, phone: phone, to: to, body: body}
	if in.personID, err = s.stores.People.FindPersonByContact(ctx, tenantID, "", phone); err != nil {
		return false, err
	}
	in.tctx = toolCtx(ctx, &Conversation{TenantID: tenantID, AgentID: a.ID})
	if in.c, err = s.smsConversation(ctx, in); err != nil {
		return false, err
	}
	inSeg := SMSSegments(body)
	_ = s.stores.Usage.AddUsage(ctx, in.c.ID, []Usage{{TenantID: tenantID, Day: s.now().UTC().Format("2006-01-02"), Kind: UsageSMS, Quantity: inSeg, CostMicros: s.unitCost(ctx, UsageSMS, inSeg)}})
	word := strings.ToUpper(strings.Trim(strings.TrimSpace(body), ".!"))
	switch {
	case slices.Contains(stopWords_, word):
		if err := s.smsConsent(ctx, in, false, word); err != nil {
			return true, err
		}
		s.endLater(in.c, OutcomeCompleted, "opted out (STOP)")
		return true, nil
	case slices.Contains(startWords, word) && word != "YES" || word == "YES" && s.optedOut(in.tctx, in.personID):
		return true, s.smsConsent(ctx, in, true, word)
	case slices.Contains(helpWords, word):
		return true, s.smsHelp(ctx, in)
	}
	if s.optedOut(in.tctx, in.personID) {
		return true, s.commitTurns(ctx, in.c, &Turn{Role: RoleUser, Content: body},
			&Turn{Role: RoleEvent, Content: "Not answered: the sender opted out of texts (STOP) and has not texted START."})
	}
	if in.c.PersonID == 0 {
		_, _ = s.smsContact(ctx, in) // the answer does not wait on the CRM
	}
	if !s.acquire(in.c.ID, 5) {
		return true, app.Errorf(app.ETOOMANY, "Too many texts waiting for an answer.")
	}
	s.answerSMSLater(in.c, body)
	return true, nil
}

// smsIn is one inbound text on its way to an agent.
type smsIn struct {
	tenantID  int64
	agent     *Agent
	phone, to string // the sender (E.164) and the agent's number
	body      string
	personID  int64           // the sender's person, 0 when unknown
	tctx      context.Context // the agent's tools' context
	c         *Conversation
}

// smsConversation returns the sender's active SMS conversation with the
// agent, opening one when there is none.
func (s *Service) smsConversation(ctx context.Context, in *smsIn) (*Conversation, error) {
	c, err := s.stores.Conversations.FindActiveConversation(ctx, in.tenantID, in.agent.ID, ChannelSMS, in.phone)
	if app.ErrorCode(err) != app.ENOTFOUND {
		return c, err
	}
	c = &Conversation{TenantID: in.tenantID, AgentID: in.agent.ID, VersionID: in.agent.VersionID, Channel: ChannelSMS, Direction: "inbound",
		Status: StatusActive, Visitor: in.phone, ExternalID: "sms:" + in.phone, PersonID: in.personID}
	if err := s.open(ctx, c, &Agent{}); err != nil {
		return nil, err
	}
	return c, nil
}

// smsContact upserts the sender as a CRM contact (by phone) and links
// the conversation to it; returns the person's ID.
func (s *Service) smsContact(ctx context.Context, in *smsIn) (int64, error) {
	ci := app.ContactInput{TenantID: in.tenantID, Phone: in.phone, Source: sourceLabel(ChannelSMS), Actor: fmt.Sprintf("agent:%d", in.agent.ID)}
	if err := ci.Validate(); err != nil {
		return 0, err
	}
	id, _, err := s.Contacts.UpsertContact(in.tctx, ci)
	if err != nil {
		return 0, err
	}
	if in.c.PersonID == 0 {
		_ = s.stores.Turns.SetConversationPerson(ctx, in.tenantID, in.c.ID, id)
		in.c.PersonID = id
	}
	return id, nil
}

// smsConsent records a STOP (optIn false) or START keyword kw on the
// sender's contact: its SMS consent, the opt-out tag and a timeline
// entry; the conversation keeps the text and the event, unanswered.
func (s *Service) smsConsent(ctx context.Context, in *smsIn, optIn bool, kw string) error {
	id, err := s.smsContact(ctx, in)
	if err != nil {
		return err
	}
	p, err := s.CRM.FindPerson(in.tctx, id)
	if err != nil {
		return err
	}
	cons := p.Consent
	cons.SMS = optIn
	tags := slices.DeleteFunc(slices.Clone(p.Tags), func(t string) bool { return t == OptOutTag })
	if !optIn {
		tags = append(tags, OptOutTag)
	}
	if _, err := s.CRM.UpdatePerson(in.tctx, id, app.PersonUpdate{Consent: &cons, Tags: &tags}); err != nil {
		return err
	}
	what := "opted out of texts"
	if optIn {
		what = "opted back in to texts"
	}
	if err := s.CRM.AddTimelineEntry(in.tctx, &app.TimelineEntry{RecordType: app.RecordPerson, RecordID: id, Kind: app.TimelineSMS,
		Body: fmt.Sprintf("Texted %q to %s: %s (SMS consent recorded).", kw, in.to, what)}); err != nil {
		return err
	}
	return s.commitTurns(ctx, in.c, &Turn{Role: RoleUser, Content: in.body},
		&Turn{Role: RoleEvent, Content: fmt.Sprintf("%s: the sender %s; consent recorded on the contact; the agent does not answer.", kw, what)})
}

// smsHelp answers HELP with the brand, the opt-out word and the support
// address.
func (s *Service) smsHelp(ctx context.Context, in *smsIn) error {
	brand, contact := "", ""
	if s.Tenants != nil {
		if t, err := s.Tenants.FindTenantByID(ctx, in.tenantID); err == nil {
			brand, contact = t.BrandName(), t.SupportEmail
		}
	}
	help := fmt.Sprintf("%s: this number is answered by an AI assistant. Reply STOP to opt out.", brand)
	if contact != "" {
		help += " Help: " + contact
	}
	if err := s.commitTurns(ctx, in.c, &Turn{Role: RoleUser, Content: in.body}, &Turn{Role: RoleEvent, Content: "HELP: the help message was sent."},
		&Turn{Role: RoleAssistant, Content: help, Model: "help"}); err != nil {
		return err
	}
	return s.sendSMS(ctx, in.c, help)
}

// commitTurns adds turns to a conversation under its session's lock.
func (s *Service) commitTurns(ctx context.Context, c *Conversation, turns ...*Turn) error {
	ss, err := s.session(ctx, c)
	if err != nil {
		return err
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return s.commit(ctx, ss, turns, nil)
}

// answerSMSLater has the agent answer body in the background and texts
// the answer; the caller holds a slot (acquire) that it releases.
func (s *Service) answerSMSLater(c *Conversation, body string) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer s.release(c.ID)
		ctx, cancel := context.WithTimeout(context.WithoutCancel(s.bg), 3*time.Minute)
		defer cancel()
		r, err := s.Respond(ctx, c, Input{Text: body}, nil)
		if err != nil {
			if app.ErrorCode(err) != app.ECONFLICT {
				s.Logger.Error("agents: answer a text", "conversation_id", c.ID, "err", err)
			}
			return
		}
		if r.Text == "" {
			return // a person took over
		}
		if err := s.sendSMS(ctx, c, r.Text); err != nil {
			s.Logger.Error("agents: send the answer", "conversation_id", c.ID, "err", err)
			s.recordEvent(ctx, c, "The answer could not be texted: "+app.ErrorMessage(err))
		}
	}()
}

func (s *Service) optedOut(ctx context.Context, personID int64) bool {
	if personID == 0 {
		return false
	}
	p, err := s.CRM.FindPerson(ctx, personID)
	return err == nil && slices.Contains(p.Tags, OptOutTag)
}

func (s *Service) recordEvent(ctx context.Context, c *Conversation, text string) {
	ss, err := s.session(ctx, c)
	if err != nil {
		return
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if err := s.commit(ctx, ss, []*Turn{{Role: RoleEvent, Content: text}}, nil); err != nil {
		s.Logger.Warn("agents: record an event", "conversation_id", c.ID, "err", err)
	}
}

// WatchVisitor subscribes a web chat's visitor to its events (the
// handler keeps the private ones, tools and sources, from them);
// Unwatch ends any subscription.
func (s *Service) WatchVisitor(c *Conversation) *Sub {
	s.init()
	return s.Hub.Subscribe(c.ID)
}

// Unwatch ends a subscription.
func (s *Service) Unwatch(sub *Sub) {
	s.init()
	s.Hub.Unsubscribe(sub)
}

// VisitorMessage is a message of a chat as its visitor sees it.
type VisitorMessage struct {
	Role string `json:"role"` // user, assistant, human
	Text string `json:"text"`
}

// VisitorTranscript is what a web chat's visitor may read again: their
// words, the agent's and the team's; never tool calls, sources or
// events.
func (s *Service) VisitorTranscript(ctx context.Context, c *Conversation) ([]VisitorMessage, error) {
	turns, err := s.stores.Turns.FindTurns(ctx, c.TenantID, c.ID)
	if err != nil {
		return nil, err
	}
	out := []VisitorMessage{}
	for _, t := range turns {
		switch t.Role {
		case RoleUser, RoleAssistant, RoleHuman:
			if strings.TrimSpace(t.Content) != "" {
				out = append(out, VisitorMessage{Role: t.Role, Text: t.Content})
			}
		}
	}
	return out, nil
}
