package inbox

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"orengen/app"
)

// People is what the inbox reads of the CRM: the person beside a thread
// and the fields of canned replies (tenant in ctx).
type People interface {
	FindPerson(ctx context.Context, id int64) (*app.Person, error)
}

// ChatBridge is Agent Studio seen from the inbox: a person takes over a
// web chat, hands it back and writes in it, and an AI call's transcript
// comes into the call's message (agents.Service).
type ChatBridge interface {
	TakeOver(ctx context.Context, id int64) error
	HandBack(ctx context.Context, id int64) error
	HumanMessage(ctx context.Context, id int64, text string) error
	CallTranscripts
}

// Service is Conversations' use cases for the portal, Nexus, the API and
// the channels' webhooks and pollers.
type Service struct {
	reports ReportStore
	calls   CallStore
	store   Store
	people  People
	// Telephony returns the tenant's Twilio client (an error says what
	// is missing).
	Telephony func(ctx context.Context, tenantID int64) (app.Telephony, error)
	// TwilioFiles returns the tenant's Twilio account as the source of its
	// inbound MMS media and call recordings (twilio.Client; an error when
	// the account is not configured; nil: media stays at Twilio and
	// recordings are not served).
	TwilioFiles func(ctx context.Context, tenantID int64) (TwilioFiles, error)
	Tenants     interface {
		FindTenantByID(ctx context.Context, id int64) (*app.Tenant, error)
	}
	// Chat is Agent Studio (nil: chat threads are read-only and calls
	// carry no AI transcript).
	Chat ChatBridge
	// Mail is email: mailboxes, the IMAP fetcher, the tenant's SMTP
	// (nil: no email channel).
	Mail *Mail
	// Team lists a tenant's team members (round robin, @mentions; nil:
	// neither).
	Team func(ctx context.Context, tenantID int64) ([]*app.User, error)
	// Notify sends the appliance's email to a mentioned team member
	// (nil: mentions notify nobody).
	Notify app.Mailer
	// ThreadURL is the link to a thread in the tenant's portal.
	ThreadURL func(ctx context.Context, tenantID, convID int64) string
	Logger    *slog.Logger
	Now       func() time.Time

	// Broadcasts keeps broadcasts and Audience reads the saved views
	// they go to (nil: no broadcasts; broadcast.go). PortalURL is a
	// tenant's portal address and SigningKey its key for unsubscribe
	// links (unsubscribe.go).
	Broadcasts BroadcastStore
	Audience   Audience
	PortalURL  func(ctx context.Context, tenantID int64) string
	SigningKey func(ctx context.Context, tenantID int64) ([]byte, error)
	// Quiet keeps the tenants' quiet hours (nil: none; quiet.go).
	Quiet QuietStore

	hubOnce sync.Once
	hub     *Hub
	bcast   sender
	// pollLocks (tenant ID → *sync.Mutex) keeps a mailbox's reads in
	// turn; watches (tenant ID → *mailWatch) are the IDLE goroutines.
	pollLocks sync.Map
	watches   sync.Map
}

// NewService returns the inbox on its store and the CRM's people (the
// person beside a thread, a broadcast's recipients); the wiring sets the
// other fields. The stores stay private: callers go through the service.
func NewService(st Storage, people People) *Service {
	return &Service{store: st, reports: st, calls: st, people: people}
}

