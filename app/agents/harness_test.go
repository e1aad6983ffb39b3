package agents_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"orengen/app"
	"orengen/app/agents"
	"orengen/llm"
	"orengen/llm/llmtest"
	"orengen/pdftext"
	"orengen/store"
	"orengen/twilio"
	"orengen/twilio/twiliotest"
)

const (
	twSID   = "AC11111111111111111111111111111111"
	twToken = "tok0123456789abcdef0123456789abcd"
	numberA = "+15125550100" // tenant A's number
)

// env is Agent Studio on a real SQLite file, the loopback model server
// and the loopback Twilio API.
type env struct {
	t      *testing.T
	db     *store.DB
	st     *store.AgentStore
	crm    *store.CRMStores
	llm    *llmtest.Server
	tw     *twiliotest.Server
	outbox *store.OutboxStore
	svc    *agents.Service
	tA, tB *app.Tenant
	now    time.Time
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, now: time.Date(2027, 1, 4, 15, 0, 0, 0, time.UTC)} // a Monday, 10:00 in New York
	e.db = store.NewDB(filepath.Join(t.TempDir(), "orengen.db"))
	e.db.Now = func() time.Time { return e.now } // one clock, so idle conversations are judged right
	if err := e.db.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.db.Close() })
	ts := store.NewTenantStore(e.db)
	for i, name := range []string{"Alpha Roofing", "Bravo Dental"} {
		tn := &app.Tenant{Name: name, Slug: strings.ToLower(strings.Fields(name)[0]), Status: app.TenantActive, Timezone: "America/New_York", SupportEmail: "team@" + strings.ToLower(strings.Fields(name)[0]) + ".test"}
		if err := ts.CreateTenant(context.Background(), tn); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			e.tA = tn
		} else {
			e.tB = tn
		}
	}
	e.st = store.NewAgentStore(e.db)
	e.crm = store.NewCRMStores(e.db)
	e.llm = llmtest.Start()
	t.Cleanup(e.llm.Close)
	e.tw = twiliotest.Start(twSID, twToken)
	t.Cleanup(e.tw.Close)
	e.outbox = store.NewOutboxStore(e.db)
	e.svc = agents.NewService(e.st.Stores())
	e.svc.Model, e.svc.CRM, e.svc.Contacts, e.svc.PDF = &llm.AgentModel{HTTP: &http.Client{}}, e.crm.Service(), store.NewContactStore(e.db), pdftext.Text
	e.svc.Tenants, e.svc.DefaultBaseURL = ts, func(context.Context) string { return e.llm.URL }
	e.svc.Key = func(ctx context.Context, tenantID int64, name string) (string, error) {
		if name == "openai_api_key" {
			return "sk-test", nil
		}
		return "", nil
	}
	// Like the vault, which keeps the agency's global secrets from a
	// tenant's person or key: the appliance reads channel settings in its
	// own name.
	e.svc.Telephony = func(ctx context.Context, tenantID int64) (app.Telephony, error) {
		if app.UserFromContext(ctx) != nil || app.APIKeyFromContext(ctx) != nil {
			return nil, errors.New("twilio is not configured: the vault keeps the global account from a tenant's person")
		}
		return twilio.New(twilio.Config{AccountSID: twSID, AuthToken: twToken, From: numberA, APIURL: e.tw.URL})
	}
	e.svc.Mailer = func(ctx context.Context, tenantID int64) (app.Mailer, error) {
		if app.UserFromContext(ctx) != nil || app.APIKeyFromContext(ctx) != nil {
			return nil, errors.New("email is not configured: the vault keeps the global SMTP from a tenant's person")
		}
		return &app.LogMailer{Outbox: e.outbox, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, nil
	}
	e.svc.Workflows = store.NewWorkflowStore(e.db)
	e.svc.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	e.svc.Now = func() time.Time { return e.now }
	ctx, cancel := context.WithCancel(context.Background())
	e.svc.Start(ctx)
	t.Cleanup(func() { cancel(); e.svc.Wait() })
	return e
}

// admin is a Nexus admin's context.
func (e *env) admin() context.Context {
	return app.NewContextWithAdmin(context.Background(), &app.Admin{ID: 1, Email: "owner@agency.test"})
}

