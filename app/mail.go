package app

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// Message is an outgoing email. Text may contain one-time links, so it is
// never logged.
type Message struct {
	TenantID int64  // 0: from the agency itself
	FromName string // the tenant's brand name for tenant mail (white label)
	To       string
	Subject  string
	Text     string
	HTML     string // optional HTML alternative (automation emails)
	// Attachments (a booking's .ics invitation); the outbox keeps only
	// the text.
	Attachments []Attachment
	// MessageID ("<id@host>", "" for a generated one), and for a reply
	// in a thread its In-Reply-To and References (Conversations).
	MessageID  string
	InReplyTo  string
	References string
	// Headers are further header fields (a broadcast's List-Unsubscribe
	// and List-Unsubscribe-Post); names are checked by the mailer.
	Headers map[string]string
}

// Attachment is a file attached to a Message.
type Attachment struct {
	Name        string
	ContentType string
	Data        []byte
}

// Mailer sends email. The default LogMailer only records messages in the
// outbox; smtp.Mailer delivers them. Ping is the integrations hub's
// connection test.
type Mailer interface {
	Send(ctx context.Context, m *Message) error
	Pinger
}

// Pinger is a client's connection test (the integrations hub's "Test
// connection"): a harmless real call that proves the address and the
// credentials (a read: nothing sent, nothing billed). A client with no
// connection to test answers an error saying why.
type Pinger interface {
	Ping(ctx context.Context) error
}

// OutboxMessage is a message as recorded in the outbox.
type OutboxMessage struct {
	ID        int64
	TenantID  int64
	To        string
	FromName  string
	Subject   string
	Body      string
	Status    string // logged, sent, failed
	CreatedAt time.Time
	SentAt    *time.Time
}

// OutboxStore records outgoing messages.
type OutboxStore interface {
	CreateOutboxMessage(ctx context.Context, m *OutboxMessage) error
	// FindOutboxMessages returns the newest messages first, and the total.
	FindOutboxMessages(ctx context.Context, limit int) ([]*OutboxMessage, int, error)
	// FindOutboxMessageByID returns ENOTFOUND if there is no such message.
	FindOutboxMessageByID(ctx context.Context, id int64) (*OutboxMessage, error)
}

// LogMailer is the Mailer used until SMTP is configured: it logs
// "email to X: subject" (never the body, which may hold a link token) and
// stores the message in the outbox, where Nexus admins can read it and
// pass an invitation link on by hand.
type LogMailer struct {
	Outbox OutboxStore
	Logger *slog.Logger
}

var _ Mailer = (*LogMailer)(nil)

// Send implements Mailer.
func (m *LogMailer) Send(ctx context.Context, msg *Message) error {
	if err := ValidateEmail("to", msg.To); err != nil {
		return err
	}
	om := &OutboxMessage{TenantID: msg.TenantID, To: msg.To, FromName: msg.FromName, Subject: msg.Subject, Body: msg.Text, Status: "logged"}
	if err := m.Outbox.CreateOutboxMessage(ctx, om); err != nil {
		return err
	}
	l := m.Logger
	if l == nil {
		l = slog.Default()
	}
	l.Info("email to "+msg.To+": "+msg.Subject, "outbox_id", om.ID)
	return nil
}

// Ping implements Pinger: a LogMailer has no server to test.
func (m *LogMailer) Ping(context.Context) error {
	return errors.New("email is only logged (no SMTP server is configured)")
}

// OutboxService lets Nexus admins read the outbox.
type OutboxService struct {
	store OutboxStore
}

// NewOutboxService returns the service of the outbox on its store.
// The store stays private: callers go through the service.
func NewOutboxService(st OutboxStore) *OutboxService { return &OutboxService{store: st} }

// Find lists outbox messages. Returns EFORBIDDEN for anyone but an admin.
func (s *OutboxService) Find(ctx context.Context, limit int) ([]*OutboxMessage, int, error) {
	if AdminFromContext(ctx) == nil {
		return nil, 0, Errorf(EFORBIDDEN, "Only Nexus admins can read the outbox.")
	}
	return s.store.FindOutboxMessages(ctx, limit)
}

// FindByID returns one message. Returns EFORBIDDEN or ENOTFOUND.
func (s *OutboxService) FindByID(ctx context.Context, id int64) (*OutboxMessage, error) {
	if AdminFromContext(ctx) == nil {
		return nil, Errorf(EFORBIDDEN, "Only Nexus admins can read the outbox.")
	}
	return s.store.FindOutboxMessageByID(ctx, id)
}
