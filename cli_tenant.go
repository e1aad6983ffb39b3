package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"orengen/app"
	"orengen/store"
	"orengen/ui"
)

// Services are the tenant, user, API key, vault, audit and mail services,
// built on the open stores. The Mailer is swappable: the SMTP issue
// replaces the LogMailer here.
type Services struct {
	Tenants   *app.TenantService
	Users     *app.UserService
	APIKeys   *app.APIKeyService
	Vault     *app.VaultService
	Audit     *app.AuditService
	Outbox    *app.OutboxService
	AdminTOTP *app.AdminTOTPService
	// AdminSessions replaces the Nexus session store with one that indexes
	// sessions per admin, so admins can list and revoke theirs.
	AdminSessions *store.AdminSessionStore
	Mailer        app.Mailer
	TenantLeads   app.TenantLeadStore
	CRM           *store.CRMStore // people, companies, deals, notes, tasks, timeline
	// MasterKeyFile is the development key file, or "" when the key came
	// from ORENGEN_MASTER_KEY.
	MasterKeyFile string
}

// OpenServices builds the services on m's stores. The vault's master key
// comes from ORENGEN_MASTER_KEY, else from DATA_DIR/master.key (created
// with mode 0600 on first use, for development).
func (m *Main) OpenServices(ctx context.Context) (*Services, error) {
	keyFile := filepath.Join(m.Config.DataDir, "master.key")
	key, err := loadOrCreateKey(m.Config.MasterKey, keyFile)
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	ciph, err := app.NewCipher(key)
	if err != nil {
		return nil, err
	}
	sv := &Services{TenantLeads: store.NewTenantLeadStore(m.DB), CRM: store.NewCRMStore(m.DB)}
	if len(m.Config.MasterKey) != 32 {
		sv.MasterKeyFile = keyFile
	}
	sv.Audit = &app.AuditService{Store: store.NewAuditStore(m.DB), Logger: m.Logger}
	outbox := store.NewOutboxStore(m.DB)
	sv.Outbox = &app.OutboxService{Store: outbox}
	sv.Mailer = &app.LogMailer{Outbox: outbox, Logger: m.Logger}
	if sm, err := m.smtpMailer(outbox); err != nil { // automation.go: ORENGEN_SMTP_URL
		return nil, err
	} else if sm != nil {
		sv.Mailer = sm
	}
	sv.Vault = &app.VaultService{Store: store.NewVaultStore(m.DB), Cipher: ciph, Audit: sv.Audit}
	tenants := store.NewTenantStore(m.DB)
	if m.Domains == nil {
		m.Domains = m.newDomainService()
	}
	// A tenant's custom domains are rows of the custom-domains table that
	// also drives certificates (tls.go).
	sv.Tenants = &app.TenantService{Store: tenants, Audit: sv.Audit, Domains: m.Domains}
	sv.APIKeys = &app.APIKeyService{Store: store.NewAPIKeyStore(m.DB), Audit: sv.Audit}
	sv.Users = &app.UserService{
		Users: store.NewUserStore(m.DB), Tenants: tenants, Sessions: store.NewPortalSessionStore(m.KV),
		Limiter: m.Auth.Limiter, Mailer: sv.Mailer, Secrets: sv.Vault, Audit: sv.Audit, Logger: m.Logger,
	}
	sv.AdminSessions = store.NewAdminSessionStore(m.KV)
	m.Auth.Sessions = sv.AdminSessions
	sv.AdminTOTP = &app.AdminTOTPService{Store: store.NewAdminTOTPStore(m.DB), Secrets: sv.Vault, Limiter: m.Auth.Limiter, Audit: sv.Audit}
	return sv, nil
}

// Wire copies the services into the HTTP server and points email links
// at the portal.
func (sv *Services) Wire(s *ui.Server) {
	s.Tenants, s.Users, s.APIKeys, s.Vault, s.Audit, s.Outbox, s.TenantLeads, s.AdminTOTP =
		sv.Tenants, sv.Users, sv.APIKeys, sv.Vault, sv.Audit, sv.Outbox, sv.TenantLeads, sv.AdminTOTP
	s.AdminSessions = sv.AdminSessions
	s.CRM = sv.CRM
	// Links in a tenant's email point at its own domain when it has one,
	// else at app.DOMAIN.
	sv.Users.PortalURL = func(ctx context.Context, t *app.Tenant) string {
		if d := sv.Tenants.Domains; d != nil {
			if ds, err := d.DomainsByTenant(ctx, t.ID); err == nil && len(ds) > 0 {
				return s.TenantURL(ds[0])
			}
		}
		return s.URL(ui.HostPortal)
	}
}