// owner is tenant t's owner's context in the portal.
func (e *env) owner(t *app.Tenant) context.Context {
	ctx := app.NewContextWithTenant(context.Background(), t)
	return app.NewContextWithUser(ctx, &app.User{ID: 1, TenantID: t.ID, Email: "owner@" + t.Slug + ".test", Role: app.UserRoleOwner})
}

func baseConfig() agents.Config {
	return agents.Config{
		Instructions: "You are the receptionist of Alpha Roofing. Book free roof inspections for homeowners and answer questions about our services politely.",
		Greeting:     "Hi! How can I help with your roof today?",
		Model:        agents.ModelSettings{Model: "gpt-4o-mini", Temperature: 0.2},
		Channels:     agents.Channels{Web: true, SMS: true, Voice: true},
		Tools: []string{agents.ToolFindPerson, agents.ToolCreatePerson, agents.ToolUpdatePerson, agents.ToolAddNote, agents.ToolAddTag, agents.ToolCreateDeal,
			agents.ToolCreateTask, agents.ToolCheckAvailability, agents.ToolBook, agents.ToolSendSMS, agents.ToolSendEmail, agents.ToolTransfer, agents.ToolEndConversation},
		Hours:   agents.Hours{Days: [7][]string{1: {"09:00-17:00"}, 2: {"09:00-17:00"}, 3: {"09:00-17:00"}, 4: {"09:00-17:00"}, 5: {"09:00-17:00"}}},
		Handoff: agents.Handoff{Kind: agents.HandoffEmail, Target: "dispatch@alpha.test"},
		Fields: []agents.Field{
			{Key: "service", Label: "Service wanted", CRMField: "note", Required: true},
			{Key: "job_title", Label: "Job title", CRMField: "title"},
		},
	}
}

// mustAgent creates an enabled agent of tenant t answering numberA.
func (e *env) mustAgent(t *app.Tenant, cfg agents.Config) *agents.Agent {
	e.t.Helper()
	a := &agents.Agent{TenantID: t.ID, Name: "Reception", Enabled: true, Phone: numberA, Config: cfg}
	if err := e.svc.SaveAgent(e.admin(), a); err != nil {
		e.t.Fatal(err)
	}
	return a
}

func (e *env) mustPlayground(a *agents.Agent) *agents.Conversation {
	e.t.Helper()
	c, err := e.svc.StartPlayground(e.admin(), a.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// say runs one turn synchronously and returns the reply.
func (e *env) say(c *agents.Conversation, text string) *agents.Reply {
	e.t.Helper()
	r, err := e.svc.Respond(context.Background(), c, agents.Input{Text: text}, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

func (e *env) turns(c *agents.Conversation) []*agents.Turn {
	e.t.Helper()
	ts, err := e.st.FindTurns(context.Background(), c.TenantID, c.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return ts
}

func (e *env) conv(c *agents.Conversation) *agents.Conversation {
	e.t.Helper()
	got, err := e.st.FindConversation(context.Background(), c.TenantID, c.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return got
}

func (e *env) tenantCtx(t *app.Tenant) context.Context {
	return app.NewContextWithTenant(context.Background(), t)
}

func (e *env) people(t *app.Tenant) []*app.Person {
	e.t.Helper()
	ps, _, err := e.crm.People.FindPeople(e.tenantCtx(t), app.PersonFilter{})
	if err != nil {
		e.t.Fatal(err)
	}
	return ps
}

func (e *env) tasks(t *app.Tenant) []*app.Task {
	e.t.Helper()
	ts, _, err := e.crm.Tasks.FindTasks(e.tenantCtx(t), app.TaskFilter{})
	if err != nil {
		e.t.Fatal(err)
	}
	return ts
}

func toolTurns(ts []*agents.Turn) []*agents.Turn {
	var out []*agents.Turn
	for _, t := range ts {
		if t.Role == agents.RoleTool {
			out = append(out, t)
		}
	}
	return out
}

func lastEvent(ts []*agents.Turn) string {
	for i := len(ts) - 1; i >= 0; i-- {
		if ts[i].Role == agents.RoleEvent {
			return ts[i].Content
		}
	}
	return ""
}

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < 500; i++ {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}
