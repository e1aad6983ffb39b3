// Package ui is orengen's HTTP server: one Fiber app that routes by host
// to the marketing site (ui/site), the client portal (ui/portal) and
// Nexus (ui/nexus), a tenant's custom domain to its portal, and anything
// else to a bare 404. Open builds the shared plumbing (ui/web) and one
// handler per host and feature package (ui/crm, ui/automation,
// ui/forms, ui/federal, ui/api) with the services each uses; the
// certificate manager (certmagic) is here too.
//
// ui and its packages import app, app/federal, assets and ui/web; never a
// store (the services are app's). Only cli builds a Server.
package ui

import (
	"net/url"
	agentsui "orengen/ui/agents"
	"orengen/ui/api"
	"orengen/ui/automation"
	billingui "orengen/ui/billing"
	brandui "orengen/ui/brand"
	calui "orengen/ui/calendar"
	coursesui "orengen/ui/courses"
	creatorsui "orengen/ui/creators"
	"orengen/ui/crm"
	fedui "orengen/ui/federal"
	"orengen/ui/forms"
	inboxui "orengen/ui/inbox"
	"orengen/ui/nexus"
	platui "orengen/ui/platform"
	"orengen/ui/portal"
	sheetsui "orengen/ui/sheets"
	"orengen/ui/site"
	sitesui "orengen/ui/sites"
	"orengen/ui/web"
	wikiui "orengen/ui/wiki"
	"strconv"

	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

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
)

// Defaults for the HTTP server.
const (
	DefaultBodyLimit    = 1 << 20 // 1 MiB; larger bodies get 413
	DefaultReadTimeout  = 30 * time.Second
	DefaultWriteTimeout = 60 * time.Second
	DefaultIdleTimeout  = 120 * time.Second
)

