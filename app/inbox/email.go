package inbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"orengen/app"
)

// SecretIMAPPassword is the vault name (tenant scope) of the mailbox's
// password.
const SecretIMAPPassword = "inbox_imap_password"

// Mailbox is a tenant's IMAP mailbox and how far it has been read.
type Mailbox struct {
	TenantID int64
	Host     string
	Port     int
	Security string // tls, starttls, none
	Username string
	Address  string // the address customers write to; replies come from it
	Enabled  bool
	// UIDValidity and LastUID say what was imported: messages with a
	// greater UID are new; another UIDVALIDITY means the server
	// renumbered, and everything is read again (Message-IDs dedupe).
	UIDValidity uint32
	LastUID     uint32
	Imported    int64
	LastError   string
	LastPollAt  *time.Time
	// Watch is how the mailbox is followed now (nil: polled only; not
	// stored: filled by MailboxSettings from the running watcher).
	Watch *WatchState
}

// Validate checks a mailbox's settings. Returns EINVALID naming the
// field.
func (m *Mailbox) Validate() error {
	m.Host = strings.ToLower(strings.TrimSpace(m.Host))
	if m.Host == "" || len(m.Host) > 253 || strings.ContainsAny(m.Host, " /:@") {
		return app.FieldErrorf("host", "IMAP host required (a name like imap.example.com).")
	}
	if m.Port <= 0 || m.Port > 65535 {
		return app.FieldErrorf("port", "Port must be 1 to 65535.")
	}
	switch m.Security {
	case "tls", "starttls", "none":
	default:
		return app.FieldErrorf("security", "Security must be tls, starttls or none.")
	}
	m.Username = strings.TrimSpace(m.Username)
	if m.Username == "" || len(m.Username) > 320 {
		return app.FieldErrorf("username", "User name required.")
	}
	a, err := mail.ParseAddress(strings.TrimSpace(m.Address))
	if err != nil {
		return app.FieldErrorf("address", "Enter the mailbox's email address.")
	}
	m.Address = strings.ToLower(a.Address)
	return nil
}

// Email is a fetched message, parsed.
type Email struct {
	MessageID  string   // without angle brackets
	InReplyTo  []string // Message-IDs
	References []string
	From       string // address, lower case
	FromName   string
	Subject    string
	// To holds the To and Cc addresses, lower case.
	To   []string
	Text string
	HTML string // sanitised
	Date time.Time
	// AutoReply is set by Auto-Submitted (other than "no"), Precedence
	// bulk/junk/list/auto_reply or X-Autoreply: recorded, never answered.
	AutoReply   bool
	Attachments []Attachment
	// Malformed says the MIME could not be parsed: Text holds the raw
	// message's start.
	Malformed bool
}

// MailFetcher reads a mailbox (package imap implements it over IMAP).
type MailFetcher interface {
	// Fetch calls fn, in UID order, for each message with a UID above
	// mb.LastUID (every message when the server's UIDVALIDITY is not
	// mb.UIDValidity) and returns the UIDVALIDITY. fn's error stops the
	// fetch.
	Fetch(ctx context.Context, mb *Mailbox, password string, fn func(uidValidity, uid uint32, e *Email) error) error
}

// MailboxStore keeps the tenants' mailboxes.
type MailboxStore interface {
	FindMailbox(ctx context.Context, tenantID int64) (*Mailbox, error)
	FindMailboxes(ctx context.Context) ([]*Mailbox, error) // every enabled one
	SaveMailbox(ctx context.Context, m *Mailbox) error     // settings; a new host or user reads from the start
	// SetMailboxPosition records what was imported (and the poll's error).
	SetMailboxPosition(ctx context.Context, tenantID int64, uidValidity, lastUID uint32, imported int64, errText string, at time.Time) error
}

// Mail is what email needs beyond the Store.
type Mail struct {
	Mailboxes MailboxStore
	Fetcher   MailFetcher
	// Password reads the tenant's IMAP password from the vault.
	Password func(ctx context.Context, tenantID int64) (string, error)
	// SetPassword stores the tenant's IMAP password in the vault.
	SetPassword func(ctx context.Context, tenantID int64, password string) error
	// Mailer returns the tenant's SMTP mailer.
	Mailer func(ctx context.Context, tenantID int64) (app.Mailer, error)
	// Every is how often mailboxes are polled (DefaultPoll when 0).
	// Watcher keeps each mailbox under IMAP IDLE besides, so new mail is
	// read as it arrives (package imap's Fetcher, set by the wiring
	// beside it as Fetcher; nil: poll only); WatchRetry is the first
	// wait before a failed IDLE connection is opened again (2 s when 0,
	// doubling up to 5 minutes).
	Every      time.Duration
	Watcher    MailWatcher
	WatchRetry time.Duration

	// Inbound keeps the tenants' inbox+TOKEN@InboundDomain addresses
	// (nil: no inbound address), InboundListen is the SMTP listener's
	// address ("": the listener is off) and Parse reads a raw message
	// (package imap's Parse).
	Inbound       InboundStore
	InboundDomain string
	InboundListen string
	Parse         func(raw []byte) *Email
}

