package app

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Custom domain statuses.
const (
	DomainPending  = "pending"  // registered, DNS not verified yet
	DomainActive   = "active"   // verified; certificates may be issued
	DomainDisabled = "disabled" // switched off by an admin
)

// VerifyPrefix is the label of the TXT record that proves a domain's owner
// wants it served here: TXT _orengen-verify.<domain> = the domain's token.
const VerifyPrefix = "_orengen-verify."

// Defaults for DomainService.
const (
	DefaultDecisionTTL      = 30 * time.Second // how long an on-demand decision is cached
	DefaultIssueInterval    = 10 * time.Minute // at most one new issuance per name this often
	DefaultIssuePerHour     = 20               // new issuances per hour, all names together
	DefaultDNSRecheckMin    = time.Minute      // first retry of a failed DNS check
	DefaultDNSRecheckMax    = time.Hour        // longest wait between retries
	DefaultDNSRecheckPassed = 6 * time.Hour    // re-check of domains that passed
	maxDecisionCache        = 10000
)

// CustomDomain is a tenant's own domain, served with an on-demand
// certificate once its DNS is verified.
type CustomDomain struct {
	ID           int64
	TenantID     *int64 // no foreign key until tenants exist
	Name         string
	Status       string
	allowLocal   bool // set by DomainService in development (see devLocal)
	VerifyToken  string
	DNSCheckedAt *time.Time
	DNSOK        bool
	DNSError     string
	CertIssuer   string
	CertExpiry   *time.Time
	LastError    string
	CreatedAt    time.Time
}

// VerifyRecord is the name of the domain's TXT verification record.
func (d *CustomDomain) VerifyRecord() string { return VerifyPrefix + d.Name }

// Servable reports whether a certificate may be issued for the domain.
func (d *CustomDomain) Servable() bool { return d.Status == DomainActive && d.DNSOK }

// Validate normalizes and checks the domain's fields. Returns EINVALID
// naming the field.
func (d *CustomDomain) Validate() error {
	name, err := normalizeDomainName(d.Name, d.allowLocal)
	if err != nil {
		return err
	}
	d.Name = name
	if d.TenantID != nil && *d.TenantID <= 0 {
		return FieldErrorf("tenant_id", "Tenant must be a positive number, or empty.")
	}
	switch d.Status {
	case DomainPending, DomainActive, DomainDisabled:
	default:
		return FieldErrorf("status", "Status must be pending, active or disabled.")
	}
	return nil
}

// reservedSuffixes never get publicly trusted certificates.
var reservedSuffixes = []string{"localhost", "local", "internal", "home.arpa", "invalid", "onion", "arpa"}

// NormalizeDomainName lowercases name, drops a trailing dot and checks it
// is a plain DNS host name that could get a certificate: no IP literal, no
// wildcard, labels of letters, digits and inner hyphens, at least two
// labels. Returns EINVALID for the field "name".
func NormalizeDomainName(name string) (string, error) { return normalizeDomainName(name, false) }

// normalizeDomainName is NormalizeDomainName; allowLocal accepts names
// under .localhost (development, where the appliance itself runs on
// localhost with TLS off and no certificate is ever requested).
func normalizeDomainName(name string, allowLocal bool) (string, error) {
	name = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(name)), ".")
	switch {
	case name == "":
		return "", FieldErrorf("name", "Domain required.")
	case strings.Contains(name, "://") || strings.ContainsAny(name, "/?#@ "):
		return "", FieldErrorf("name", "Enter a domain name only (like portal.client.com), without http:// or a path.")
	case strings.Contains(name, "*"):
		return "", FieldErrorf("name", "Wildcard domains are not supported; add each name on its own.")
	}
	if _, err := netip.ParseAddr(strings.Trim(name, "[]")); err == nil {
		return "", FieldErrorf("name", "An IP address is not a domain name.")
	}
	if h, _, err := net.SplitHostPort(name); err == nil && h != "" {
		return "", FieldErrorf("name", "Enter the domain without a port.")
	}
	if len(name) > 253 {
		return "", FieldErrorf("name", "A domain name is at most 253 characters.")
	}
	labels := strings.Split(name, ".")
	if len(labels) < 2 {
		return "", FieldErrorf("name", "Enter a full domain name with a dot, like portal.client.com.")
	}
	for _, l := range labels {
		if l == "" {
			return "", FieldErrorf("name", "The domain has an empty label (two dots in a row).")
		}
		if len(l) > 63 {
			return "", FieldErrorf("name", "Each part of a domain name is at most 63 characters.")
		}
		if l[0] == '-' || l[len(l)-1] == '-' {
			return "", FieldErrorf("name", "A part of a domain name cannot start or end with a hyphen (%q).", l)
		}
		for _, c := range l {
			if c > 127 {
				return "", FieldErrorf("name", "Enter an international domain in its ASCII (punycode, xn--) form.")
			}
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return "", FieldErrorf("name", "A domain name may contain only letters, digits, hyphens and dots (found %q).", string(c))
			}
		}
	}
	if _, err := strconv.Atoi(labels[len(labels)-1]); err == nil {
		return "", FieldErrorf("name", "The last part of a domain name cannot be a number.")
	}
	for _, s := range reservedSuffixes {
		if allowLocal && s == "localhost" {
			continue
		}
		if name == s || strings.HasSuffix(name, "."+s) {
			return "", FieldErrorf("name", "%s is a private name: public certificate authorities do not issue certificates for it.", name)
		}
	}
	return name, nil
}