// Server serves every host of the appliance. Its fields are the
// configuration and the services; Open builds the shared plumbing
// (web.Kit) and one handler per host and feature package from them, so
// change a field before Open (or call Open again).
type Server struct {
	Domain     string // "localhost" in development
	Secure     bool   // TLS terminates here: Secure cookies, HSTS, https links
	PublicPort string // port to show in links ("" for the scheme default)
	Version    string
	StartedAt  time.Time
	Logger     *slog.Logger
	SessionKey []byte // HMAC key for CSRF tokens
	BodyLimit  int

	Auth   *app.AuthService
	Site   *app.SiteService
	Leads  *app.LeadService
	Health []HealthCheck

	// Domains manages custom domains (Nexus > Infrastructure > Domains);
	// Certs is the certificate manager, nil when TLS is off.
	Domains *app.DomainService
	Certs   *CertManager
	// Webhooks delivers CRM events to tenants' endpoints (nil: no page).
	Webhooks *app.WebhookService
	// Backups reports replication and runs restore drills (nil when no
	// replica is configured).
	Backups *app.BackupService
	// Tenants, users, API keys, vault, audit log and outbox.
	Tenants   *app.TenantService
	Users     *app.UserService
	APIKeys   *app.APIKeyService
	Vault     *app.VaultService
	Audit     *app.AuditService
	Outbox    *app.OutboxService
	AdminTOTP *app.AdminTOTPService // nil: Nexus without two-factor
	// AdminSessions lists and revokes an admin's own sessions (nil: the
	// account page shows none).
	AdminSessions app.AdminSessionLister
	// CRM is the tenant-scoped CRM store (people, companies, deals,
	// notes, tasks, timeline); nil: no CRM routes.
	CRM *app.CRMService
	// ImportDir holds CSV uploads while their import runs (default: the
	// system temporary directory).
	ImportDir string

	// Providers (the integrations' secrets), ModelKey and ModelURL feed
	// the first-run checklist on the Nexus dashboard (nil: no checklist).
	Providers *app.IntegrationService
	ModelKey  func(ctx context.Context) bool
	ModelURL  func(ctx context.Context) string

	// Automations serves the lead-capture API, Twilio's webhooks and
	// Nexus > Growth > Automations (nil: none of them).
	Automations *app.AutomationService
	// LeadRateLimit is how many public form posts an IP may make a minute
	// (0: web.DefaultLeadRateLimit; negative: unlimited, for load tests).
	LeadRateLimit int
	// Forms serves the form editor (Portal > Forms, Nexus > Growth >
	// Forms) and hosted forms at /f/:id (nil: none of them).
	Forms *app.FormService
	// FormMinFillTime is the least time between rendering a hosted form
	// and its post (0: site.DefaultFormMinFillTime).
	FormMinFillTime time.Duration

	// Federal is SAM.gov/Grants.gov scouting, the bid pipeline and
	// compliance matrices (nil: the Federal pages answer 404).
	Federal *federal.Service
	// Calendar is the universal calendar: booking pages and its API (nil:
	// none).
	Calendar *calendar.Service
	// CalendarSync is its CalDAV and ICS feed sync (nil: none).
	CalendarSync *calendar.Syncer
	// Wiki is the Knowledge Wiki (nil: no wiki pages).
	Wiki *wiki.Service
	// Sheets is Data & Sheets (nil: no table pages).
	Sheets *sheets.Service
	// Transfer exports tenants from Nexus (issue #22).
	Transfer *app.TenantTransferService
	// Snapshots captures and applies tenant configurations (issue #22).
	Snapshots *app.SnapshotService
	// Wizards runs the new-client wizard (issue #22); nil: none.
	Wizards *app.WizardService
	// Agents is Agent Studio (nil: no agent pages, chat or call
	// endpoints); AgentVoice is its carrier side (ConversationRelay
	// sessions and TwiML), set by the wiring.
	Agents *agents.Service
	// Courses is the members' area: courses and members (nil: none).
	Courses *courses.Service
	// Inbox is Conversations (nil: no inbox pages).
	Inbox      *inbox.Service
	AgentVoice agentsui.Voice
	// Dashboard charts Mission Control (Nexus home) and the tenant
	// dashboard (portal home); nil: the homes show no charts.
	Dashboard *app.DashboardService
	// Twenty is the CRM in Twenty's shapes: /rest and /graphql (nil:
	// neither).
	Twenty *twenty.Service
	// Sites is the website builder: published sites on their domains and
	// the editor (nil: neither).
	Sites *sites.Service
	// FOSS is the FOSS registry: the binary's components, licence notices
	// and SBOM (nil: no registry pages or API).
	FOSS *platform.FOSS
	// Tools is the agency's register of the open-source tools it runs for
	// clients (nil: no register pages or API).
	Tools *platform.Tools
	// Integrations is the integrations hub (nil: no hub pages or API).
	Integrations *platform.Hub
	// Billing is plans, usage, wallets and invoices (nil: no billing
	// pages or API).
	Billing *billing.Service
	// Payments charges invoices through Stripe (nil: no card pages,
	// no /webhooks/stripe).
	Payments *billing.Payments

	// Brand is the brand & press kit (issue #22): its pages, the public
	// press pages and its API (nil: none).
	Brand *brand.Service
	// Creators is creator (UGC) management (issue #22; nil: none).
	Creators *creators.Service

	// Extra lets later features register routes on a host without editing
	// this file: called once per host app while routes are registered.
	Extra []func(host string, r fiber.Router)
	// NexusNav adds navigation entries for features registered through Extra.
	NexusNav []NavSection
	// Metrics is served at /metrics on the nexus host (metrics.go); Open
	// creates one if nil. Set it before Open to add collectors or a token.
	Metrics *Metrics

	metricsHandler fiber.Handler

	kit    *web.Kit
	crm    *crm.Handler // its background imports stop on Shutdown
	sheets *sheetsui.Handler
	agents *agentsui.Handler
	inbox  *inboxui.Handler
	sites  *sitesui.Handler
	root   *fiber.App
	apps   map[string]*fiber.App
	mu     sync.Mutex
	lns    []net.Listener
	// closed: Shutdown ran; no listener is served any more.
	closed bool
}

// Host kinds, NavSection and the health types are web's; the names are
// kept here for the server's users (cli, tests).
const (
	HostSite   = web.HostSite
	HostPortal = web.HostPortal
	HostNexus  = web.HostNexus
)

type (
	HealthItem  = web.HealthItem
	HealthCheck = web.HealthCheck
	NavSection  = web.NavSection
	NavItem     = web.NavItem
	Metrics     = web.Metrics
)

// NewMetrics returns the metrics registry (web.NewMetrics).
func NewMetrics() *Metrics { return web.NewMetrics() }

