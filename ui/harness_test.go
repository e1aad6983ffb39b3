package ui_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"orengen/app/agents"
	"orengen/cli"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"orengen/app"
	"orengen/app/calendar"
	"orengen/app/federal"
	"orengen/app/sheets"
	"orengen/app/sites"
	"orengen/app/wiki"
	"orengen/store"
	"orengen/ui"
	sitesui "orengen/ui/sites"
)

// tenantEnv is a whole server on a temp data directory with two tenants (A
// and B), each with an owner, a lead, API keys and a session, plus an
// admin with a session and admin keys.
type tenantEnv struct {
	t       *testing.T
	DB      *store.DB
	KV      *store.KV
	Server  *ui.Server
	Key     []byte
	Mailer  app.Mailer
	Outbox  *store.OutboxStore
	Domains *app.DomainService
	App     *cli.App

	Admin *app.Admin
	// OtherAdminSessionKey is the hash of a second admin's session.
	OtherAdminSessionKey string
	AdminCookie          string
	StaffCookie          string // the Nexus staff admin's session
	AdminKeyRead         string
	AdminKeyW            string
	A, B                 *tenantSide
	// NoticeID is a house-tenant SAM.gov notice (federal routes).
	NoticeID string
	// HouseFormID is a form of the house tenant (Nexus > Forms).
	HouseFormID int64
	// HouseSite is a site of the house tenant with a page.
	HouseSite     *sites.Site
	HouseSitePage *sites.Page
	// ToolID and SpareToolID are tools of the FOSS tool register (the
	// spare one for deletes).
	ToolID, SpareToolID int64
}

// tenantSide is one tenant's fixtures.
type tenantSide struct {
	// EventTypeID and BookingID are the side's calendar fixtures.
	EventTypeID, BookingID, SpareBookingID int64
	CalendarID                             int64 // the event type's host
	CalendarSourceID                       int64 // a CalDAV source of CalendarID
	T                                      *app.Tenant
	Owner                                  *app.User
	Member                                 *app.User
	Cookie                                 string // owner's portal session ID
	SessionKey                             string // hash of Cookie (what lists and revocation use)
	Lead                                   *app.Lead
	KeyRead                                string
	KeyWrite                               string
	KeyID                                  int64
	CRM                                    crmFixtures
	// Spare is a second set of CRM records, for routes that delete;
	// RestSpare a third, for the Twenty-compatible routes that delete.
	Spare, RestSpare crmFixtures
	// Tag is a tag only this tenant's company and deal carry.
	Tag string
	// UploadID is an unfinished chunked CSV upload of the tenant.
	UploadID string
	// MergeKeep and MergeDrop are duplicates for the Nexus merge route.
	MergeKeep, MergeDrop *app.Person
	CustomField          *app.CustomField
	// ImportJob is a CSV import waiting for its mapping.
	ImportJob *app.ImportJob
	// View is a saved view of people.
	View       *app.View
	PipelineID int64
	// WebhookID and DeliveryID are a webhook of the tenant and one of its
	// deliveries (to a refused address, so it stays pending).
	WebhookID, DeliveryID int64
	// AutoRequestID is a pending automation request of the tenant.
	AutoRequestID int64
	// WorkflowID is a workflow of the tenant with one run, RunID.
	WorkflowID, RunID int64
	// FormID is a built form of the tenant.
	FormID int64
	// Site is the tenant's published site (on Slug-site.localhost) and
	// SitePage a page of it with a form block.
	Site     *sites.Site
	SitePage *sites.Page
	// Agent is an AI agent of the tenant, AgentConv an ended playground
	// conversation with it.
	Agent     *agents.Agent
	AgentConv *agents.Conversation
	// AgentLive is an active playground conversation with Agent.
	AgentLive *agents.Conversation
	// WikiPage is a page of the tenant's knowledge space, with a file
	// (WikiFileID) and a live public link (WikiShare).
	WikiPage   *wiki.Page
	WikiFileID int64
	WikiShare  *wiki.Share
	// Table is a table of the tenant with one row (TableRowID) and one
	// chart, and ImportJobID an import into it waiting for its mapping.
	Table       *sheets.Table
	TableRowID  int64
	ImportJobID int64
	// Spares for the API routes that delete or change.
	SpareTableID, SpareTableRowID, SpareRowID, SpareWikiPageID, SpareWikiEditID int64
	SpareWikiKitID, SpareWikiFileID, SpareWikiShareID                           int64
}

