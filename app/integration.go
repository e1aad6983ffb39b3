package app

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Vault names of the integration secrets. The Twilio and SMTP secrets are
// read per tenant, falling back to the global scope; the SAM.gov and
// model keys are global only.
const (
	SecretTwilioSID   = "twilio_account_sid"
	SecretTwilioToken = "twilio_auth_token"
	SecretTwilioFrom  = "twilio_from"
	SecretSMTPURL     = "smtp_url"
	// SecretSAMKey is the SAM.gov API key (global scope).
	SecretSAMKey = "sam_api_key"
	// SecretOpenAIKey is the key of the OpenAI-compatible endpoint RFP
	// extraction asks (global scope).
	SecretOpenAIKey = "openai_api_key"
	// SecretStripeKey and SecretStripeWebhook are the agency's Stripe
	// secret key and its webhook endpoint's signing secret (global scope):
	// the agency bills its clients through its own Stripe account.
	SecretStripeKey     = "stripe_secret_key"
	SecretStripeWebhook = "stripe_webhook_secret"
)

// KnownSecret is a vault name the application reads, for the vault's
// picker: one naming, lowercase words joined by underscores, the same in
// the code, the page and the docs.
type KnownSecret struct {
	Name   string
	Scope  string // "tenant or global", "global"
	Reason string
}

// KnownSecrets lists every vault name the application reads.
var KnownSecrets = []KnownSecret{
	{SecretTwilioSID, "tenant or global", "Twilio account SID (calls, SMS)"},
	{SecretTwilioToken, "tenant or global", "Twilio auth token"},
	{SecretTwilioFrom, "tenant or global", "Twilio number to send from, like +15125550100"},
	{SecretSMTPURL, "tenant or global", "SMTP server for email steps: smtp://user:pass@host:587"},
	{SecretOpenAIKey, "global, or an agent's tenant", "OpenAI-compatible model API key (proposals, agents)"},
	{SecretSAMKey, "global", "SAM.gov API key (federal scouting)"},
	{SecretStripeKey, "global", "Stripe secret key, sk_live_... or sk_test_... (clients' card payments)"},
	{SecretStripeWebhook, "global", "Stripe webhook signing secret, whsec_... (endpoint /webhooks/stripe)"},
}

// DefaultSecretCacheTTL is how long IntegrationService keeps a secret it
// read: every SMS, call and email step needs the secrets, and a vault read
// decrypts and records its use (a write).
const DefaultSecretCacheTTL = 10 * time.Second

// TwilioAccount is the Twilio credentials a tenant sends with.
type TwilioAccount struct {
	AccountSID, AuthToken, From string
}

// Complete reports whether all three values are set.
func (a TwilioAccount) Complete() bool {
	return a.AccountSID != "" && a.AuthToken != "" && a.From != ""
}

// SecretReader reads one vault secret (VaultService).
type SecretReader interface {
	Get(ctx context.Context, scope VaultScope, name string) (string, error)
}

// IntegrationService answers what a tenant's automations need from the
// outside services: its Twilio account and client, its mailer, which
// integrations it lacks, and which tenant owns a phone number. Secrets
// are the tenant's own, else the global ones, read through a short cache.
type IntegrationService struct {
	Vault   SecretReader
	Tenants TenantStore
	// NewTelephony builds the client of a complete Twilio account for a
	// tenant (the twilio package).
	NewTelephony func(ctx context.Context, tenantID int64, acct TwilioAccount) (Telephony, error)
	// NewMailer builds a mailer from an SMTP URL held in the vault (the
	// smtp package).
	NewMailer func(url string) (Mailer, error)
	// DefaultMailer sends when no vault smtp_url is set (ORENGEN_SMTP_URL;
	// nil: email is not configured).
	DefaultMailer Mailer
	// TTL is how long a read secret is kept (0: DefaultSecretCacheTTL).
	TTL time.Duration
	// Usage meters what the tenant's senders send (billing; nil: none).
	Usage UsageMeter

	mu    sync.Mutex
	cache map[secretKey]cachedSecret
}

type secretKey struct {
	scope VaultScope
	name  string
}

type cachedSecret struct {
	v  string
	at time.Time
}

// Secret returns the tenant's secret name, else the global one ("" if
// neither is set or the vault cannot be read).
func (s *IntegrationService) Secret(ctx context.Context, tenantID int64, name string) string {
	if v := s.scopeSecret(ctx, TenantScope(tenantID), name); v != "" {
		return v
	}
	return s.scopeSecret(ctx, GlobalScope, name)
}

