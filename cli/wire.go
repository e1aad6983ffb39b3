package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"

	"orengen/app"
	"orengen/app/agents"
	"orengen/app/billing"
	"orengen/app/brand"
	"orengen/app/calendar"
	"orengen/app/courses"
	"orengen/app/creators"
	"orengen/app/federal"
	"orengen/app/inbox"
	"orengen/app/platform"
	"orengen/app/sheets"
	"orengen/app/sites"
	"orengen/app/twenty"
	"orengen/app/wiki"
	"orengen/export"
	"orengen/grants"
	"orengen/httpx"
	"orengen/pdftext"
	"orengen/sam"
	"orengen/sbom"
	"orengen/smtp"
	"orengen/store"
	"orengen/stripe"
	"orengen/twilio"
	"orengen/ui"
	"orengen/xlsx"
)

// App is the whole object graph of the appliance, built once by Open on a
// configuration: the stores, every service, and the HTTP server with the
// services wired in. serve, every subcommand that reads or writes data,
// and the tests use it, so there is one wiring to read and to change.
// Open starts nothing: serve calls Start for the background work (the
// automation workers, webhook deliveries, the federal scout, DNS checks).
type App struct {
	Config *Config
	Logger *slog.Logger
	DB     *store.DB
	KV     *store.KV
	// Stores are the stores under the services (stores.go).
	Stores Stores

	Auth          *app.AuthService
	Tenants       *app.TenantService
	Transfer      *app.TenantTransferService // tenant export and import (issue #22)
	Snapshots     *app.SnapshotService       // tenant configuration snapshots (issue #22)
	Wizards       *app.WizardService         // the new-client wizard (issue #22)
	Users         *app.UserService
	APIKeys       *app.APIKeyService
	Vault         *app.VaultService
	Audit         *app.AuditService
	Outbox        *app.OutboxService
	AdminTOTP     *app.AdminTOTPService
	AdminSessions *store.AdminSessionStore
	// Mailer sends the appliance's own email (invitations, resets): SMTP
	// with ORENGEN_SMTP_URL, else the outbox log.
	Mailer       app.Mailer
	Domains      *app.DomainService
	Integrations *app.IntegrationService
	// Providers: the base URLs (Twilio, model) an admin may change
	// without a restart, over the flags.
	Providers   *app.ProviderService
	Webhooks    *app.WebhookService
	Automations *app.AutomationService
	Engine      *app.Engine
	Forms       *app.FormService
	// Agents is Agent Studio (AI agents on chat, SMS and calls).
	Agents *agents.Service
	// Inbox is Conversations: SMS, email and chat threads (cli/inbox.go).
	Inbox   *inbox.Service
	Federal *Federal
	// Hub is the integrations hub (cli/integrations.go).
	Hub *platform.Hub
	// Wiki is the Knowledge Wiki (spaces, pages, search, the agents'
	// retrieval); Sheets is Data & Sheets (tables, rows, imports, the
	// workflow steps and the agents' lookups).
	Wiki   *wiki.Service
	Sheets *sheets.Service
	// Twenty serves the Twenty-compatible REST and GraphQL APIs.
	Twenty *twenty.Service
	// Sites is the website builder (sites, pages, publishing).
	Sites *sites.Service
	// Courses is the members' area: members, courses, progress (#24).
	Courses *courses.Service
	// Billing is the usage ledger, plans, wallets and invoices (billing.go).
	Billing *billing.Service
	// Payments charges invoices through Stripe (billing.go).
	Payments *billing.Payments
	Stripe   *stripe.Client

	// Brand is the brand & press kit (brand.go, issue #22).
	Brand *brand.Service
	// Creators is creator (UGC) management (creators.go, issue #22).
	Creators     *creators.Service
	creatorsDone <-chan struct{}

	// Calendar is the universal calendar: calendars, event types,
	// availability and bookings.
	Calendar *calendar.Service
	// CalendarNotifier sends booking emails and reminders (Start runs it).
	CalendarNotifier *calendar.Notifier
	// CalendarSync reads CalDAV calendars and ICS feeds in and writes
	// bookings out (Start runs it).
	CalendarSync *calendar.Syncer
	// CRM are the tenant-scoped CRM stores, one per record kind (people,
	// companies, deals, notes, tasks, timeline, ...).
	CRM *store.CRMStores
	// CRMService is the CRM the ui and the commands use: the stores'
	// record kinds and the optional capabilities (views, tags, import).
	CRMService *app.CRMService
	// Backups reports replication and runs restore drills; serve sets it
	// when a replica is configured (nil otherwise).
	Backups *app.BackupService
	// Server serves every host; serve sets the listener-dependent fields
	// (PublicPort, Certs) and opens it.
	Server *ui.Server
	// Metrics is the Prometheus registry of /metrics; the mailers, the
	// Twilio clients, the engine and the webhook service count their work
	// in it.
	Metrics *ui.Metrics
	// Outbound is the admin's allow-list (--outbound-allow) of the one
	// guarded outbound HTTP client (httpx); every client that reaches an
	// address a tenant, a user or a setting chose is built on it by
	// outboundClient.
	Outbound *httpx.Guard
	// Certs is the certificate manager with --tls=auto (serve sets it).
	Certs *ui.CertManager
	// MasterKeyFile is the development key file, or "" when the key came
	// from ORENGEN_MASTER_KEY.
	MasterKeyFile string
	// probe is serve's read of the database before the open (openInto).
	probe *store.Probe
	// twilioHTTP is the outbound client of every tenant's Twilio client.
	twilioHTTP *http.Client
	// replicated: serve runs a replicator, which does the checkpoints
	// (store.DB.ReplicatorCheckpoints).
	replicated bool

	// Start's background work, ended by Stop.
	cancel                             context.CancelFunc
	webhooksDone, federalDone, dnsDone <-chan struct{}
	toolsDone                          <-chan struct{}
	usageDone                          <-chan struct{}
	calendarDone                       <-chan struct{}
	digestDone                         <-chan struct{} // courses.go: community digests
	sitesDone                          <-chan struct{}
	inboxDone                          <-chan struct{}
	billingDone                        <-chan struct{}
}

