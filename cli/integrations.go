package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"orengen/app"
	"orengen/app/federal"
	"orengen/app/platform"
	"orengen/httpx"
	"orengen/llm"
	"orengen/store"
)

// wireIntegrations builds the integrations hub (Nexus > Infrastructure >
// Integrations, and each client's own in its portal): one entry per
// outside service the product talks to, with the secrets each reads, its
// settings and a connection test that makes a harmless real call (a read:
// nothing sent, no model run, nothing billed) through the same client and
// the same guarded outbound HTTP client the product uses.
// saveProviders returns an integration's Save for the provider settings
// its fields name (field -> the settings' JSON name): the fields given
// replace the saved ones, the others stay. An error names the
// integration's field (base_url), not the settings' (model_url).
func (a *App) saveProviders(fields map[string]string) func(context.Context, map[string]string) error {
	return func(ctx context.Context, values map[string]string) error {
		p, err := a.Providers.Stored(ctx)
		if err != nil {
			return err
		}
		ptr := map[string]*string{"twilio_api_url": &p.TwilioAPIURL, "model_url": &p.ModelURL, "model": &p.Model, "stripe_api_url": &p.StripeAPIURL}
		for name, v := range values {
			if f := ptr[fields[name]]; f != nil {
				*f = v
			}
		}
		err = a.Providers.Save(ctx, p)
		var e *app.Error
		if errors.As(err, &e) && e.Field != "" {
			for name, json := range fields {
				if json == e.Field {
					return app.FieldErrorf(name, "%s", e.Message)
				}
			}
		}
		return err
	}
}

func (a *App) wireIntegrations() {
	ins := []*platform.Integration{a.twilioIntegration(), a.smtpIntegration(), a.modelIntegration(), a.samIntegration(), a.grantsIntegration(),
		a.replicaIntegration(), a.stripeIntegration()} // stripeIntegration: billing.go
	a.Hub = &platform.Hub{Integrations: ins, Checks: store.NewIntegrationCheckStore(a.DB), Audit: a.Audit,
		Secrets: func(ctx context.Context, scope app.VaultScope) ([]string, error) {
			ss, err := a.Vault.List(ctx, scope)
			if err != nil {
				return nil, err
			}
			out := make([]string, 0, len(ss))
			for _, s := range ss {
				out = append(out, s.Name)
			}
			return out, nil
		}}
	a.Server.Integrations = a.Hub
}

// twilioIntegration is the integration of SMS, calls and voice agents.
func (a *App) twilioIntegration() *platform.Integration {
	cfg := a.Config
	return &platform.Integration{Key: "twilio", Name: "Twilio", Tenant: true, Page: "/vault",
		About:   "SMS, calls and voice agents. A client's own account takes precedence over the agency's.",
		Secrets: []platform.SecretSpec{{Vault: app.SecretTwilioSID}, {Vault: app.SecretTwilioToken}, {Vault: app.SecretTwilioFrom}},
		Settings: func(ctx context.Context, tid int64) [][2]string {
			return [][2]string{{"API", a.Providers.Current(ctx).TwilioAPIURL}, {"Sending number", a.Integrations.Secret(ctx, tid, app.SecretTwilioFrom)}}
		},
		Fields: func(ctx context.Context) []platform.Field {
			p, _ := a.Providers.Stored(ctx)
			return []platform.Field{{Name: "base_url", Label: "API base URL", Value: p.TwilioAPIURL,
				Help: "A Twilio-compatible REST API. Empty: " + cfg.TwilioAPIURL + " (--twilio-api-url)."}}
		},
		Save: a.saveProviders(map[string]string{"base_url": "twilio_api_url"}),
		Test: func(ctx context.Context, tid int64) (string, error) {
			tel, err := a.Integrations.Telephony(ctx, tid)
			return pingTest(ctx, tel, err,
				"Twilio accepted the account SID and auth token (listed one message; nothing sent).")
		}}
}