// DomainUpdate changes some fields of a custom domain; nil fields stay.
type DomainUpdate struct {
	Status       *string
	DNSCheckedAt *time.Time
	DNSOK        *bool
	DNSError     *string
	CertIssuer   *string
	CertExpiry   *time.Time
	LastError    *string
}

// DomainStore persists custom domains.
type DomainStore interface {
	// FindDomains lists every custom domain by name.
	FindDomains(ctx context.Context) ([]*CustomDomain, error)
	// FindDomainByID returns ENOTFOUND if no domain has the ID.
	FindDomainByID(ctx context.Context, id int64) (*CustomDomain, error)
	// FindDomainByName returns ENOTFOUND if the name is not registered.
	FindDomainByName(ctx context.Context, name string) (*CustomDomain, error)
	// CreateDomain returns ECONFLICT if the name is registered.
	CreateDomain(ctx context.Context, d *CustomDomain) error
	// UpdateDomain returns ENOTFOUND if no domain has the ID.
	UpdateDomain(ctx context.Context, id int64, upd DomainUpdate) (*CustomDomain, error)
	// DeleteDomain returns ENOTFOUND if no domain has the ID.
	DeleteDomain(ctx context.Context, id int64) error
}

// Resolver looks up DNS records; *net.Resolver is one.
type Resolver interface {
	LookupIP(ctx context.Context, network, host string) ([]net.IP, error)
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// DNSCheck is the result of checking that a name points at this server.
type DNSCheck struct {
	Name      string
	CheckedAt time.Time
	OK        bool
	Addrs     []string // A/AAAA answers
	TXT       bool     // verification token found
	Error     string   // why it is not OK, in words for the admin
}

// BuiltinHost is one of the appliance's own names.
type BuiltinHost struct {
	Name string
	Role string // site, www, portal, nexus
}

// DomainService manages custom domains and decides, fast, which names may
// get a certificate during a TLS handshake.
type DomainService struct {
	store    DomainStore
	Resolver Resolver
	// Domain is the appliance's apex domain; its four hosts are built in.
	Domain string
	// PublicIPs are this server's public addresses; A/AAAA records must
	// point only at them. Empty: verification is by TXT record only.
	PublicIPs []netip.Addr
	Logger    *slog.Logger
	Now       func() time.Time

	// SiteHost reports whether a published website is served on name, a
	// subdomain of Domain (the website builder's sites without a custom
	// domain): only then does it get a certificate. nil: none do.
	SiteHost func(ctx context.Context, name string) (bool, error)

	DecisionTTL   time.Duration
	IssueInterval time.Duration
	IssuePerHour  int

	mu        sync.Mutex
	decisions map[string]decision
	issued    map[string]time.Time // name -> last issuance allowed
	window    []time.Time          // issuances allowed in the last hour
	builtin   map[string]*DNSCheck
	nextCheck map[string]time.Time
	backoff   map[string]time.Duration
}

type decision struct {
	err     error
	expires time.Time
}

// NewDomainService returns the custom-domain service over st; the caller
// sets Resolver, Domain, PublicIPs and the rest. (The doctor's DNS checks
// build a DomainService without a store: they read no custom domain.)
func NewDomainService(st DomainStore) *DomainService { return &DomainService{store: st} }

// domainByName returns the custom domain name (ENOTFOUND), for the
// client wizard's domain step.
func (s *DomainService) domainByName(ctx context.Context, name string) (*CustomDomain, error) {
	return s.store.FindDomainByName(ctx, name)
}

// domainByID returns a custom domain (ENOTFOUND), for the client wizard.
func (s *DomainService) domainByID(ctx context.Context, id int64) (*CustomDomain, error) {
	return s.store.FindDomainByID(ctx, id)
}

func (s *DomainService) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *DomainService) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// BuiltinHosts returns the appliance's four names for Domain.
func (s *DomainService) BuiltinHosts() []BuiltinHost {
	return []BuiltinHost{{s.Domain, "site"}, {"www." + s.Domain, "www"}, {"app." + s.Domain, "portal"}, {"nexus." + s.Domain, "nexus"}}
}