// Federal is the federal-contracting part of the graph: the SAM.gov
// quota, the scout and the service the Nexus pages, the API and the CLI
// use (the store is Stores.Federal).
type Federal struct {
	Quota   *store.SAMQuota
	Scout   *federal.Scout
	Service *federal.Service
}

// Open opens orengen.db (applying migrations) and redka.db and builds
// every service on them. The vault's master key comes from
// ORENGEN_MASTER_KEY, else from DATA_DIR/master.key (created with mode
// 0600 on first use, for development) and must be the key whose check
// value the database records (openVaultKey). A bad federal setting is a usage
// error naming its flag. Close releases what Open opened, also after an
// error.
func Open(ctx context.Context, cfg *Config, logger *slog.Logger) (*App, error) {
	return openInto(ctx, &App{Config: cfg, Logger: logger})
}

// openInto is Open for an App serve made with its probe, whose connection
// the database's read pool takes over (store.DB.Probe).
func openInto(ctx context.Context, a *App) (*App, error) {
	if err := a.open(ctx); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

func (a *App) open(ctx context.Context) error {
	cfg := a.Config
	ciph, err := a.openData(ctx)
	if err != nil {
		return err
	}
	limiter := store.NewRateLimiter(a.KV)
	// The admin session store indexes sessions per admin, so admins can
	// list and revoke theirs.
	a.AdminSessions = store.NewAdminSessionStore(a.KV)
	// Device tokens (a browser that signed in before is not slowed down
	// by failed sign-ins elsewhere) are signed with a key derived from
	// the master key.
	deviceKey := ciph.DeriveKey("login device tokens")
	a.Auth = &app.AuthService{Admins: store.NewAdminStore(a.DB), Sessions: a.AdminSessions, Limiter: limiter, Logger: a.Logger,
		Guard: &app.LoginGuard{Limiter: limiter, Scope: "admin", Key: deviceKey}}
	a.Audit = app.NewAuditService(store.NewAuditStore(a.DB))
	a.Audit.Logger = a.Logger
	outbox := store.NewOutboxStore(a.DB)
	a.Outbox = app.NewOutboxService(outbox)
	a.Metrics = ui.NewMetrics()
	var smtpDefault app.Mailer // ORENGEN_SMTP_URL; nil: none
	if cfg.SMTPURL != "" {
		c, err := smtp.ParseURL(cfg.SMTPURL)
		if err != nil {
			return fmt.Errorf("ORENGEN_SMTP_URL: %w", err)
		}
		smtpDefault = &smtp.Mailer{Config: *c, Outbox: outbox, Meter: a.Metrics, KeepIdle: smtp.DefaultKeepIdle}
	}
	a.Mailer = &app.LogMailer{Outbox: outbox, Logger: a.Logger}
	if smtpDefault != nil {
		a.Mailer = smtpDefault
	}
	a.Vault = app.NewVaultService(store.NewVaultStore(a.DB), ciph)
	a.Vault.Audit = a.Audit
	a.Domains = newDomainService(cfg, a.DB, a.Logger)
	tenants := store.NewTenantStore(a.DB)
	// A tenant's custom domains are rows of the custom-domains table that
	// also drives certificates.
	a.Stores.Tenants = tenants
	a.Tenants = app.NewTenantService(tenants)
	a.Tenants.Audit, a.Tenants.Domains = a.Audit, a.Domains
	a.Transfer = app.NewTenantTransferService(store.NewTenantTransferStore(a.DB))
	a.Transfer.Tenants, a.Transfer.Audit, a.Transfer.Dir, a.Transfer.Logger = tenants, a.Audit, filepath.Join(cfg.DataDir, "exports"), a.Logger
	a.Snapshots = app.NewSnapshotService(store.NewSnapshotStore(a.DB))
	a.Snapshots.Audit = a.Audit
	// The new-client wizard (issue #22) drives the services above; Users
	// is set once built (below).
	a.Wizards = app.NewWizardService(store.NewWizardStore(a.DB))
	a.Wizards.Tenants, a.Wizards.Domains, a.Wizards.Snapshots, a.Wizards.Audit = a.Tenants, a.Domains, a.Snapshots, a.Audit
	a.APIKeys = app.NewAPIKeyService(store.NewAPIKeyStore(a.DB))
	a.APIKeys.Audit, a.APIKeys.Limiter = a.Audit, &app.KeyLimiter{Default: cfg.APIRateLimit}
	a.Users = &app.UserService{
		Users: store.NewUserStore(a.DB), Tenants: tenants, Sessions: store.NewPortalSessionStore(a.KV),
		Limiter: limiter, Mailer: a.Mailer, Secrets: a.Vault, Audit: a.Audit, Logger: a.Logger,
		Guard: &app.LoginGuard{Limiter: limiter, Scope: "portal", Key: deviceKey},
	}
	a.Wizards.Users = a.Users
	a.AdminTOTP = app.NewAdminTOTPService(store.NewAdminTOTPStore(a.DB))
	a.AdminTOTP.Secrets, a.AdminTOTP.Limiter, a.AdminTOTP.Audit = a.Vault, limiter, a.Audit
	a.Auth.TOTP, a.Auth.Mailer, a.Auth.Audit = a.AdminTOTP, a.Mailer, a.Audit
	a.CRM = store.NewCRMStores(a.DB)
	a.CRMService = a.CRM.Service()
	a.Wiki = wiki.NewService(store.NewWikiStore(a.DB).Stores())
	a.Wiki.Tenant, a.Wiki.PDF, a.Wiki.Logger = tenants.FindTenantByID, pdftext.Text, a.Logger
	a.Sheets = sheets.NewService(store.NewSheetStore(a.DB).Stores())
	a.Sheets.Tenant, a.Sheets.ImportDir, a.Sheets.XLSX, a.Sheets.Logger = tenants.FindTenantByID, filepath.Join(cfg.DataDir, "imports"), xlsx.Workbooks{}, a.Logger
	if a.Outbound, err = httpx.ParseAllow(cfg.OutboundAllow); err != nil {
		return usageError{err}
	}
	hooks := a.Outbound
	if cfg.WebhookAllowPrivate {
		hooks = hooks.AllowAll()
	}
	a.Stores.Webhooks = store.NewWebhookStore(a.DB)
	a.Webhooks = app.NewWebhookService(a.Stores.Webhooks)
	a.Webhooks.Vault, a.Webhooks.Logger, a.Webhooks.Meter = a.Vault, a.Logger, a.Metrics
	a.Webhooks.Retention, a.Webhooks.Keep = cfg.WebhookRetention, cfg.WebhookKeep
	a.Webhooks.HTTP = httpx.New(hooks, httpx.Options{Timeout: app.WebhookTimeout, MaxRedirects: -1, UserAgent: "webhooks/1"})

	a.wireServer()
	a.wireAutomations(smtpDefault, outbox)
	a.wireBilling()                                          // billing.go: meters the senders wireAutomations built
	a.wireBrand()                                            // brand.go: the brand & press kit (issue #22)
	a.wireCreators(ciph.DeriveKey("creator private links"))  // creators.go: creators (UGC, issue #22)
	a.wireCalendar(ciph.DeriveKey("calendar booking links")) // calendar.go
	a.wireAgents()
	a.wireInbox()       // inbox.go
	a.wireSites()       // sites.go
	a.wireAgentBooker() // calendar.go

	// courses.go: the members' area (#24).
	a.wireCourses(limiter, deviceKey)

	if err := a.wireFederal(); err != nil {
		return err
	}
	a.wireIntegrations() // integrations.go: the hub over the integrations above
	a.wireOps()          // ops.go: /metrics collectors and token, disk health
	return nil
}

// openData opens the database, the key-value store (redka) and the
// vault's master key, which must be the key the database's secrets were
// sealed with.
func (a *App) openData(ctx context.Context) (*app.Cipher, error) {
	cfg := a.Config
	a.DB = store.NewDB(cfg.DBPath())
	a.DB.Probe = a.probe
	a.DB.ReplicatorCheckpoints = a.replicated
	if err := a.DB.Open(ctx); err != nil {
		a.DB = nil
		return nil, fmt.Errorf("open database: %w", err)
	}
	a.KV = store.NewKV(cfg.KVPath())
	a.KV.ReplicatorCheckpoints = a.replicated
	if err := a.KV.Open(); err != nil {
		a.KV = nil
		return nil, fmt.Errorf("open redka: %w", err)
	}
	ciph, keyFile, err := openVaultKey(ctx, cfg, a.DB) // vault_key.go
	if err != nil {
		return nil, err
	}
	a.MasterKeyFile = keyFile
	return ciph, nil
}

// wireServer builds the HTTP server over the core services (the sites,
// the portal, Nexus and the API); the wire* steps after it add their
// modules' handlers.
func (a *App) wireServer() {
	cfg := a.Config
	a.Stores.Site = store.NewSiteStore(a.DB)
	tools := platform.NewTools(store.NewToolStore(a.DB))
	tools.Logger = a.Logger
	a.Server = &ui.Server{
		Domains:    a.Domains,
		Domain:     cfg.Domain,
		Secure:     cfg.TLS == "auto",
		PublicPort: publicPort(cfg, cfg.HTTPAddr),
		Version:    buildVersion(),
		Logger:     a.Logger,
		BodyLimit:  cfg.BodyLimit,
		SessionKey: cfg.SessionKey,                        // serve sets the key file's when unset
		ImportDir:  filepath.Join(cfg.DataDir, "imports"), // inside ReadWritePaths when installed
		Auth:       a.Auth,
		Site:       app.NewSiteService(a.Stores.Site),
		Leads:      app.NewLeadService(store.NewLeadStore(a.DB), store.NewTenantLeadStore(a.DB)),
		Tenants:    a.Tenants,
		Transfer:   a.Transfer,
		Snapshots:  a.Snapshots,
		Wizards:    a.Wizards,
		Users:      a.Users,
		APIKeys:    a.APIKeys,
		Vault:      a.Vault,
		Audit:      a.Audit,
		Outbox:     a.Outbox,
		Dashboard:  app.NewDashboardService(store.NewDashboardStore(a.DB)),
		AdminTOTP:  a.AdminTOTP,
		CRM:        a.CRMService,
		Webhooks:   a.Webhooks,
		Wiki:       a.Wiki,
		Sheets:     a.Sheets,
		// The FOSS registry reads the binary's own build info.
		FOSS: &platform.FOSS{Encode: sbom.Encode, Version: buildVersion()},
		// The agency's register of the open-source tools it runs.
		Tools: tools,
		Health: []ui.HealthCheck{func(ctx context.Context) ui.HealthItem {
			if err := a.DB.Ping(ctx); err != nil {
				return ui.HealthItem{Key: "database", Value: "error: " + err.Error(), Status: "error"}
			}
			if err := a.KV.Ping(ctx); err != nil {
				return ui.HealthItem{Key: "database", Value: "redka error: " + err.Error(), Status: "error"}
			}
			return ui.HealthItem{Key: "database", Value: "ok", Status: "ok"}
		}},
		LeadRateLimit: cfg.LeadRateLimit,
	}
	a.Server.AdminSessions = a.AdminSessions
	a.Server.Leads.Audit = a.Audit
	if a.Server.LeadRateLimit == 0 {
		a.Server.LeadRateLimit = -1 // --lead-rate-limit 0: no limit either
	}
	// Links in a tenant's email point at its own domain when it has one,
	// else at app.DOMAIN.
	a.Users.PortalURL = func(ctx context.Context, t *app.Tenant) string {
		if ds, err := a.Domains.DomainsByTenant(ctx, t.ID); err == nil && len(ds) > 0 {
			return a.Server.TenantURL(ds[0])
		}
		return a.Server.URL(ui.HostPortal)
	}
}

// wireAutomations builds the integrations, the automation service and its
// engine, and the form generator whose submissions go through the
// automation service's capture transaction.
func (a *App) wireAutomations(smtpDefault app.Mailer, outbox app.OutboxStore) {
	cfg := a.Config
	// One workflow store under the automation service, its engine and
	// the engine's triggers.
	a.Stores.Workflows = store.NewWorkflowStore(a.DB)
	ws := a.Stores.Workflows
	a.twilioHTTP = a.outboundClient(httpx.Options{}, cfg.TwilioAPIURL)
	a.Providers = app.NewProviderService(store.NewProviderStore(a.DB))
	a.Providers.Audit, a.Providers.Logger = a.Audit, a.Logger
	a.Providers.Defaults = app.ProviderSettings{TwilioAPIURL: strings.TrimRight(cfg.TwilioAPIURL, "/"), ModelURL: strings.TrimRight(cfg.OpenAIURL, "/"), Model: cfg.OpenAIModel,
		StripeAPIURL: strings.TrimRight(cfg.StripeAPIURL, "/")}
	a.Integrations = &app.IntegrationService{
		Vault: a.Vault, Tenants: a.Stores.Tenants, DefaultMailer: smtpDefault,
		NewTelephony: func(ctx context.Context, tenantID int64, acct app.TwilioAccount) (app.Telephony, error) {
			return a.newTwilio(ctx, tenantID, acct)
		},
		NewMailer: func(u string) (app.Mailer, error) {
			c, err := smtp.ParseURL(u)
			if err != nil {
				return nil, err
			}
			return &smtp.Mailer{Config: *c, Outbox: outbox, Meter: a.Metrics}, nil
		},
	}
	eng := app.NewEngine(ws)
	eng.Contacts, eng.HTTP, eng.Logger, eng.Meter = store.NewContactStore(a.DB), &httpx.Sender{Client: a.outboundClient(httpx.Options{})}, a.Logger, a.Metrics
	eng.Workers, eng.Lease, eng.RunMaxAge, eng.KeepRuns = cfg.AutomationWorkers, cfg.AutomationLease, cfg.AutomationRetention, cfg.AutomationKeepRuns
	eng.Telephony = a.Integrations.Telephony
	eng.Mailer = a.Integrations.Mailer
	eng.GatherAction = func(tenantID int64, key, forward string) string {
		return a.Server.TwilioGatherURL(tenantID, key, forward)
	}
	eng.Voice = twilio.Markup{} // the call step's TwiML
	eng.AdminEmail = a.Auth.OwnerEmail
	eng.Triggers = app.NewTriggers(ws)
	eng.Triggers.Logger = a.Logger
	eng.Sheets = a.Sheets
	a.Engine = eng
	as := app.NewAutomationService(ws, store.NewAutomationRequestStore(a.DB)) // clients request automations from the catalogue
	as.Engine, as.Audit = a.Engine, a.Audit
	as.ValidSignature = twilio.ValidSignature
	as.Voice = twilio.Markup{} // the TwiML answering the voice webhook
	as.TwilioAuthToken = a.Integrations.TwilioAuthToken
	as.TenantForNumber = a.Integrations.TenantForNumber
	as.Missing = a.Integrations.Missing
	as.Sheets = a.Sheets // sheet steps' tables and columns are checked on save
	a.Automations = as
	a.Stores.Forms = store.NewFormStore(a.DB)
	a.Forms = app.NewFormService(a.Stores.Forms)
	a.Forms.Automations, a.Forms.Mailer, a.Forms.Tenants, a.Forms.Audit, a.Forms.Logger = a.Automations, a.Mailer, a.Stores.Tenants, a.Audit, a.Logger
	a.Server.Automations = a.Automations
	a.Server.Providers = a.Integrations
	a.Server.ModelKey = func(ctx context.Context) bool {
		return a.Config.OpenAIAPIKey != "" || a.Integrations.Secret(ctx, app.HouseTenantID, app.SecretOpenAIKey) != ""
	}
	a.Server.ModelURL = func(ctx context.Context) string { return a.Providers.Current(ctx).ModelURL }
	a.Server.Forms = a.Forms
	// The CRM in Twenty's shapes (/rest, /graphql): createContact upserts
	// through the engine's contact store, so its triggers fire as a form's.
	a.Twenty = &twenty.Service{CRM: a.CRMService, Contacts: a.Engine.Contacts}
	a.Server.Twenty = a.Twenty
}

// wireFederal builds the federal services. The SAM.gov and model keys are
// read on every use: the vault's global secret first, else the
// environment, so a key saved in Nexus takes effect without a restart.
// Alerts go to the tenant's "federal_alert" workflows, else to the log.
func (a *App) wireFederal() error {
	cfg := a.Config
	if err := checkBaseURL("sam-api-url", cfg.SAMAPIURL); err != nil {
		return usageError{err}
	}
	if err := checkBaseURL("grants-api-url", cfg.GrantsAPIURL); err != nil {
		return usageError{err}
	}
	if _, err := federal.DefaultQuotaPolicy().Limit(cfg.SAMKeyType); err != nil {
		return usageError{fmt.Errorf("--sam-key-type: %q is not one of personal, personal-role, personal-federal, system, system-federal", cfg.SAMKeyType)}
	}
	if cfg.OpenAIURL != "" {
		if err := checkBaseURL("openai-url", cfg.OpenAIURL); err != nil {
			return usageError{err}
		}
	}
	key := func(name, env string) func(ctx context.Context) (federal.Secret, error) {
		return func(ctx context.Context) (federal.Secret, error) {
			v, err := a.Vault.GetOr(ctx, app.GlobalScope, name, env)
			return federal.Secret(v), err
		}
	}
	a.Stores.Federal = store.NewFederalStore(a.DB)
	f := &Federal{Quota: store.NewSAMQuota(a.KV)}
	httpc := a.outboundClient(httpx.Options{Timeout: sam.DefaultTimeout}, cfg.SAMAPIURL, cfg.GrantsAPIURL)
	fst := a.Stores.Federal.Stores()
	f.Scout = federal.NewScout(fst.Searches, fst.Notices, fst.Grants, fst.Runs)
	f.Scout.SAM = &sam.Client{BaseURL: strings.TrimRight(cfg.SAMAPIURL, "/"), HTTP: httpc, Quota: f.Quota, KeyType: cfg.SAMKeyType}
	f.Scout.Grants = &grants.Client{BaseURL: strings.TrimRight(cfg.GrantsAPIURL, "/"), HTTP: httpc}
	f.Scout.Key, f.Scout.Logger = key(app.SecretSAMKey, cfg.SAMAPIKey), a.Logger
	f.Service = federal.NewService(fst)
	f.Service.Scout, f.Service.Writer = f.Scout, export.Proposals{}
	f.Service.NotFound = func(err error) bool { return app.ErrorCode(err) == app.ENOTFOUND }
	f.Service.Sink = &federal.WorkflowSink{Next: federal.LogSink{Logger: a.Logger},
		Trigger: func(ctx context.Context, tenantID int64, payload []byte) (int, error) {
			return a.Automations.Trigger(ctx, tenantID, app.TriggerFederalAlert, payload)
		}}
	f.Service.LLM = &federal.LLMExtractor{Key: key(app.SecretOpenAIKey, cfg.OpenAIAPIKey), HTTP: a.outboundClient(httpx.Options{Timeout: federal.DefaultLLMTimeout}, cfg.OpenAIURL),
		Endpoint: func(ctx context.Context) (string, string) { p := a.Providers.Current(ctx); return p.ModelURL, p.Model }}
	a.Federal = f
	a.Server.Federal = f.Service
	return nil
}

// outboundClient returns a client of the one guarded outbound HTTP client
// (httpx) on the admin's allow-list, plus the hosts of the base URLs an
// admin set by flag (--sam-api-url, --openai-url...): the admin chose
// them, while what a tenant enters and every redirect stay guarded.
func (a *App) outboundClient(o httpx.Options, adminURLs ...string) *http.Client {
	g := a.Outbound
	for _, u := range adminURLs {
		if u == "" {
			continue
		}
		if w, err := g.WithURLHost(u); err == nil { // checkBaseURL reports bad ones
			g = w
		}
	}
	return httpx.New(g, o)
}

func checkBaseURL(flagName, v string) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		example := "https://api.sam.gov"
		if flagName == "openai-url" {
			example = "https://api.openai.com/v1"
		}
		return fmt.Errorf("--%s: %q is not an http(s) base URL like %s", flagName, v, example)
	}
	return nil
}