// templates lists the page templates of every package and checks them
// (web.NewRenderer reads and scans all ~450 KB of them), once per process:
// the templates are the binary's, the same for every Server, which share
// the result (a page is parsed on its first render by any of them).
var templates = sync.OnceValues(func() (*web.Renderer, error) {
	tmpl, err := web.NewRenderer(site.Templates, portal.Templates, nexus.Templates, crm.Templates, automation.Templates,
		forms.Templates, fedui.Templates, api.Templates, wikiui.Templates, sheetsui.Templates, agentsui.Templates, calui.Templates, platui.Templates, sitesui.Templates,
		inboxui.Templates, coursesui.Templates, billingui.Templates, brandui.Templates, creatorsui.Templates)
	if err != nil {
		return nil, err
	}
	return tmpl, tmpl.Require("site/page", "site/error", "nexus/error", "portal/error", "nexus/login", "portal/login")
})

// WarmTemplates lists and checks the templates now (serve calls it in a
// goroutine as it starts, so Open finds them ready instead of scanning
// them on the path to the listener).
func WarmTemplates() { templates() }

// Open parses templates and builds the handlers and routes. It fails if a
// template is missing or broken, so a bad build fails at boot, not on a
// request.
func (s *Server) Open() error {
	if s.Logger == nil {
		s.Logger = slog.Default()
	}
	if s.StartedAt.IsZero() {
		s.StartedAt = time.Now()
	}
	if s.BodyLimit == 0 {
		s.BodyLimit = DefaultBodyLimit
	}
	if len(s.SessionKey) < 32 {
		return errors.New("ui: session key must be at least 32 bytes")
	}
	if err := s.openMetrics(); err != nil {
		return err
	}
	tmpl, err := templates()
	if err != nil {
		return err
	}
	k := &web.Kit{Domain: s.Domain, Secure: s.Secure, PublicPort: s.PublicPort, Version: s.Version, StartedAt: s.StartedAt,
		Logger: s.Logger, SessionKey: s.SessionKey, BodyLimit: s.BodyLimit, Health: s.Health, Metrics: s.Metrics, HostKind: s.HostKind}
	if s.Billing != nil {
		k.ModulesOff = s.Billing.ModulesOff // plan feature switches (portal and tenant API only)
	}
	k.SetRenderer(tmpl)
	s.kit = k
	h := s.handlers(k)
	s.root = fiber.New(s.fiberConfig(""))
	s.root.Use(s.dispatch)
	s.apps = map[string]*fiber.App{}
	for _, host := range []string{HostSite, HostPortal, HostNexus} {
		a := fiber.New(s.fiberConfig(host))
		s.apps[host] = a
		k.Common(host, a)
		switch host {
		case HostSite:
			a.Use(h.site.RedirectWWW)
			k.Context(a)
			h.calendar.MountPublic(a, HostSite)
			h.brand.MountPublic(a, HostSite) // the agency's press page (issue #22), before the site's pages
			h.site.Mount(a)
		case HostPortal:
			k.Context(a)
			h.portal.Mount(a)
		case HostNexus:
			k.Context(a)
			a.Use(h.nexus.LoadSession)
			a.Get("/metrics", s.handleMetrics)
			h.nexus.Mount(a)
		}
		for _, f := range s.Extra {
			f(host, a)
		}
	}
	if s.sites.On() {
		// Published sites: the tenant's domain fixed by dispatch, with its
		// hosted forms, booking pages and chat widgets.
		a := fiber.New(s.fiberConfig(sitesui.HostSites))
		s.apps[sitesui.HostSites] = a
		k.Common(sitesui.HostSites, a)
		k.Context(a)
		h.site.MountForms(a, HostPortal)
		h.calendar.SiteBooked = s.sites.FunnelBooked // a booking block's booking is its page's conversion
		h.calendar.MountPublic(a, HostPortal)
		s.agents.MountChat(a, HostPortal)
		h.brand.MountPublic(a, HostPortal) // the press page on a domain with a published site (issue #22)
		s.sites.MountPublic(a)
	}
	return nil
}

// handlerSet is one handler per host and feature package.
type handlerSet struct {
	calendar *calui.Handler
	brand    *brandui.Handler
	site     *site.Handler
	portal   *portal.Handler
	nexus    *nexus.Handler
}