// smtpIntegration is the integration of outgoing email.
func (a *App) smtpIntegration() *platform.Integration {
	cfg := a.Config
	return &platform.Integration{Key: "smtp", Name: "SMTP (email)", Tenant: true, Page: "/vault",
		About:   "Outgoing email: notifications, workflow emails, booking confirmations. A client's own server takes precedence.",
		Secrets: []platform.SecretSpec{{Vault: app.SecretSMTPURL, Env: "ORENGEN_SMTP_URL", EnvSet: cfg.SMTPURL != ""}},
		Test: func(ctx context.Context, tid int64) (string, error) {
			m, err := a.Integrations.Mailer(ctx, tid)
			return pingTest(ctx, m, err,
				"The server greeted, signed in where a user is set, and said goodbye (no message sent).")
		}}
}

// modelIntegration is the integration of the OpenAI-compatible model.
func (a *App) modelIntegration() *platform.Integration {
	cfg := a.Config
	return &platform.Integration{Key: "model", Name: "OpenAI-compatible model", Page: "/vault",
		About:   "RFP requirement extraction and the agents' default endpoint.",
		Secrets: []platform.SecretSpec{{Vault: app.SecretOpenAIKey, Env: "ORENGEN_OPENAI_API_KEY", EnvSet: cfg.OpenAIAPIKey != ""}},
		Settings: func(ctx context.Context, _ int64) [][2]string {
			p := a.Providers.Current(ctx)
			return [][2]string{{"Base URL", p.ModelURL}, {"Model", p.Model}}
		},
		Fields: func(ctx context.Context) []platform.Field {
			p, _ := a.Providers.Stored(ctx)
			return []platform.Field{
				{Name: "base_url", Label: "Base URL", Value: p.ModelURL,
					Help: "An OpenAI-compatible API, like https://api.openai.com/v1. Empty: " + cmp.Or(cfg.OpenAIURL, "none") + " (--openai-url)."},
				{Name: "model", Label: "Model", Value: p.Model,
					Help: "The model RFP extraction asks. Empty: " + cfg.OpenAIModel + " (--openai-model)."},
			}
		},
		Save: a.saveProviders(map[string]string{"base_url": "model_url", "model": "model"}),
		Configured: func(ctx context.Context, _ int64) bool {
			k, _ := a.Vault.GetOr(ctx, app.GlobalScope, app.SecretOpenAIKey, cfg.OpenAIAPIKey)
			return a.Providers.Current(ctx).ModelURL != "" && k != ""
		},
		Test: func(ctx context.Context, _ int64) (string, error) {
			prov := a.Providers.Current(ctx)
			if prov.ModelURL == "" {
				return "", errors.New("no base URL: set it here, or start the server with --openai-url (ORENGEN_OPENAI_URL)")
			}
			key, err := a.Vault.GetOr(ctx, app.GlobalScope, app.SecretOpenAIKey, cfg.OpenAIAPIKey)
			if err != nil {
				return "", err
			}
			c := &llm.Client{BaseURL: prov.ModelURL, Key: key, HTTP: a.outboundClient(httpx.Options{Timeout: platform.DefaultTestTimeout}, cfg.OpenAIURL)}
			models, err := c.Models(ctx)
			if err != nil {
				return "", err
			}
			if prov.Model != "" && !slices.Contains(models, prov.Model) {
				return "", fmt.Errorf("the endpoint answered with %d models, but not %s", len(models), prov.Model)
			}
			return fmt.Sprintf("The endpoint accepted the key and lists %d models, %s among them (no model was run).", len(models), prov.Model), nil
		}}
}