// newDomainService returns the custom-domain service, with DNS checks
// through --dns-resolver when set.
func newDomainService(cfg *Config, db *store.DB, logger *slog.Logger) *app.DomainService {
	ds := app.NewDomainService(store.NewDomainStore(db))
	ds.Resolver, ds.Domain, ds.PublicIPs, ds.Logger = resolver(cfg), cfg.Domain, cfg.PublicIPs, logger
	return ds
}

// resolver returns the resolver of --dns-resolver, or the system's.
func resolver(cfg *Config) *net.Resolver {
	if cfg.DNSResolver == "" {
		return net.DefaultResolver
	}
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, cfg.DNSResolver)
	}}
}

// publicPort is the port links show for a listener on addr: none for the
// scheme's default (80 without TLS; with TLS the HTTPS port decides).
func publicPort(cfg *Config, addr string) string {
	_, port, _ := net.SplitHostPort(addr)
	if cfg.TLS == "off" && port == "80" || cfg.TLS == "auto" {
		return ""
	}
	return port
}

// Seed writes the content a fresh database starts with: the marketing
// site's default pages and the house tenant's "Lead capture" workflow,
// disabled until Twilio and SMTP are configured. It changes nothing that
// exists.
func (a *App) Seed(ctx context.Context) error {
	if seeded, err := store.NewSiteStore(a.DB).SeedSite(ctx); err != nil {
		return fmt.Errorf("seed site: %w", err)
	} else if seeded {
		a.Logger.Info("seeded the marketing site's default content")
	}

	seed := app.LeadCaptureWorkflow()
	seed.Enabled = len(a.Integrations.Missing(ctx, app.HouseTenantID)) == 0
	created, err := store.NewWorkflowStore(a.DB).SeedWorkflow(ctx, seed)
	if err != nil {
		return fmt.Errorf("seed workflow: %w", err)
	}
	if created {
		state := "disabled until Twilio and SMTP are configured"
		if seed.Enabled {
			state = "enabled"
		}
		a.Logger.Info("seeded the \"Lead capture\" workflow: " + state)
	}
	return nil
}

