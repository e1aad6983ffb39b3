package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Tenant statuses.
const (
	TenantActive    = "active"
	TenantSuspended = "suspended"
)

// HouseTenantID is the built-in house tenant: the agency itself, where the
// marketing site's leads land.
const HouseTenantID int64 = 1

// Brand colour defaults (both pass the contrast check with white text).
const (
	DefaultPrimaryColor = "#4f46e5"
	DefaultAccentColor  = "#0e7490"
	// MinContrast is WCAG AA for normal text.
	MinContrast = 4.5
	// MaxLogoBytes caps a logo upload.
	MaxLogoBytes = 512 << 10
)

// Tenant is a client sub-account with its white-label brand.
type Tenant struct {
	ID           int64
	Slug         string
	Name         string
	Status       string
	House        bool
	DisplayName  string // shown in the portal; Name when empty
	PrimaryColor string // #rrggbb
	AccentColor  string // #rrggbb
	SupportEmail string
	Timezone     string // IANA name
	LogoHash     string // "" when the tenant has no logo
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// BrandName is the name the tenant's portal shows.
func (t *Tenant) BrandName() string {
	if t.DisplayName != "" {
		return t.DisplayName
	}
	return t.Name
}

// Active reports whether the tenant's users may sign in.
func (t *Tenant) Active() bool { return t.Status == TenantActive }

// BrandVersion changes whenever the brand CSS or logo changes, for
// cache-busting URLs like /brand.css?v=...
func (t *Tenant) BrandVersion() string {
	sum := sha256.Sum256([]byte(t.PrimaryColor + "|" + t.AccentColor + "|" + t.LogoHash))
	return hex.EncodeToString(sum[:6])
}

// BrandCSS is the per-tenant stylesheet: CSS custom properties only, so
// the pages need no inline style (the CSP is style-src 'self').
func (t *Tenant) BrandCSS() string {
	dark := shade(t.PrimaryColor, 0.8)
	return fmt.Sprintf(":root{--brand:%s;--brand-dark:%s;--accent:%s}\n", t.PrimaryColor, dark, t.AccentColor)
}

var (
	tenantSlugRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`) })
	hexColorRE   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^#[0-9a-f]{6}$`) })
)

// Validate normalises and checks a tenant before it is stored. Returns
// EINVALID naming the field at fault.
func (t *Tenant) Validate() error {
	t.Name = strings.TrimSpace(t.Name)
	t.Slug = strings.ToLower(strings.TrimSpace(t.Slug))
	t.DisplayName = strings.TrimSpace(t.DisplayName)
	t.SupportEmail = strings.ToLower(strings.TrimSpace(t.SupportEmail))
	t.PrimaryColor = strings.ToLower(strings.TrimSpace(t.PrimaryColor))
	t.AccentColor = strings.ToLower(strings.TrimSpace(t.AccentColor))
	t.Timezone = strings.TrimSpace(t.Timezone)
	if t.Status == "" {
		t.Status = TenantActive
	}
	if t.PrimaryColor == "" {
		t.PrimaryColor = DefaultPrimaryColor
	}
	if t.AccentColor == "" {
		t.AccentColor = DefaultAccentColor
	}
	if t.Timezone == "" {
		t.Timezone = "UTC"
	}
	if t.Name == "" {
		return FieldErrorf("name", "Name required.")
	}
	if len(t.Name) > 120 {
		return FieldErrorf("name", "Name must be at most 120 characters.")
	}
	if t.Slug == "" {
		t.Slug = Slugify(t.Name)
	}
	if !tenantSlugRE().MatchString(t.Slug) || len(t.Slug) > 63 {
		return FieldErrorf("slug", "Slug may contain lowercase letters, digits and single dashes (at most 63).")
	}
	if len(t.DisplayName) > 120 {
		return FieldErrorf("display_name", "Display name must be at most 120 characters.")
	}
	if t.Status != TenantActive && t.Status != TenantSuspended {
		return FieldErrorf("status", "Status must be active or suspended.")
	}
	if t.SupportEmail != "" {
		if err := ValidateEmail("support_email", t.SupportEmail); err != nil {
			return err
		}
	}
	if _, err := time.LoadLocation(t.Timezone); err != nil || strings.Contains(t.Timezone, "..") {
		return FieldErrorf("timezone", "Timezone must be an IANA name like America/Chicago or UTC.")
	}
	for _, c := range []struct{ field, label, v string }{{"primary_color", "Primary colour", t.PrimaryColor}, {"accent_color", "Accent colour", t.AccentColor}} {
		if !hexColorRE().MatchString(c.v) {
			return FieldErrorf(c.field, "%s must be a hex colour like #1d4ed8.", c.label)
		}
		// Buttons and links put white text on the colour and the colour on
		// the white page: both must be readable.
		if r, _ := ContrastRatio(c.v, "#ffffff"); r < MinContrast {
			return FieldErrorf(c.field, "%s %s is too light: contrast with white is %.1f:1, at least %.1f:1 is needed (WCAG AA). Pick a darker shade.", c.label, c.v, r, MinContrast)
		}
	}
	return nil
}