// samIntegration is the integration of SAM.gov.
func (a *App) samIntegration() *platform.Integration {
	cfg := a.Config
	return &platform.Integration{Key: "sam", Name: "SAM.gov", Page: "/federal/settings",
		About:    "Federal contract opportunities for the Opportunity Studio and saved searches.",
		TestNote: "Uses one of the key's daily SAM.gov requests.",
		Secrets:  []platform.SecretSpec{{Vault: app.SecretSAMKey, Env: "ORENGEN_SAM_API_KEY", EnvSet: cfg.SAMAPIKey != ""}},
		Settings: func(context.Context, int64) [][2]string {
			return [][2]string{{"API", cfg.SAMAPIURL}, {"Key type", cfg.SAMKeyType}}
		},
		Test: func(ctx context.Context, _ int64) (string, error) {
			if a.Federal == nil {
				return "", errors.New("federal scouting is not wired")
			}
			key, err := a.Federal.Scout.Key(ctx)
			if err != nil {
				return "", err
			}
			if key == "" {
				return "", errors.New("no SAM.gov API key: add sam_api_key to the vault")
			}
			today := time.Now().UTC()
			page, err := a.Federal.Scout.SAM.WithKey(key).Search(ctx, federal.SearchParams{PostedFrom: today.AddDate(0, 0, -1).Format("01/02/2006"), PostedTo: today.Format("01/02/2006"), Limit: 1})
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("SAM.gov accepted the key: %d notices posted since yesterday.", page.TotalRecords), nil
		}}
}

// grantsIntegration is the integration of Grants.gov.
func (a *App) grantsIntegration() *platform.Integration {
	cfg := a.Config
	return &platform.Integration{Key: "grants", Name: "Grants.gov", Page: "/federal/grants",
		About: "Grant opportunities for the grant pipeline (no key needed).",
		Settings: func(context.Context, int64) [][2]string {
			return [][2]string{{"API", cfg.GrantsAPIURL}}
		},
		Test: func(ctx context.Context, _ int64) (string, error) {
			if a.Federal == nil {
				return "", errors.New("federal scouting is not wired")
			}
			page, err := a.Federal.Scout.Grants.Search(ctx, federal.GrantSearchParams{Rows: 1})
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("Grants.gov answered: %d open or forecast opportunities.", page.HitCount), nil
		}}
}

// replicaIntegration is the integration of the backup replicas.
func (a *App) replicaIntegration() *platform.Integration {
	cfg := a.Config
	return &platform.Integration{Key: "replicas", Name: "Backup replicas (S3, SFTP, file)", Page: "/backups",
		About:    "Continuous replication of the databases by the replicator process (Litestream).",
		TestNote: "Reads the replicator's latest uploads; a restore drill on Backups is the full test.",
		Settings: func(context.Context, int64) [][2]string {
			var out [][2]string
			for i, r := range cfg.Replicas {
				out = append(out, [2]string{fmt.Sprintf("Replica %d", i+1), redactReplica(r)})
			}
			return out
		},
		Configured: func(context.Context, int64) bool { return a.Backups != nil },
		Test: func(ctx context.Context, _ int64) (string, error) {
			if a.Backups == nil {
				return "", errors.New("no replica is configured")
			}
			o := a.Backups.Overview(ctx)
			if !o.Running {
				return "", fmt.Errorf("the replicator is not reporting: %s", o.Problem)
			}
			var worst time.Duration
			n := 0
			for _, db := range o.Databases {
				for _, r := range db.Replicas {
					if r.LastError != "" {
						return "", fmt.Errorf("%s on %s: %s", db.Name, r.Name, r.LastError)
					}
					if !r.InSync {
						return "", fmt.Errorf("%s on %s is %s behind", db.Name, r.Name, r.Lag.Round(time.Second))
					}
					worst = max(worst, r.Lag)
					n++
				}
			}
			return fmt.Sprintf("%d database replicas in sync (largest lag %s).", n, worst.Round(time.Millisecond)), nil
		}}
}

// pingTest is the connection test of a client (got with err): its Ping,
// answered with ok.
func pingTest(ctx context.Context, client app.Pinger, err error, ok string) (string, error) {
	if err != nil {
		return "", err
	}
	if err := client.Ping(ctx); err != nil {
		return "", err
	}
	return ok, nil
}

// redactReplica shows a replica URL without its user information or
// query (S3 credentials may ride in either).
func redactReplica(r string) string {
	if i := strings.Index(r, "://"); i >= 0 {
		rest := r[i+3:]
		if at := strings.LastIndex(rest, "@"); at >= 0 && at < strings.IndexAny(rest+"/", "/") {
			rest = rest[at+1:]
		}
		r = r[:i+3] + rest
	}
	if q := strings.IndexByte(r, '?'); q >= 0 {
		r = r[:q]
	}
	return r
}
