package app

import (
	"context"
	"log/slog"
	"net/url"
	"strings"
	"sync/atomic"
)

// ProviderSettings are the outside services' base URLs (and the model
// asked) that an admin may change in Nexus, or with an admin API key,
// without a restart. An empty field means the server's flag
// (--twilio-api-url, --openai-url, --openai-model).
type ProviderSettings struct {
	TwilioAPIURL string `json:"twilio_api_url,omitempty"`
	ModelURL     string `json:"model_url,omitempty"`
	Model        string `json:"model,omitempty"`
	StripeAPIURL string `json:"stripe_api_url,omitempty"`
}

// ProviderStore keeps the agency's ProviderSettings (one record).
type ProviderStore interface {
	FindProviderSettings(ctx context.Context) (ProviderSettings, error)
	SaveProviderSettings(ctx context.Context, p ProviderSettings) error
}

// ProviderService gives the settings in use and saves an admin's change,
// which takes effect at the next request. Saves go through it, so it
// keeps the saved record in memory after the first read: a text sent or
// a model called does not read the database for it.
type ProviderService struct {
	store    ProviderStore
	Defaults ProviderSettings // from the flags
	Audit    *AuditService
	Logger   *slog.Logger

	saved atomic.Pointer[ProviderSettings]
}

// NewProviderService returns the service of the provider settings on its store.
// The store stays private: callers go through the service.
func NewProviderService(st ProviderStore) *ProviderService { return &ProviderService{store: st} }

// Stored returns what an admin saved (empty fields: the defaults apply).
func (s *ProviderService) Stored(ctx context.Context) (ProviderSettings, error) {
	if p := s.saved.Load(); p != nil {
		return *p, nil
	}
	p, err := s.store.FindProviderSettings(ctx)
	if err != nil {
		return p, err
	}
	s.saved.CompareAndSwap(nil, &p)
	return p, nil
}

// Current returns the settings in use: each saved field over its flag.
// A store error is logged and the flags are used.
func (s *ProviderService) Current(ctx context.Context) ProviderSettings {
	p := s.Defaults
	saved, err := s.Stored(ctx)
	if err != nil {
		if s.Logger != nil {
			s.Logger.Error("provider settings", "err", err)
		}
		return p
	}
	if saved.TwilioAPIURL != "" {
		p.TwilioAPIURL = saved.TwilioAPIURL
	}
	if saved.ModelURL != "" {
		p.ModelURL = saved.ModelURL
	}
	if saved.Model != "" {
		p.Model = saved.Model
	}
	if saved.StripeAPIURL != "" {
		p.StripeAPIURL = saved.StripeAPIURL
	}
	return p
}

// Save validates and stores p (an empty field goes back to its flag).
// EINVALID names the field.
func (s *ProviderService) Save(ctx context.Context, p ProviderSettings) error {
	p.TwilioAPIURL = strings.TrimRight(strings.TrimSpace(p.TwilioAPIURL), "/")
	p.ModelURL = strings.TrimRight(strings.TrimSpace(p.ModelURL), "/")
	p.Model = strings.TrimSpace(p.Model)
	p.StripeAPIURL = strings.TrimRight(strings.TrimSpace(p.StripeAPIURL), "/")
	if err := checkProviderURL("stripe_api_url", p.StripeAPIURL, "https://api.stripe.com"); err != nil {
		return err
	}
	if err := checkProviderURL("twilio_api_url", p.TwilioAPIURL, "https://api.twilio.com"); err != nil {
		return err
	}
	if err := checkProviderURL("model_url", p.ModelURL, "https://api.openai.com/v1"); err != nil {
		return err
	}
	if len(p.Model) > 200 || strings.ContainsAny(p.Model, " \t\r\n") {
		return FieldErrorf("model", "The model must be one name without spaces, like gpt-4o-mini.")
	}
	if err := s.store.SaveProviderSettings(ctx, p); err != nil {
		return err
	}
	s.saved.Store(&p)
	if s.Audit != nil {
		s.Audit.Record(ctx, "providers.update", "providers", "twilio_api_url="+p.TwilioAPIURL+" model_url="+p.ModelURL+" model="+p.Model+" stripe_api_url="+p.StripeAPIURL)
	}
	return nil
}

// checkProviderURL accepts "" or an http(s) base URL without a query or
// credentials (a key belongs in the vault).
func checkProviderURL(field, v, example string) error {
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return FieldErrorf(field, "%q is not an http(s) base URL like %s.", v, example)
	}
	if u.User != nil {
		return FieldErrorf(field, "The base URL must not hold a user or password: save the key in the vault.")
	}
	return nil
}