// IsBuiltin reports whether name is one of the appliance's own hosts.
func (s *DomainService) IsBuiltin(name string) bool {
	for _, h := range s.BuiltinHosts() {
		if h.Name == name {
			return true
		}
	}
	return false
}

// FindDomains lists the custom domains.
func (s *DomainService) FindDomains(ctx context.Context) ([]*CustomDomain, error) {
	return s.store.FindDomains(ctx)
}

// AddDomain registers a custom domain as pending, with a new verification
// token. Returns EINVALID (field "name" or "tenant_id") for a bad name or
// one of the appliance's own hosts, and ECONFLICT if it is registered.
func (s *DomainService) AddDomain(ctx context.Context, d *CustomDomain) error {
	d.Status = DomainPending
	d.allowLocal = s.devLocal()
	if err := d.Validate(); err != nil {
		return err
	}
	if s.IsBuiltin(d.Name) {
		return FieldErrorf("name", "%s is one of this server's own hosts; it is always served.", d.Name)
	}
	d.VerifyToken = RandomToken(24)
	d.DNSOK, d.DNSError, d.DNSCheckedAt = false, "", nil
	if err := s.store.CreateDomain(ctx, d); err != nil {
		if ErrorCode(err) == ECONFLICT {
			return Errorf(ECONFLICT, "%s is already registered.", d.Name)
		}
		return err
	}
	s.forget(d.Name)
	s.logger().Info("custom domain added", "domain", d.Name)
	return nil
}

// RemoveDomain deletes a custom domain. Returns ENOTFOUND if it does not
// exist. Its certificate is no longer renewed or issued.
func (s *DomainService) RemoveDomain(ctx context.Context, id int64) (*CustomDomain, error) {
	d, err := s.store.FindDomainByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.store.DeleteDomain(ctx, id); err != nil {
		return nil, err
	}
	s.forget(d.Name)
	s.logger().Info("custom domain removed", "domain", d.Name)
	return d, nil
}

// SetDomainEnabled disables a domain, or enables it again (active if its
// DNS checked out, pending otherwise). Returns ENOTFOUND.
func (s *DomainService) SetDomainEnabled(ctx context.Context, id int64, enabled bool) (*CustomDomain, error) {
	d, err := s.store.FindDomainByID(ctx, id)
	if err != nil {
		return nil, err
	}
	st := DomainDisabled
	if enabled {
		st = DomainPending
		if d.DNSOK {
			st = DomainActive
		}
	}
	if d, err = s.store.UpdateDomain(ctx, id, DomainUpdate{Status: &st}); err != nil {
		return nil, err
	}
	s.forget(d.Name)
	return d, nil
}

