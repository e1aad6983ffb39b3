package agents

import (
	"context"
	"time"

	"orengen/app"
)

// Conversation statuses.
const (
	StatusActive = "active"
	StatusEnded  = "ended"
)

// Outcomes of a conversation.
const (
	OutcomeNone      = ""
	OutcomeBooked    = "booked"
	OutcomeQualified = "qualified"
	OutcomeHandedOff = "handed_off"
	OutcomeNoAnswer  = "no_answer"
	OutcomeCompleted = "completed"
)

// Outcomes lists the outcomes in the order filters offer them.
var Outcomes = []string{OutcomeBooked, OutcomeQualified, OutcomeHandedOff, OutcomeNoAnswer, OutcomeCompleted}

// Turn roles.
const (
	RoleUser      = "user"      // the visitor, texter or caller
	RoleAssistant = "assistant" // the agent's words (and tool calls)
	RoleTool      = "tool"      // a tool's execution: input, output, duration
	RoleHuman     = "human"     // a person of the team who took over
	RoleEvent     = "event"     // what happened that is not speech: fallback, limit, takeover, interrupt
)

// Conversation is one chat, text thread or call with an agent.
type Conversation struct {
	ID         int64
	TenantID   int64
	AgentID    int64
	AgentName  string // read only
	VersionID  int64  // the agent version this conversation keeps
	Version    int    // read only
	Channel    string
	Direction  string // inbound or outbound
	Status     string
	Outcome    string
	PersonID   int64  // the CRM person, once known
	Visitor    string // phone number, or a web visitor's label
	ExternalID string // the call SID, the SMS thread's number pair
	// TakenOverBy names the person who took over the chat ("" = the
	// agent answers).
	TakenOverBy string
	Summary     string
	Collected   map[string]string
	TokensIn    int
	TokensOut   int
	CostMicros  int64 // in millionths of the price table's currency
	ToolCalls   int
	Turns       int
	EndReason   string
	StartedAt   time.Time
	UpdatedAt   time.Time
	EndedAt     *time.Time
}

// Active reports whether the conversation is still going.
func (c *Conversation) Active() bool { return c.Status == StatusActive }

// Turn is one entry of a transcript.
type Turn struct {
	ID             int64
	ConversationID int64
	TenantID       int64
	Seq            int
	Role           string
	Content        string // words; for RoleEvent a sentence saying what happened
	// Assistant turns that call tools carry the calls as the model wrote
	// them; each call's execution is a RoleTool turn with ToolCallID.
	ToolCalls  []ToolCall
	ToolCallID string
	ToolName   string
	ToolArgs   string
	ToolResult string
	ToolError  string
	DurationMS int64
	TokensIn   int
	TokensOut  int
	// FirstTokenMS is the model's time to first token; LatencyMS the
	// whole reply.
	FirstTokenMS int64
	LatencyMS    int64
	Model        string
	Sources      []Source // knowledge the reply was grounded in
	Author       string   // RoleHuman: who wrote it
	CreatedAt    time.Time
}

// ToolCall is a function call of the model, as it wrote it.
type ToolCall struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

// Source is a passage of knowledge given to the model for a reply.
type Source struct {
	Kind       string  `json:"kind"` // doc, site, wiki
	DocumentID int64   `json:"document_id,omitempty"`
	ChunkID    int64   `json:"chunk_id,omitempty"`
	Title      string  `json:"title"`
	Ref        string  `json:"ref,omitempty"` // file name, page slug, wiki page
	Score      float64 `json:"score"`
	Text       string  `json:"text,omitempty"` // the passage (shown in the playground)
}

// ConversationFilter selects conversations.
type ConversationFilter struct {
	TenantID int64 // 0: every tenant (Nexus)
	AgentID  int64
	PersonID int64
	Status   string
	Channel  string
	Outcome  string
	Since    *time.Time
	Limit    int
	BeforeID int64 // paging: conversations with a smaller ID
}

// Finish is what ending a conversation writes, in one transaction: the
// conversation's outcome and summary, the collected fields on the person
// (when there is one) and a timeline entry on the person.
type Finish struct {
	Outcome   string
	Reason    string
	Summary   string
	Collected map[string]string
	// PersonFields are collected values by the person field they go to
	// (first_name, last_name, title, company, email and phone (added to
	// the person's), custom:KEY).
	PersonFields map[string]string
	// Timeline is the entry written on the person.
	Timeline *app.TimelineEntry
}

// Usage is what a reply, a call minute or a text costs: it is added to
// the tenant's daily usage and the conversation's totals.
type Usage struct {
	TenantID   int64
	Day        string // YYYY-MM-DD (UTC)
	Kind       string // tokens, embed, voice, sms
	Model      string // the model, or "" for voice and sms
	TokensIn   int
	TokensOut  int
	Quantity   int // voice seconds, SMS segments
	CostMicros int64
}

// Usage kinds.
const (
	UsageTokens = "tokens"
	UsageEmbed  = "embed"
	UsageVoice  = "voice"
	UsageSMS    = "sms"
)

// UsageRow is one line of the usage report.
type UsageRow struct {
	TenantID   int64
	TenantName string
	Month      string // YYYY-MM
	Kind       string
	Model      string
	TokensIn   int64
	TokensOut  int64
	Quantity   int64
	CostMicros int64
}

// Price is one line of the editable price table, in micro-units of the
// currency (a price of $0.15 per million tokens is 150000).
type Price struct {
	Key string // a model name, or "voice" (per minute) or "sms" (per segment)
	// InPerMTok and OutPerMTok price a million tokens.
	InPerMTok  int64
	OutPerMTok int64
	// Unit prices a voice minute or an SMS segment.
	Unit      int64
	UpdatedAt time.Time
}

