package inbox

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"orengen/app"
)

// InboundAddress is a tenant's inbound email address,
// inbox+TOKEN@DOMAIN: mail written (or forwarded, or BCC'd) to it
// reaches the tenant's inbox through the appliance's own SMTP listener.
type InboundAddress struct {
	TenantID  int64
	Token     string
	Enabled   bool
	Received  int64
	LastAt    *time.Time
	CreatedAt time.Time
	// Address is inbox+Token@the appliance's domain (set by the service).
	Address string
}

// InboundStore keeps the tenants' inbound addresses.
type InboundStore interface {
	// FindInboundAddress returns the tenant's. Returns ENOTFOUND.
	FindInboundAddress(ctx context.Context, tenantID int64) (*InboundAddress, error)
	// FindInboundToken returns the address with the token. Returns
	// ENOTFOUND.
	FindInboundToken(ctx context.Context, token string) (*InboundAddress, error)
	// SaveInboundAddress creates or replaces the tenant's (token, enabled).
	SaveInboundAddress(ctx context.Context, a *InboundAddress) error
	// CountInbound adds a received message to the tenant's address.
	CountInbound(ctx context.Context, tenantID int64, at time.Time) error
}

// Inbound mail settings on Mail.
//
//	Inbound       InboundStore
//	InboundDomain the domain after the @ (the appliance's DOMAIN)
//	InboundListen the listener's address ("": off)
//	Parse         reads a raw message (package imap's Parse)

// inboundLocal is the local part's prefix of every inbound address.
const inboundLocal = "inbox+"

// MaxReceived is how many Received lines a message may carry before it
// is refused as a mail loop.
const MaxReceived = 30

// ErrNoMailbox is the refusal of a recipient that is not a tenant's
// enabled inbound address.
var ErrNoMailbox = app.Errorf(app.ENOTFOUND, "No such mailbox here.")

func (s *Service) inboundOn() bool {
	return s.Mail != nil && s.Mail.Inbound != nil && s.Mail.InboundDomain != ""
}

// InboundListening says whether the appliance's SMTP listener runs.
func (s *Service) InboundListening() string {
	if !s.inboundOn() {
		return ""
	}
	return s.Mail.InboundListen
}

func (s *Service) inboundAddress(a *InboundAddress) *InboundAddress {
	a.Address = inboundLocal + a.Token + "@" + s.Mail.InboundDomain
	return a
}

// InboundSettings returns the caller's tenant's inbound address (a
// Nexus admin's: tenantID). A tenant without one gets a disabled one
// without a token (ID 0).
func (s *Service) InboundSettings(ctx context.Context, tenantID int64) (*InboundAddress, error) {
	tid, err := s.settingsTenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if !s.inboundOn() {
		return nil, app.Errorf(app.EINVALID, "Inbound email is not configured on this appliance.")
	}
	a, err := s.Mail.Inbound.FindInboundAddress(ctx, tid)
	if app.ErrorCode(err) == app.ENOTFOUND {
		return &InboundAddress{TenantID: tid}, nil
	}
	if err != nil {
		return nil, err
	}
	return s.inboundAddress(a), nil
}

// SetInbound turns the caller's tenant's inbound address on or off (a
// Nexus admin's: tenantID); rotate gives it a new token, so mail to the
// old address is refused from then on. The first time on makes the token.
func (s *Service) SetInbound(ctx context.Context, tenantID int64, enabled, rotate bool) (*InboundAddress, error) {
	a, err := s.InboundSettings(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if a.Token == "" || rotate {
		a.Token = newInboundToken()
	}
	a.Enabled = enabled
	if err := s.Mail.Inbound.SaveInboundAddress(ctx, a); err != nil {
		return nil, err
	}
	return s.inboundAddress(a), nil
}

// settingsTenant is the caller's tenant, or tenantID for a Nexus admin.
func (s *Service) settingsTenant(ctx context.Context, tenantID int64) (int64, error) {
	tid, all, err := scope(ctx)
	if err != nil {
		return 0, err
	}
	if all {
		tid = tenantID
	}
	if tid <= 0 {
		return 0, app.FieldErrorf("tenant_id", "Choose the tenant.")
	}
	return tid, nil
}

// newInboundToken is 16 characters of [a-z0-9]: safe in any mail
// program's local part, which some lower-case.
func newInboundToken() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Errorf("crypto/rand: %w", err))
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)] // 256 % 36 = 4: a bias too small to matter for a routing token
	}
	return string(b)
}