// CheckDNS looks up name's A/AAAA records and, if token is set, its TXT
// verification record. It is OK when every address is one of PublicIPs
// (and there is at least one), or when the TXT record holds the token.
// Lookup failures are part of the result, not an error.
func (s *DomainService) CheckDNS(ctx context.Context, name, token string) *DNSCheck {
	c := &DNSCheck{Name: name, CheckedAt: s.now().UTC()}
	if s.Resolver == nil {
		c.Error = "No DNS resolver configured."
		return c
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var problems []string
	ips, err := s.Resolver.LookupIP(ctx, "ip", name)
	var stray []string
	for _, ip := range ips {
		a, _ := netip.AddrFromSlice(ip)
		a = a.Unmap()
		c.Addrs = append(c.Addrs, a.String())
		if !slices.Contains(s.PublicIPs, a) {
			stray = append(stray, a.String())
		}
	}
	switch {
	case err != nil && len(ips) == 0:
		problems = append(problems, fmt.Sprintf("%s has no A/AAAA record (%s)", name, dnsErrText(err)))
	case len(s.PublicIPs) == 0:
		problems = append(problems, fmt.Sprintf("%s resolves to %s, but this server's public IPs are not set (--public-ips), so only the TXT record can verify it", name, strings.Join(c.Addrs, ", ")))
	case len(stray) > 0:
		problems = append(problems, fmt.Sprintf("%s resolves to %s, not only to this server (%s)", name, strings.Join(stray, ", "), joinAddrs(s.PublicIPs)))
	default:
		c.OK = true
	}
	if token != "" && !c.OK {
		txts, err := s.Resolver.LookupTXT(ctx, VerifyPrefix+name)
		if slices.Contains(txts, token) {
			c.OK, c.TXT = true, true
		} else if err != nil {
			problems = append(problems, fmt.Sprintf("TXT %s%s not found (%s)", VerifyPrefix, name, dnsErrText(err)))
		} else {
			problems = append(problems, fmt.Sprintf("TXT %s%s does not hold this domain's token", VerifyPrefix, name))
		}
	}
	if !c.OK {
		c.Error = strings.Join(problems, "; ") + "."
	}
	return c
}

func dnsErrText(err error) string {
	if de, ok := err.(*net.DNSError); ok {
		switch {
		case de.IsNotFound:
			return "no such record"
		case de.IsTimeout:
			return "DNS timeout"
		}
		return de.Err
	}
	return err.Error()
}

func joinAddrs(as []netip.Addr) string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.String()
	}
	return strings.Join(out, ", ")
}

// VerifyDomain checks a custom domain's DNS now and records the result: a
// pending domain that passes becomes active. Returns ENOTFOUND.
func (s *DomainService) VerifyDomain(ctx context.Context, id int64) (*CustomDomain, error) {
	d, err := s.store.FindDomainByID(ctx, id)
	if err != nil {
		return nil, err
	}
	c := s.CheckDNS(ctx, d.Name, d.VerifyToken)
	upd := DomainUpdate{DNSCheckedAt: &c.CheckedAt, DNSOK: &c.OK, DNSError: &c.Error}
	if c.OK && d.Status == DomainPending {
		st := DomainActive
		upd.Status = &st
	}
	if d, err = s.store.UpdateDomain(ctx, id, upd); err != nil {
		return nil, err
	}
	s.forget(d.Name)
	s.schedule(d.Name, c.OK)
	if c.OK {
		s.logger().Info("custom domain DNS verified", "domain", d.Name, "status", d.Status, "by_txt", c.TXT)
	} else {
		s.logger().Warn("custom domain DNS check failed", "domain", d.Name, "problem", c.Error)
	}
	return d, nil
}

// CheckBuiltin checks the DNS of the appliance's own hosts and keeps the
// results for BuiltinChecks. A host that does not point here is logged as
// a warning: its certificate cannot be issued until it does.
func (s *DomainService) CheckBuiltin(ctx context.Context) {
	for _, h := range s.BuiltinHosts() {
		c := s.CheckDNS(ctx, h.Name, "")
		s.mu.Lock()
		if s.builtin == nil {
			s.builtin = map[string]*DNSCheck{}
		}
		s.builtin[h.Name] = c
		s.mu.Unlock()
		s.schedule(h.Name, c.OK)
		if !c.OK {
			s.logger().Warn("DNS of a configured host does not point at this server; its certificate cannot be issued until it does", "host", h.Name, "problem", c.Error)
		}
	}
}

// BuiltinCheck returns the last DNS check of a built-in host, or nil.
func (s *DomainService) BuiltinCheck(name string) *DNSCheck {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.builtin[name]
}

// CheckAll checks every built-in host and custom domain now (the "Check
// DNS now" button). It returns how many custom domains passed and failed.
func (s *DomainService) CheckAll(ctx context.Context) (passed, failed int, err error) {
	if !isLocalName(s.Domain) {
		s.CheckBuiltin(ctx)
	}
	ds, err := s.store.FindDomains(ctx)
	if err != nil {
		return 0, 0, err
	}
	for _, d := range ds {
		d, err := s.VerifyDomain(ctx, d.ID)
		if err != nil {
			return passed, failed, err
		}
		if d.DNSOK {
			passed++
		} else {
			failed++
		}
	}
	return passed, failed, nil
}