// Start runs the background work until Stop: outbound webhook
// deliveries, the automation workers, the federal scout and alert jobs,
// and the custom-domain DNS checks.
func (a *App) Start(ctx context.Context) {
	ctx, a.cancel = context.WithCancel(ctx)
	webhooksDone, dnsDone := make(chan struct{}), make(chan struct{})
	a.webhooksDone, a.dnsDone = webhooksDone, dnsDone
	go func() { a.Webhooks.Run(ctx); close(webhooksDone) }()
	// API keys' request counts are written every few seconds (and at Stop).
	usageDone := make(chan struct{})
	a.usageDone = usageDone
	go func() {
		a.APIKeys.RunUsageFlusher(ctx, app.DefaultUsageFlush, func(err error) { a.Logger.Error("api key usage", "err", err) })
		close(usageDone)
	}()
	// Sheet imports do not resume after a restart: their staged rows go.
	if n, err := a.Sheets.FailStaleImports(ctx); err != nil {
		a.Logger.Error("sheets: stale imports", "err", err)
	} else if n > 0 {
		a.Logger.Warn("sheets: imports interrupted by the restart were marked failed", "imports", n)
	}
	a.Engine.Start(ctx)
	a.Agents.Start(ctx)
	a.inboxDone = a.Inbox.Start(ctx) // snoozed conversations reopen on time
	calendarDone := make(chan struct{})
	a.calendarDone = calendarDone
	go func() { a.runCalendar(ctx); close(calendarDone) }() // calendar.go: notices and CalDAV/ICS sync
	sitesDone := make(chan struct{})
	a.sitesDone = sitesDone
	go func() { a.runSiteAnalytics(ctx); close(sitesDone) }() // sites.go: page views and conversions, rollups
	a.Logger.Info("automation workers started", "workers", a.Engine.Workers, "missing", strings.Join(a.Integrations.Missing(ctx, app.HouseTenantID), ","))
	a.federalDone = a.Federal.start(ctx)
	go func() { a.Domains.Run(ctx); close(dnsDone) }()
	billingDone := make(chan struct{})
	a.billingDone = billingDone
	go func() { a.runBilling(ctx); close(billingDone) }() // billing.go: month-end invoicing
	toolsDone := make(chan struct{})
	a.toolsDone = toolsDone
	go func() { a.Server.Tools.Run(ctx, platform.ToolReminderInterval); close(toolsDone) }() // FOSS tools' update reminders
	digestDone := make(chan struct{})
	a.digestDone = digestDone
	go func() { a.Courses.RunDigests(ctx); close(digestDone) }() // community email digests (#24)
	creatorsDone := make(chan struct{})
	a.creatorsDone = creatorsDone
	go func() { a.runCreators(ctx); close(creatorsDone) }() // creators.go: usage-rights reminders (#22)
}

