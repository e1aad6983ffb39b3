// Package ui is orengen's HTTP layer: one Fiber server that routes by host
// to the marketing site, the client portal and Nexus, with the middleware,
// handlers and embedded templates for each.
package ui

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"orengen/app"
	"orengen/app/federal"
)

// Defaults for the HTTP server.
const (
	DefaultBodyLimit    = 1 << 20 // 1 MiB; larger bodies get 413
	DefaultReadTimeout  = 30 * time.Second
	DefaultWriteTimeout = 60 * time.Second
	DefaultIdleTimeout  = 120 * time.Second
)

// Host kinds.
const (
	HostSite   = "site"
	HostPortal = "portal"
	HostNexus  = "nexus"
)

// HealthItem is one line of /healthz: a key, its value and a status
// ("ok", "degraded" or "error").
type HealthItem struct {
	Key    string
	Value  any
	Status string
}

// HealthCheck reports one aspect of the server's health.
type HealthCheck func(ctx context.Context) HealthItem

// Server serves every host of the appliance.
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
	Admins app.AdminStore
	Site   app.SiteStore
	Leads  app.LeadStore
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
	// Tenants, users, API keys, vault, audit log and outbox. TenantLeads
	// is the tenant-scoped view of leads used by the portal and its API.
	Tenants     *app.TenantService
	Users       *app.UserService
	APIKeys     *app.APIKeyService
	Vault       *app.VaultService
	Audit       *app.AuditService
	Outbox      *app.OutboxService
	TenantLeads app.TenantLeadStore
	AdminTOTP   *app.AdminTOTPService // nil: Nexus without two-factor
	// AdminSessions lists and revokes an admin's own sessions (nil: the
	// account page shows none).
	AdminSessions app.AdminSessionLister
	// CRM is the tenant-scoped CRM store (people, companies, deals,
	// notes, tasks, timeline); nil: no CRM routes.
	CRM app.CRMStore
	// ImportDir holds CSV uploads while their import runs (default: the
	// system temporary directory).
	ImportDir string

	// Automations serves the lead-capture API, Twilio's webhooks and
	// Nexus > Growth > Automations (nil: none of them).
	Automations *app.AutomationService
	// LeadRateLimit is how many public form posts an IP may make a minute
	// (0: DefaultLeadRateLimit; negative: unlimited, for load tests).
	LeadRateLimit int
	// Forms serves the form editor (Portal > Forms, Nexus > Growth >
	// Forms) and hosted forms at /f/:id (nil: none of them).
	Forms *app.FormService
	// FormMinFillTime is the least time between rendering a hosted form
	// and its post (0: DefaultFormMinFillTime).
	FormMinFillTime time.Duration

	// Extra lets later features register routes on a host without editing
	// this file: called once per host app while routes are registered.
	// Federal is SAM.gov/Grants.gov scouting, the bid pipeline and
	// compliance matrices (nil: the Federal pages answer 404).
	Federal *federal.Service

	Extra []func(host string, r fiber.Router)
	// NexusNav adds navigation entries for features registered through Extra.
	NexusNav []NavSection
	// Metrics is served at /metrics on the nexus host (metrics.go); Open
	// creates one if nil. Set it before Open to add collectors or a token.
	Metrics *Metrics

	metricsHandler fiber.Handler

	// Background work started by requests (CSV imports): Shutdown
	// cancels bgCtx and waits for bgWG.
	bgCtx    context.Context
	bgCancel context.CancelFunc
	bgWG     sync.WaitGroup
	// importsRunning holds the IDs of the import jobs this process runs.
	importsRunning sync.Map
	// uploadLocks holds a *sync.Mutex per chunked upload file, so two
	// chunks of one upload never append at once.
	uploadLocks sync.Map

	root   *fiber.App
	apps   map[string]*fiber.App
	tmpl   *renderer
	pages  pageCache
	mu     sync.Mutex
	lns    []net.Listener
	closed bool
}

// Open parses templates and builds the routes. It fails if a template is
// missing or broken, so a bad build fails at boot, not on a request.
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
	var err error
	if s.tmpl, err = newRenderer(); err != nil {
		return err
	}
	if err := s.openMetrics(); err != nil {
		return err
	}
	s.root = fiber.New(s.fiberConfig(""))
	s.root.Use(s.dispatch)
	s.apps = map[string]*fiber.App{}
	for _, h := range []string{HostSite, HostPortal, HostNexus} {
		a := fiber.New(s.fiberConfig(h))
		s.apps[h] = a
		s.registerCommon(h, a)
		switch h {
		case HostSite:
			s.registerSiteRoutes(a)
		case HostPortal:
			s.registerPortalRoutes(a)
		case HostNexus:
			s.registerNexusRoutes(a)
		}
		for _, f := range s.Extra {
			f(h, a)
		}
	}
	return nil
}

func (s *Server) fiberConfig(host string) fiber.Config {
	return fiber.Config{
		DisableStartupMessage: true,
		BodyLimit:             s.BodyLimit,
		ReadTimeout:           DefaultReadTimeout,
		WriteTimeout:          DefaultWriteTimeout,
		IdleTimeout:           DefaultIdleTimeout,
		ErrorHandler:          s.errorHandler(host),
		ServerHeader:          "",
		AppName:               "orengen",
		ReadBufferSize:        8192,
	}
}

// HostKind returns which app serves host (without port), or "".
func (s *Server) HostKind(host string) string {
	switch bareHost(host) {
	case s.Domain, "www." + s.Domain:
		return HostSite
	case "app." + s.Domain:
		return HostPortal
	case "nexus." + s.Domain:
		return HostNexus
	}
	return ""
}

// bareHost is a Host header without its port, lower case, without a
// trailing dot (a new string: it outlives the request in caches).
func bareHost(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return strings.Clone(strings.TrimSuffix(strings.ToLower(host), "."))
}

// dispatch hands the request to the app for its host. A tenant's custom
// domain is served by the portal app with that tenant fixed (Locals
// "domain_tenant", shared with the sub-app through the fasthttp context).
// Unknown hosts get a bare 404 and nothing else.
func (s *Server) dispatch(c *fiber.Ctx) error {
	host := bareHost(c.Hostname())
	kind := s.HostKind(host)
	if kind == "" && s.Tenants != nil {
		t, err := s.Tenants.TenantByDomain(c.UserContext(), host)
		if err == nil {
			c.Locals("domain_tenant", t)
			kind = HostPortal
		} else if app.ErrorCode(err) != app.ENOTFOUND {
			s.Logger.Error("custom domain lookup", "err", err)
		}
	}
	a, ok := s.apps[kind]
	if !ok {
		s.Metrics.countUnknownHost(c.Method())
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
	if s.bgCancel != nil {
		s.bgCancel()
	}
	s.mu.Unlock()
	s.bgWG.Wait()
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
	scheme := "http"
	if s.Secure {
		scheme = "https"
	}
	if s.PublicPort != "" {
		domain = net.JoinHostPort(domain, s.PublicPort)
	}
	return scheme + "://" + domain
}

// URL returns the public base URL of a host kind.
func (s *Server) URL(kind string) string {
	scheme := "http"
	if s.Secure {
		scheme = "https"
	}
	host := s.Domain
	switch kind {
	case HostPortal:
		host = "app." + s.Domain
	case HostNexus:
		host = "nexus." + s.Domain
	}
	if s.PublicPort != "" {
		host = net.JoinHostPort(host, s.PublicPort)
	}
	return scheme + "://" + host
}
