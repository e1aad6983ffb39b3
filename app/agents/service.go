package agents

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"orengen/app"
	"orengen/app/wiki"
)

// Model is an OpenAI-compatible model endpoint (package llm implements
// it). Errors are *ModelError.
type Model interface {
	// Stream asks for a reply, calling onText with each piece of text as
	// it arrives; an error from onText stops the reply (ModelInterrupted).
	Stream(ctx context.Context, ep Endpoint, req ModelRequest, onText func(string) error) (*ModelReply, error)
	// Embed returns one vector per text (ModelNoEmbeddings when the
	// endpoint has none) and the tokens it counted.
	Embed(ctx context.Context, ep Endpoint, model string, texts []string) ([][]float32, int, error)
}

// Endpoint is where a model answers and the key it takes.
type Endpoint struct {
	BaseURL string
	Key     string
}

// Message is one message of a model request.
type Message struct {
	Role       string // system, user, assistant, tool
	Content    string
	ToolCalls  []ToolCall
	ToolCallID string
}

// ModelRequest is a chat completion request.
type ModelRequest struct {
	Model       string
	Temperature float64
	Messages    []Message
	Tools       []ToolSpec
	MaxTokens   int
}

// ModelReply is a finished reply.
type ModelReply struct {
	Model        string
	Content      string
	ToolCalls    []ToolCall
	FinishReason string
	TokensIn     int
	TokensOut    int
	FirstToken   time.Time
}

// Model error kinds.
const (
	ModelNoKey        = "no_key"
	ModelAuth         = "auth"
	ModelTimeout      = "timeout"
	ModelDown         = "down"
	ModelMalformed    = "malformed"
	ModelInterrupted  = "interrupted"
	ModelNoEmbeddings = "no_embeddings"
)

// ModelError is a model call that failed; Kind says how, Msg says it to
// people (never holding the key or the conversation).
type ModelError struct {
	Kind string
	Msg  string
}

func (e *ModelError) Error() string { return e.Msg }

// ModelErrorKind returns the kind of a model error ("" for others).
func ModelErrorKind(err error) string {
	var me *ModelError
	if errors.As(err, &me) {
		return me.Kind
	}
	return ""
}

// CRM is what the tools need of the CRM (app.CRMService has it). Every call
// carries the agent's tenant in its context.
type CRM interface {
	FindPerson(ctx context.Context, id int64) (*app.Person, error)
	UpdatePerson(ctx context.Context, id int64, upd app.PersonUpdate) (*app.Person, error)
	CreateNote(ctx context.Context, n *app.Note) error
	CreateDeal(ctx context.Context, d *app.Deal) error
	CreateTask(ctx context.Context, t *app.Task) error
	// FindTasks finds the open appointment requests TaskBooker must
	// not double-book.
	FindTasks(ctx context.Context, f app.TaskFilter) ([]*app.Task, string, error)
	AddTimelineEntry(ctx context.Context, e *app.TimelineEntry) error
	FindCustomFields(ctx context.Context, object string) ([]*app.CustomField, error)
}

// PersonFinder finds a tenant's person by normalised email or phone
// (0 when none).
type PersonFinder interface {
	FindPersonByContact(ctx context.Context, tenantID int64, email, phone string) (int64, error)
}

// Workflows is what start_workflow needs of the automation engine.
type Workflows interface {
	FindWorkflow(ctx context.Context, id int64) (*app.Workflow, error)
	EnqueueRun(ctx context.Context, spec app.RunSpec) (int64, error)
}

// ExternalKnowledge searches knowledge kept by another module (the wiki):
// sources are the agent's "wiki:ID" entries.
type ExternalKnowledge interface {
	SearchKnowledge(ctx context.Context, tenantID int64, spaces []int64, query string, limit int) ([]Source, error)
}

// Sheets finds rows of a tenant's sheet for lookup_sheet.
type Sheets interface {
	// SheetNames maps the tenant's sheets' names to their IDs.
	SheetNames(ctx context.Context, tenantID int64, ids []string) (map[string]string, error)
	LookupRows(ctx context.Context, tenantID int64, sheetID, query string, limit int) ([]map[string]string, error)
}