func (m *Main) openForCLI(ctx context.Context) (*Services, error) {
	if err := m.OpenStores(ctx); err != nil {
		return nil, err
	}
	return m.OpenServices(ctx)
}

const tenantUsage = `Usage: orengen tenant <create|list> [flags]

  create --name N [--slug S] [--domain D]   create a tenant (client sub-account)
  list                                      list tenants
`

func runTenant(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, tenantUsage)
		if len(args) == 0 {
			return usageError{errors.New("tenant: a subcommand is required")}
		}
		return nil
	}
	sub, rest := args[0], args[1:]
	fs := newFlagSet("tenant "+sub, "tenant "+sub+" [flags]", stderr)
	name := fs.String("name", "", "tenant name")
	slug := fs.String("slug", "", "URL-safe short name (default: from the name)")
	domain := fs.String("domain", "", "custom domain for the tenant's portal")
	if sub != "create" && sub != "list" {
		fmt.Fprint(stderr, tenantUsage)
		return usageError{fmt.Errorf("tenant: unknown subcommand %q", sub)}
	}
	cfg, err := loadConfig(fs, rest, env, "data-dir", "log-level", "log-format")
	if err != nil {
		return err
	}
	m := &Main{Config: cfg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	defer m.Close()
	sv, err := m.openForCLI(ctx)
	if err != nil {
		return err
	}
	switch sub {
	case "create":
		t := &app.Tenant{Name: *name, Slug: *slug}
		if err := sv.Tenants.CreateTenant(ctx, t, *domain); err != nil {
			return cliError(err)
		}
		fmt.Fprintf(stdout, "created tenant %s (id %d, slug %s)\n", t.Name, t.ID, t.Slug)
	case "list":
		ts, err := sv.Tenants.Store.FindTenants(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSLUG\tNAME\tSTATUS\tCREATED")
		for _, t := range ts {
			n := t.Name
			if t.House {
				n += " (house)"
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", t.ID, t.Slug, n, t.Status, t.CreatedAt.Format(time.RFC3339))
		}
		return tw.Flush()
	}
	return nil
}

const apikeyUsage = `Usage: orengen apikey create (--tenant SLUG | --admin) [--scope read|write] [--name N]

  Prints the new key once; only its hash is stored. Tenant keys work at
  https://app.DOMAIN/api/v1/..., admin keys at https://nexus.DOMAIN/api/v1/...
`

func runAPIKey(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, apikeyUsage)
		if len(args) == 0 {
			return usageError{errors.New("apikey: a subcommand is required")}
		}
		return nil
	}
	if args[0] != "create" {
		fmt.Fprint(stderr, apikeyUsage)
		return usageError{fmt.Errorf("apikey: unknown subcommand %q", args[0])}
	}
	fs := newFlagSet("apikey create", "apikey create (--tenant SLUG | --admin) [--scope read|write]", stderr)
	tenant := fs.String("tenant", "", "slug of the tenant the key belongs to")
	admin := fs.Bool("admin", false, "create an admin (Nexus) key")
	scope := fs.String("scope", app.ScopeRead, "read or write")
	name := fs.String("name", "", "what the key is for")
	cfg, err := loadConfig(fs, args[1:], env, "data-dir", "log-level", "log-format")
	if err != nil {
		return err
	}
	if (*tenant == "") == !*admin {
		return usageError{errors.New("apikey create: give exactly one of --tenant SLUG or --admin")}
	}
	m := &Main{Config: cfg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	defer m.Close()
	sv, err := m.openForCLI(ctx)
	if err != nil {
		return err
	}
	var raw string
	var k *app.APIKey
	if *admin {
		raw, k, err = sv.APIKeys.CreateAdminKey(ctx, *name, *scope)
	} else {
		t, ferr := sv.Tenants.Store.FindTenantBySlug(ctx, *tenant)
		if ferr != nil {
			return errors.New("--tenant: no tenant has the slug " + *tenant + " (see orengen tenant list)")
		}
		raw, k, err = sv.APIKeys.CreateTenantKey(app.NewContextWithTenant(ctx, t), *name, *scope)
	}
	if err != nil {
		return cliError(err)
	}
	fmt.Fprintf(stdout, "%s\n", raw)
	fmt.Fprintf(stderr, "created %s key %s… (scope %s). Copy it now: it is not shown again.\n", map[bool]string{true: "admin", false: "tenant"}[k.Admin()], k.Prefix, k.Scope)
	return nil
}

const vaultUsage = `Usage: orengen vault rotate-key [--generate]

  Re-encrypts every vault secret and two-factor secret under a new master
  key, in one transaction. The new key is read from standard input
  (base64 of 32 bytes), or generated with --generate.
`

func runVault(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string, stdin io.Reader) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, vaultUsage)
		if len(args) == 0 {
			return usageError{errors.New("vault: a subcommand is required")}
		}
		return nil
	}
	if args[0] != "rotate-key" {
		fmt.Fprint(stderr, vaultUsage)
		return usageError{fmt.Errorf("vault: unknown subcommand %q", args[0])}
	}
	fs := newFlagSet("vault rotate-key", "vault rotate-key [--generate]", stderr)
	gen := fs.Bool("generate", false, "generate the new key instead of reading it from stdin")
	cfg, err := loadConfig(fs, args[1:], env, "data-dir", "log-level", "log-format")
	if err != nil {
		return err
	}
	var next []byte
	if *gen {
		next = make([]byte, 32)
		if _, err := randRead(next); err != nil {
			return err
		}
	} else {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read new key: %w", err)
		}
		next, err = base64.StdEncoding.DecodeString(strings.TrimSpace(line))
		if err != nil || len(next) != 32 {
			return usageError{errors.New("vault rotate-key: standard input must be base64 of exactly 32 random bytes (or use --generate)")}
		}
	}
	m := &Main{Config: cfg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	defer m.Close()
	sv, err := m.openForCLI(ctx)
	if err != nil {
		return err
	}
	nc, err := app.NewCipher(next)
	if err != nil {
		return err
	}
	if nc.KeyID() == sv.Vault.Cipher.KeyID() {
		return errors.New("vault rotate-key: the new key is the key in use")
	}
	enc := base64.StdEncoding.EncodeToString(next) + "\n"
	// In development the key lives in master.key: write the new key next
	// to it first, so a crash after the commit cannot lose it, then swap.
	pending := ""
	if sv.MasterKeyFile != "" {
		pending = sv.MasterKeyFile + ".new"
		if err := os.WriteFile(pending, []byte(enc), 0o600); err != nil {
			return fmt.Errorf("write %s: %w", pending, err)
		}
	}
	n, err := sv.Vault.Rotate(ctx, nc)
	if err != nil {
		if pending != "" {
			os.Remove(pending)
		}
		return fmt.Errorf("rotate: nothing changed: %w", err)
	}
	if pending != "" {
		if err := os.Rename(pending, sv.MasterKeyFile); err != nil {
			return fmt.Errorf("re-encrypted %d values, but could not install the new key: rename %s to %s yourself: %w", n, pending, sv.MasterKeyFile, err)
		}
		fmt.Fprintf(stdout, "re-encrypted %d values; the new key is in %s (mode 0600). Restart orengen.\n", n, sv.MasterKeyFile)
		return nil
	}
	fmt.Fprintf(stdout, "re-encrypted %d values. Put the new key in the service's environment now and restart orengen:\n", n)
	if *gen {
		fmt.Fprintf(stdout, "ORENGEN_MASTER_KEY=%s", enc)
	} else {
		fmt.Fprintln(stdout, "ORENGEN_MASTER_KEY=<the key you piped in>")
	}
	fmt.Fprintln(stdout, "(installed systems: /etc/orengen/orengen.env). The old key no longer opens the vault.")
	return nil
}
