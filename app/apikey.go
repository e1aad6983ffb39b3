package app

import (
	"context"
	"encoding/base64"
	"strings"
	"sync"
	"time"
)

// API key scopes.
const (
	ScopeRead  = "read"
	ScopeWrite = "write"
)

// API key kinds, from the key's own prefix.
const (
	apiKeyTenantPrefix = "ogt_"
	apiKeyAdminPrefix  = "oga_"
	apiKeySecretLen    = 43 // base64url of 32 random bytes, no padding
	// APIKeyLen is the length of a whole key.
	APIKeyLen = 4 + apiKeySecretLen
)

// APIKey is a REST credential: a tenant's (TenantID set) or an admin's
// (TenantID 0). Only its hash is stored; the key itself is shown once.
type APIKey struct {
	ID         int64
	TenantID   int64
	Name       string
	Scope      string
	Prefix     string // the first 12 characters, to tell keys apart
	CreatedBy  string
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
	// RateLimit is the requests the key may make a minute (0: the
	// default, KeyLimiter.Default).
	RateLimit int
	// Requests counted for the key (lists fill them): today (UTC) and in
	// the last 30 days, and the requests refused with 429 in those days.
	RequestsToday, Requests30d, Limited30d int64
}

// Admin reports whether this is an admin (Nexus) key.
func (k *APIKey) Admin() bool { return k.TenantID == 0 }

// CanWrite reports whether the key may change data.
func (k *APIKey) CanWrite() bool { return k.Scope == ScopeWrite }

// ParseAPIKey checks the shape of a presented key and reports whether it
// is an admin key. It never echoes the key in its error. Returns
// EUNAUTHORIZED for anything that is not a well-formed key.
func ParseAPIKey(raw string) (admin bool, err error) {
	bad := Errorf(EUNAUTHORIZED, "Invalid API key.")
	if len(raw) != APIKeyLen {
		return false, bad
	}
	switch raw[:4] {
	case apiKeyTenantPrefix:
	case apiKeyAdminPrefix:
		admin = true
	default:
		return false, bad
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(raw[4:])
	if err != nil || len(b) != 32 {
		return false, bad
	}
	return admin, nil
}

// ParseBearer extracts the token from an Authorization header value.
// Returns EUNAUTHORIZED if it is not "Bearer <token>".
func ParseBearer(header string) (string, error) {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return "", Errorf(EUNAUTHORIZED, "Send the API key as: Authorization: Bearer KEY.")
	}
	return strings.TrimSpace(tok), nil
}

// APIKeyStore persists API keys.
type APIKeyStore interface {
	// CreateAPIKey stores a key by its hash.
	CreateAPIKey(ctx context.Context, k *APIKey, keyHash string) error
	// FindAPIKeyByHash returns ENOTFOUND for an unknown or revoked key.
	FindAPIKeyByHash(ctx context.Context, keyHash string) (*APIKey, error)
	// FindTenantAPIKeys lists the keys of the tenant in ctx (EUNAUTHORIZED
	// without one).
	FindTenantAPIKeys(ctx context.Context) ([]*APIKey, error)
	// RevokeTenantAPIKey revokes a key of the tenant in ctx; another
	// tenant's key is ENOTFOUND.
	RevokeTenantAPIKey(ctx context.Context, id int64) error
	// FindAdminAPIKeys lists admin keys.
	FindAdminAPIKeys(ctx context.Context) ([]*APIKey, error)
	// RevokeAdminAPIKey revokes an admin key. Returns ENOTFOUND.
	RevokeAdminAPIKey(ctx context.Context, id int64) error
	// TouchAPIKey records a use.
	TouchAPIKey(ctx context.Context, id int64, at time.Time) error
	// AddAPIKeyUsage adds counted requests to the keys' daily counts.
	AddAPIKeyUsage(ctx context.Context, us []KeyUsage) error
	// SetAPIKeyRateLimit sets the rate limit of a key of tenantID (0: an
	// admin key). Returns ENOTFOUND for a key of another tenant or kind.
	SetAPIKeyRateLimit(ctx context.Context, id, tenantID int64, perMinute int) error
}

// APIKeyService issues, checks and revokes API keys.
type APIKeyService struct {
	store APIKeyStore
	Audit *AuditService
	Now   func() time.Time
	// Limiter counts requests per key (nil: one with the default limit).
	Limiter     *KeyLimiter
	limiterOnce sync.Once
}

// NewAPIKeyService returns the service of API keys on its store; the wiring
// sets the other fields. The store stays private: callers go through the
// service.
func NewAPIKeyService(st APIKeyStore) *APIKeyService { return &APIKeyService{store: st} }

func (s *APIKeyService) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func validScope(scope string) error {
	if scope != ScopeRead && scope != ScopeWrite {
		return FieldErrorf("scope", "Scope must be read or write.")
	}
	return nil
}

// CreateTenantKey issues a key for the tenant in ctx and returns it (the
// only time it is visible). Returns EUNAUTHORIZED without a tenant, and
// EFORBIDDEN for a tenant member (owners and admins issue keys).
func (s *APIKeyService) CreateTenantKey(ctx context.Context, name, scope string) (string, *APIKey, error) {
	tid, err := TenantIDFromContext(ctx)
	if err != nil {
		return "", nil, err
	}
	if u := UserFromContext(ctx); u != nil && u.Role != UserRoleOwner {
		return "", nil, Errorf(EFORBIDDEN, "Only the account owner can create API keys.")
	} else if u == nil && AdminFromContext(ctx) == nil && RequestFromContext(ctx).IP != "" {
		return "", nil, Errorf(EFORBIDDEN, "Only an owner or an admin can create API keys.")
	}
	return s.create(ctx, tid, name, scope, apiKeyTenantPrefix)
}