func isLocalName(d string) bool { return d == "localhost" || strings.HasSuffix(d, ".localhost") }

// schedule sets when a name is checked again: failures back off from
// DefaultDNSRecheckMin doubling to DefaultDNSRecheckMax; passes every
// DefaultDNSRecheckPassed.
func (s *DomainService) schedule(name string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.nextCheck == nil {
		s.nextCheck, s.backoff = map[string]time.Time{}, map[string]time.Duration{}
	}
	if ok {
		delete(s.backoff, name)
		s.nextCheck[name] = s.now().Add(DefaultDNSRecheckPassed)
		return
	}
	b := s.backoff[name]
	if b == 0 {
		b = DefaultDNSRecheckMin
	} else {
		b = min(2*b, DefaultDNSRecheckMax)
	}
	s.backoff[name] = b
	s.nextCheck[name] = s.now().Add(b)
}

func (s *DomainService) due(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.nextCheck[name]
	return !ok || !s.now().Before(t)
}

// Run checks DNS in the background until ctx ends: everything at start,
// then each name when its backoff says so. It never stops on an error.
func (s *DomainService) Run(ctx context.Context) {
	Every(ctx, 15*time.Second, func(ctx context.Context) {
		if !isLocalName(s.Domain) && s.due(s.Domain) {
			s.CheckBuiltin(ctx)
		}
		if ds, err := s.store.FindDomains(ctx); err != nil {
			if ctx.Err() == nil {
				s.logger().Error("dns check: list custom domains", "err", err)
			}
		} else {
			for _, d := range ds {
				if d.Status != DomainDisabled && s.due(d.Name) {
					if _, err := s.VerifyDomain(ctx, d.ID); err != nil && ctx.Err() == nil && ErrorCode(err) != ENOTFOUND {
						s.logger().Error("dns check", "domain", d.Name, "err", err)
					}
				}
			}
		}
	})
}

// Decide says whether a certificate may be obtained for name during a TLS
// handshake: only the built-in hosts and registered, active, verified
// custom domains. It reads the database (never DNS), and caches answers
// for DecisionTTL, so a flood of unknown names costs one indexed lookup
// each at most. Returns EFORBIDDEN for any other name.
func (s *DomainService) Decide(ctx context.Context, name string) error {
	name = strings.TrimSuffix(strings.ToLower(name), ".")
	if s.IsBuiltin(name) {
		return nil
	}
	now := s.now()
	s.mu.Lock()
	if d, ok := s.decisions[name]; ok && now.Before(d.expires) {
		s.mu.Unlock()
		return d.err
	}
	s.mu.Unlock()
	var derr error
	d, err := s.store.FindDomainByName(ctx, name)
	if label, ok := strings.CutSuffix(name, "."+s.Domain); ok && s.Domain != "" && label != "" && !strings.Contains(label, ".") && ErrorCode(err) == ENOTFOUND {
		// A subdomain of the apex: certified only while a site is on it.
		claimed := false
		if s.SiteHost != nil {
			if claimed, err = s.SiteHost(ctx, name); err != nil {
				return err // not cached
			}
		}
		d, err = &CustomDomain{Status: DomainActive, DNSOK: true}, nil
		if !claimed {
			err = Errorf(ENOTFOUND, "no site")
		}
	}
	switch {
	case ErrorCode(err) == ENOTFOUND:
		derr = Errorf(EFORBIDDEN, "%s is not a registered domain.", name)
	case err != nil:
		return err // not cached: a database hiccup must not stick
	case d.Status != DomainActive:
		derr = Errorf(EFORBIDDEN, "%s is %s.", name, d.Status)
	case !d.DNSOK:
		derr = Errorf(EFORBIDDEN, "%s has not passed its DNS check.", name)
	}
	ttl := s.DecisionTTL
	if ttl <= 0 {
		ttl = DefaultDecisionTTL
	}
	s.mu.Lock()
	if s.decisions == nil || len(s.decisions) >= maxDecisionCache {
		s.decisions = map[string]decision{}
	}
	s.decisions[name] = decision{err: derr, expires: now.Add(ttl)}
	s.mu.Unlock()
	return derr
}