// handlers builds the host and feature handlers, each with the services
// it uses, and the layout fillers.
func (s *Server) handlers(k *web.Kit) handlerSet {
	leadLimit := &web.LeadLimit{PerMinute: s.LeadRateLimit}
	if s.Auth != nil {
		leadLimit.Limiter = s.Auth.Limiter
	}
	fed := &fedui.Handler{Kit: k, Federal: s.Federal, CRM: s.CRM, Tenants: s.Tenants, Users: s.Users, Audit: s.Audit}
	apiH := &api.Handler{Snapshots: s.Snapshots, Wizards: s.Wizards, Transfer: s.Transfer, Kit: k, APIKeys: s.APIKeys, Tenants: s.Tenants, Leads: s.Leads, CRM: s.CRM, Automations: s.Automations,
		Federal: s.Federal, FederalPages: fed, Audit: s.Audit, LeadLimit: leadLimit, Wiki: s.Wiki, Sheets: s.Sheets, Twenty: s.Twenty, Calendar: s.Calendar, CalendarSync: s.CalendarSync, FOSS: s.FOSS, Integrations: s.Integrations, Webhooks: s.Webhooks, Agents: s.Agents, Sites: s.Sites}
	apiH.Tools = s.Tools // the FOSS tool register's API
	apiH.Inbox = s.Inbox // the Conversations API
	apiH.Courses = s.Courses
	apiH.CourseUploadDir = s.importDir()
	s.crm = &crm.Handler{Kit: k, CRM: s.CRM, Tenants: s.Tenants, Audit: s.Audit, Federal: s.Federal, FederalOn: fed.PortalOn, FederalPages: fed, ImportDir: s.ImportDir}
	auto := &automation.Handler{Kit: k, Automations: s.Automations, Tenants: s.Tenants,
		Sources: automation.BuilderSources{CRM: s.CRM, Forms: s.Forms, Users: s.Users, Sheets: s.Sheets, Agents: s.Agents}}
	formsH := &forms.Handler{Kit: k, Forms: s.Forms}
	wikiH := &wikiui.Handler{Kit: k, Wiki: s.Wiki, Tenants: s.Tenants, UploadDir: s.importDir()}
	s.sheets = &sheetsui.Handler{Kit: k, Sheets: s.Sheets, Tenants: s.Tenants, UploadDir: s.importDir()}
	s.agents = &agentsui.Handler{Kit: k, Agents: s.Agents, Tenants: s.Tenants, Automations: s.Automations, Voice: s.AgentVoice, LeadLimit: leadLimit}
	siteH := &site.Handler{ChatPages: s.agents, Kit: k, Site: s.Site, Leads: s.Leads, Tenants: s.Tenants, Automations: s.Automations, Forms: s.Forms,
		LeadLimit: leadLimit, FormMinFillTime: s.FormMinFillTime, API: apiH}
	s.inbox = &inboxui.Handler{Kit: k, Inbox: s.Inbox, Tenants: s.Tenants}
	billH := &billingui.Handler{Kit: k, Billing: s.Billing, Payments: s.Payments, Tenants: s.Tenants}
	apiH.Billing, apiH.Payments = s.Billing, s.Payments                    // the billing API, Stripe's webhook
	brandH := &brandui.Handler{Kit: k, Brand: s.Brand, Tenants: s.Tenants} // issue #22
	apiH.Brand = s.Brand
	creatorsH := &creatorsui.Handler{Kit: k, Creators: s.Creators, Tenants: s.Tenants, CRM: s.CRM} // issue #22
	apiH.Creators = s.Creators
	calH := &calui.Handler{Kit: k, Calendar: s.Calendar, Tenants: s.Tenants, Users: s.Users, Sync: s.CalendarSync}
	platH := &platui.Handler{Kit: k, FOSS: s.FOSS, Hub: s.Integrations, Tools: s.Tools, Tenants: s.Tenants}
	s.sites = &sitesui.Handler{Kit: k, Sites: s.Sites, Tenants: s.Tenants, Forms: s.Forms, LeadLimit: leadLimit, Agents: s.Agents}
	if s.sites.On() {
		siteH.Builder = s.sites
	}
	coursesH := &coursesui.Handler{Kit: k, Courses: s.Courses, Tenants: s.Tenants, UploadDir: s.importDir()}
	portalH := &portal.Handler{CreatorPages: creatorsH, BrandPages: brandH, BillingPages: billH, CoursePages: coursesH, InboxPages: s.inbox, CalendarPages: calH, Kit: k, Users: s.Users, Tenants: s.Tenants, Leads: s.Leads, Automations: s.Automations,
		Webhooks: s.Webhooks, Audit: s.Audit, API: apiH, CRMPages: s.crm, Automation: auto, FormPages: formsH, FederalPages: fed, SitePages: siteH,
		WikiPages: wikiH, SheetPages: s.sheets, Dashboard: s.Dashboard, AgentPages: s.agents, PlatformPages: platH, SiteBuilder: s.sites}
	nexusH := &nexus.Handler{CreatorPages: creatorsH, CoursePages: coursesH, BrandPages: brandH, BillingPages: billH, InboxPages: s.inbox, Kit: k, Auth: s.Auth, AdminTOTP: s.AdminTOTP, AdminSessions: s.AdminSessions, Site: s.Site,
		Leads: s.Leads, Domains: s.Domains, Certs: serverCerts{s}, Backups: s.Backups, Tenants: s.Tenants, Users: s.Users, APIKeys: s.APIKeys,
		Vault: s.Vault, Audit: s.Audit, Outbox: s.Outbox, Federal: s.Federal, NexusNav: s.NexusNav, Transfer: s.Transfer, Snapshots: s.Snapshots, Wizards: s.Wizards,
		API: apiH, CRMPages: s.crm, Automation: auto, FormPages: formsH, FederalPages: fed, SitePages: siteH, WikiPages: wikiH, SheetPages: s.sheets,
		Dashboard: s.Dashboard, AgentPages: s.agents, CalendarPages: calH, PlatformPages: platH, SiteBuilder: s.sites}
	if s.Providers != nil {
		nexusH.Onboarding = &app.OnboardingService{Domains: s.Domains, Integrations: s.Providers, Tenants: s.Tenants, Leads: s.Leads,
			Backups: s.Backups, ModelKey: s.ModelKey, ModelURL: s.ModelURL}
	}
	k.Fill = map[string]func(*fiber.Ctx, *web.Layout){HostSite: siteH.FillLayout, HostPortal: portalH.FillLayout, HostNexus: nexusH.FillLayout}
	k.SignedInAdmin = nexusH.SignedInAdmin
	return handlerSet{site: siteH, portal: portalH, nexus: nexusH, calendar: calH, brand: brandH}
}