// CreateAdminKey issues an admin key. From the web only an owner admin
// may; the CLI (no request in ctx) runs as the machine's operator.
func (s *APIKeyService) CreateAdminKey(ctx context.Context, name, scope string) (string, *APIKey, error) {
	if RequestFromContext(ctx).IP != "" {
		if a := AdminFromContext(ctx); a == nil || a.Role != RoleOwner {
			return "", nil, Errorf(EFORBIDDEN, "Only Nexus owners can create admin API keys.")
		}
	}
	return s.create(ctx, 0, name, scope, apiKeyAdminPrefix)
}

func (s *APIKeyService) create(ctx context.Context, tenantID int64, name, scope, prefix string) (string, *APIKey, error) {
	if scope == "" {
		scope = ScopeRead
	}
	if err := validScope(scope); err != nil {
		return "", nil, err
	}
	name = strings.TrimSpace(name)
	if len(name) > 100 {
		return "", nil, FieldErrorf("name", "Name must be at most 100 characters.")
	}
	raw := prefix + RandomToken(32)
	k := &APIKey{TenantID: tenantID, Name: name, Scope: scope, Prefix: raw[:12]}
	e := &AuditEntry{}
	FillActor(ctx, e)
	k.CreatedBy = e.Actor
	if k.CreatedBy == "" {
		k.CreatedBy = "cli"
	}
	if err := s.store.CreateAPIKey(ctx, k, HashToken(raw)); err != nil {
		return "", nil, err
	}
	what := "apikey.create"
	if tenantID == 0 {
		what = "apikey.create_admin"
	}
	s.Audit.Record(NewContextWithTenantID(ctx, tenantID), what, "apikey:"+k.Prefix, "scope "+scope)
	return raw, k, nil
}

// NewContextWithTenantID scopes ctx to a tenant known only by ID (for the
// audit log), keeping a richer tenant already in ctx.
func NewContextWithTenantID(ctx context.Context, id int64) context.Context {
	if id == 0 || TenantFromContext(ctx) != nil {
		return ctx
	}
	return NewContextWithTenant(ctx, &Tenant{ID: id})
}

// Authenticate resolves a presented key. Returns EUNAUTHORIZED for a
// malformed, unknown or revoked key (one message for all).
func (s *APIKeyService) Authenticate(ctx context.Context, raw string) (*APIKey, error) {
	if _, err := ParseAPIKey(raw); err != nil {
		return nil, err
	}
	k, err := s.store.FindAPIKeyByHash(ctx, HashToken(raw))
	if ErrorCode(err) == ENOTFOUND {
		return nil, Errorf(EUNAUTHORIZED, "Invalid API key.")
	} else if err != nil {
		return nil, err
	}
	now := s.now()
	// Record use at most once a minute per key, to keep writes off the
	// hot path of busy integrations.
	if k.LastUsedAt == nil || now.Sub(*k.LastUsedAt) > time.Minute {
		if err := s.store.TouchAPIKey(context.WithoutCancel(ctx), k.ID, now); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// ListTenantKeys lists the keys of the tenant in ctx.
func (s *APIKeyService) ListTenantKeys(ctx context.Context) ([]*APIKey, error) {
	ks, err := s.store.FindTenantAPIKeys(ctx)
	return s.withUsage(ks), err
}

// RevokeTenantKey revokes a key of the tenant in ctx. Returns ENOTFOUND
// (also for another tenant's key) or EFORBIDDEN for a member.
func (s *APIKeyService) RevokeTenantKey(ctx context.Context, id int64) error {
	if u := UserFromContext(ctx); u != nil && u.Role != UserRoleOwner {
		return Errorf(EFORBIDDEN, "Only the account owner can revoke API keys.")
	}
	if err := s.store.RevokeTenantAPIKey(ctx, id); err != nil {
		return err
	}
	s.Audit.Record(ctx, "apikey.revoke", "apikey:"+itoa64(id), "")
	return nil
}

// ListAdminKeys lists admin keys. Returns EFORBIDDEN for non-admins.
func (s *APIKeyService) ListAdminKeys(ctx context.Context) ([]*APIKey, error) {
	if AdminFromContext(ctx) == nil {
		return nil, Errorf(EFORBIDDEN, "Only Nexus admins can list admin keys.")
	}
	ks, err := s.store.FindAdminAPIKeys(ctx)
	return s.withUsage(ks), err
}

// RevokeAdminKey revokes an admin key. Returns EFORBIDDEN or ENOTFOUND.
func (s *APIKeyService) RevokeAdminKey(ctx context.Context, id int64) error {
	if a := AdminFromContext(ctx); a == nil || a.Role != RoleOwner {
		return Errorf(EFORBIDDEN, "Only Nexus owners can revoke admin API keys.")
	}
	if err := s.store.RevokeAdminAPIKey(ctx, id); err != nil {
		return err
	}
	s.Audit.Record(ctx, "apikey.revoke_admin", "apikey:"+itoa64(id), "")
	return nil
}
