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
// with mode 0600 on first use, for development), and must be the key the
// database's check value names (openVaultKey).
func (m *Main) OpenServices(ctx context.Context) (*Services, error) {
	ciph, keyFile, err := m.openVaultKey(ctx) // vault_key.go
	if err != nil {
		return nil, err
	}
	sv := &Services{TenantLeads: store.NewTenantLeadStore(m.DB), CRM: store.NewCRMStore(m.DB), MasterKeyFile: keyFile}
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

const vaultUsage = `Usage: orengen vault <rotate-key|export-key|import-key> [flags]

  rotate-key [--generate]     re-encrypt every vault secret and two-factor secret
                              under a new master key, in one transaction; the new
                              key is read from standard input (base64 of 32 bytes),
                              or generated with --generate
  export-key [--out FILE]     print (or write, mode 0600) the master key in use,
                              sealed with a passphrase read from standard input
                              (at least 12 characters): keep it off the server
  import-key [--print] FILE   open an exported key with the passphrase on standard
                              input, check it is the key this database needs, and
                              write it to DATA_DIR/master.key (--print: print
                              ORENGEN_MASTER_KEY=... for the environment file instead)
`

func runVault(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string, stdin io.Reader) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, vaultUsage)
		if len(args) == 0 {
			return usageError{errors.New("vault: a subcommand is required")}
		}
		return nil
	}
	switch args[0] {
	case "export-key":
		return runVaultExport(ctx, args[1:], stdout, stderr, env, stdin)
	case "import-key":
		return runVaultImport(ctx, args[1:], stdout, stderr, env, stdin)
	case "rotate-key":
	default:
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

// runVaultExport is `orengen vault export-key`: the key in use (checked
// against the database), sealed with a passphrase.
func runVaultExport(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string, stdin io.Reader) error {
	fs := newFlagSet("vault export-key", "vault export-key [--out FILE] < passphrase", stderr)
	out := fs.String("out", "", "write the sealed key to FILE (mode 0600) instead of standard output")
	cfg, err := loadConfig(fs, args, env, "data-dir", "log-level", "log-format")
	if err != nil {
		return err
	}
	pass, err := readPassphrase(stdin)
	if err != nil {
		return err
	}
	if len(pass) < minPassphrase {
		return usageError{fmt.Errorf("vault export-key: give a passphrase of at least %d characters on standard input", minPassphrase)}
	}
	m := &Main{Config: cfg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	defer m.Close()
	if err := m.OpenStores(ctx); err != nil {
		return err
	}
	c, keyFile, err := m.openVaultKey(ctx)
	if err != nil {
		return err
	}
	key := cfg.MasterKey
	if keyFile != "" {
		if key, err = loadOrCreateKey(nil, keyFile); err != nil {
			return err
		}
	}
	sealed, err := exportKey(key, pass)
	if err != nil {
		return err
	}
	if *out == "" {
		_, err = io.WriteString(stdout, sealed)
		return err
	}
	if err := os.WriteFile(*out, []byte(sealed), 0o600); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "master key %s sealed with your passphrase in %s; keep it off this server. Restore it with: orengen vault import-key --data-dir DIR %s\n", c.KeyID(), *out, *out)
	return nil
}

// runVaultImport is `orengen vault import-key`: an exported key, opened
// with its passphrase, checked against the database, installed.
func runVaultImport(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string, stdin io.Reader) error {
	fs := newFlagSet("vault import-key", "vault import-key [--print] FILE < passphrase", stderr)
	printEnv := fs.Bool("print", false, "print ORENGEN_MASTER_KEY=... for the environment file instead of writing DATA_DIR/master.key")
	cfg, err := loadConfig(fs, args, env, "data-dir", "log-level", "log-format")
	if err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{errors.New("vault import-key: give the file written by `orengen vault export-key`")}
	}
	export, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	pass, err := readPassphrase(stdin)
	if err != nil {
		return err
	}
	key, err := importKey(string(export), pass)
	if err != nil {
		return fmt.Errorf("vault import-key: %w", err)
	}
	c, err := app.NewCipher(key)
	if err != nil {
		return err
	}
	if _, err := os.Stat(cfg.DBPath()); err == nil {
		id, err := store.ReadIdentity(ctx, cfg.DBPath())
		if err != nil {
			return err
		}
		if id != nil && id.VaultKeyCheck != "" && id.VaultKeyCheck != c.Check() {
			return fmt.Errorf("vault import-key: this is master key %s, but the database in %s needs %s; nothing was written", c.KeyID(), cfg.DataDir, app.KeyIDOfCheck(id.VaultKeyCheck))
		}
	}
	if *printEnv {
		fmt.Fprintf(stdout, "ORENGEN_MASTER_KEY=%s\n", base64.StdEncoding.EncodeToString(key))
		return nil
	}
	path := filepath.Join(cfg.DataDir, "master.key")
	if err := writeKeyFile(path, key); err != nil {
		return fmt.Errorf("vault import-key: %w", err)
	}
	fmt.Fprintf(stdout, "master key %s written to %s (mode 0600)\n", c.KeyID(), path)
	return nil
}