// Storage is what NewService takes: the conversations, their reports
// and their calls (store.InboxStore keeps all three).
type Storage interface {
	Store
	ReportStore
	CallStore
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// appliance is ctx without its values (the signed-in person, the
// tenant): the appliance's own reads of a tenant's channel settings.
func appliance(ctx context.Context) context.Context { return app.WithoutValues(ctx) }

// Hub returns the service's live-update hub.
func (s *Service) Hub() *Hub {
	s.hubOnce.Do(func() { s.hub = NewHub() })
	return s.hub
}

// scope is the caller's tenant, or all for a Nexus admin (or an admin
// API key). Returns EUNAUTHORIZED for nobody.
func scope(ctx context.Context) (tenantID int64, all bool, err error) {
	if t := app.TenantFromContext(ctx); t != nil && t.ID != 0 {
		return t.ID, false, nil
	}
	if app.AdminFromContext(ctx) != nil {
		return 0, true, nil
	}
	if k := app.APIKeyFromContext(ctx); k != nil && k.Admin() {
		return 0, true, nil
	}
	return 0, false, app.Errorf(app.EUNAUTHORIZED, "Sign in to continue.")
}

// Scope reports whether the caller sees every tenant (Nexus).
func Scope(ctx context.Context) (tenantID int64, all bool, err error) { return scope(ctx) }

// Conversations lists the caller's conversations (f.TenantID is kept
// only for a Nexus admin: 0 every tenant). Assignee "me" is the caller.
func (s *Service) Conversations(ctx context.Context, f Filter) ([]*Conversation, error) {
	tid, all, err := scope(ctx)
	if err != nil {
		return nil, err
	}
	if !all {
		f.TenantID = tid
	}
	if f.Assignee == "me" {
		f.Assignee = app.ActorFromContext(ctx)
	}
	if f.Status != "" && f.Status != "all" && !slices.Contains(Statuses, f.Status) {
		return nil, app.FieldErrorf("status", "Status must be one of %s.", strings.Join(Statuses, ", "))
	}
	if f.Channel != "" && !slices.Contains(Channels, f.Channel) {
		return nil, app.FieldErrorf("channel", "Channel must be one of %s.", strings.Join(Channels, ", "))
	}
	f.Query = strings.TrimSpace(f.Query)
	if len(f.Query) > 200 {
		return nil, app.FieldErrorf("q", "Search at most 200 characters.")
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	return s.store.FindConversations(ctx, f)
}

// conversation returns a conversation the caller may see (ENOTFOUND for
// another tenant's).
func (s *Service) conversation(ctx context.Context, id int64) (*Conversation, error) {
	tid, _, err := scope(ctx)
	if err != nil {
		return nil, err
	}
	return s.store.FindConversation(ctx, tid, id)
}

// Thread returns a conversation with its messages and marks it read.
// Returns ENOTFOUND for another tenant's.
func (s *Service) Thread(ctx context.Context, id int64) (*Conversation, []*Message, error) {
	c, err := s.conversation(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	ms, err := s.store.FindMessages(ctx, c.TenantID, c.ID)
	if err != nil {
		return nil, nil, err
	}
	if c.Unread > 0 {
		if err := s.store.MarkRead(ctx, c.TenantID, c.ID); err != nil {
			return nil, nil, err
		}
		c.Unread = 0
		s.Hub().Publish(Event{Type: EventRead, TenantID: c.TenantID, ConversationID: c.ID})
	}
	return c, ms, nil
}

// Conversation returns a conversation without marking it read.
func (s *Service) Conversation(ctx context.Context, id int64) (*Conversation, error) {
	return s.conversation(ctx, id)
}

// Messages returns a conversation's messages, oldest first.
func (s *Service) Messages(ctx context.Context, id int64) ([]*Message, error) {
	c, err := s.conversation(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.store.FindMessages(ctx, c.TenantID, c.ID)
}

// Person returns the CRM person of a thread (nil when none).
func (s *Service) Person(ctx context.Context, c *Conversation) *app.Person {
	if c.PersonID == 0 {
		return nil
	}
	p, err := s.people.FindPerson(app.NewContextWithTenant(ctx, &app.Tenant{ID: c.TenantID}), c.PersonID)
	if err != nil {
		return nil
	}
	return p
}

func (s *Service) update(ctx context.Context, id int64, upd Update) (*Conversation, error) {
	c, err := s.conversation(ctx, id)
	if err != nil {
		return nil, err
	}
	c, err = s.store.UpdateConversation(ctx, c.TenantID, c.ID, upd)
	if err != nil {
		return nil, err
	}
	s.Hub().Publish(Event{Type: EventUpdated, TenantID: c.TenantID, ConversationID: c.ID})
	return c, nil
}

// SetStatus opens, closes or sets pending a conversation (snooze with
// Snooze). Returns EINVALID naming "status".
func (s *Service) SetStatus(ctx context.Context, id int64, status string) (*Conversation, error) {
	if status != StatusOpen && status != StatusPending && status != StatusClosed {
		return nil, app.FieldErrorf("status", "Status must be open, pending or closed.")
	}
	return s.update(ctx, id, Update{Status: &status})
}

// Snooze hides a conversation until until (it reopens then, or when the
// contact writes). Returns EINVALID naming "until" for a time not ahead.
func (s *Service) Snooze(ctx context.Context, id int64, until time.Time) (*Conversation, error) {
	if err := s.checkSnooze(until); err != nil {
		return nil, err
	}
	st, u := StatusSnoozed, until.UTC()
	return s.update(ctx, id, Update{Status: &st, SnoozedUntil: &u})
}

func (s *Service) checkSnooze(until time.Time) error {
	if !until.After(s.now()) {
		return app.FieldErrorf("until", "Snooze until a time in the future.")
	}
	if until.After(s.now().AddDate(1, 0, 0)) {
		return app.FieldErrorf("until", "Snooze at most a year.")
	}
	return nil
}

// Assign gives a conversation to who ("" unassigns; "me" is the caller).
// Returns EINVALID naming "assignee".
func (s *Service) Assign(ctx context.Context, id int64, who string) (*Conversation, error) {
	if strings.TrimSpace(who) == RoundRobin {
		c, err := s.conversation(ctx, id)
		if err != nil {
			return nil, err
		}
		if who, err = s.roundRobin(ctx, c.TenantID); err != nil {
			return nil, err
		}
	}
	who, err := assignee(ctx, who)
	if err != nil {
		return nil, err
	}
	return s.update(ctx, id, Update{Assignee: &who})
}

// assignee resolves and checks who a conversation is given to.
func assignee(ctx context.Context, who string) (string, error) {
	who = strings.TrimSpace(who)
	if who == "me" {
		who = app.ActorFromContext(ctx)
	}
	if len(who) > 200 {
		return "", app.FieldErrorf("assignee", "Assignee at most 200 characters.")
	}
	if who != "" && !strings.Contains(who, ":") && !strings.Contains(who, "@") {
		return "", app.FieldErrorf("assignee", "Assign to an email address or \"me\".")
	}
	if who != "" && !strings.Contains(who, ":") {
		who = "user:" + strings.ToLower(who)
	}
	return who, nil
}

// Change is a change of a conversation's state in one write (the API's
// PATCH, the workflow steps): nil and empty fields stay.
type Change struct {
	Status       *string    // open (or reopen), pending, snoozed, closed
	Until        *time.Time // snoozed: until when
	Assignee     *string    // as Assign
	AddLabels    []string
	RemoveLabels []string
}

// Change applies ch to a conversation in one transaction, after checking
// all of it. Returns EINVALID naming the field (status, until, assignee,
// labels) and ENOTFOUND for another tenant's.
func (s *Service) Change(ctx context.Context, id int64, ch Change) (*Conversation, error) {
	c, err := s.conversation(ctx, id)
	if err != nil {
		return nil, err
	}
	var upd Update
	if ch.Status != nil {
		st := strings.TrimSpace(*ch.Status)
		if st == "reopen" {
			st = StatusOpen
		}
		if !slices.Contains(Statuses, st) {
			return nil, app.FieldErrorf("status", "Status must be open, pending, snoozed or closed.")
		}
		if st == StatusSnoozed {
			if ch.Until == nil {
				return nil, app.FieldErrorf("until", "Say until when to snooze.")
			}
			if err := s.checkSnooze(*ch.Until); err != nil {
				return nil, err
			}
			u := ch.Until.UTC()
			upd.SnoozedUntil = &u
		}
		upd.Status = &st
	}
	if ch.Until != nil && upd.SnoozedUntil == nil {
		return nil, app.FieldErrorf("until", "until goes with status snoozed.")
	}
	if ch.Assignee != nil {
		a := *ch.Assignee
		if strings.TrimSpace(a) == RoundRobin {
			if a, err = s.roundRobin(ctx, c.TenantID); err != nil {
				return nil, err
			}
		}
		who, err := assignee(ctx, a)
		if err != nil {
			return nil, err
		}
		upd.Assignee = &who
	}
	if len(ch.AddLabels) > 0 || len(ch.RemoveLabels) > 0 {
		add, err := NormalizeLabels(ch.AddLabels)
		if err != nil {
			return nil, err
		}
		remove, err := NormalizeLabels(ch.RemoveLabels)
		if err != nil {
			return nil, err
		}
		ls := slices.DeleteFunc(slices.Clone(c.Labels), func(l string) bool { return slices.Contains(remove, l) })
		for _, l := range add {
			if !slices.Contains(ls, l) {
				ls = append(ls, l)
			}
		}
		if ls, err = NormalizeLabels(ls); err != nil {
			return nil, err
		}
		upd.Labels = &ls
	}
	if upd == (Update{}) {
		return nil, app.Errorf(app.EINVALID, "Nothing to change: give status, assignee, add_labels or remove_labels.")
	}
	c, err = s.store.UpdateConversation(ctx, c.TenantID, c.ID, upd)
	if err != nil {
		return nil, err
	}
	s.Hub().Publish(Event{Type: EventUpdated, TenantID: c.TenantID, ConversationID: c.ID})
	return c, nil
}

// SetLabels replaces a conversation's labels. Returns EINVALID naming
// "labels".
func (s *Service) SetLabels(ctx context.Context, id int64, labels []string) (*Conversation, error) {
	ls, err := NormalizeLabels(labels)
	if err != nil {
		return nil, err
	}
	return s.update(ctx, id, Update{Labels: &ls})
}

// AddNote adds a private note (never sent, never on the timeline).
func (s *Service) AddNote(ctx context.Context, id int64, text string) (*Message, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, app.FieldErrorf("text", "Note required.")
	}
	if len([]rune(text)) > MaxNote {
		return nil, app.FieldErrorf("text", "A note is at most %d characters.", MaxNote)
	}
	c, err := s.conversation(ctx, id)
	if err != nil {
		return nil, err
	}
	m := &Message{Direction: DirNote, Author: app.ActorFromContext(ctx), Body: text}
	if err := s.store.AddMessage(ctx, c.TenantID, c.ID, m); err != nil {
		return nil, err
	}
	s.notifyMentions(ctx, c, m)
	s.Hub().Publish(Event{Type: EventMessage, TenantID: c.TenantID, ConversationID: c.ID, MessageID: m.ID})
	return m, nil
}

// Reply sends text to the contact on the thread's channel and records it
// (with its delivery status). A text to a person who opted out is
// ECONFLICT; a channel not configured is EINVALID saying what is missing.
// A send that fails is recorded as failed and returned as an error.
func (s *Service) Reply(ctx context.Context, id int64, text string) (*Message, error) {
	text = strings.TrimSpace(strings.ToValidUTF8(text, ""))
	if text == "" {
		return nil, app.FieldErrorf("text", "Message required.")
	}
	c, err := s.conversation(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.reply(ctx, c, text, "")
}

// reply sends text on c's channel; key (a workflow step's) is stored on
// the message so a retried step finds it.
func (s *Service) reply(ctx context.Context, c *Conversation, text, key string) (*Message, error) {
	switch c.Channel {
	case ChannelSMS:
		return s.replySMS(ctx, c, text, key)
	case ChannelChat:
		return s.replyChat(ctx, c, text)
	case ChannelEmail:
		return s.replyEmail(ctx, c, text, key)
	}
	return nil, app.Errorf(app.EINVALID, "A call cannot be answered from the inbox; call the contact back.")
}

func (s *Service) replySMS(ctx context.Context, c *Conversation, text, key string) (*Message, error) {
	if len([]rune(text)) > MaxReply {
		return nil, app.FieldErrorf("text", "A text is at most %d characters.", MaxReply)
	}
	if p := s.Person(ctx, c); p != nil && slices.Contains(p.Tags, OptOutTag) {
		return nil, app.Errorf(app.ECONFLICT, "This contact texted STOP: they receive no texts until they text START.")
	}
	if s.Telephony == nil {
		return nil, app.Errorf(app.EINVALID, "Texting is not configured.")
	}
	// The tenant's Twilio account is read as the appliance: a signed-in
	// person may not read the global secrets it falls back to.
	tel, err := s.Telephony(appliance(ctx), c.TenantID)
	if err != nil {
		return nil, app.Errorf(app.EINVALID, "Texting is not configured for this account.")
	}
	m := &Message{Direction: DirOut, Author: app.ActorFromContext(ctx), Body: text, Status: DeliveryQueued, Key: key}
	if err := s.store.AddMessage(ctx, c.TenantID, c.ID, m); err != nil {
		return nil, err
	}
	from := c.LocalAddress
	if from == "" || c.Unrouted {
		from = tel.From()
	}
	sid, err := tel.SendSMS(ctx, app.SMS{From: from, To: c.Address, Body: text, IdempotencyKey: fmt.Sprintf("inbox-%d", m.ID)})
	if err != nil {
		return m, s.failed(ctx, c, m, "text", err)
	}
	m.ProviderID, m.Status = sid, DeliverySent
	if err := s.store.SetMessageDelivery(ctx, c.TenantID, m.ID, sid, m.Status, ""); err != nil {
		return m, err
	}
	s.Hub().Publish(Event{Type: EventMessage, TenantID: c.TenantID, ConversationID: c.ID, MessageID: m.ID})
	return m, nil
}

// failed records a send the provider refused or never took (its error
// on the message, for the thread) and says so as ECONFLICT.
func (s *Service) failed(ctx context.Context, c *Conversation, m *Message, what string, err error) error {
	m.Status, m.Error = DeliveryFailed, truncate(err.Error(), 300)
	if err := s.store.SetMessageDelivery(ctx, c.TenantID, m.ID, "", m.Status, m.Error); err != nil {
		s.logger().Error("inbox: record a failed send", "message_id", m.ID, "err", err)
	}
	s.logger().Warn("inbox: send failed", "tenant_id", c.TenantID, "conversation_id", c.ID, "channel", c.Channel, "err", err)
	s.Hub().Publish(Event{Type: EventMessage, TenantID: c.TenantID, ConversationID: c.ID, MessageID: m.ID})
	return app.Errorf(app.ECONFLICT, "The %s could not be sent; it is marked failed in the thread.", what)
}

// Subscribe follows the caller's inbox (every tenant's in Nexus).
func (s *Service) Subscribe(ctx context.Context) (*Sub, error) {
	tid, _, err := scope(ctx)
	if err != nil {
		return nil, err
	}
	return s.Hub().Subscribe(tid), nil
}

// Unsubscribe ends a subscription.
func (s *Service) Unsubscribe(sub *Sub) { s.Hub().Unsubscribe(sub) }

// Start runs the snooze clock until ctx ends: snoozed conversations
// whose time has come reopen.
func (s *Service) Start(ctx context.Context) <-chan struct{} {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { wg.Wait(); close(done) }()
	go func() {
		defer wg.Done()
		if s.Mail != nil {
			wg.Add(1)
			every := s.Mail.Every
			if every <= 0 {
				every = DefaultMailPoll
			}
			go func() {
				defer wg.Done()
				w := s.Mail.Watcher
				idle := w != nil
				if idle {
					defer s.stopWatches()
				}
				app.Every(ctx, every, func(ctx context.Context) {
					if idle {
						s.syncWatches(ctx, w)
					}
					s.PollAll(ctx)
				})
			}()
		}
		if s.Broadcasts != nil {
			wg.Add(1)
			go func() { defer wg.Done(); s.RunBroadcasts(ctx) }() // broadcast.go
		}
		app.Every(ctx, 30*time.Second, func(ctx context.Context) {
			if n, err := s.store.WakeSnoozed(ctx, s.now()); err != nil && ctx.Err() == nil {
				s.logger().Warn("inbox: wake snoozed conversations", "err", err)
			} else if n > 0 {
				s.Hub().Publish(Event{Type: EventUpdated})
			}
		})
	}()
	return done
}

// CannedReplies lists the caller's tenant's canned replies (a Nexus
// admin's: of tenantID).
func (s *Service) CannedReplies(ctx context.Context, tenantID int64) ([]*Canned, error) {
	tid, all, err := scope(ctx)
	if err != nil {
		return nil, err
	}
	if all {
		tid = tenantID
	}
	if tid == 0 {
		return nil, nil
	}
	return s.store.FindCanned(ctx, tid)
}

// SaveCanned adds or replaces (by name) a canned reply of the caller's
// tenant (a Nexus admin's: c.TenantID). Returns EINVALID naming the
// field.
func (s *Service) SaveCanned(ctx context.Context, c *Canned) error {
	tid, all, err := scope(ctx)
	if err != nil {
		return err
	}
	if !all {
		c.TenantID = tid
	}
	if c.TenantID <= 0 {
		return app.FieldErrorf("tenant_id", "Choose the tenant.")
	}
	c.Name, c.Body = strings.TrimSpace(c.Name), strings.TrimSpace(c.Body)
	if c.Name == "" || len([]rune(c.Name)) > 80 {
		return app.FieldErrorf("name", "Name required (at most 80 characters).")
	}
	if c.Body == "" || len([]rune(c.Body)) > MaxReply {
		return app.FieldErrorf("body", "Text required (at most %d characters).", MaxReply)
	}
	return s.store.SaveCanned(ctx, c)
}

// DeleteCanned removes a canned reply of the caller's tenant.
func (s *Service) DeleteCanned(ctx context.Context, tenantID, id int64) error {
	tid, all, err := scope(ctx)
	if err != nil {
		return err
	}
	if all {
		tid = tenantID
	}
	return s.store.DeleteCanned(ctx, tid, id)
}

// FillCanned fills a canned reply's fields from the thread's person.
func FillCanned(body string, c *Conversation, p *app.Person) string {
	vals := map[string]string{"name": c.Who(), "first_name": "", "last_name": "", "email": "", "phone": ""}
	if c.Channel == ChannelEmail {
		vals["email"] = c.Address
	} else if c.Channel == ChannelSMS {
		vals["phone"] = c.Address
	}
	if p != nil {
		vals["first_name"], vals["last_name"] = p.FirstName, p.LastName
		if n := p.Name(); n != "" {
			vals["name"] = n
		}
		if len(p.Emails) > 0 {
			vals["email"] = p.Emails[0]
		}
		if len(p.Phones) > 0 {
			vals["phone"] = p.Phones[0]
		}
	}
	for k, v := range vals {
		body = strings.ReplaceAll(body, "{{"+k+"}}", v)
		body = strings.ReplaceAll(body, "{{ "+k+" }}", v)
	}
	return body
}