// Option is a choice offered in the editor (a wiki space, a sheet).
type Option struct {
	ID   string
	Name string
}

// Service is Agent Studio's use cases: managing agents (Nexus and the
// portal), conversations on every channel, the playground, knowledge and
// usage.
type Service struct {
	stores   Stores
	Model    Model
	CRM      CRM
	Contacts app.ContactUpserter
	Tenants  interface {
		FindTenantByID(ctx context.Context, id int64) (*app.Tenant, error)
	}
	// Key returns the API key named name for the tenant: the tenant's
	// vault secret, else the global one, else the environment's ("" when
	// none).
	Key func(ctx context.Context, tenantID int64, name string) (string, error)
	// DefaultBaseURL is the agency's model endpoint (--openai-url, or
	// the base URL saved in Nexus), read on every call.
	DefaultBaseURL func(ctx context.Context) string
	// Telephony and Mailer return the tenant's senders, or an error
	// saying what is missing.
	Telephony func(ctx context.Context, tenantID int64) (app.Telephony, error)
	Mailer    func(ctx context.Context, tenantID int64) (app.Mailer, error)
	Workflows Workflows
	// TwiML builds the TwiML of an agent's call (nil: no outbound calls).
	TwiML CallTwiML
	// Wake tells the automation engine a run was queued.
	Wake func()
	// Booker books appointments (the calendar); nil books tasks.
	Booker app.Booker
	Wiki   ExternalKnowledge
	Sheets Sheets
	// PDF reads an uploaded PDF's text layer (package pdftext); nil
	// refuses PDF uploads as unreadable.
	PDF wiki.PDFReader
	// Catalog lists a tenant's wiki spaces and sheets, the choices of
	// the editor's knowledge and lookup_sheet (nil: none).
	Catalog func(ctx context.Context, tenantID int64) (spaces, sheets []Option, err error)
	Audit   *app.AuditService
	Hub     *Hub
	// OnTurns hears a web chat's new turns once they are stored (the
	// inbox mirrors them into its threads; nil: nobody).
	OnTurns func(ctx context.Context, c *Conversation, turns []*Turn)
	Logger  *slog.Logger
	Now     func() time.Time
	// IdleAfter ends web chats and text threads nobody wrote in for so
	// long (defaults: 30 minutes for chats, 24 hours for texts).
	IdleWeb, IdleSMS time.Duration

	initOnce sync.Once
	mu       sync.Mutex
	sessions map[int64]*session
	pending  map[int64]int
	purposes map[int64]string
	prices   priceCache
	budgets  budgetCache
	vectors  vectorCache
	wg       sync.WaitGroup
	bg       context.Context
}

// NewService returns Agent Studio's service over st; the wiring fills the
// other fields. The stores stay the service's: callers manage agents,
// conversations, knowledge and usage through its methods.
func NewService(st Stores) *Service { return &Service{stores: st} }

func (s *Service) init() {
	s.initOnce.Do(func() {
		if s.Hub == nil {
			s.Hub = NewHub()
		}
		if s.Logger == nil {
			s.Logger = slog.Default()
		}
		if s.Now == nil {
			s.Now = time.Now
		}
		if s.IdleWeb == 0 {
			s.IdleWeb = 30 * time.Minute
		}
		if s.IdleSMS == 0 {
			s.IdleSMS = 24 * time.Hour
		}
		s.sessions = map[int64]*session{}
		s.pending = map[int64]int{}
		s.purposes = map[int64]string{}
		if s.bg == nil {
			s.bg = context.Background()
		}
	})
}

func (s *Service) now() time.Time {
	s.init()
	return s.Now()
}

// scope returns the tenant the caller acts in, or all for a Nexus admin
// (or an admin API key without ?tenant=).
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

