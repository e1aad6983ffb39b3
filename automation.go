package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"orengen/app"
	"orengen/app/federal"
	"orengen/integrations"
	"orengen/store"
)

// Vault names of the integration secrets (per tenant, or global).
const (
	secretTwilioSID   = "twilio_account_sid"
	secretTwilioToken = "twilio_auth_token"
	secretTwilioFrom  = "twilio_from"
	secretSMTPURL     = "smtp_url"
)

// smtpMailer returns the SMTP mailer of ORENGEN_SMTP_URL (nil when unset),
// keeping the outbox record of every message.
func (m *Main) smtpMailer(outbox app.OutboxStore) (app.Mailer, error) {
	if m.Config.SMTPURL == "" {
		return nil, nil
	}
	c, err := integrations.ParseSMTPURL(m.Config.SMTPURL)
	if err != nil {
		return nil, fmt.Errorf("ORENGEN_SMTP_URL: %w", err)
	}
	return &integrations.SMTPMailer{Config: *c, Outbox: outbox, Meter: m.meter()}, nil
}

// meter is the server's metrics as an app.Meter, nil when there is no
// server (CLI commands count nothing).
func (m *Main) meter() app.Meter {
	if m.Server == nil || m.Server.Metrics == nil {
		return nil
	}
	return m.Server.Metrics
}

// secretCache keeps integration secrets for a few seconds: every SMS,
// call and email step needs them, and a vault read decrypts and records
// its use (a write).
type secretCache struct {
	mu sync.Mutex
	m  map[string]cachedSecret
}

type cachedSecret struct {
	v  string
	at time.Time
}

const secretCacheTTL = 10 * time.Second

var integrationSecrets = &secretCache{m: map[string]cachedSecret{}}

// vaultGet reads a secret of the tenant, else the global one ("" if none).
func vaultGet(ctx context.Context, v *app.VaultService, tenantID int64, name string) string {
	if s := vaultGetScope(ctx, v, app.TenantScope(tenantID), name); s != "" {
		return s
	}
	return vaultGetScope(ctx, v, app.GlobalScope, name)
}

// vaultGetScope reads a secret of one scope through the cache.
func vaultGetScope(ctx context.Context, v *app.VaultService, scope app.VaultScope, name string) string {
	key := fmt.Sprintf("%p/%v/%s", v, scope, name)
	c := integrationSecrets
	c.mu.Lock()
	e, ok := c.m[key]
	c.mu.Unlock()
	if ok && time.Since(e.at) < secretCacheTTL {
		return e.v
	}
	val, err := v.Get(ctx, scope, name)
	if err != nil {
		val = ""
	}
	c.mu.Lock()
	c.m[key] = cachedSecret{v: val, at: time.Now()}
	c.mu.Unlock()
	return val
}