// importDir is where uploads wait for their import (ImportDir, else the
// system's temporary directory).
func (s *Server) importDir() string {
	if s.ImportDir != "" {
		return s.ImportDir
	}
	return os.TempDir()
}

// serverCerts is the certificate manager as Nexus sees it, read when a
// page asks: serve sets Certs after Open, once TLS is up.
type serverCerts struct{ s *Server }

func (c serverCerts) Enabled() bool                     { return c.s.Certs != nil }
func (c serverCerts) Status(name string) app.CertStatus { return c.s.Certs.Status(name) }
func (c serverCerts) Evict(name string)                 { c.s.Certs.Evict(name) }

// SetSecure switches TLS-only behaviour (__Host- Secure cookies, https
// links) on an open server. serve sets Secure before Open; tests flip it.
func (s *Server) SetSecure(on bool) {
	s.Secure = on
	if s.kit != nil {
		s.kit.Secure = on
	}
}

// SetPublicPort changes the port links show on an open server (serve
// learns the HTTPS port once TLS is up).
func (s *Server) SetPublicPort(port string) {
	s.PublicPort = port
	if s.kit != nil {
		s.kit.PublicPort = port
	}
}

// AddHealth adds a /healthz check to a server that is open already (the
// certificate manager's, once TLS is up).
func (s *Server) AddHealth(h HealthCheck) {
	s.Health = append(s.Health, h)
	if s.kit != nil {
		s.kit.Health = append(s.kit.Health, h)
	}
}

func (s *Server) fiberConfig(host string) fiber.Config {
	return fiber.Config{
		DisableStartupMessage: true,
		BodyLimit:             s.BodyLimit,
		ReadTimeout:           DefaultReadTimeout,
		WriteTimeout:          DefaultWriteTimeout,
		IdleTimeout:           DefaultIdleTimeout,
		ErrorHandler:          s.kit.ErrorHandler(host),
		ServerHeader:          "",
		AppName:               "orengen",
		ReadBufferSize:        8192,
	}
}