// DefaultMailPoll is how often a mailbox is read.
const DefaultMailPoll = time.Minute

// Poll reads the tenant's mailbox once: new messages become inbound
// email messages (threaded by Message-ID, In-Reply-To and References),
// the position is saved after each one so a dropped connection or a
// restart resumes without fetching twice. It returns how many messages
// were stored.
func (s *Service) Poll(ctx context.Context, mb *Mailbox) (int, error) {
	if s.Mail == nil {
		return 0, app.Errorf(app.EINVALID, "Email is not configured.")
	}
	pw, err := s.Mail.Password(appliance(ctx), mb.TenantID)
	if err != nil || pw == "" {
		err := app.Errorf(app.EINVALID, "Add the mailbox password to the vault as %s.", SecretIMAPPassword)
		_ = s.Mail.Mailboxes.SetMailboxPosition(ctx, mb.TenantID, mb.UIDValidity, mb.LastUID, mb.Imported, app.ErrorMessage(err), s.now())
		return 0, err
	}
	validity, last, imported, stored := mb.UIDValidity, mb.LastUID, mb.Imported, 0
	ferr := s.Mail.Fetcher.Fetch(ctx, mb, pw, func(v, uid uint32, e *Email) error {
		if v != validity {
			validity, last = v, 0
		}
		dup, err := s.receiveEmail(ctx, mb, v, uid, e)
		if err != nil {
			return err
		}
		if !dup {
			stored++
			imported++
		}
		last = uid
		return s.Mail.Mailboxes.SetMailboxPosition(ctx, mb.TenantID, validity, last, imported, "", s.now())
	})
	errText := ""
	if ferr != nil {
		errText = truncate(ferr.Error(), 300)
		s.logger().Warn("inbox: read mailbox", "tenant_id", mb.TenantID, "err", ferr)
	}
	if err := s.Mail.Mailboxes.SetMailboxPosition(ctx, mb.TenantID, validity, last, imported, errText, s.now()); err != nil {
		return stored, err
	}
	mb.UIDValidity, mb.LastUID, mb.Imported = validity, last, imported
	return stored, ferr
}

func (s *Service) receiveEmail(ctx context.Context, mb *Mailbox, validity, uid uint32, e *Email) (bool, error) {
	id := e.MessageID
	if id == "" {
		// No Message-ID: its content names it (not its UID, which a new
		// UIDVALIDITY changes), so a reread stores it once.
		h := sha256.Sum256([]byte(e.From + "\x00" + e.Subject + "\x00" + e.Date.UTC().Format(time.RFC3339) + "\x00" + e.Text))
		id = "nomsgid-" + hex.EncodeToString(h[:12]) + "@" + mb.Host
	}
	refs := append(append([]string{}, e.InReplyTo...), e.References...)
	body := e.Text
	if e.Malformed {
		body = "[This message's MIME structure could not be read; its start is shown as received.]\n" + body
	}
	in := &Inbound{TenantID: mb.TenantID, Channel: ChannelEmail, Address: e.From, LocalAddress: mb.Address, ContactName: e.FromName, Email: e.From,
		ThreadRefs: refs, Source: "Email",
		Message: Message{Direction: DirIn, Subject: e.Subject, Body: body, HTML: e.HTML, Attachments: e.Attachments, ProviderID: id,
			InReplyTo: strings.Join(e.InReplyTo, " "), References: strings.Join(e.References, " "), Status: DeliveryReceived, Auto: e.AutoReply}}
	if in.Address == "" {
		in.Address = "unknown sender"
	}
	c, m, dup, err := s.store.Receive(ctx, in)
	if err != nil || dup {
		return dup, err
	}
	if e.AutoReply {
		ls := append(c.Labels, "auto-reply")
		if n, err := NormalizeLabels(ls); err == nil {
			_, _ = s.store.UpdateConversation(ctx, c.TenantID, c.ID, Update{Labels: &n})
		}
	}
	s.Hub().Publish(Event{Type: EventMessage, TenantID: c.TenantID, ConversationID: c.ID, MessageID: m.ID, Direction: DirIn})
	if !e.AutoReply { // never answer an automatic answer
		s.awayReply(ctx, c)
	}
	return false, nil
}

// PollAll reads every enabled mailbox once.
func (s *Service) PollAll(ctx context.Context) {
	if s.Mail == nil {
		return
	}
	mbs, err := s.Mail.Mailboxes.FindMailboxes(ctx)
	if err != nil {
		s.logger().Error("inbox: list mailboxes", "err", err)
		return
	}
	for _, mb := range mbs {
		if ctx.Err() != nil {
			return
		}
		_, _ = s.PollTenant(ctx, mb.TenantID)
	}
}