// wireAutomations builds the automation service and engine, seeds the
// house tenant's "Lead capture" workflow and starts the workers; they
// stop when ctx ends (Wait on the engine before closing the database).
func (m *Main) wireAutomations(ctx context.Context, sv *Services) (*app.Engine, error) {
	ws := store.NewWorkflowStore(m.DB)
	outbox := store.NewOutboxStore(m.DB)
	global, err := m.smtpMailer(outbox)
	if err != nil {
		return nil, err
	}
	vault := sv.Vault
	twilioCfg := func(ctx context.Context, tenantID int64) integrations.TwilioConfig {
		return integrations.TwilioConfig{
			AccountSID: vaultGet(ctx, vault, tenantID, secretTwilioSID), AuthToken: vaultGet(ctx, vault, tenantID, secretTwilioToken),
			From: vaultGet(ctx, vault, tenantID, secretTwilioFrom), APIURL: m.Config.TwilioAPIURL,
			StatusCallback: func(key string) string { return m.Server.TwilioCallbackURL(tenantID, key) },
			Meter:          m.meter(),
		}
	}
	mailer := func(ctx context.Context, tenantID int64) (app.Mailer, error) {
		if u := vaultGet(ctx, vault, tenantID, secretSMTPURL); u != "" {
			c, err := integrations.ParseSMTPURL(u)
			if err != nil {
				return nil, &app.PermanentError{Err: fmt.Errorf("vault %s: %w", secretSMTPURL, err)}
			}
			return &integrations.SMTPMailer{Config: *c, Outbox: outbox, Meter: m.meter()}, nil
		}
		if global == nil {
			return nil, fmt.Errorf("email is not configured: set ORENGEN_SMTP_URL or the vault secret %s", secretSMTPURL)
		}
		return global, nil
	}
	eng := &app.Engine{
		Store: ws, Contacts: store.NewContactStore(m.DB), HTTP: &integrations.HTTPSender{}, Logger: m.Logger, Meter: m.meter(),
		Workers: m.Config.AutomationWorkers, Lease: m.Config.AutomationLease, RunMaxAge: m.Config.AutomationRetention, KeepRuns: m.Config.AutomationKeepRuns,
		Telephony: func(ctx context.Context, tenantID int64) (app.Telephony, error) {
			c := twilioCfg(ctx, tenantID)
			if c.AccountSID == "" || c.AuthToken == "" || c.From == "" {
				return nil, fmt.Errorf("twilio is not configured: add %s, %s and %s to the vault", secretTwilioSID, secretTwilioToken, secretTwilioFrom)
			}
			return integrations.NewTwilio(c)
		},
		Mailer: mailer,
		GatherAction: func(tenantID int64, key, forward string) string {
			return m.Server.TwilioGatherURL(tenantID, key, forward)
		},
		AdminEmail: func(ctx context.Context) string {
			if as, err := m.Auth.Admins.FindAdmins(ctx); err == nil {
				for _, a := range as {
					if a.Role == app.RoleOwner {
						return a.Email
					}
				}
				if len(as) > 0 {
					return as[0].Email
				}
			}
			return ""
		},
	}
	svc := &app.AutomationService{Store: ws, Engine: eng, Events: ws, Audit: sv.Audit, ValidSignature: integrations.ValidTwilioSignature,
		Requests: store.NewAutomationRequestStore(m.DB), // clients request automations from the catalogue
		TwilioAuthToken: func(ctx context.Context, tenantID int64) (string, error) {
			return vaultGet(ctx, vault, tenantID, secretTwilioToken), nil
		},
		TenantForNumber: func(ctx context.Context, to string) (int64, bool) {
			to = app.PhoneDigits(to)
			if to == "" || sv.Tenants == nil {
				return 0, false
			}
			ts, err := sv.Tenants.Store.FindTenants(ctx)
			if err != nil {
				return 0, false
			}
			for _, t := range ts { // a tenant's own number, not the global fallback
				if s := vaultGetScope(ctx, vault, app.TenantScope(t.ID), secretTwilioFrom); s != "" && app.PhoneDigits(s) == to {
					return t.ID, true
				}
			}
			return 0, false
		},
		Missing: func(ctx context.Context, tenantID int64) []string {
			var out []string
			c := twilioCfg(ctx, tenantID)
			if c.AccountSID == "" || c.AuthToken == "" || c.From == "" {
				out = append(out, "Twilio")
			}
			if _, err := mailer(ctx, tenantID); err != nil {
				out = append(out, "SMTP")
			}
			return out
		},
	}
	m.Server.Automations = svc
	m.wireForms(sv, svc)
	m.Server.LeadRateLimit = m.Config.LeadRateLimit
	if m.Server.LeadRateLimit == 0 {
		m.Server.LeadRateLimit = -1 // --lead-rate-limit 0: no limit either
	}
	// The seeded workflow is disabled until Twilio and SMTP are configured.
	seed := app.LeadCaptureWorkflow()
	seed.Enabled = len(svc.Missing(ctx, app.HouseTenantID)) == 0
	if created, err := ws.SeedWorkflow(ctx, seed); err != nil {
		return nil, fmt.Errorf("seed workflow: %w", err)
	} else if created {
		state := "disabled until Twilio and SMTP are configured"
		if seed.Enabled {
			state = "enabled"
		}
		m.Logger.Info("seeded the \"Lead capture\" workflow: " + state)
	}
	eng.Triggers = &app.Triggers{Store: ws, Logger: m.Logger}
	eng.Start(ctx)
	m.Logger.Info("automation workers started", "workers", eng.Workers, "missing", strings.Join(svc.Missing(ctx, app.HouseTenantID), ","))
	return eng, nil
}

// federalAlertSink hands federal alerts (the daily digest of new and
// changed opportunities, and deadline/expiry reminders) to the automation
// engine as "federal_alert" runs, so the admin chooses email or SMS in a
// workflow. With no workflow listening, the alert goes to the log sink and
// stays visible in Nexus.
type federalAlertSink struct {
	store  *store.WorkflowStore
	engine *app.Engine
	next   federal.AlertSink
}

func (s *federalAlertSink) Alert(ctx context.Context, a federal.FederalAlert) error {
	fields := map[string]any{"kind": a.Kind, "subject": a.Subject, "body": a.Body, "link": a.Link, "days_before": a.DaysBefore}
	if !a.Due.IsZero() {
		fields["due"] = a.Due.UTC().Format("2006-01-02")
	}
	payload, err := json.Marshal(fields)
	if err != nil {
		return err
	}
	ids, err := s.store.EnqueueTrigger(ctx, a.TenantID, app.TriggerFederalAlert, payload)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return s.next.Alert(ctx, a)
	}
	s.engine.Wake()
	return nil
}