// HostKind returns which app serves host (without port), or "".
func (s *Server) HostKind(host string) string {
	switch web.BareHost(host) {
	case s.Domain, "www." + s.Domain:
		return HostSite
	case "app." + s.Domain:
		return HostPortal
	case "nexus." + s.Domain:
		return HostNexus
	}
	return ""
}

// dispatch hands the request to the app for its host. A tenant's custom
// domain is served by the portal app with that tenant fixed (Locals
// web.DomainTenant, shared with the sub-app through the fasthttp context).
// Unknown hosts get a bare 404 and nothing else.
func (s *Server) dispatch(c *fiber.Ctx) error {
	host := web.BareHost(c.Hostname())
	kind := s.HostKind(host)
	if kind == "" && s.sites.Resolve(c, host) {
		kind = sitesui.HostSites
	}
	if kind == "" && s.Tenants != nil {
		t, err := s.Tenants.TenantByDomain(c.UserContext(), host)
		if err == nil {
			web.SetDomainTenant(c, t)
			kind = HostPortal
		} else if app.ErrorCode(err) != app.ENOTFOUND {
			s.Logger.Error("custom domain lookup", "err", err)
		}
	}
	a, ok := s.apps[kind]
	if !ok {
		s.Metrics.CountUnknownHost(c.Method())
		c.Status(fiber.StatusNotFound)
		c.Set(fiber.HeaderContentType, "text/plain; charset=utf-8")
		return c.SendString("404 not found\n")
	}
	a.Handler()(c.Context())
	return nil
}

// Routes returns the routes registered on a host's app (middleware
// excluded), for the isolation matrix test, which fails when a route has
// no line in its table.
func (s *Server) Routes(host string) []fiber.Route {
	a, ok := s.apps[host]
	if !ok {
		return nil
	}
	return a.GetRoutes(true)
}

// Handler returns the root app (for tests with app.Test and for listeners
// set up by the caller).
func (s *Server) Handler() *fiber.App { return s.root }

// Serve serves HTTP on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errors.New("ui: server closed")
	}
	s.lns = append(s.lns, ln)
	s.mu.Unlock()
	return s.root.Listener(ln)
}

// ServeTLS serves HTTPS on ln with cfg.
func (s *Server) ServeTLS(ln net.Listener, cfg *tls.Config) error {
	return s.Serve(tls.NewListener(ln, cfg))
}

// Shutdown stops accepting connections and waits for in-flight requests
// until ctx is done.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	if s.crm != nil {
		s.crm.Shutdown()
	}
	s.sheets.Shutdown()
	s.agents.Shutdown()
	s.inbox.Shutdown()
	if s.root == nil {
		return nil
	}
	if err := s.root.ShutdownWithContext(ctx); err != nil {
		return fmt.Errorf("http shutdown: %w", err)
	}
	return nil
}

// TenantURL returns the public base URL of a tenant's custom domain.
func (s *Server) TenantURL(domain string) string {
	return web.PublicURL(domain, s.Secure, s.PublicPort)
}

// URL returns the public base URL of a host kind.
func (s *Server) URL(kind string) string {
	return web.PublicURL(web.KindHost(s.Domain, kind), s.Secure, s.PublicPort)
}

// TwilioCallbackURL is the status callback URL given to Twilio for a
// step's idempotency key.
func (s *Server) TwilioCallbackURL(tenantID int64, key string) string {
	return s.URL(HostPortal) + "/twilio/status?" + url.Values{"tenant": {strconv.FormatInt(tenantID, 10)}, "key": {key}}.Encode()
}

// TwilioGatherURL is the action of a call's <Gather>: the pressed key is
// posted there (signed by Twilio, so forward cannot be forged).
func (s *Server) TwilioGatherURL(tenantID int64, key, forward string) string {
	v := url.Values{"tenant": {strconv.FormatInt(tenantID, 10)}, "key": {key}}
	if forward != "" {
		v.Set("forward", forward)
	}
	return s.URL(HostPortal) + "/twilio/voice?" + v.Encode()
}