// AcceptInbound says whether rcpt is a tenant's enabled inbound address
// (the listener's RCPT TO). Returns ErrNoMailbox otherwise.
func (s *Service) AcceptInbound(ctx context.Context, rcpt string) (*InboundAddress, error) {
	if !s.inboundOn() {
		return nil, ErrNoMailbox
	}
	rcpt = strings.ToLower(strings.Trim(strings.TrimSpace(rcpt), "<>"))
	local, domain, ok := strings.Cut(rcpt, "@")
	if !ok || domain != strings.ToLower(s.Mail.InboundDomain) || !strings.HasPrefix(local, inboundLocal) {
		return nil, ErrNoMailbox
	}
	token := strings.TrimPrefix(local, inboundLocal)
	if len(token) < 8 || len(token) > 64 {
		return nil, ErrNoMailbox
	}
	a, err := s.Mail.Inbound.FindInboundToken(ctx, token)
	if app.ErrorCode(err) == app.ENOTFOUND || (err == nil && !a.Enabled) {
		return nil, ErrNoMailbox
	}
	if err != nil {
		return nil, err
	}
	return s.inboundAddress(a), nil
}

// forwardedFrom finds the original sender in a forwarded message's body
// ("From: Name <addr>" under the mail program's forward marker).
var forwardedFrom = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?mi)^[ \t>*]*(?:from|von|de)[ \t]*:[ \t]*\**(.+?)\**[ \t]*$`)
})

// DeliverInbound stores a message the listener received for rcpt:
//   - from a customer: an inbound email in the customer's thread;
//   - from a team member, with customers among To and Cc (the team's
//     BCC): the team's outbound email in each customer's thread;
//   - from a team member to the inbound address alone (a forward): an
//     inbound email from the original sender named in the forward (the
//     team member's own thread, labelled, when none is named).
//
// A message seen before (its Message-ID) stores nothing; a message that
// has passed MaxReceived servers is refused as a loop.
func (s *Service) DeliverInbound(ctx context.Context, rcpt, envFrom string, raw []byte) error {
	a, err := s.AcceptInbound(ctx, rcpt)
	if err != nil {
		return err
	}
	if receivedCount(raw) > MaxReceived {
		return app.Errorf(app.ECONFLICT, "Mail loop: the message passed more than %d servers.", MaxReceived)
	}
	if s.Mail.Parse == nil {
		return app.Errorf(app.EINVALID, "Inbound email is not configured on this appliance.")
	}
	e := s.Mail.Parse(raw)
	if e.From == "" {
		e.From = strings.ToLower(strings.Trim(envFrom, "<>"))
	}
	mb := &Mailbox{TenantID: a.TenantID, Host: s.Mail.InboundDomain, Address: a.Address}
	team := s.teamSet(ctx, a.TenantID)
	count := func(dup bool, err error) error {
		if err != nil || dup { // a sender's retry of a stored message counts once
			return err
		}
		return s.Mail.Inbound.CountInbound(ctx, a.TenantID, s.now())
	}
	if !team[e.From] {
		return count(s.receiveEmail(ctx, mb, 0, 0, e))
	}
	var customers []string
	for _, to := range e.To {
		if team[to] || strings.HasSuffix(to, "@"+strings.ToLower(s.Mail.InboundDomain)) || slices.Contains(customers, to) {
			continue
		}
		customers = append(customers, to)
	}
	if len(customers) > 0 {
		return count(s.keepBCC(ctx, mb, e, customers))
	}
	// A forward: the original sender, when the body names one.
	fwd := *e
	fwd.Subject = stripForward(e.Subject)
	if from, name := originalSender(e.Text, team); from != "" {
		fwd.From, fwd.FromName = from, name
		fwd.Text = fmt.Sprintf("[Forwarded by %s]\n\n%s", e.From, e.Text)
		fwd.InReplyTo, fwd.References = nil, nil
	} else {
		fwd.Text = fmt.Sprintf("[Forwarded by %s; no original sender was found in it]\n\n%s", e.From, e.Text)
	}
	return count(s.receiveEmail(ctx, mb, 0, 0, &fwd))
}

// keepBCC records a team member's email to customers (BCC'd to the
// inbound address) as outbound messages in each customer's thread.
func (s *Service) keepBCC(ctx context.Context, mb *Mailbox, e *Email, customers []string) (dup bool, err error) {
	id := e.MessageID
	if id == "" {
		id = fmt.Sprintf("bcc-%s@%s", app.RandomToken(12), mb.Host)
	}
	refs := append(append([]string{}, e.InReplyTo...), e.References...)
	for i, to := range customers {
		if i == 10 {
			break
		}
		pid := id
		if i > 0 { // one message per provider ID and tenant: later recipients get their own
			pid = id + "#" + to
		}
		in := &Inbound{TenantID: mb.TenantID, Channel: ChannelEmail, Address: to, LocalAddress: e.From, Email: to, ThreadRefs: refs, Source: "Email (BCC)",
			Message: Message{Direction: DirOut, Author: e.From, Subject: e.Subject, Body: e.Text, HTML: e.HTML, Attachments: e.Attachments, ProviderID: pid,
				InReplyTo: strings.Join(e.InReplyTo, " "), References: strings.Join(e.References, " "), Status: DeliverySent}}
		c, m, d, err := s.store.Receive(ctx, in)
		if err != nil {
			return false, err
		}
		if i == 0 {
			dup = d
		}
		if !d {
			s.Hub().Publish(Event{Type: EventMessage, TenantID: c.TenantID, ConversationID: c.ID, MessageID: m.ID, Direction: DirOut})
		}
	}
	return dup, nil
}

func (s *Service) teamSet(ctx context.Context, tenantID int64) map[string]bool {
	team := map[string]bool{}
	if s.Team == nil {
		return team
	}
	emails, _, err := s.teamEmails(appliance(ctx), tenantID)
	if err != nil {
		s.logger().Warn("inbox: team for inbound mail", "tenant_id", tenantID, "err", err)
	}
	for _, e := range emails {
		team[e] = true
	}
	return team
}

// originalSender is the first "From:" line of a forwarded body naming an
// address that is not the team's.
func originalSender(body string, team map[string]bool) (addr, name string) {
	for _, m := range forwardedFrom().FindAllStringSubmatch(body, 5) {
		a, err := mail.ParseAddress(strings.TrimSpace(m[1]))
		if err != nil {
			continue
		}
		if addr := strings.ToLower(a.Address); !team[addr] {
			return addr, a.Name
		}
	}
	return "", ""
}

func stripForward(subject string) string {
	for {
		t := strings.TrimSpace(subject)
		l := strings.ToLower(t)
		switch {
		case strings.HasPrefix(l, "fwd:"):
			subject = t[4:]
		case strings.HasPrefix(l, "fw:"):
			subject = t[3:]
		default:
			return t
		}
	}
}

// receivedCount counts the Received lines of the header.
func receivedCount(raw []byte) int {
	head, _, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
	if len(head) == len(raw) {
		head, _, _ = bytes.Cut(raw, []byte("\n\n"))
	}
	n := 0
	for _, line := range bytes.Split(head, []byte("\n")) {
		if len(line) > 9 && strings.EqualFold(string(line[:9]), "received:") {
			n++
		}
	}
	return n
}
