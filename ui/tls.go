package ui

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"orengen/ui/web"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/caddyserver/certmagic"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"orengen/app"
)

// CertExpiryWarning is how close to expiry a certificate makes /healthz
// report "degraded" (certmagic renews at a third of the lifetime left, so
// a certificate this close has failed to renew for weeks).
const CertExpiryWarning = 14 * 24 * time.Hour

// CertManager obtains and renews the appliance's certificates with
// certmagic: the four built-in hosts are managed from the start, and
// custom domains get a certificate at their first handshake if the
// DomainService allows it. It also serves the port-80 app: ACME HTTP-01
// answers, and a 301 to HTTPS for everything else.
type CertManager struct {
	Domain  string
	CA      string         // ACME directory URL
	CARoots *x509.CertPool // roots for the ACME server's HTTPS (nil: system)
	Email   string
	// ListenHost, HTTPPort and HTTPSPort are where this process listens;
	// certmagic needs them to answer HTTP-01 and TLS-ALPN-01 challenges on
	// our own listeners rather than its own.
	ListenHost string
	HTTPPort   int
	HTTPSPort  int
	Storage    certmagic.Storage
	Domains    *app.DomainService
	Logger     *slog.Logger

	managed  *certmagic.Config
	onDemand *certmagic.Config
	cache    *certmagic.Cache
	httpApp  *fiber.App
	// Server, if set, answers GET /healthz on port 80 directly.
	Server *Server
	mu     sync.Mutex
	errs   map[string]certError
}

type certError struct {
	msg string
	at  time.Time
}

// CertStatus is app.CertStatus.
type CertStatus = app.CertStatus

// Open builds the certmagic configuration and the port-80 app; nothing
// is requested from the CA until Manage or a handshake.
func (m *CertManager) Open() error {
	if m.Storage == nil || m.Domains == nil {
		return errors.New("ui: cert manager needs Storage and Domains")
	}
	if m.Logger == nil {
		m.Logger = slog.Default()
	}
	m.errs = map[string]certError{}
	zl := zap.New(&slogCore{l: m.Logger.With("component", "certmagic")})
	// Two configurations share one cache and one storage: the built-in
	// hosts are managed from the start (certmagic defers everything to
	// handshakes on a configuration with OnDemand set), custom domains are
	// on demand. GetConfigForCert and getCertificate pick by name.
	m.cache = certmagic.NewCache(certmagic.CacheOptions{
		GetConfigForCert: func(c certmagic.Certificate) (*certmagic.Config, error) {
			for _, n := range c.Names {
				if m.Domains.IsBuiltin(n) {
					return m.managed, nil
				}
			}
			return m.onDemand, nil
		},
		Logger: zl,
	})
	tmpl := certmagic.ACMEIssuer{
		CA:             m.CA,
		TestCA:         m.CA,
		Email:          m.Email,
		Agreed:         true,
		ListenHost:     m.ListenHost,
		AltHTTPPort:    m.HTTPPort,
		AltTLSALPNPort: m.HTTPSPort,
		TrustedRoots:   m.CARoots,
		Logger:         zl,
	}
	// Clients that send no server name (or an IP address) get the apex's
	// certificate rather than a failed handshake.
	m.managed = certmagic.New(m.cache, certmagic.Config{Storage: m.Storage, Logger: zl, OnEvent: m.onEvent,
		DefaultServerName: m.Domain, FallbackServerName: m.Domain})
	managedIssuer := certmagic.NewACMEIssuer(m.managed, tmpl)
	m.managed.Issuers = []certmagic.Issuer{managedIssuer}
	m.onDemand = certmagic.New(m.cache, certmagic.Config{
		Storage:  m.Storage,
		Logger:   zl,
		OnDemand: &certmagic.OnDemandConfig{DecisionFunc: m.decide},
		OnEvent:  m.onEvent,
	})
	onDemandIssuer := certmagic.NewACMEIssuer(m.onDemand, tmpl)
	m.onDemand.Issuers = []certmagic.Issuer{onDemandIssuer}
	challenges := managedIssuer.HTTPChallengeHandler(onDemandIssuer.HTTPChallengeHandler(http.HandlerFunc(m.redirect)))
	m.httpApp = fiber.New(fiber.Config{
		DisableStartupMessage: true,
		ReadTimeout:           DefaultReadTimeout,
		WriteTimeout:          DefaultWriteTimeout,
		IdleTimeout:           DefaultIdleTimeout,
		BodyLimit:             64 << 10,
	})
	if m.Server != nil {
		// Plain-HTTP health checks (install.sh's, a load balancer's) must
		// not depend on a certificate existing yet.
		m.httpApp.Get("/healthz", func(c *fiber.Ctx) error {
			if m.Server.HostKind(c.Hostname()) == "" {
				return c.SendStatus(fiber.StatusNotFound)
			}
			return m.Server.kit.HandleHealth(c)
		})
	}
	m.httpApp.Use(adaptor.HTTPHandler(challenges))
	return nil
}