// crmFixtures is one of each CRM record of a tenant.
type crmFixtures struct {
	Person  *app.Person
	Company *app.Company
	Deal    *app.Deal
	Note    *app.Note
	Task    *app.Task
}

func (e *tenantEnv) newCRMFixtures(tctx context.Context, name string) crmFixtures {
	t := e.t
	crm := e.Server.CRM
	f := crmFixtures{
		Company: &app.Company{Name: name + " Company", Domain: app.Slugify(name) + ".test", Tags: []string{app.Slugify(name) + "-only"}},
		Person:  &app.Person{FirstName: name + " Contact", LastName: "Person", Emails: []string{"contact@" + app.Slugify(name) + ".test"}, Phones: []string{"+1 512 555 0199"}},
	}
	if err := crm.CreateCompany(tctx, f.Company); err != nil {
		t.Fatal(err)
	}
	f.Person.CompanyID = f.Company.ID
	if err := crm.CreatePerson(tctx, f.Person); err != nil {
		t.Fatal(err)
	}
	f.Deal = &app.Deal{Name: name + " Deal", Amount: 500000, CompanyID: f.Company.ID, PersonIDs: []int64{f.Person.ID}, Tags: []string{app.Slugify(name) + "-only"}}
	if err := crm.CreateDeal(tctx, f.Deal); err != nil {
		t.Fatal(err)
	}
	f.Note = &app.Note{RecordType: app.RecordPerson, RecordID: f.Person.ID, Body: name + " private note"}
	if err := crm.CreateNote(tctx, f.Note); err != nil {
		t.Fatal(err)
	}
	f.Task = &app.Task{Title: name + " follow-up", RecordType: app.RecordDeal, RecordID: f.Deal.ID}
	if err := crm.CreateTask(tctx, f.Task); err != nil {
		t.Fatal(err)
	}
	return f
}

const tenantTestPassword = "correct horse battery"

// wired is the production object graph (cli.Open) on a temp data
// directory, with the outside world replaced at its boundaries only: DNS
// answers from stubResolver, SAM.gov at a closed port, and every tenant's
// Twilio webhooks signed with testTwilioToken (the global vault secret).
type wired struct {
	App     *cli.App
	DB      *store.DB
	KV      *store.KV
	Server  *ui.Server
	Auth    *app.AuthService
	Outbox  *store.OutboxStore
	Mailer  app.Mailer
	Domains *app.DomainService
	Key     []byte
}

// testMasterKey and testSessionKey are the keys of every test server.
var (
	testMasterKey  = []byte(strings.Repeat("m", 32))
	testSessionKey = []byte(strings.Repeat("k", 32))
)