// requireTenant is the tenant a request may act in: its own, or for a
// Nexus admin the one asked for.
func requireTenant(ctx context.Context, want int64) (int64, error) {
	tid, all, err := scope(ctx)
	if err != nil {
		return 0, err
	}
	if all {
		if want <= 0 {
			return 0, app.FieldErrorf("tenant_id", "Choose the tenant.")
		}
		return want, nil
	}
	if want != 0 && want != tid {
		return 0, app.Errorf(app.ENOTFOUND, "Not found.")
	}
	return tid, nil
}

// requireManage refuses portal members: only owners change agents.
func requireManage(ctx context.Context) error {
	if u := app.UserFromContext(ctx); u != nil && u.Role != app.UserRoleOwner {
		return app.Errorf(app.EFORBIDDEN, "Only the account owner can change AI agents.")
	}
	if k := app.APIKeyFromContext(ctx); k != nil && !k.CanWrite() {
		return app.Errorf(app.EFORBIDDEN, "This API key is read-only; create a write key to change data.")
	}
	return nil
}

// Agents lists the agents the caller may see (every tenant's in Nexus).
func (s *Service) Agents(ctx context.Context) ([]*Agent, error) {
	tid, _, err := scope(ctx)
	if err != nil {
		return nil, err
	}
	return s.stores.Agents.FindAgents(ctx, Filter{TenantID: tid})
}

// Agent returns one agent. Another tenant's is ENOTFOUND.
func (s *Service) Agent(ctx context.Context, id int64) (*Agent, error) {
	tid, _, err := scope(ctx)
	if err != nil {
		return nil, err
	}
	return s.stores.Agents.FindAgent(ctx, tid, id)
}