// Hosts returns the names managed from the start.
func (m *CertManager) Hosts() []string {
	var out []string
	for _, h := range m.Domains.BuiltinHosts() {
		out = append(out, h.Name)
	}
	return out
}

// Manage loads the built-in hosts' certificates from storage and obtains
// or renews them in the background, retrying with backoff on failure;
// serving goes on meanwhile with whatever certificates exist.
func (m *CertManager) Manage(ctx context.Context) error {
	if err := m.managed.ManageAsync(ctx, m.Hosts()); err != nil {
		return fmt.Errorf("manage certificates: %w", err)
	}
	return nil
}

// TLSConfig returns the HTTPS listener's configuration: certificates from
// certmagic, ALPN http/1.1 (Fiber has no HTTP/2) and acme-tls/1 for
// TLS-ALPN-01 challenges.
func (m *CertManager) TLSConfig() *tls.Config {
	return &tls.Config{
		GetCertificate: m.getCertificate,
		NextProtos:     []string{"http/1.1", "acme-tls/1"},
		MinVersion:     tls.VersionTLS12,
	}
}

// getCertificate hands the handshake to the configuration for its name:
// built-in hosts (and no name or an IP) to the managed one, anything else
// to the on-demand one, which asks the DomainService.
func (m *CertManager) getCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	name := strings.TrimSuffix(strings.ToLower(hello.ServerName), ".")
	if name == "" || net.ParseIP(name) != nil || m.Domains.IsBuiltin(name) {
		return m.managed.GetCertificate(hello)
	}
	return m.onDemand.GetCertificate(hello)
}

// ServeHTTP serves the port-80 app on ln until Shutdown.
func (m *CertManager) ServeHTTP(ln net.Listener) error { return m.httpApp.Listener(ln) }

// Shutdown stops the port-80 app and certmagic's maintenance.
func (m *CertManager) Shutdown(ctx context.Context) error {
	var err error
	if m.httpApp != nil {
		err = m.httpApp.ShutdownWithContext(ctx)
	}
	if m.cache != nil {
		m.cache.Stop()
	}
	return err
}

// redirect answers everything on port 80 that is not an ACME challenge:
// 301 to the same path and query over HTTPS; www.DOMAIN goes to DOMAIN.
func (m *CertManager) redirect(w http.ResponseWriter, r *http.Request) {
	host := strings.ToLower(r.Host)
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(host, ".")
	if host == "" || strings.Trim(host, "abcdefghijklmnopqrstuvwxyz0123456789.-") != "" {
		http.Error(w, "400 bad host\n", http.StatusBadRequest)
		return
	}
	if host == "www."+m.Domain {
		host = m.Domain
	}
	if m.HTTPSPort != 0 && m.HTTPSPort != 443 {
		host = net.JoinHostPort(host, strconv.Itoa(m.HTTPSPort))
	}
	http.Redirect(w, r, "https://"+host+r.URL.RequestURI(), http.StatusMovedPermanently)
}

// decide is certmagic's on-demand decision: the DomainService's cached
// lookup, never DNS or the CA. A refusal fails the handshake.
func (m *CertManager) decide(ctx context.Context, name string) error {
	if err := m.Domains.Decide(ctx, name); err != nil {
		m.Logger.Debug("tls: no certificate for this server name", "server_name", name, "reason", app.ErrorMessage(err))
		return err
	}
	return nil
}

// onEvent throttles new issuances for custom domains (returning an error
// from cert_obtaining aborts the request before any ACME traffic) and
// records outcomes for the Domains page.
func (m *CertManager) onEvent(ctx context.Context, event string, data map[string]any) error {
	name, _ := data["identifier"].(string)
	switch event {
	case "cert_obtaining":
		if err := m.Domains.AllowIssuance(name); err != nil {
			m.Logger.Warn("certificate request throttled", "domain", name, "reason", app.ErrorMessage(err))
			m.setError(ctx, name, app.ErrorMessage(err))
			return err
		}
	case "cert_failed":
		msg := "certificate request failed"
		if err, ok := data["error"].(error); ok {
			msg = err.Error()
		}
		m.Logger.Warn("certificate request failed; certmagic retries with backoff and serving goes on with existing certificates",
			"domain", name, "renewal", data["renewal"], "err", msg)
		m.setError(ctx, name, msg)
	case "cert_obtained":
		m.mu.Lock()
		delete(m.errs, name)
		m.mu.Unlock()
		var issuer string
		var expiry *time.Time
		if p, ok := data["certificate_path"].(string); ok {
			if leaf, err := m.loadLeaf(ctx, p); err == nil {
				issuer, expiry = issuerName(leaf), &leaf.NotAfter
			}
		}
		m.Logger.Info("certificate obtained", "domain", name, "issuer", issuer, "renewal", data["renewal"])
		if err := m.Domains.RecordCertificate(ctx, name, issuer, expiry, ""); err != nil {
			m.Logger.Error("record certificate", "domain", name, "err", err)
		}
	}
	return nil
}

