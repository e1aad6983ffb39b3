// Package inbox is Conversations (issue #18): one inbox per tenant for
// SMS, email, web chat and calls. A conversation is a thread with one
// contact on one channel, linked to the CRM person it matched (by phone
// or email; created when unknown); its messages are inbound, outbound or
// private notes, and every inbound and outbound message is written to
// the person's timeline in the same transaction as the message.
//
// inbox imports app only; the store implements Store, the technology
// packages (twilio, smtp, imap) are reached through app's interfaces.
package inbox

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"orengen/app"
)

// Channels.
const (
	ChannelSMS   = "sms"
	ChannelEmail = "email"
	ChannelChat  = "chat"
	ChannelCall  = "call"
)

// Channels lists the channels in the order the filters show them.
var Channels = []string{ChannelSMS, ChannelEmail, ChannelChat, ChannelCall}

// Statuses.
const (
	StatusOpen    = "open"
	StatusPending = "pending"
	StatusSnoozed = "snoozed"
	StatusClosed  = "closed"
)

// Statuses lists the statuses in the order the filters show them.
var Statuses = []string{StatusOpen, StatusPending, StatusSnoozed, StatusClosed}

// Message directions.
const (
	DirIn   = "in"
	DirOut  = "out"
	DirNote = "note" // a private note: never sent, never on the timeline
)

// Delivery statuses of an outbound message (Twilio's words for SMS).
const (
	DeliveryReceived = "received"
	DeliveryQueued   = "queued"
	DeliverySent     = "sent"
	DeliveryFailed   = "failed"
)

// OptOutTag marks a person who texted STOP (the same tag Agent Studio
// uses, so neither texts them until they text START).
const OptOutTag = "sms-opted-out"

// Limits.
const (
	MaxBody   = 20000 // characters of a message body kept
	MaxReply  = 1600  // characters of an SMS reply (Twilio's limit)
	MaxLabels = 10
	MaxNote   = 5000
)

