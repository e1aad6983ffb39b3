package cli

import (
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
func (a *App) wireIntegrations() {
	cfg := a.Config
	pinger := func(v any) (interface{ Ping(context.Context) error }, bool) {
		p, ok := v.(interface{ Ping(context.Context) error })
		return p, ok
	}
	ins := []*platform.Integration{
		{Key: "twilio", Name: "Twilio", Tenant: true, Page: "/vault",
			About:   "SMS, calls and voice agents. A client's own account takes precedence over the agency's.",
			Secrets: []platform.SecretSpec{{Vault: app.SecretTwilioSID}, {Vault: app.SecretTwilioToken}, {Vault: app.SecretTwilioFrom}},
			Settings: func(ctx context.Context, tid int64) [][2]string {
				return [][2]string{{"API", cfg.TwilioAPIURL}, {"Sending number", a.Integrations.Secret(ctx, tid, app.SecretTwilioFrom)}}
			},
			Test: func(ctx context.Context, tid int64) (string, error) {
				tel, err := a.Integrations.Telephony(ctx, tid)
				if err != nil {
					return "", err
				}
				p, ok := pinger(tel)
				if !ok {
					return "", errors.New("this Twilio client has no connection test")
				}
				if err := p.Ping(ctx); err != nil {
					return "", err
				}
				return "Twilio accepted the account SID and auth token (listed one message; nothing sent).", nil
			}},
		{Key: "smtp", Name: "SMTP (email)", Tenant: true, Page: "/vault",
			About:   "Outgoing email: notifications, workflow emails, booking confirmations. A client's own server takes precedence.",
			Secrets: []platform.SecretSpec{{Vault: app.SecretSMTPURL, Env: "ORENGEN_SMTP_URL", EnvSet: cfg.SMTPURL != ""}},
			Test: func(ctx context.Context, tid int64) (string, error) {
				m, err := a.Integrations.Mailer(ctx, tid)
				if err != nil {
					return "", err
				}
				p, ok := pinger(m)
				if !ok {
					return "", errors.New("email is only logged (no SMTP server is configured)")
				}
				if err := p.Ping(ctx); err != nil {
					return "", err
				}
				return "The server greeted, signed in where a user is set, and said goodbye (no message sent).", nil
			}},
		{Key: "model", Name: "OpenAI-compatible model", Page: "/vault",
			About:   "RFP requirement extraction and the agents' default endpoint.",
			Secrets: []platform.SecretSpec{{Vault: app.SecretOpenAIKey, Env: "ORENGEN_OPENAI_API_KEY", EnvSet: cfg.OpenAIAPIKey != ""}},
			Settings: func(context.Context, int64) [][2]string {
				return [][2]string{{"Base URL", cfg.OpenAIURL}, {"Model", cfg.OpenAIModel}}
			},
			Configured: func(ctx context.Context, _ int64) bool {
				k, _ := a.Vault.GetOr(ctx, app.GlobalScope, app.SecretOpenAIKey, cfg.OpenAIAPIKey)
				return cfg.OpenAIURL != "" && k != ""
			},
			Test: func(ctx context.Context, _ int64) (string, error) {
				if cfg.OpenAIURL == "" {
					return "", errors.New("no base URL: set --openai-url (ORENGEN_OPENAI_URL)")
				}
				key, err := a.Vault.GetOr(ctx, app.GlobalScope, app.SecretOpenAIKey, cfg.OpenAIAPIKey)
				if err != nil {
					return "", err
				}
				c := &llm.Client{BaseURL: cfg.OpenAIURL, Key: key, HTTP: a.outboundClient(httpx.Options{Timeout: platform.DefaultTestTimeout}, cfg.OpenAIURL)}
				models, err := c.Models(ctx)
				if err != nil {
					return "", err
				}
				if cfg.OpenAIModel != "" && !slices.Contains(models, cfg.OpenAIModel) {
					return "", fmt.Errorf("the endpoint answered with %d models, but not %s (--openai-model)", len(models), cfg.OpenAIModel)
				}
				return fmt.Sprintf("The endpoint accepted the key and lists %d models, %s among them (no model was run).", len(models), cfg.OpenAIModel), nil
			}},
		{Key: "sam", Name: "SAM.gov", Page: "/federal/settings",
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
				c, ok := a.Federal.Scout.SAM.WithKey(key).(interface {
					Search(context.Context, federal.SearchParams) (federal.Page, error)
				})
				if !ok {
					return "", errors.New("this SAM.gov client has no one-page search")
				}
				today := time.Now().UTC()
				page, err := c.Search(ctx, federal.SearchParams{PostedFrom: today.AddDate(0, 0, -1).Format("01/02/2006"), PostedTo: today.Format("01/02/2006"), Limit: 1})
				if err != nil {
					return "", err
				}
				return fmt.Sprintf("SAM.gov accepted the key: %d notices posted since yesterday.", page.TotalRecords), nil
			}},
		{Key: "grants", Name: "Grants.gov", Page: "/federal/grants",
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
			}},
		{Key: "replicas", Name: "Backup replicas (S3, SFTP, file)", Page: "/backups",
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
			}},
	}
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