// Slugify derives a slug from a name: lowercase ASCII letters and digits
// joined by single dashes.
func Slugify(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		} else {
			dash = true
		}
	}
	s := b.String()
	if len(s) > 63 {
		s = strings.TrimRight(s[:63], "-")
	}
	return s
}

// ContrastRatio returns the WCAG 2 contrast ratio of two #rrggbb colours
// (1 to 21). Returns EINVALID for a malformed colour.
func ContrastRatio(a, b string) (float64, error) {
	la, err := luminance(a)
	if err != nil {
		return 0, err
	}
	lb, err := luminance(b)
	if err != nil {
		return 0, err
	}
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05), nil
}

func parseHex(c string) ([3]float64, error) {
	var out [3]float64
	if len(c) != 7 || c[0] != '#' {
		return out, Errorf(EINVALID, "Colour must look like #1d4ed8.")
	}
	for i := range 3 {
		v, err := strconv.ParseUint(c[1+2*i:3+2*i], 16, 8)
		if err != nil {
			return out, Errorf(EINVALID, "Colour must look like #1d4ed8.")
		}
		out[i] = float64(v) / 255
	}
	return out, nil
}

func luminance(c string) (float64, error) {
	rgb, err := parseHex(c)
	if err != nil {
		return 0, err
	}
	for i, v := range rgb {
		if v <= 0.03928 {
			rgb[i] = v / 12.92
		} else {
			rgb[i] = math.Pow((v+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*rgb[0] + 0.7152*rgb[1] + 0.0722*rgb[2], nil
}

// shade darkens a valid colour by factor f (0..1); invalid input is
// returned unchanged.
func shade(c string, f float64) string {
	rgb, err := parseHex(c)
	if err != nil {
		return c
	}
	return fmt.Sprintf("#%02x%02x%02x", int(rgb[0]*255*f), int(rgb[1]*255*f), int(rgb[2]*255*f))
}

// TenantUpdate holds the fields to change; nil fields are kept.
type TenantUpdate struct {
	Name         *string
	DisplayName  *string
	PrimaryColor *string
	AccentColor  *string
	SupportEmail *string
	Timezone     *string
	Status       *string
}

// Apply copies the set fields onto t.
func (u TenantUpdate) Apply(t *Tenant) {
	for _, f := range []struct {
		dst *string
		src *string
	}{{&t.Name, u.Name}, {&t.DisplayName, u.DisplayName}, {&t.PrimaryColor, u.PrimaryColor}, {&t.AccentColor, u.AccentColor},
		{&t.SupportEmail, u.SupportEmail}, {&t.Timezone, u.Timezone}, {&t.Status, u.Status}} {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
}

// Logo is a tenant's logo image.
type Logo struct {
	ContentType string
	Data        []byte
	Hash        string
	UpdatedAt   time.Time
}

// NewLogo checks an uploaded image and returns it as a Logo. Only PNG and
// JPEG are accepted (SVG can carry script), by their content, not by the
// name or the declared type, and at most MaxLogoBytes. Returns EINVALID
// or ETOOLARGE.
func NewLogo(data []byte) (*Logo, error) {
	if len(data) == 0 {
		return nil, FieldErrorf("logo", "Choose an image file.")
	}
	if len(data) > MaxLogoBytes {
		return nil, &Error{Code: ETOOLARGE, Field: "logo", Message: fmt.Sprintf("The logo must be at most %d KiB.", MaxLogoBytes>>10)}
	}
	var ct string
	var cfg image.Config
	var err error
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		ct = "image/png"
		cfg, err = png.DecodeConfig(bytes.NewReader(data))
		if err == nil {
			_, err = png.Decode(bytes.NewReader(data))
		}
	case bytes.HasPrefix(data, []byte{0xff, 0xd8, 0xff}):
		ct = "image/jpeg"
		cfg, err = jpeg.DecodeConfig(bytes.NewReader(data))
		if err == nil {
			_, err = jpeg.Decode(bytes.NewReader(data))
		}
	default:
		return nil, FieldErrorf("logo", "The logo must be a PNG or JPEG image (SVG is not accepted).")
	}
	if err != nil {
		return nil, FieldErrorf("logo", "The logo file is not a valid %s image.", strings.TrimPrefix(ct, "image/"))
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > 4096 || cfg.Height > 4096 {
		return nil, FieldErrorf("logo", "The logo must be between 1 and 4096 pixels wide and high.")
	}
	sum := sha256.Sum256(data)
	return &Logo{ContentType: ct, Data: data, Hash: hex.EncodeToString(sum[:8])}, nil
}

// TenantStore persists tenants. Nexus is its only cross-tenant caller.
type TenantStore interface {
	// FindTenantByID returns ENOTFOUND if there is no such tenant.
	FindTenantByID(ctx context.Context, id int64) (*Tenant, error)
	// FindTenantBySlug returns ENOTFOUND if there is no such tenant.
	FindTenantBySlug(ctx context.Context, slug string) (*Tenant, error)
	// FindTenants lists every tenant, the house tenant first.
	FindTenants(ctx context.Context) ([]*Tenant, error)
	// CreateTenant returns ECONFLICT if the slug is taken.
	CreateTenant(ctx context.Context, t *Tenant) error
	// UpdateTenant applies upd after validating the result. Returns
	// ENOTFOUND or EINVALID.
	UpdateTenant(ctx context.Context, id int64, upd TenantUpdate) (*Tenant, error)
	// SetTenantLogo replaces (or with nil removes) the logo.
	SetTenantLogo(ctx context.Context, id int64, l *Logo) error
	// FindTenantLogo returns ENOTFOUND if the tenant has no logo.
	FindTenantLogo(ctx context.Context, id int64) (*Logo, error)
}

// TenantDomains maps custom domains to tenants. The lead backs it with
// the custom_domains table; it may be nil (no custom domains yet).
type TenantDomains interface {
	// TenantIDByDomain returns ENOTFOUND if host is no tenant's domain.
	TenantIDByDomain(ctx context.Context, host string) (int64, error)
	// DomainsByTenant lists a tenant's custom domains.
	DomainsByTenant(ctx context.Context, tenantID int64) ([]string, error)
	// AddTenantDomain attaches host to the tenant. Returns ECONFLICT if
	// another tenant has it.
	AddTenantDomain(ctx context.Context, tenantID int64, host string) error
	// ValidateDomainName normalises a name, or returns EINVALID.
	ValidateDomainName(name string) (string, error)
}

// DomainCacheTTL is how long TenantByDomain remembers an answer.
const DomainCacheTTL = 30 * time.Second

// TenantService manages tenants and resolves custom domains.
type TenantService struct {
	store   TenantStore
	Domains TenantDomains // nil: no custom domains
	Audit   *AuditService
	Now     func() time.Time

	mu    sync.Mutex
	cache map[string]domainEntry
}

// NewTenantService returns the tenants' service on its store; the wiring
// sets the other fields. The store stays private: callers go through the
// service.
func NewTenantService(st TenantStore) *TenantService { return &TenantService{store: st} }

type domainEntry struct {
	id      int64
	expires time.Time
}

func (s *TenantService) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// CreateTenant validates and creates a tenant, and attaches domain if it
// is not empty. Returns EINVALID, ECONFLICT, or EINVALID when a domain is
// given but custom domains are not available.
func (s *TenantService) CreateTenant(ctx context.Context, t *Tenant, domain string) error {
	t.House = false
	if err := t.Validate(); err != nil {
		return err
	}
	domain = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(domain)), ".")
	if domain != "" {
		// Check the domain before anything is written, so a bad one
		// leaves no tenant behind.
		if s.Domains == nil {
			return FieldErrorf("domain", "Custom domains are not configured; create the tenant without --domain.")
		}
		name, err := s.Domains.ValidateDomainName(domain)
		if err != nil {
			return FieldErrorf("domain", "%s", ErrorMessage(err))
		}
		if _, err := s.Domains.TenantIDByDomain(ctx, name); err == nil {
			return FieldErrorf("domain", "%s already belongs to a tenant.", name)
		} else if ErrorCode(err) != ENOTFOUND {
			return err
		}
		domain = name
	}
	if err := s.store.CreateTenant(ctx, t); err != nil {
		return err
	}
	if domain != "" {
		if err := s.Domains.AddTenantDomain(ctx, t.ID, domain); err != nil {
			return fmt.Errorf("tenant %s created, but the domain was not added: %w", t.Slug, err)
		}
	}
	s.Audit.Record(ctx, "tenant.create", "tenant:"+t.Slug, "")
	return nil
}

// UpdateTenant changes a tenant. Returns ENOTFOUND or EINVALID; the house
// tenant cannot be suspended (EINVALID).
func (s *TenantService) UpdateTenant(ctx context.Context, id int64, upd TenantUpdate) (*Tenant, error) {
	if upd.Status != nil && *upd.Status == TenantSuspended && id == HouseTenantID {
		return nil, FieldErrorf("status", "The house tenant cannot be suspended.")
	}
	t, err := s.store.UpdateTenant(ctx, id, upd)
	if err != nil {
		return nil, err
	}
	action := "tenant.update"
	if upd.Status != nil {
		action = "tenant." + map[string]string{TenantActive: "activate", TenantSuspended: "suspend"}[*upd.Status]
	}
	s.Audit.Record(ctx, action, "tenant:"+t.Slug, "")
	return t, nil
}

// SetLogo validates and stores a tenant's logo. Returns EINVALID,
// ETOOLARGE or ENOTFOUND.
func (s *TenantService) SetLogo(ctx context.Context, id int64, data []byte) error {
	l, err := NewLogo(data)
	if err != nil {
		return err
	}
	if err := s.store.SetTenantLogo(ctx, id, l); err != nil {
		return err
	}
	s.Audit.Record(ctx, "tenant.logo", fmt.Sprintf("tenant:%d", id), l.ContentType)
	return nil
}

// RemoveLogo deletes a tenant's logo. Returns ENOTFOUND.
func (s *TenantService) RemoveLogo(ctx context.Context, t *Tenant) error {
	if err := s.store.SetTenantLogo(ctx, t.ID, nil); err != nil {
		return err
	}
	s.Audit.Record(ctx, "tenant.logo_delete", "tenant:"+t.Slug, "")
	return nil
}

// ClearLogo deletes a tenant's logo with no audit entry of its own: the
// brand kit's "remove the primary logo", which records brand.logo_delete.
// Returns ENOTFOUND.
func (s *TenantService) ClearLogo(ctx context.Context, id int64) error {
	return s.store.SetTenantLogo(ctx, id, nil)
}

// ListTenants lists every tenant, the house tenant first.
func (s *TenantService) ListTenants(ctx context.Context) ([]*Tenant, error) {
	return s.store.FindTenants(ctx)
}

// TenantByID returns ENOTFOUND if there is no such tenant.
func (s *TenantService) TenantByID(ctx context.Context, id int64) (*Tenant, error) {
	return s.store.FindTenantByID(ctx, id)
}

// TenantBySlug returns ENOTFOUND if there is no such tenant.
func (s *TenantService) TenantBySlug(ctx context.Context, slug string) (*Tenant, error) {
	return s.store.FindTenantBySlug(ctx, slug)
}

// TenantByRef returns the tenant with the ID or slug ref (Nexus's
// ?tenant=). Returns ENOTFOUND.
func (s *TenantService) TenantByRef(ctx context.Context, ref string) (*Tenant, error) {
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		return s.store.FindTenantByID(ctx, id)
	}
	return s.store.FindTenantBySlug(ctx, ref)
}

// Logo returns the tenant's logo, or ENOTFOUND.
func (s *TenantService) Logo(ctx context.Context, id int64) (*Logo, error) {
	return s.store.FindTenantLogo(ctx, id)
}

// TenantByDomain returns the tenant whose custom domain host is, caching
// answers (found or not) for DomainCacheTTL. Returns ENOTFOUND.
func (s *TenantService) TenantByDomain(ctx context.Context, host string) (*Tenant, error) {
	if s.Domains == nil {
		return nil, Errorf(ENOTFOUND, "Unknown domain.")
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	now := s.now()
	s.mu.Lock()
	e, ok := s.cache[host]
	s.mu.Unlock()
	if !ok || now.After(e.expires) {
		id, err := s.Domains.TenantIDByDomain(ctx, host)
		if err != nil && ErrorCode(err) != ENOTFOUND {
			return nil, err
		}
		e = domainEntry{id: id, expires: now.Add(DomainCacheTTL)}
		s.mu.Lock()
		if s.cache == nil || len(s.cache) > 10000 {
			s.cache = map[string]domainEntry{}
		}
		s.cache[host] = e
		s.mu.Unlock()
	}
	if e.id == 0 {
		return nil, Errorf(ENOTFOUND, "Unknown domain.")
	}
	return s.store.FindTenantByID(ctx, e.id)
}

// ForgetDomain drops a cached domain answer (after a domain changes).
func (s *TenantService) ForgetDomain(host string) {
	s.mu.Lock()
	delete(s.cache, strings.TrimSuffix(strings.ToLower(host), "."))
	s.mu.Unlock()
}

// tenantContextKey is distinct from the keys in context.go.
type tenantContextKey int

const (
	tenantKey tenantContextKey = iota + 1
	userKey
	apiKeyKey
)

// NewContextWithTenant returns a copy of ctx scoped to tenant t: every
// tenant-scoped store method called with it sees only t's rows. Nexus
// handlers that act on one tenant use it too.
func NewContextWithTenant(ctx context.Context, t *Tenant) context.Context {
	return context.WithValue(ctx, tenantKey, t)
}

// TenantFromContext returns the tenant ctx is scoped to, or nil.
func TenantFromContext(ctx context.Context) *Tenant {
	t, _ := ctx.Value(tenantKey).(*Tenant)
	return t
}

// TenantIDFromContext returns the ID of the tenant ctx is scoped to, or
// EUNAUTHORIZED when there is none: tenant-scoped store methods start with
// it, so a handler cannot forget the tenant filter.
func TenantIDFromContext(ctx context.Context) (int64, error) {
	t := TenantFromContext(ctx)
	if t == nil || t.ID == 0 {
		return 0, Errorf(EUNAUTHORIZED, "Sign in to continue.")
	}
	return t.ID, nil
}