// MailboxSettings returns the caller's tenant's mailbox (ENOTFOUND when
// none is set).
func (s *Service) MailboxSettings(ctx context.Context, tenantID int64) (*Mailbox, error) {
	tid, all, err := scope(ctx)
	if err != nil {
		return nil, err
	}
	if all {
		tid = tenantID
	}
	if s.Mail == nil {
		return nil, app.Errorf(app.ENOTFOUND, "Email is not configured.")
	}
	mb, err := s.Mail.Mailboxes.FindMailbox(ctx, tid)
	if err != nil {
		return nil, err
	}
	if w, ok := s.MailboxWatch(mb.TenantID); ok && mb.Enabled {
		mb.Watch = &w
	}
	return mb, nil
}

// SaveMailbox saves the caller's tenant's mailbox settings (a Nexus
// admin's: mb.TenantID) and, when given, the password (into the vault).
// Returns EINVALID naming the field.
func (s *Service) SaveMailbox(ctx context.Context, mb *Mailbox, password string) error {
	tid, all, err := scope(ctx)
	if err != nil {
		return err
	}
	if !all {
		mb.TenantID = tid
	}
	if mb.TenantID <= 0 {
		return app.FieldErrorf("tenant_id", "Choose the tenant.")
	}
	if s.Mail == nil {
		return app.Errorf(app.EINVALID, "Email is not configured.")
	}
	if err := mb.Validate(); err != nil {
		return err
	}
	if len(password) > 500 {
		return app.FieldErrorf("password", "Password too long.")
	}
	if password != "" && s.Mail.SetPassword != nil {
		if err := s.Mail.SetPassword(ctx, mb.TenantID, password); err != nil {
			return err
		}
	}
	return s.Mail.Mailboxes.SaveMailbox(ctx, mb)
}

// replyEmail sends a reply in an email thread over the tenant's SMTP,
// from the mailbox's address, with In-Reply-To and References so the
// customer's mail program threads it.
func (s *Service) replyEmail(ctx context.Context, c *Conversation, text, key string) (*Message, error) {
	if s.Mail == nil || s.Mail.Mailer == nil {
		return nil, app.Errorf(app.EINVALID, "Email replies are not configured.")
	}
	ms, err := s.store.FindMessages(ctx, c.TenantID, c.ID)
	if err != nil {
		return nil, err
	}
	var parent *Message
	auto := false
	for _, m := range ms {
		if m.Direction != DirNote && m.ProviderID != "" {
			parent = m
		}
	}
	for _, l := range c.Labels {
		auto = auto || l == "auto-reply"
	}
	if auto && parent != nil && parent.Direction == DirIn {
		// A person may still write; the label only stops automatic answers.
		s.logger().Info("inbox: a person replies to an automatic message", "conversation_id", c.ID)
	}
	subj := c.Subject
	if subj == "" {
		subj = "Your message"
	}
	if !strings.HasPrefix(strings.ToLower(subj), "re:") {
		subj = "Re: " + subj
	}
	mailer, err := s.Mail.Mailer(appliance(ctx), c.TenantID)
	if err != nil {
		return nil, app.Errorf(app.EINVALID, "Email is not configured for this account.")
	}
	domain := "orengen.local"
	if i := strings.LastIndex(c.LocalAddress, "@"); i >= 0 {
		domain = c.LocalAddress[i+1:]
	}
	m := &Message{Direction: DirOut, Author: app.ActorFromContext(ctx), Subject: subj, Body: text, Status: DeliveryQueued, Key: key,
		ProviderID: fmt.Sprintf("inbox-%s@%s", app.RandomToken(12), domain)}
	if parent != nil {
		m.InReplyTo = "<" + parent.ProviderID + ">"
		var refs []string
		for _, r := range strings.Fields(parent.References) {
			refs = append(refs, "<"+strings.Trim(r, "<>")+">")
		}
		m.References = strings.Join(append(refs, "<"+parent.ProviderID+">"), " ")
	}
	if err := s.store.AddMessage(ctx, c.TenantID, c.ID, m); err != nil {
		return nil, err
	}
	brand := ""
	if s.Tenants != nil {
		if t, err := s.Tenants.FindTenantByID(ctx, c.TenantID); err == nil {
			brand = t.BrandName()
		}
	}
	err = mailer.Send(ctx, &app.Message{TenantID: c.TenantID, FromName: brand, To: c.Address, Subject: subj, Text: text,
		MessageID: "<" + m.ProviderID + ">", InReplyTo: m.InReplyTo, References: m.References})
	if err != nil {
		return m, s.failed(ctx, c, m, "email", err)
	}
	m.Status = DeliverySent
	if err := s.store.SetMessageDelivery(ctx, c.TenantID, m.ID, "", m.Status, ""); err != nil {
		return m, err
	}
	s.Hub().Publish(Event{Type: EventMessage, TenantID: c.TenantID, ConversationID: c.ID, MessageID: m.ID})
	return m, nil
}