// AgentVersions lists an agent's versions, newest first.
func (s *Service) AgentVersions(ctx context.Context, id int64) ([]*Agent, error) {
	a, err := s.Agent(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.stores.Agents.AgentVersions(ctx, a.TenantID, a.ID)
}

// SaveAgent creates an agent (a.ID 0, in a.TenantID for Nexus) or stores a
// new version of it. Returns EINVALID naming the field, ECONFLICT when
// another enabled agent answers the same number.
func (s *Service) SaveAgent(ctx context.Context, a *Agent) error {
	if err := requireManage(ctx); err != nil {
		return err
	}
	if a.ID != 0 {
		cur, err := s.Agent(ctx, a.ID)
		if err != nil {
			return err
		}
		a.TenantID, a.PublicKey = cur.TenantID, cur.PublicKey
	} else {
		tid, err := requireTenant(ctx, a.TenantID)
		if err != nil {
			return err
		}
		a.TenantID = tid
		a.PublicKey = "ag_" + app.RandomToken(12)
	}
	if err := a.Validate(); err != nil {
		return err
	}
	if err := s.checkFields(ctx, a); err != nil {
		return err
	}
	if err := s.stores.Agents.SaveAgent(ctx, a); err != nil {
		return err
	}
	s.audit(ctx, a.TenantID, "agent.save", fmt.Sprintf("agent %d", a.ID), fmt.Sprintf("%s v%d", a.Name, a.Version))
	return nil
}

// checkFields refuses a collected field mapped to a custom field the
// tenant's contacts do not have.
func (s *Service) checkFields(ctx context.Context, a *Agent) error {
	var defs []*app.CustomField
	for _, f := range a.Config.Fields {
		k, ok := strings.CutPrefix(f.CRMField, "custom:")
		if !ok {
			continue
		}
		if defs == nil {
			var err error
			if defs, err = s.CRM.FindCustomFields(app.NewContextWithTenant(ctx, &app.Tenant{ID: a.TenantID}), app.RecordPerson); err != nil {
				return err
			}
		}
		if !slices.ContainsFunc(defs, func(d *app.CustomField) bool { return d.Key == k }) {
			return app.FieldErrorf("fields", "Field %q goes to custom:%s, which contacts do not have: add the custom field in CRM settings first.", f.Key, k)
		}
	}
	return nil
}

// SetAgentEnabled turns an agent on or off.
func (s *Service) SetAgentEnabled(ctx context.Context, id int64, enabled bool) error {
	if err := requireManage(ctx); err != nil {
		return err
	}
	a, err := s.Agent(ctx, id)
	if err != nil {
		return err
	}
	if enabled {
		a.Enabled = true
		if err := a.Validate(); err != nil {
			return err
		}
	}
	if err := s.stores.Agents.SetAgentEnabled(ctx, a.TenantID, id, enabled); err != nil {
		return err
	}
	s.audit(ctx, a.TenantID, map[bool]string{true: "agent.enable", false: "agent.disable"}[enabled], fmt.Sprintf("agent %d", id), a.Name)
	return nil
}

// DeleteAgent deletes an agent; its conversations stay (with its name).
func (s *Service) DeleteAgent(ctx context.Context, id int64) error {
	if err := requireManage(ctx); err != nil {
		return err
	}
	a, err := s.Agent(ctx, id)
	if err != nil {
		return err
	}
	if err := s.stores.Agents.DeleteAgent(ctx, a.TenantID, id); err != nil {
		return err
	}
	s.audit(ctx, a.TenantID, "agent.delete", fmt.Sprintf("agent %d", id), a.Name)
	return nil
}

func (s *Service) audit(ctx context.Context, tenantID int64, action, target, detail string) {
	if s.Audit != nil {
		s.Audit.Record(app.NewContextWithTenantID(ctx, tenantID), action, target, detail)
	}
}

// Conversations lists conversations the caller may see.
func (s *Service) Conversations(ctx context.Context, f ConversationFilter) ([]*Conversation, error) {
	tid, _, err := scope(ctx)
	if err != nil {
		return nil, err
	}
	if tid != 0 {
		f.TenantID = tid
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	return s.stores.Conversations.FindConversations(ctx, f)
}

// Conversation returns a conversation with its transcript.
func (s *Service) Conversation(ctx context.Context, id int64) (*Conversation, []*Turn, error) {
	tid, _, err := scope(ctx)
	if err != nil {
		return nil, nil, err
	}
	c, err := s.stores.Conversations.FindConversation(ctx, tid, id)
	if err != nil {
		return nil, nil, err
	}
	turns, err := s.stores.Turns.FindTurns(ctx, c.TenantID, c.ID)
	return c, turns, err
}

// Settings returns a tenant's settings (tenantID 0: the caller's).
func (s *Service) Settings(ctx context.Context, tenantID int64) (*Settings, error) {
	tid, err := requireTenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	return s.stores.Settings.FindSettings(ctx, tid)
}

// SaveSettings stores a tenant's settings. Only a Nexus admin sets the
// budget (it is what the agency rebills).
func (s *Service) SaveSettings(ctx context.Context, st *Settings) error {
	if _, all, err := scope(ctx); err != nil {
		return err
	} else if !all {
		return app.Errorf(app.EFORBIDDEN, "Only the agency sets the AI budget.")
	}
	if st.TenantID <= 0 {
		return app.FieldErrorf("tenant_id", "Choose the tenant.")
	}
	if st.DailyBudgetMicros < 0 || st.DailyBudgetMicros > 1e13 {
		return app.FieldErrorf("daily_budget", "The daily budget must be from 0 to 10,000,000.")
	}
	if err := s.stores.Settings.SaveSettings(ctx, st); err != nil {
		return err
	}
	s.budgets.forget(st.TenantID)
	s.audit(ctx, st.TenantID, "agent.budget", fmt.Sprintf("tenant %d", st.TenantID), FormatMicros(st.DailyBudgetMicros))
	return nil
}

// Prices returns the price table.
func (s *Service) Prices(ctx context.Context) ([]*Price, error) {
	if _, _, err := scope(ctx); err != nil {
		return nil, err
	}
	return s.stores.Prices.Prices(ctx)
}

// SavePrice stores a line of the price table (Nexus only).
func (s *Service) SavePrice(ctx context.Context, p *Price) error {
	if _, all, err := scope(ctx); err != nil {
		return err
	} else if !all {
		return app.Errorf(app.EFORBIDDEN, "Only the agency edits prices.")
	}
	p.Key = strings.TrimSpace(p.Key)
	if p.Key == "" || len(p.Key) > 128 || !(p.Key == "voice" || p.Key == "sms" || modelNameRE().MatchString(p.Key)) {
		return app.FieldErrorf("key", "Name a model (like gpt-4o-mini), voice or sms.")
	}
	if p.InPerMTok < 0 || p.OutPerMTok < 0 || p.Unit < 0 || p.InPerMTok > 1e12 || p.OutPerMTok > 1e12 || p.Unit > 1e12 {
		return app.FieldErrorf("price", "Prices must be from 0 to 1,000,000.")
	}
	if err := s.stores.Prices.SavePrice(ctx, p); err != nil {
		return err
	}
	s.prices.forget()
	s.audit(ctx, 0, "agent.price", p.Key, "")
	return nil
}

// DeletePrice removes a line of the price table (Nexus only).
func (s *Service) DeletePrice(ctx context.Context, key string) error {
	if _, all, err := scope(ctx); err != nil {
		return err
	} else if !all {
		return app.Errorf(app.EFORBIDDEN, "Only the agency edits prices.")
	}
	if err := s.stores.Prices.DeletePrice(ctx, key); err != nil {
		return err
	}
	s.prices.forget()
	return nil
}

// Usage returns usage per tenant, month, kind and model since since.
func (s *Service) Usage(ctx context.Context, since time.Time) ([]*UsageRow, error) {
	tid, _, err := scope(ctx)
	if err != nil {
		return nil, err
	}
	return s.stores.Usage.UsageReport(ctx, tid, since)
}

// endpoint returns the agent's model endpoint and key.
func (s *Service) endpoint(ctx context.Context, a *Agent) (Endpoint, error) {
	ep := Endpoint{BaseURL: a.Config.Model.BaseURL}
	if ep.BaseURL == "" && s.DefaultBaseURL != nil {
		ep.BaseURL = s.DefaultBaseURL(ctx)
	}
	if ep.BaseURL == "" {
		return ep, &ModelError{Kind: ModelNoKey, Msg: "No model endpoint: set the agent's base URL or start the server with --openai-url."}
	}
	if s.Key == nil {
		return ep, &ModelError{Kind: ModelNoKey, Msg: "No API key is configured."}
	}
	k, err := s.Key(ctx, a.TenantID, a.Config.Model.KeySecret)
	if err != nil {
		return ep, &ModelError{Kind: ModelNoKey, Msg: "The API key could not be read from the vault."}
	}
	if strings.TrimSpace(k) == "" {
		return ep, &ModelError{Kind: ModelNoKey, Msg: fmt.Sprintf("No API key: store it in the vault as %s (the tenant's or global).", a.Config.Model.KeySecret)}
	}
	ep.Key = strings.TrimSpace(k)
	return ep, nil
}

// Start runs the background work (ending idle conversations, embedding
// knowledge) until ctx is done; Wait waits for it and for summaries in
// flight.
func (s *Service) Start(ctx context.Context) {
	s.init()
	s.bg = ctx
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		app.Every(ctx, 30*time.Second, func(ctx context.Context) {
			s.sweep(ctx)
			s.embedPending(ctx)
		})
	}()
}

// Wait waits for the background work.
func (s *Service) Wait() { s.wg.Wait() }

// sweep ends web chats and text threads that went idle.
func (s *Service) sweep(ctx context.Context) {
	for _, x := range []struct {
		ch   string
		idle time.Duration
	}{{ChannelWeb, s.IdleWeb}, {ChannelPlayground, s.IdleWeb}, {ChannelSMS, s.IdleSMS}, {ChannelVoice, 2 * time.Hour}} {
		cs, err := s.stores.Conversations.IdleConversations(ctx, x.ch, s.now().Add(-x.idle), 100)
		if err != nil {
			if ctx.Err() == nil {
				s.Logger.Error("agents: idle conversations", "err", err)
			}
			return
		}
		for _, c := range cs {
			if err := s.End(ctx, c, "", "idle"); err != nil && app.ErrorCode(err) != app.ECONFLICT {
				s.Logger.Warn("agents: end idle conversation", "conversation_id", c.ID, "err", err)
			}
		}
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