// newWired takes more serve flags in args (a fake service's URL).
func newWired(t *testing.T, args ...string) *wired {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	env := map[string]string{
		"ORENGEN_MASTER_KEY":  base64.StdEncoding.EncodeToString(testMasterKey),
		"ORENGEN_SESSION_KEY": base64.StdEncoding.EncodeToString(testSessionKey),
	}
	cfg, err := cli.LoadConfig(flag.NewFlagSet("test", flag.ContinueOnError), append([]string{"--data-dir", dir, "--domain", "localhost",
		"--sam-api-url", "http://127.0.0.1:1", "--sam-key-type", "system", "--outbound-allow", icsFeed().Listener.Addr().String()}, args...), func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := cli.Open(ctx, cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	w := &wired{App: a, DB: a.DB, KV: a.KV, Server: a.Server, Auth: a.Auth, Outbox: store.NewOutboxStore(a.DB), Mailer: a.Mailer,
		Domains: a.Domains, Key: testSessionKey}
	a.Domains.Resolver = stubResolver{}
	// A long first wait, so a slowed account stays slowed however loaded
	// the machine is (the app tests time the doubling).
	a.Auth.Guard.BaseDelay, a.Users.Guard.BaseDelay = time.Minute, time.Minute
	a.Server.Version = "test"
	a.Server.PublicPort = "" // serve sets it from its listener
	a.Server.ImportDir = t.TempDir()
	a.Server.Health = []ui.HealthCheck{func(ctx context.Context) ui.HealthItem {
		return ui.HealthItem{Key: "database", Value: "ok", Status: "ok"}
	}}
	if err := a.Vault.Put(ctx, app.GlobalScope, app.SecretTwilioToken, testTwilioToken); err != nil {
		t.Fatal(err)
	}
	if err := a.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := a.MigrateMarketingSite(ctx); err != nil { // as serve does at start
		t.Fatal(err)
	}
	// Workflow 1 (the seeded lead capture, enabled) and its run 1, for
	// the pages that show them.
	wfs := store.NewWorkflowStore(w.DB)
	if err := wfs.SetWorkflowEnabled(ctx, 1, true); err != nil {
		t.Fatal(err)
	}
	sub := &app.Submission{TenantID: app.HouseTenantID, Form: "lead-capture", Contact: app.ContactInput{Email: "seed@example.com"}, Payload: map[string]string{"email": "seed@example.com"}}
	if err := wfs.CaptureSubmission(ctx, sub); err != nil {
		t.Fatal(err)
	}
	// Other tests count leads: the run keeps its contact (a CRM person), the lead goes.
	if err := w.DB.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(`DELETE FROM leads WHERE email = 'seed@example.com'`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := w.Server.Open(); err != nil {
		t.Fatal(err)
	}
	return w
}

func newTenantEnv(t *testing.T, args ...string) *tenantEnv {
	t.Helper()
	ctx := context.Background()
	w := newWired(t, args...)
	e := &tenantEnv{t: t, Key: w.Key, Domains: w.Domains, DB: w.DB, KV: w.KV, Server: w.Server, Mailer: w.Mailer, Outbox: w.Outbox, App: w.App}
	auth := w.Auth
	hash, err := app.HashPassword(ctx, tenantTestPassword)
	if err != nil {
		t.Fatal(err)
	}
	e.Admin = &app.Admin{Email: "boss@agency.test", Role: app.RoleOwner, PasswordHash: hash}
	if err := auth.Admins.CreateAdmin(ctx, e.Admin); err != nil {
		t.Fatal(err)
	}
	e.AdminCookie = app.RandomToken(32)
	if err := auth.Sessions.CreateSession(ctx, &app.Session{ID: e.AdminCookie, AdminID: e.Admin.ID, CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	other := &app.Admin{Email: "staff@agency.test", Role: app.RoleStaff, PasswordHash: hash}
	if err := auth.Admins.CreateAdmin(ctx, other); err != nil {
		t.Fatal(err)
	}
	otherID := app.RandomToken(32)
	if err := auth.Sessions.CreateSession(ctx, &app.Session{ID: otherID, AdminID: other.ID, CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	e.OtherAdminSessionKey = app.HashToken(otherID)
	e.StaffCookie = otherID
	if e.AdminKeyRead, _, err = e.Server.APIKeys.CreateAdminKey(ctx, "r", app.ScopeRead); err != nil {
		t.Fatal(err)
	}
	if e.AdminKeyW, _, err = e.Server.APIKeys.CreateAdminKey(ctx, "w", app.ScopeWrite); err != nil {
		t.Fatal(err)
	}
	e.NoticeID = seedFederal(t, e.Server.Federal, e.App.Stores.Federal)
	e.HouseFormID = e.newForm(app.NewContextWithTenant(ctx, &app.Tenant{ID: app.HouseTenantID}), "House contact form")
	e.HouseSite, e.HouseSitePage = e.houseSite() // sites_test.go
	e.ToolID, e.SpareToolID = e.fossTools()      // foss_tools_test.go
	e.A = e.newSide("Alpha Plumbing", "#1d4ed8", hash)
	e.B = e.newSide("Bravo Zebrafish", "#7c2d12", hash)
	return e
}

func (e *tenantEnv) newSide(name, colour, hash string) *tenantSide {
	t, ctx := e.t, context.Background()
	s := &tenantSide{T: &app.Tenant{Name: name, PrimaryColor: colour, SupportEmail: "help@" + app.Slugify(name) + ".test"}}
	if err := e.Server.Tenants.CreateTenant(ctx, s.T, ""); err != nil {
		t.Fatal(err)
	}
	tctx := app.NewContextWithTenant(ctx, s.T)
	us := store.NewUserStore(e.DB)
	s.Owner = &app.User{Email: "owner@" + s.T.Slug + ".test", Name: name + " Owner", Role: app.UserRoleOwner, PasswordHash: hash}
	s.Member = &app.User{Email: "member@" + s.T.Slug + ".test", Name: name + " Member", Role: app.UserRoleMember, PasswordHash: hash}
	for _, u := range []*app.User{s.Owner, s.Member} {
		if err := us.CreateTenantUser(tctx, u); err != nil {
			t.Fatal(err)
		}
	}
	s.Lead = &app.Lead{FirstName: name + " Lead", Email: "lead@" + s.T.Slug + ".test", Source: "test"}
	if err := e.Server.Leads.CreateTenantLead(tctx, s.Lead); err != nil {
		t.Fatal(err)
	}
	var err error
	var k *app.APIKey
	if s.KeyRead, k, err = e.Server.APIKeys.CreateTenantKey(tctx, "read", app.ScopeRead); err != nil {
		t.Fatal(err)
	}
	s.KeyID = k.ID
	if s.KeyWrite, _, err = e.Server.APIKeys.CreateTenantKey(tctx, "write", app.ScopeWrite); err != nil {
		t.Fatal(err)
	}
	s.CRM = e.newCRMFixtures(tctx, name)
	s.Tag = app.Slugify(name) + "-only"
	s.Spare = e.newCRMFixtures(tctx, name+" Spare")
	// The spare note hangs on the main person, so deleting the spare
	// person (which takes its notes along) leaves it for its own route.
	s.Spare.Note = &app.Note{RecordType: app.RecordPerson, RecordID: s.CRM.Person.ID, Body: name + " spare note"}
	if err := e.Server.CRM.CreateNote(tctx, s.Spare.Note); err != nil {
		t.Fatal(err)
	}
	s.RestSpare = e.newCRMFixtures(tctx, name+" Rest Spare")
	s.RestSpare.Note = &app.Note{RecordType: app.RecordPerson, RecordID: s.CRM.Person.ID, Body: name + " rest spare note"}
	if err := e.Server.CRM.CreateNote(tctx, s.RestSpare.Note); err != nil {
		t.Fatal(err)
	}
	s.MergeKeep = &app.Person{FirstName: name + " Keep", Emails: []string{"dup@" + s.T.Slug + ".test"}}
	s.MergeDrop = &app.Person{FirstName: name + " Drop", Emails: []string{"dup@" + s.T.Slug + ".test"}}
	for _, p := range []*app.Person{s.MergeKeep, s.MergeDrop} {
		if err := e.Server.CRM.CreatePerson(tctx, p); err != nil {
			t.Fatal(err)
		}
	}
	s.CustomField = &app.CustomField{Object: app.RecordDeal, Key: "region", Type: app.CustomSelect, Options: []string{"north", "south"}}
	if err := e.Server.CRM.CreateCustomField(tctx, s.CustomField); err != nil {
		t.Fatal(err)
	}
	s.PipelineID = s.CRM.Deal.PipelineID
	wh := &app.WebhookSubscription{URL: "http://127.0.0.1:9/hook", Events: []string{"person.created"}}
	if _, err := e.Server.Webhooks.Subscribe(tctx, wh); err != nil {
		t.Fatal(err)
	}
	s.WebhookID = wh.ID
	if _, err := e.Server.Webhooks.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	ds, err := e.Server.Webhooks.RecentDeliveries(tctx, 1)
	if err != nil || len(ds) != 1 {
		t.Fatalf("webhook fixture: %v %v", ds, err)
	}
	s.DeliveryID = ds[0].ID
	csvPath := filepath.Join(e.Server.ImportDir, s.T.Slug+".csv")
	if err := os.WriteFile(csvPath, []byte("Name,Email\n"+name+" Import,import@"+s.T.Slug+".test\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s.ImportJob = &app.ImportJob{Object: app.RecordPerson, FileName: "fixture.csv", Path: csvPath, Header: []string{"Name", "Email"}, Mapping: []string{"name", "emails"}}
	if err := e.Server.CRM.Imports.CreateImportJob(tctx, s.ImportJob); err != nil {
		t.Fatal(err)
	}
	s.View = &app.View{Name: name + " view", Object: app.RecordPerson, Columns: []string{"name", "email"}}
	if err := e.Server.CRM.Views.CreateView(tctx, s.View); err != nil {
		t.Fatal(err)
	}
	ar := &app.AutomationRequest{TenantID: s.T.ID, Template: "email-new-leads", Params: map[string]string{"notify_email": "owner@" + s.T.Slug + ".test"}, CreatedBy: s.Owner.ID}
	if err := store.NewAutomationRequestStore(e.DB).CreateAutomationRequest(ctx, ar); err != nil {
		t.Fatal(err)
	}
	s.AutoRequestID = ar.ID
	wf := &app.Workflow{TenantID: s.T.ID, Name: name + " webhook", Trigger: app.TriggerWebhook, Enabled: true,
		Definition: &app.Definition{Steps: []app.Step{{ID: "c", Type: app.StepContact}}}}
	wfs := store.NewWorkflowStore(e.DB)
	if err := wfs.SaveWorkflow(ctx, wf); err != nil {
		t.Fatal(err)
	}
	s.WorkflowID = wf.ID
	if s.RunID, err = wfs.EnqueueRun(ctx, app.RunSpec{Workflow: wf, Payload: map[string]string{"email": "hook@" + s.T.Slug + ".test"}}); err != nil {
		t.Fatal(err)
	}
	s.FormID = e.newForm(tctx, name+" quote form")
	s.Site, s.SitePage = e.publishSite(s, s.T.Slug+"-site.localhost") // sites_test.go
	sp, err := e.App.Wiki.Space(tctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.WikiPage, err = e.App.Wiki.CreatePage(tctx, sp.ID, 0, name+" SOP", name+" secret wiki text"); err != nil {
		t.Fatal(err)
	}
	att, err := e.App.Wiki.Attach(tctx, s.WikiPage.ID, "notes.txt", []byte(name+" attachment text"))
	if err != nil {
		t.Fatal(err)
	}
	s.WikiFileID = att.ID
	if s.WikiShare, err = e.App.Wiki.Share(tctx, s.WikiPage.ID); err != nil {
		t.Fatal(err)
	}
	s.Agent = &agents.Agent{Name: name + " agent", Config: agents.Config{Instructions: name + " secret instructions", Channels: agents.Channels{Web: true}}}
	if err := e.App.Agents.SaveAgent(tctx, s.Agent); err != nil {
		t.Fatal(err)
	}
	if s.AgentConv, err = e.App.Agents.StartPlayground(tctx, s.Agent.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.App.Agents.End(tctx, s.AgentConv, "", "fixture"); err != nil {
		t.Fatal(err)
	}
	if s.AgentLive, err = e.App.Agents.StartPlayground(tctx, s.Agent.ID); err != nil {
		t.Fatal(err)
	}
	s.Table = &sheets.Table{Name: name + " prices", Columns: []sheets.Column{{Name: "Service"}, {Name: "Price", Type: sheets.TypeCurrency}},
		Charts: []sheets.Chart{{Type: "bar", X: "service"}}}
	if err := e.App.Sheets.CreateTable(tctx, s.Table); err != nil {
		t.Fatal(err)
	}
	if err := e.App.Sheets.UpdateTable(tctx, s.Table); err != nil { // the chart gets its ID
		t.Fatal(err)
	}
	if s.Table.Charts[0].ID == "" {
		t.Fatal("the chart has no ID")
	}
	row, err := e.App.Sheets.CreateRow(tctx, s.Table, map[string]any{"service": name + " secret service", "price": "99"})
	if err != nil {
		t.Fatal(err)
	}
	s.TableRowID = row.ID
	sheetCSV := filepath.Join(e.Server.ImportDir, s.T.Slug+"-sheet.csv")
	if err := os.WriteFile(sheetCSV, []byte("Service,Price\nx,1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	job, err := e.App.Sheets.NewImport(tctx, s.Table, "prices.csv", sheetCSV)
	if err != nil {
		t.Fatal(err)
	}
	s.ImportJobID = job.ID
	spare := &sheets.Table{Name: name + " spare", Columns: []sheets.Column{{Name: "Service"}}}
	if err := e.App.Sheets.CreateTable(tctx, spare); err != nil {
		t.Fatal(err)
	}
	srow, err := e.App.Sheets.CreateRow(tctx, spare, map[string]any{"service": "spare"})
	if err != nil {
		t.Fatal(err)
	}
	s.SpareTableID, s.SpareTableRowID = spare.ID, srow.ID
	spage, err := e.App.Wiki.CreatePage(tctx, sp.ID, 0, name+" spare page", "spare")
	if err != nil {
		t.Fatal(err)
	}
	s.SpareWikiPageID = spage.ID
	if spage, err = e.App.Wiki.CreatePage(tctx, sp.ID, 0, name+" spare page 2", "spare 2"); err != nil {
		t.Fatal(err)
	}
	s.SpareWikiEditID = spage.ID
	// A page the admin key may restore, move, attach to and share, with a
	// file and a link it may delete and revoke.
	if spage, err = e.App.Wiki.CreatePage(tctx, sp.ID, 0, name+" spare page 3", "spare 3"); err != nil {
		t.Fatal(err)
	}
	s.SpareWikiKitID = spage.ID
	if att, err = e.App.Wiki.Attach(tctx, spage.ID, "spare.txt", []byte("spare file")); err != nil {
		t.Fatal(err)
	}
	s.SpareWikiFileID = att.ID
	sh, err := e.App.Wiki.Share(tctx, spage.ID)
	if err != nil {
		t.Fatal(err)
	}
	s.SpareWikiShareID = sh.ID
	if srow, err = e.App.Sheets.CreateRow(tctx, s.Table, map[string]any{"service": "spare row"}); err != nil {
		t.Fatal(err)
	}
	s.SpareRowID = srow.ID
	s.Cookie = e.portalSession(s.Owner)
	s.SessionKey = app.HashToken(s.Cookie)
	s.UploadID = e.newUpload(s.Cookie, app.RecordPerson, "upload.csv", 100)
	s.EventTypeID, s.BookingID, s.SpareBookingID = e.newCalendarFixtures(tctx, name, s.CRM.Person)
	if et, err := e.App.Calendar.FindEventType(tctx, s.EventTypeID); err == nil {
		s.CalendarID = et.Hosts[0]
	}
	if e.App.CalendarSync != nil {
		// A CalDAV account as discovery leaves it; its server (loopback)
		// is refused by the guarded client, so a sync records the error.
		src := &calendar.Source{CalendarID: s.CalendarID, Kind: calendar.SourceCalDAV, URL: "http://127.0.0.1:9/dav/" + app.Slugify(name) + "/",
			Username: "ann", Remotes: []calendar.Remote{{Path: "/dav/work/", Name: "Work", Busy: true, Target: true}, {Path: "/dav/home/", Name: "Home"}},
			NextSyncAt: time.Now().Add(24 * time.Hour)}
		if err := e.App.Stores.Calendar.CreateSource(tctx, src); err != nil {
			t.Fatal(err)
		}
		s.CalendarSourceID = src.ID
	}
	return s
}

func (e *tenantEnv) portalSession(u *app.User) string {
	id := app.RandomToken(32)
	err := store.NewPortalSessionStore(e.KV).CreatePortalSession(context.Background(), &app.PortalSession{ID: id, UserID: u.ID, TenantID: u.TenantID,
		CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour), IP: "192.0.2.1", UserAgent: "test"})
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

// req describes one request.
type treq struct {
	Host    string // site, portal, nexus, or a literal host
	Method  string
	Path    string
	Form    url.Values
	JSON    string
	Cookies map[string]string
	Bearer  string
	CSRF    bool              // add a valid CSRF cookie and token
	Header  map[string]string // more request headers
	// Raw is a body sent as is, with ContentType (a multipart upload).
	Raw, ContentType string
}

const tenantCSRFNonce = "test-csrf-nonce-0123456789abcdef"

func (e *tenantEnv) csrfToken() string {
	m := hmac.New(sha256.New, e.Key)
	m.Write([]byte("csrf|" + tenantCSRFNonce))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func tenantHostName(h string) string {
	switch h {
	case ui.HostSite:
		return "localhost"
	case ui.HostPortal:
		return "app.localhost"
	case ui.HostNexus:
		return "nexus.localhost"
	case sitesui.HostSites: // tenant A's published site
		return "alpha-plumbing-site.localhost"
	}
	return h
}

// do runs r and returns the status, body and response.
func (e *tenantEnv) do(r treq) (int, string, *http.Response) {
	e.t.Helper()
	form := r.Form
	if r.CSRF {
		if form == nil {
			form = url.Values{}
		}
		form.Set("_csrf", e.csrfToken())
	}
	var body io.Reader
	if r.Raw != "" {
		body = strings.NewReader(r.Raw)
	} else if r.JSON != "" {
		body = strings.NewReader(r.JSON)
	} else if form != nil {
		body = strings.NewReader(form.Encode())
	}
	hr, err := http.NewRequest(r.Method, "http://"+tenantHostName(r.Host)+r.Path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	hr.Host = tenantHostName(r.Host)
	if r.Raw != "" {
		hr.Header.Set("Content-Type", r.ContentType)
	} else if r.JSON != "" {
		hr.Header.Set("Content-Type", "application/json")
	} else if form != nil {
		hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if r.Bearer != "" {
		hr.Header.Set("Authorization", "Bearer "+r.Bearer)
	}
	for k, v := range r.Header {
		hr.Header.Set(k, v)
	}
	cookies := map[string]string{}
	for k, v := range r.Cookies {
		cookies[k] = v
	}
	if r.CSRF {
		cookies["csrf"] = tenantCSRFNonce
	}
	for k, v := range cookies {
		hr.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	resp, err := e.Server.Handler().Test(hr, -1)
	if err != nil {
		e.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(b), resp
}

// stubResolver answers every name with one documentation address and no
// TXT records, so no test sends a DNS query.
type stubResolver struct{}

func (stubResolver) LookupIP(context.Context, string, string) ([]net.IP, error) {
	return []net.IP{net.ParseIP("203.0.113.7")}, nil
}

func (stubResolver) LookupTXT(_ context.Context, name string) ([]string, error) {
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

// seedFederal stores one recorded SAM.gov notice and one saved search for
// the house tenant and returns the notice ID.
func seedFederal(t *testing.T, f *federal.Service, fs *store.FederalStore) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "app", "federal", "testdata", "sam_notice_a_v1.json"))
	if err != nil {
		t.Fatal(err)
	}
	var n federal.Notice
	if err := json.Unmarshal(b, &n); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := fs.UpsertNotices(fedTenantCtx(ctx, app.HouseTenantID), []federal.Notice{n}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := f.CreateSearch(fedTenantCtx(ctx, app.HouseTenantID), &federal.SavedSearch{TenantID: app.HouseTenantID, Name: "Seeded"}); err != nil {
		t.Fatal(err)
	}
	// A grant (361874) and a proposal section (ID 1) for the Grant and
	// Proposal Studio routes.
	if _, err := fs.UpsertGrants(fedTenantCtx(ctx, app.HouseTenantID), []federal.Grant{{ID: "361874", Number: "HHS-SEED-1", Title: "Seeded grant"}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	sec := &federal.ProposalSection{TenantID: app.HouseTenantID, NoticeID: n.NoticeID, Title: "Seeded section", Position: 10, Status: "draft"}
	if err := fs.CreateSection(fedTenantCtx(ctx, app.HouseTenantID), sec); err != nil || sec.ID != 1 {
		t.Fatalf("seed section: %v (id %d)", err, sec.ID)
	}
	return n.NoticeID
}

// testTwilioToken is the Twilio auth token of every tenant in ui tests.
const testTwilioToken = "testauthtoken0123456789abcdef0123"

// newForm saves a form with a required name and email in ctx's tenant.
func (e *tenantEnv) newForm(ctx context.Context, name string) int64 {
	f := &app.Form{Name: name, Fields: []app.FormField{
		{Name: "name", Label: "Your name", Type: app.FieldText, Required: true},
		{Name: "email", Label: "Email", Type: app.FieldEmail, Required: true},
	}}
	if err := e.Server.Forms.SaveForm(ctx, f); err != nil {
		e.t.Fatal(err)
	}
	return f.ID
}

// addDomain makes host a custom domain of the tenant (pending DNS, which
// already routes the tenant's portal there).
func (e *tenantEnv) addDomain(host string, tenantID int64) {
	e.t.Helper()
	if err := e.Server.Domains.AddTenantDomain(context.Background(), tenantID, host); err != nil {
		e.t.Fatal(err)
	}
	e.Server.Tenants.ForgetDomain(host)
}

// reopen rebuilds the server's handlers after a test changed its fields.
func (e *tenantEnv) reopen() {
	e.t.Helper()
	if err := e.Server.Open(); err != nil {
		e.t.Fatal(err)
	}
}

// newCalendarFixtures gives a side a calendar open all week, an event type
// and a booking on it a week ahead.
func (e *tenantEnv) newCalendarFixtures(tctx context.Context, name string, p *app.Person) (int64, int64, int64) {
	t := e.t
	c := &calendar.Calendar{Name: name, OwnerKind: calendar.OwnerTenant, TimeZone: "UTC", Availability: allWeek()}
	if err := e.App.Calendar.CreateCalendar(tctx, c); err != nil {
		t.Fatal(err)
	}
	et := &calendar.EventType{Title: name + " call", Slug: "call", Durations: []int{30}, Hosts: []int64{c.ID}, Enabled: true}
	if err := e.App.Calendar.SaveEventType(tctx, et); err != nil {
		t.Fatal(err)
	}
	// Booked straight in the store, without a CRM contact, so the side's
	// CRM fixtures stay as the CRM tests expect them.
	var ids []int64
	cs := store.NewCalendarStore(e.DB)
	for i, h := range []int{10, 11} {
		start := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 7).Add(time.Duration(h) * time.Hour)
		b := &calendar.Booking{EventTypeID: et.ID, Start: start, End: start.Add(30 * time.Minute), Status: calendar.StatusConfirmed, Title: et.Title,
			Name: p.FirstName, Email: p.Emails[0], TimeZone: "UTC", UID: fmt.Sprintf("%s%d@test", app.Slugify(name), i)}
		if err := cs.Book(tctx, &calendar.BookInput{Booking: b, Candidates: []int64{c.ID}}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, b.ID)
	}
	return et.ID, ids[0], ids[1]
}

// fedTenantCtx scopes ctx to a tenant: federal store and service methods
// take it from the context.
func fedTenantCtx(ctx context.Context, id int64) context.Context {
	return app.NewContextWithTenant(ctx, &app.Tenant{ID: id})
}