// Stop ends the background work Start began and waits for it, in an order
// that lets each part finish what the others queued: DNS checks, workflow
// runs, restore drills, webhook deliveries, then the federal jobs. serve
// calls it after draining requests and before closing the databases.
func (a *App) Stop() {
	if a.cancel == nil {
		return
	}
	a.cancel()
	<-a.dnsDone
	<-a.billingDone
	<-a.toolsDone
	<-a.digestDone
	<-a.creatorsDone
	<-a.calendarDone
	<-a.sitesDone
	<-a.inboxDone
	a.Engine.Wait()
	a.Agents.Wait()
	if a.Backups != nil {
		a.Backups.Wait()
	}
	<-a.webhooksDone
	<-a.usageDone
	<-a.federalDone
	// The workers are done: quit the SMTP sessions kept open for them.
	if m, ok := a.Mailer.(*smtp.Mailer); ok {
		if err := m.Close(); err != nil {
			a.Logger.Warn("quit the SMTP sessions", "err", err)
		}
	}
	a.cancel = nil
}

// start runs the scout's scheduler and the alert job (90/30/7-day
// reminders and the daily digest, hourly; each alert fires once) until ctx
// is done; the returned channel closes when both have stopped (and any
// "run now" has finished).
func (f *Federal) start(ctx context.Context) <-chan struct{} {
	f.Service.SetContext(ctx)
	done := make(chan struct{})
	alerts := make(chan struct{})
	go func() {
		defer close(alerts)
		f.Service.RunAlertScheduler(ctx, federal.DefaultAlertInterval, f.Service.FederalTenants)
	}()
	go func() {
		defer close(done)
		f.Scout.RunScheduler(ctx, f.Service.FederalTenants)
		<-alerts
		f.Service.Wait()
	}()
	return done
}

// Close closes the databases.
func (a *App) Close() error {
	var errs []error
	if a.KV != nil {
		errs = append(errs, a.KV.Close())
		a.KV = nil
	}
	if a.DB != nil {
		errs = append(errs, a.DB.Close())
		a.DB = nil
	}
	return errors.Join(errs...)
}

// newTwilio builds the Twilio client of a tenant's complete account, on
// the provider URL an admin set (else --twilio-api-url).
func (a *App) newTwilio(ctx context.Context, tenantID int64, acct app.TwilioAccount) (*twilio.Client, error) {
	return twilio.New(twilio.Config{
		AccountSID: acct.AccountSID, AuthToken: acct.AuthToken, From: acct.From, APIURL: a.Providers.Current(ctx).TwilioAPIURL,
		StatusCallback: func(key string) string { return a.Server.TwilioCallbackURL(tenantID, key) },
		Meter:          a.Metrics,
		HTTP:           a.twilioHTTP,
	})
}