// Settings are a tenant's Agent Studio settings.
type Settings struct {
	TenantID int64
	// DailyBudgetMicros stops the tenant's agents (with a fallback) once
	// today's cost reaches it; 0 = no budget.
	DailyBudgetMicros int64
}

// Stores are where the service keeps its data, one small store per kind
// of record (package store's AgentStore is every one of them). Methods
// taking a tenantID are scoped to it: another tenant's object is
// ENOTFOUND.
type Stores struct {
	Agents        DefinitionStore
	Conversations ConversationStore
	Turns         TurnStore
	Documents     DocumentStore
	Chunks        ChunkStore
	Usage         UsageStore
	Prices        PriceStore
	Settings      SettingsStore
	People        PersonFinder // the tenant's CRM people, found by email or phone
}

// DefinitionStore keeps agents and their versions: the editor's
// reads and writes, and the channels' look-ups of the agent answering.
type DefinitionStore interface {
	FindAgents(ctx context.Context, f Filter) ([]*Agent, error)
	FindAgent(ctx context.Context, tenantID, id int64) (*Agent, error)
	// FindAgentByKey finds an agent by its public key (any tenant).
	FindAgentByKey(ctx context.Context, key string) (*Agent, error)
	// FindAgentByPhone finds the tenant's enabled agent answering phone.
	FindAgentByPhone(ctx context.Context, tenantID int64, phone string) (*Agent, error)
	// FindAgentVersion returns the agent with the configuration of one
	// of its versions.
	FindAgentVersion(ctx context.Context, tenantID, versionID int64) (*Agent, error)
	// AgentVersions lists an agent's versions, newest first.
	AgentVersions(ctx context.Context, tenantID, agentID int64) ([]*Agent, error)
	// SaveAgent creates an agent (ID 0) or stores a new version of it.
	// Returns ECONFLICT when another enabled agent of the tenant answers
	// the same number.
	SaveAgent(ctx context.Context, a *Agent) error
	SetAgentEnabled(ctx context.Context, tenantID, id int64, enabled bool) error
	DeleteAgent(ctx context.Context, tenantID, id int64) error
}

// ConversationStore keeps conversations: opened on a channel, found by
// ID, visitor or call, listed, swept when idle and finished.
type ConversationStore interface {
	CreateConversation(ctx context.Context, c *Conversation) error
	FindConversation(ctx context.Context, tenantID, id int64) (*Conversation, error)
	FindConversations(ctx context.Context, f ConversationFilter) ([]*Conversation, error)
	// FindActiveConversation finds the tenant's active conversation of
	// the agent on channel with the visitor (an SMS thread, a call).
	FindActiveConversation(ctx context.Context, tenantID, agentID int64, channel, visitor string) (*Conversation, error)
	// FindConversationByExternal finds a conversation by its external ID
	// (a call SID) in the tenant.
	FindConversationByExternal(ctx context.Context, tenantID int64, externalID string) (*Conversation, error)
	// IdleConversations returns active conversations not updated since
	// before, of channel ("" = any).
	IdleConversations(ctx context.Context, channel string, before time.Time, limit int) ([]*Conversation, error)
	// FinishConversation ends an active conversation and writes f, all in
	// one transaction; ECONFLICT when it had already ended.
	FinishConversation(ctx context.Context, c *Conversation, f *Finish) error
}

// TurnStore keeps what a live conversation writes as it goes: its turns
// and the state the loop and the tools set (the call, the person, the
// fields collected, who took over).
type TurnStore interface {
	FindTurns(ctx context.Context, tenantID, conversationID int64) ([]*Turn, error)
	// AddTurns appends turns to a conversation (numbered in order) with
	// the usage they cost, in one transaction, and updates the
	// conversation's totals. Returns ENOTFOUND for a conversation that is
	// not the tenant's.
	AddTurns(ctx context.Context, c *Conversation, turns []*Turn, usage []Usage) error
	// SetConversationExternal records a conversation's external ID (the
	// call SID of a call placed).
	SetConversationExternal(ctx context.Context, tenantID, id int64, externalID string) error
	// SetConversationPerson links the conversation to a CRM person.
	SetConversationPerson(ctx context.Context, tenantID, id, personID int64) error
	// SetCollected stores the collected fields so far.
	SetCollected(ctx context.Context, tenantID, id int64, collected map[string]string) error
	// SetTakeover sets who took over ("" hands back to the agent).
	SetTakeover(ctx context.Context, tenantID, id int64, by string) error
}

// UsageStore keeps metered usage: what voice and texts cost outside
// turns, a tenant's cost of the day (the budget) and the report.
type UsageStore interface {
	// DayCost returns the tenant's cost on day (YYYY-MM-DD).
	DayCost(ctx context.Context, tenantID int64, day string) (int64, error)
	// AddUsage adds usage that belongs to no turn (voice minutes).
	AddUsage(ctx context.Context, conversationID int64, u []Usage) error
	// UsageReport sums usage per tenant, month, kind and model since
	// since (tenantID 0: every tenant).
	UsageReport(ctx context.Context, tenantID int64, since time.Time) ([]*UsageRow, error)
}

// PriceStore keeps the editable price table usage is costed by.
type PriceStore interface {
	Prices(ctx context.Context) ([]*Price, error)
	SavePrice(ctx context.Context, p *Price) error
	DeletePrice(ctx context.Context, key string) error
}

// SettingsStore keeps a tenant's Agent Studio settings.
type SettingsStore interface {
	FindSettings(ctx context.Context, tenantID int64) (*Settings, error)
	SaveSettings(ctx context.Context, s *Settings) error
}