// Conversation is a thread with one contact on one channel.
type Conversation struct {
	ID        int64
	TenantID  int64
	Channel   string
	ThreadKey string
	// Address is the contact's (phone, email, chat visitor), LocalAddress
	// ours (the number or mailbox written to).
	Address      string
	LocalAddress string
	ContactName  string
	PersonID     int64
	Subject      string
	Status       string
	SnoozedUntil *time.Time
	Assignee     string
	Labels       []string
	Unread       int
	// The last message: when, its first words and its direction.
	LastMessageAt time.Time
	LastPreview   string
	LastDirection string
	// AgentConversationID is the Agent Studio conversation answering the
	// thread (a web chat, a text to an agent's number); 0: none.
	AgentConversationID int64
	// Unrouted marks a text to a number no tenant owns (kept in the
	// house inbox, never lost).
	Unrouted  bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Who is the contact's name, else address.
func (c *Conversation) Who() string {
	if c.ContactName != "" {
		return c.ContactName
	}
	return c.Address
}

// Attachment is the metadata of a file that came with a message.
type Attachment struct {
	// ID is the stored file's (0: not stored).
	ID     int64  `json:"id,omitempty"`
	Name   string `json:"name"`
	Type   string `json:"type"`
	Size   int64  `json:"size"`
	Stored bool   `json:"stored"` // false: over the size cap, or not a kind we keep
	Note   string `json:"note,omitempty"`
	// Data is the file while it travels to the store (and back for a
	// download); never in the message's JSON.
	Data []byte `json:"-"`
}

// Message is one message of a conversation.
type Message struct {
	ID             int64
	TenantID       int64
	ConversationID int64
	Direction      string // in, out, note
	Author         string // who wrote an outbound message or a note
	Subject        string
	Body           string
	HTML           string // sanitised HTML of an email
	Attachments    []Attachment
	// ProviderID is Twilio's MessageSid or an email's Message-ID: one
	// message per ID and tenant.
	ProviderID string
	InReplyTo  string
	References string
	Status     string // delivery status of an outbound message
	Error      string
	// Key is the idempotency key of a reply a workflow step sent: one
	// message per key and tenant (a failed one gives it up).
	Key string
	// Auto marks an inbound automatic answer (an email's Auto-Submitted,
	// Precedence or X-Autoreply): no workflow answers it.
	Auto bool
	// Call is a call message's call (calls.go); nil for other messages.
	Call      *Call
	CreatedAt time.Time
}

// Filter selects conversations. TenantID 0 is every tenant (Nexus only:
// the service sets it from the caller).
type Filter struct {
	TenantID int64
	Status   string // "" every status but closed; "all" every status
	Channel  string
	Assignee string // "me" is resolved by the service; "none" unassigned
	Label    string
	Query    string // full-text search over messages
	PersonID int64
	// Before pages: conversations whose last message is older than the
	// cursor (last_message_at, id) of the previous page's last row.
	BeforeAt time.Time
	BeforeID int64
	Limit    int
}

// Update changes a conversation; nil fields stay.
type Update struct {
	Status       *string
	SnoozedUntil *time.Time
	Assignee     *string
	Labels       *[]string
}

// Inbound is a message arriving on a channel.
type Inbound struct {
	TenantID     int64
	Channel      string
	ThreadKey    string // "" for email: the store threads by References
	Address      string
	LocalAddress string
	ContactName  string
	// Email or Phone find (or create) the CRM person.
	Email, Phone string
	// ThreadRefs are the Message-IDs an email refers to (In-Reply-To,
	// References): a message of a known thread joins it.
	ThreadRefs []string
	Message    Message
	Unrouted   bool
	// AgentConversationID links the thread to the Agent Studio
	// conversation answering it.
	AgentConversationID int64
	// Consent, when set, records the person's SMS consent (STOP: false,
	// START: true) on the CRM person in the same transaction.
	Consent *bool
	// Source names where a new CRM person came from.
	Source string
	// Call, for a call message, is stored with it (calls.go).
	Call *Call
}

// Canned is a canned reply: Body may hold {{first_name}}, {{last_name}},
// {{name}}, {{email}} and {{phone}} fields.
type Canned struct {
	ID       int64
	TenantID int64
	Name     string
	Body     string
}

// Store keeps conversations and messages. Every method takes the tenant
// (0 only where it says so) and never reads another's rows.
type Store interface {
	// Receive stores an inbound message in one transaction: the CRM
	// person is found by email or phone (created when unknown), the
	// conversation found by thread (created, or reopened when closed or
	// snoozed), the message stored, the conversation's last message and
	// unread count updated and the person's timeline written. A message
	// whose ProviderID the tenant already has stores nothing: dup true.
	Receive(ctx context.Context, in *Inbound) (c *Conversation, m *Message, dup bool, err error)
	// AddMessage stores an outbound message or a note of conversation
	// convID (outbound ones on the person's timeline too).
	AddMessage(ctx context.Context, tenantID, convID int64, m *Message) error
	// SetMessageDelivery records an outbound message's provider ID and
	// delivery status.
	SetMessageDelivery(ctx context.Context, tenantID, msgID int64, providerID, status, errText string) error
	// SetDeliveryByProvider updates the delivery status of the tenant's
	// message with the provider ID; false when there is none.
	SetDeliveryByProvider(ctx context.Context, tenantID int64, providerID, status, errText string) (bool, error)
	// FindConversation returns a conversation of the tenant (0: any).
	// Returns ENOTFOUND.
	FindConversation(ctx context.Context, tenantID, id int64) (*Conversation, error)
	// FindConversationByAgent returns the thread of an Agent Studio
	// conversation. Returns ENOTFOUND.
	FindConversationByAgent(ctx context.Context, tenantID, agentConvID int64) (*Conversation, error)
	FindConversations(ctx context.Context, f Filter) ([]*Conversation, error)
	FindMessages(ctx context.Context, tenantID, convID int64) ([]*Message, error)
	UpdateConversation(ctx context.Context, tenantID, id int64, upd Update) (*Conversation, error)
	// MarkRead sets the unread count to 0.
	MarkRead(ctx context.Context, tenantID, id int64) error
	// WakeSnoozed reopens snoozed conversations whose time has come.
	WakeSnoozed(ctx context.Context, now time.Time) (int, error)
	// SMSOptedOut reports whether the tenant's person with the phone
	// texted STOP (and not START since).
	SMSOptedOut(ctx context.Context, tenantID int64, phone string) (bool, error)
	// LatestConversation returns the person's conversation with the
	// newest message. Returns ENOTFOUND.
	LatestConversation(ctx context.Context, tenantID, personID int64) (*Conversation, error)
	// FindMessageByKey returns the tenant's message with the idempotency
	// key. Returns ENOTFOUND.
	FindMessageByKey(ctx context.Context, tenantID int64, key string) (*Message, error)
	// FindAttachment returns a stored file, with its data, of the
	// tenant's conversation convID. Returns ENOTFOUND.
	FindAttachment(ctx context.Context, tenantID, convID, id int64) (*Attachment, error)
	// NextRoundRobin returns the member after the tenant's last
	// round-robin assignee among members (sorted; wrapping) and records
	// it, in one transaction.
	NextRoundRobin(ctx context.Context, tenantID int64, members []string) (string, error)
	// FindHours returns the tenant's business hours. Returns ENOTFOUND.
	FindHours(ctx context.Context, tenantID int64) (*Hours, error)
	SaveHours(ctx context.Context, h *Hours) error
	FindCanned(ctx context.Context, tenantID int64) ([]*Canned, error)
	SaveCanned(ctx context.Context, c *Canned) error
	DeleteCanned(ctx context.Context, tenantID, id int64) error
}

// Validate checks and cleans a message before it is stored. Returns
// EINVALID naming the field.
func (m *Message) Validate() error {
	switch m.Direction {
	case DirIn, DirOut, DirNote:
	default:
		return app.FieldErrorf("direction", "Direction must be in, out or note.")
	}
	m.Body = strings.ToValidUTF8(m.Body, "\uFFFD")
	m.Subject = strings.ToValidUTF8(strings.TrimSpace(m.Subject), "\uFFFD")
	if utf8.RuneCountInString(m.Subject) > 500 {
		m.Subject = truncate(m.Subject, 500)
	}
	if len(m.Body) > MaxBody*4 || utf8.RuneCountInString(m.Body) > MaxBody {
		m.Body = truncate(m.Body, MaxBody) + "\n[message cut at 20,000 characters]"
	}
	if len(m.ProviderID) > 500 {
		return app.FieldErrorf("provider_id", "Provider ID too long.")
	}
	return nil
}

// Preview is the first words of a body for lists and timelines.
func Preview(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	return truncate(s, n)
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// NormalizeLabels trims, lower-cases and dedupes labels. Returns
// EINVALID naming "labels".
func NormalizeLabels(in []string) ([]string, error) {
	out := []string{}
	seen := map[string]bool{}
	for _, l := range in {
		for _, part := range strings.Split(l, ",") {
			part = strings.ToLower(strings.TrimSpace(part))
			if part == "" || seen[part] {
				continue
			}
			if utf8.RuneCountInString(part) > 40 {
				return nil, app.FieldErrorf("labels", "A label is at most 40 characters.")
			}
			for _, r := range part {
				if !(r == ' ' || r == '-' || r == '_' || r == '.' || r == ':' || r == '/' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r > 127) {
					return nil, app.FieldErrorf("labels", "Labels hold letters, digits, spaces and - _ . : / only.")
				}
			}
			seen[part] = true
			out = append(out, part)
		}
	}
	if len(out) > MaxLabels {
		return nil, app.FieldErrorf("labels", "At most %d labels.", MaxLabels)
	}
	return out, nil
}