func (m *CertManager) setError(ctx context.Context, name, msg string) {
	m.mu.Lock()
	m.errs[name] = certError{msg: msg, at: time.Now().UTC()}
	m.mu.Unlock()
	if err := m.Domains.RecordCertificate(ctx, name, "", nil, msg); err != nil {
		m.Logger.Error("record certificate error", "domain", name, "err", err)
	}
}

func (m *CertManager) loadLeaf(ctx context.Context, key string) (*x509.Certificate, error) {
	b, err := m.Storage.Load(ctx, key)
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, errors.New("no PEM certificate")
	}
	return x509.ParseCertificate(blk.Bytes)
}

func issuerName(c *x509.Certificate) string {
	n := c.Issuer.CommonName
	if len(c.Issuer.Organization) > 0 && !strings.Contains(n, c.Issuer.Organization[0]) {
		n += " (" + c.Issuer.Organization[0] + ")"
	}
	return n
}

// Status returns the certificate name is served with now (from
// certmagic's cache) and the last error obtaining or renewing it.
func (m *CertManager) Status(name string) CertStatus {
	st := CertStatus{Name: name}
	for _, c := range m.cache.AllMatchingCertificates(name) {
		if c.Leaf == nil || !slices.Contains(c.Names, name) {
			continue
		}
		if st.NotAfter == nil || c.Leaf.NotAfter.After(*st.NotAfter) {
			t := c.Leaf.NotAfter
			st.NotAfter, st.Issuer = &t, issuerName(c.Leaf)
		}
	}
	m.mu.Lock()
	if e, ok := m.errs[name]; ok {
		st.LastError, st.LastErrorAt = e.msg, &e.at
	}
	m.mu.Unlock()
	return st
}

// Evict drops name's certificate from memory, so a removed or disabled
// custom domain stops being served at once (not at the next restart) and
// stops being renewed. The stored copy stays until certmagic's storage
// cleaning removes it after expiry.
func (m *CertManager) Evict(name string) {
	m.cache.RemoveManaged([]certmagic.SubjectIssuer{{Subject: name}})
}

// Health reports the nearest certificate expiry among the built-in hosts
// and active custom domains: degraded under CertExpiryWarning, or while a
// built-in host has no certificate yet.
func (m *CertManager) Health(ctx context.Context) web.HealthItem {
	names := m.Hosts()
	builtin := len(names)
	if ds, err := m.Domains.FindDomains(ctx); err == nil {
		for _, d := range ds {
			if d.Servable() {
				names = append(names, d.Name)
			}
		}
	}
	var nearest *CertStatus
	var missing []string
	for i, n := range names {
		st := m.Status(n)
		if st.NotAfter == nil {
			if i < builtin {
				missing = append(missing, n)
			}
			continue
		}
		if nearest == nil || st.NotAfter.Before(*nearest.NotAfter) {
			nearest = &st
		}
	}
	v := map[string]any{}
	status := "ok"
	if nearest != nil {
		left := time.Until(*nearest.NotAfter)
		v["nearest_expiry"] = nearest.NotAfter.UTC().Format(time.RFC3339)
		v["nearest_expiry_name"] = nearest.Name
		v["days_left"] = int(left.Hours() / 24)
		if left < CertExpiryWarning {
			status = "degraded"
		}
	}
	if len(missing) > 0 {
		v["missing"] = missing
		status = "degraded"
	}
	v["status"] = status
	return HealthItem{Key: "certificates", Value: v, Status: status}
}

// slogCore is a zap core that writes to slog, so certmagic's logs join
// ours. certmagic logs routine steps at info; they go to debug here.
type slogCore struct {
	l      *slog.Logger
	fields []zapcore.Field
}

func slogLevel(l zapcore.Level) slog.Level {
	switch {
	case l >= zapcore.ErrorLevel:
		return slog.LevelError
	case l == zapcore.WarnLevel:
		return slog.LevelWarn
	}
	return slog.LevelDebug
}

func (c *slogCore) Enabled(l zapcore.Level) bool {
	return c.l.Enabled(context.Background(), slogLevel(l))
}

func (c *slogCore) With(fs []zapcore.Field) zapcore.Core {
	return &slogCore{l: c.l, fields: append(slices.Clip(c.fields), fs...)}
}

func (c *slogCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}

func (c *slogCore) Write(e zapcore.Entry, fs []zapcore.Field) error {
	enc := zapcore.NewMapObjectEncoder()
	for _, f := range c.fields {
		f.AddTo(enc)
	}
	for _, f := range fs {
		f.AddTo(enc)
	}
	keys := make([]string, 0, len(enc.Fields))
	for k := range enc.Fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	attrs := make([]any, 0, 2*len(keys)+2)
	if e.LoggerName != "" {
		attrs = append(attrs, "logger", e.LoggerName)
	}
	for _, k := range keys {
		attrs = append(attrs, k, enc.Fields[k])
	}
	c.l.Log(context.Background(), slogLevel(e.Level), e.Message, attrs...)
	return nil
}

func (c *slogCore) Sync() error { return nil }