// forget drops a cached decision after a change.
func (s *DomainService) forget(name string) {
	s.mu.Lock()
	delete(s.decisions, name)
	s.mu.Unlock()
}

// AllowIssuance is called just before a new certificate is requested for
// a custom domain. It allows one request per name per IssueInterval and
// IssuePerHour requests per hour in all, so handshakes cannot spend the
// CA's rate limits. Returns ETOOMANY when throttled.
func (s *DomainService) AllowIssuance(name string) error {
	if s.IsBuiltin(name) {
		return nil
	}
	interval, perHour := s.IssueInterval, s.IssuePerHour
	if interval <= 0 {
		interval = DefaultIssueInterval
	}
	if perHour <= 0 {
		perHour = DefaultIssuePerHour
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.issued == nil {
		s.issued = map[string]time.Time{}
	}
	if last, ok := s.issued[name]; ok && now.Sub(last) < interval {
		return Errorf(ETOOMANY, "A certificate for %s was requested %s ago; next attempt allowed after %s.", name, now.Sub(last).Round(time.Second), interval)
	}
	kept := s.window[:0]
	for _, t := range s.window {
		if now.Sub(t) < time.Hour {
			kept = append(kept, t)
		}
	}
	s.window = kept
	if len(s.window) >= perHour {
		return Errorf(ETOOMANY, "%d certificates were requested in the last hour; %s must wait.", len(s.window), name)
	}
	s.window = append(s.window, now)
	s.issued[name] = now
	return nil
}

// RecordCertificate stores the outcome of an issuance or renewal for a
// custom domain: its issuer and expiry, or the error. Names that are not
// custom domains are ignored.
func (s *DomainService) RecordCertificate(ctx context.Context, name, issuer string, expiry *time.Time, lastErr string) error {
	d, err := s.store.FindDomainByName(ctx, name)
	if ErrorCode(err) == ENOTFOUND {
		return nil
	} else if err != nil {
		return err
	}
	upd := DomainUpdate{LastError: &lastErr}
	if lastErr == "" {
		upd.CertIssuer, upd.CertExpiry = &issuer, expiry
	}
	_, err = s.store.UpdateDomain(ctx, d.ID, upd)
	return err
}

var _ TenantDomains = (*DomainService)(nil)

// devLocal reports whether the appliance runs on localhost (development):
// then custom domains under .localhost are allowed, for trying the
// white-label portal without DNS.
func (s *DomainService) devLocal() bool { return s.Domain == "localhost" }

// ValidateDomainName normalises a custom domain name and refuses what
// AddDomain would refuse for its form (EINVALID, field "name").
func (s *DomainService) ValidateDomainName(name string) (string, error) {
	n, err := normalizeDomainName(name, s.devLocal())
	if err != nil {
		return "", err
	}
	if s.IsBuiltin(n) {
		return "", FieldErrorf("name", "%s is one of this server's own hosts; it is always served.", n)
	}
	return n, nil
}

// TenantIDByDomain returns the tenant that owns host, for serving its
// portal there. A disabled domain or one with no tenant is ENOTFOUND.
func (s *DomainService) TenantIDByDomain(ctx context.Context, host string) (int64, error) {
	d, err := s.store.FindDomainByName(ctx, host)
	if err != nil {
		return 0, err
	}
	if d.TenantID == nil || d.Status == DomainDisabled {
		return 0, Errorf(ENOTFOUND, "Domain not found.")
	}
	return *d.TenantID, nil
}

// DomainsByTenant lists the names of a tenant's custom domains.
func (s *DomainService) DomainsByTenant(ctx context.Context, tenantID int64) ([]string, error) {
	all, err := s.store.FindDomains(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, d := range all {
		if d.TenantID != nil && *d.TenantID == tenantID {
			out = append(out, d.Name)
		}
	}
	return out, nil
}

// AddTenantDomain registers host for the tenant (pending until its DNS
// checks out). Returns EINVALID or ECONFLICT.
func (s *DomainService) AddTenantDomain(ctx context.Context, tenantID int64, host string) error {
	return s.AddDomain(ctx, &CustomDomain{Name: host, TenantID: &tenantID})
}

// CertStatus describes the certificate a name is served with.
type CertStatus struct {
	Name        string
	Issuer      string
	NotAfter    *time.Time
	LastError   string
	LastErrorAt *time.Time
}