// scopeSecret reads a secret of one scope through the cache.
func (s *IntegrationService) scopeSecret(ctx context.Context, scope VaultScope, name string) string {
	ttl := s.TTL
	if ttl == 0 {
		ttl = DefaultSecretCacheTTL
	}
	k := secretKey{scope, name}
	s.mu.Lock()
	e, ok := s.cache[k]
	s.mu.Unlock()
	if ok && time.Since(e.at) < ttl {
		return e.v
	}
	val, err := s.Vault.Get(ctx, scope, name)
	if err != nil {
		val = ""
	}
	s.mu.Lock()
	if s.cache == nil {
		s.cache = map[secretKey]cachedSecret{}
	}
	s.cache[k] = cachedSecret{v: val, at: time.Now()}
	s.mu.Unlock()
	return val
}

// Twilio returns the tenant's Twilio account (each value the tenant's own,
// else the global one).
func (s *IntegrationService) Twilio(ctx context.Context, tenantID int64) TwilioAccount {
	return TwilioAccount{
		AccountSID: s.Secret(ctx, tenantID, SecretTwilioSID),
		AuthToken:  s.Secret(ctx, tenantID, SecretTwilioToken),
		From:       s.Secret(ctx, tenantID, SecretTwilioFrom),
	}
}

// TwilioAuthToken returns the auth token that signs the tenant's Twilio
// webhooks ("" when none is set).
func (s *IntegrationService) TwilioAuthToken(ctx context.Context, tenantID int64) (string, error) {
	return s.Secret(ctx, tenantID, SecretTwilioToken), nil
}

// Telephony returns the tenant's Twilio client, or an error naming the
// vault secrets to add.
func (s *IntegrationService) Telephony(ctx context.Context, tenantID int64) (Telephony, error) {
	acct := s.Twilio(ctx, tenantID)
	if !acct.Complete() {
		return nil, fmt.Errorf("twilio is not configured: add %s, %s and %s to the vault", SecretTwilioSID, SecretTwilioToken, SecretTwilioFrom)
	}
	t, err := s.NewTelephony(ctx, tenantID, acct)
	if err != nil || s.Usage == nil {
		return t, err
	}
	return s.Usage.Telephony(tenantID, t), nil
}

// Mailer returns the tenant's mailer: its (or the global) vault smtp_url,
// else DefaultMailer. A bad smtp_url is a PermanentError.
func (s *IntegrationService) Mailer(ctx context.Context, tenantID int64) (Mailer, error) {
	if u := s.Secret(ctx, tenantID, SecretSMTPURL); u != "" {
		m, err := s.NewMailer(u)
		if err != nil {
			return nil, &PermanentError{Err: fmt.Errorf("vault %s: %w", SecretSMTPURL, err)}
		}
		return s.metered(tenantID, m), nil
	}
	if s.DefaultMailer == nil {
		return nil, fmt.Errorf("email is not configured: set ORENGEN_SMTP_URL or the vault secret %s", SecretSMTPURL)
	}
	return s.metered(tenantID, s.DefaultMailer), nil
}

// metered returns m metered by Usage (m itself without one).
func (s *IntegrationService) metered(tenantID int64, m Mailer) Mailer {
	if s.Usage == nil {
		return m
	}
	return s.Usage.Mailer(tenantID, m)
}

// Missing names the integrations the tenant's workflows lack ("Twilio",
// "SMTP").
func (s *IntegrationService) Missing(ctx context.Context, tenantID int64) []string {
	var out []string
	if !s.Twilio(ctx, tenantID).Complete() {
		out = append(out, "Twilio")
	}
	if _, err := s.Mailer(ctx, tenantID); err != nil {
		out = append(out, "SMTP")
	}
	return out
}

// TenantForNumber finds the tenant whose own Twilio number (not the
// global fallback) is to: a text or call to it belongs to that tenant.
func (s *IntegrationService) TenantForNumber(ctx context.Context, to string) (int64, bool) {
	to = PhoneDigits(to)
	if to == "" || s.Tenants == nil {
		return 0, false
	}
	ts, err := s.Tenants.FindTenants(ctx)
	if err != nil {
		return 0, false
	}
	for _, t := range ts {
		if v := s.scopeSecret(ctx, TenantScope(t.ID), SecretTwilioFrom); v != "" && PhoneDigits(v) == to {
			return t.ID, true
		}
	}
	return 0, false
}
