// Command orengen runs the whole agency platform from one binary: the
// marketing site, the client portal and the Nexus admin, on SQLite.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"orengen/app"
	"orengen/app/federal"
	"orengen/store"
	"orengen/ui"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		rev, dirty := "", false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" {
			if len(rev) > 12 {
				rev = rev[:12]
			}
			if dirty {
				rev += "-dirty"
			}
			return "dev-" + rev
		}
	}
	return "dev"
}

var randRead = rand.Read

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := Run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintln(os.Stderr, "orengen:", err)
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "orengen:", err)
		os.Exit(1)
	}
}

type usageError struct{ error }

const usage = `orengen runs the agency platform: marketing site, client portal and Nexus.

Usage:
  orengen <command> [flags]

Commands:
  serve      run the appliance (HTTP/HTTPS, workers)
  migrate    apply database migrations and exit
  restore    restore databases from a replica (point in time, drills)
  replicate  the Litestream replicator (started and supervised by serve)
  user       manage Nexus admins: create, reset-password, list, setup-link
  tenant     manage tenants: create, list
  apikey     create API keys for a tenant or for admins
  vault      rotate-key: re-encrypt the vault under a new master key
  crm        import a CSV file of people, companies or deals into a tenant
  doctor     check configuration, permissions, ports, DNS, certificates, backups and disk
  version    print the version

Run 'orengen <command> --help' for a command's flags.
`

// Run dispatches a subcommand. It is main without os.Exit, for tests.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		if len(args) == 0 {
			return usageError{errors.New("a command is required")}
		}
		return nil
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return runServe(ctx, rest, stdout, stderr, env)
	case "migrate":
		return runMigrate(ctx, rest, stdout, stderr, env)
	case "user":
		return runUser(ctx, rest, stdout, stderr, env)
	case "tenant":
		return runTenant(ctx, rest, stdout, stderr, env)
	case "apikey":
		return runAPIKey(ctx, rest, stdout, stderr, env)
	case "vault":
		return runVault(ctx, rest, stdout, stderr, env, os.Stdin)
	case "replicate":
		return runReplicate(ctx, rest, stdout, stderr, env)
	case "restore":
		return runRestore(ctx, rest, stdout, stderr, env)
	case "crm":
		return runCRM(ctx, rest, stdout, stderr, env)
	case "doctor":
		return runDoctor(ctx, rest, stdout, stderr, env)
	case "federal":
		return runFederal(ctx, rest, stdout, stderr, env)
	case "version", "--version":
		fmt.Fprintln(stdout, "orengen", buildVersion())
		return nil
	}
	fmt.Fprint(stderr, usage)
	return usageError{fmt.Errorf("unknown command %q", cmd)}
}

func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("orengen "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: orengen %s\n\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// loadConfig parses flags for a subcommand and validates the result.
func loadConfig(fs *flag.FlagSet, args []string, env func(string) string, only ...string) (*Config, error) {
	cfg, err := LoadConfig(fs, args, env, only...)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, usageError{err}
	}
	if err := cfg.Validate(); err != nil {
		return nil, usageError{err}
	}
	return cfg, nil
}

func newLogger(cfg *Config, w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// Main is the running appliance: its configuration and components.
type Main struct {
	Config *Config
	Logger *slog.Logger
	DB     *store.DB
	KV     *store.KV
	Server *ui.Server
	Auth   *app.AuthService
	// Backups runs restore drills and reports replication (nil without a replica).
	Backups *app.BackupService
	// Domains and Certs: custom domains and certificates (tls.go).
	Domains *app.DomainService
	Certs   *ui.CertManager

	listeners []net.Listener
}

// OpenStores opens orengen.db (applying migrations) and redka.db.
func (m *Main) OpenStores(ctx context.Context) error {
	m.DB = store.NewDB(m.Config.DBPath())
	if err := m.DB.Open(ctx); err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	m.KV = store.NewKV(m.Config.KVPath())
	if err := m.KV.Open(); err != nil {
		return fmt.Errorf("open redka: %w", err)
	}
	m.Auth = &app.AuthService{
		Admins:   store.NewAdminStore(m.DB),
		Sessions: store.NewSessionStore(m.KV),
		Limiter:  store.NewRateLimiter(m.KV),
		Logger:   m.Logger,
	}
	return nil
}

// Close closes the server's stores.
func (m *Main) Close() error {
	var errs []error
	if m.KV != nil {
		errs = append(errs, m.KV.Close())
	}
	if m.DB != nil {
		errs = append(errs, m.DB.Close())
	}
	return errors.Join(errs...)
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) error {
	fs := newFlagSet("serve", "serve [flags]", stderr)
	cfg, err := loadConfig(fs, args, env)
	if err != nil {
		return err
	}
	t0 := time.Now()
	m := &Main{Config: cfg, Logger: newLogger(cfg, stderr)}
	slog.SetDefault(m.Logger)
	bs, err := m.startBackups(ctx)
	if err != nil {
		return err
	}
	defer bs.stop(m) // after m.Close: deferred calls run last-in first-out
	if err := m.OpenStores(ctx); err != nil {
		m.Close()
		return err
	}
	defer m.Close()
	if err := bs.afterOpen(ctx, m); err != nil {
		return err
	}
	site := store.NewSiteStore(m.DB)
	if seeded, err := site.SeedSite(ctx); err != nil {
		return fmt.Errorf("seed site: %w", err)
	} else if seeded {
		m.Logger.Info("seeded the marketing site's default content")
	}
	sessionKey, err := loadOrCreateKey(cfg.SessionKey, filepath.Join(cfg.DataDir, "session.key"))
	if err != nil {
		return fmt.Errorf("session key: %w", err)
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("--http-addr %s: %w (is another program using the port?)", cfg.HTTPAddr, err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	publicPort := port
	if cfg.TLS == "off" && port == "80" || cfg.TLS == "auto" {
		publicPort = ""
	}
	m.Domains = m.newDomainService()
	m.Server = &ui.Server{
		Domains:    m.Domains,
		Domain:     cfg.Domain,
		Secure:     cfg.TLS == "auto",
		PublicPort: publicPort,
		Version:    buildVersion(),
		StartedAt:  t0,
		Logger:     m.Logger,
		SessionKey: sessionKey,
		BodyLimit:  cfg.BodyLimit,
		ImportDir:  filepath.Join(cfg.DataDir, "imports"), // inside ReadWritePaths when installed
		Auth:       m.Auth,
		Admins:     m.Auth.Admins,
		Site:       site,
		Leads:      store.NewLeadStore(m.DB),
		Health: []ui.HealthCheck{
			func(ctx context.Context) ui.HealthItem {
				if err := m.DB.Ping(ctx); err != nil {
					return ui.HealthItem{Key: "database", Value: "error: " + err.Error(), Status: "error"}
				}
				if err := m.KV.Ping(ctx); err != nil {
					return ui.HealthItem{Key: "database", Value: "redka error: " + err.Error(), Status: "error"}
				}
				return ui.HealthItem{Key: "database", Value: "ok", Status: "ok"}
			},
		},
	}
	m.wireOps() // ops.go: /metrics collectors and token, disk health
	sv, err := m.OpenServices(ctx)
	if err != nil {
		ln.Close()
		return err
	}
	sv.Wire(m.Server)
	stopWebhooks := m.startWebhooks(ctx, sv)
	defer stopWebhooks()                   // idempotent; also called before the databases close
	eng, err := m.wireAutomations(ctx, sv) // automation.go
	if err != nil {
		ln.Close()
		return err
	}
	if m.Backups != nil {
		m.Server.Backups = m.Backups
		m.Server.Health = append(m.Server.Health, backupHealth(cfg, m.Logger))
	}
	fed, err := m.OpenFederal(sv)
	if err != nil {
		ln.Close()
		return err
	}
	fed.Wire(m.Server)
	fed.Service.Sink = &federalAlertSink{store: store.NewWorkflowStore(m.DB), engine: eng, next: federal.LogSink{Logger: m.Logger}}
	if err := m.Server.Open(); err != nil {
		ln.Close()
		return err
	}
	errc := make(chan error, 3)
	stopTLS := func(context.Context) error { return nil }
	if cfg.TLS == "auto" {
		if stopTLS, err = m.serveTLS(ctx, ln, errc, stdout); err != nil {
			ln.Close()
			m.Server.Shutdown(context.Background())
			return err
		}
	} else {
		go func() { errc <- m.Server.Serve(ln) }()
	}
	fedDone := fed.Start(ctx)
	dnsDone := make(chan struct{})
	go func() { m.Domains.Run(ctx); close(dnsDone) }()
	m.Logger.Info("orengen ready", "version", buildVersion(), "listen", ln.Addr().String(), "startup_ms", time.Since(t0).Milliseconds())
	// One write, so whoever reads the address also sees the setup link.
	var banner strings.Builder
	fmt.Fprintf(&banner, "orengen %s listening on %s\n", buildVersion(), ln.Addr())
	fmt.Fprintf(&banner, "  marketing site: %s\n  client portal:  %s\n  nexus (admin):  %s\n",
		m.Server.URL(ui.HostSite)+"/", m.Server.URL(ui.HostPortal)+"/", m.Server.URL(ui.HostNexus)+"/")
	// A failure here must not skip the orderly shutdown below.
	if tok, err := m.Auth.SetupToken(context.WithoutCancel(ctx)); err == nil {
		fmt.Fprintf(&banner, "  no admin yet: create one at %s/setup?token=%s (valid 24h, works once)\n", m.Server.URL(ui.HostNexus), url.QueryEscape(tok))
	} else if app.ErrorCode(err) != app.ECONFLICT {
		m.Logger.Error("create the first-owner setup link (run `orengen user setup-link`)", "err", err)
	}
	io.WriteString(stdout, banner.String())
	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	m.Logger.Info("shutting down: draining requests")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := m.Server.Shutdown(sctx); err != nil {
		m.Logger.Error("shutdown", "err", err)
	}
	if err := stopTLS(sctx); err != nil {
		m.Logger.Error("shutdown tls", "err", err)
	}
	<-dnsDone
	eng.Wait()
	if m.Backups != nil {
		m.Backups.Wait()
	}
	stopWebhooks()
	<-fedDone
	bs.flush(m) // every write on the replicas while the databases are open
	if err := m.Close(); err != nil {
		return fmt.Errorf("close databases: %w", err)
	}
	m.DB, m.KV = nil, nil
	m.Logger.Info("stopped")
	return nil
}

func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) error {
	fs := newFlagSet("migrate", "migrate [--data-dir DIR] [--dry-run]", stderr)
	dry := fs.Bool("dry-run", false, "list pending migrations without applying them")
	cfg, err := loadConfig(fs, args, env, "data-dir", "log-level", "log-format")
	if err != nil {
		return err
	}
	if *dry {
		p, err := store.Pending(ctx, cfg.DBPath())
		if err != nil {
			return err
		}
		if len(p) == 0 {
			fmt.Fprintln(stdout, "no pending migrations")
		}
		for _, n := range p {
			fmt.Fprintln(stdout, "pending:", n)
		}
		return nil
	}
	db := store.NewDB(cfg.DBPath())
	if err := db.Open(ctx); err != nil {
		return err
	}
	defer db.Close()
	applied, err := db.Migrate(ctx) // Open applied them; report the state
	if err != nil {
		return err
	}
	all, _ := store.Migrations()
	fmt.Fprintf(stdout, "database %s is at migration %s (%d total, %d applied now)\n", cfg.DBPath(), all[len(all)-1].Name, len(all), len(applied))
	return nil
}

const userUsage = `Usage: orengen user <create|reset-password|list|setup-link> [flags]

  create --email E [--name N] [--role owner|staff]   create an admin; prints a one-time link to set the password
  reset-password --email E [--password-stdin]        print a one-time reset link, or set the password read from stdin
  list                                               list admins
  setup-link                                         print the first-owner setup link (only while no admin exists)
`

func runUser(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, userUsage)
		if len(args) == 0 {
			return usageError{errors.New("user: a subcommand is required")}
		}
		return nil
	}
	sub, rest := args[0], args[1:]
	fs := newFlagSet("user "+sub, "user "+sub+" [flags]", stderr)
	email := fs.String("email", "", "admin email")
	name := fs.String("name", "", "admin name")
	role := fs.String("role", app.RoleOwner, "owner or staff")
	pwStdin := fs.Bool("password-stdin", false, "read the new password from standard input")
	switch sub {
	case "create", "reset-password", "list", "setup-link":
	default:
		fmt.Fprint(stderr, userUsage)
		return usageError{fmt.Errorf("user: unknown subcommand %q", sub)}
	}
	cfg, err := loadConfig(fs, rest, env, "data-dir", "domain", "http-addr", "tls", "log-level", "log-format")
	if err != nil {
		return err
	}
	m := &Main{Config: cfg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := m.OpenStores(ctx); err != nil {
		m.Close()
		return err
	}
	defer m.Close()
	link := func(tok string) string {
		s := &ui.Server{Domain: cfg.Domain, Secure: cfg.TLS == "auto"}
		if _, port, _ := net.SplitHostPort(cfg.HTTPAddr); cfg.TLS == "off" && port != "80" {
			s.PublicPort = port
		}
		return s.URL(ui.HostNexus) + "/setup?token=" + url.QueryEscape(tok)
	}
	switch sub {
	case "create":
		tok, err := m.Auth.InviteAdmin(ctx, &app.Admin{Email: *email, Name: *name, Role: *role})
		if err != nil {
			return cliError(err)
		}
		fmt.Fprintf(stdout, "created admin %s (%s); set the password at:\n%s\n(valid 24h, works once)\n", strings.ToLower(*email), *role, link(tok))
	case "reset-password":
		if *pwStdin {
			pw, err := bufio.NewReader(os.Stdin).ReadString('\n')
			if err != nil && !errors.Is(err, io.EOF) {
				return err
			}
			a, err := m.Auth.Admins.FindAdminByEmail(ctx, *email)
			if err != nil {
				return cliError(err)
			}
			hash, err := app.HashPassword(ctx, strings.TrimRight(pw, "\r\n"))
			if err != nil {
				return cliError(err)
			}
			if err := m.Auth.Admins.SetAdminPassword(ctx, a.ID, hash); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "password set for %s\n", a.Email)
			return nil
		}
		tok, err := m.Auth.ResetToken(ctx, *email)
		if err != nil {
			return cliError(err)
		}
		fmt.Fprintf(stdout, "reset link for %s:\n%s\n(valid 24h, works once)\n", strings.ToLower(*email), link(tok))
	case "list":
		admins, err := m.Auth.Admins.FindAdmins(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tEMAIL\tNAME\tROLE\tPASSWORD SET\tLAST LOGIN")
		for _, a := range admins {
			last := "never"
			if a.LastLoginAt != nil {
				last = a.LastLoginAt.Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%v\t%s\n", a.ID, a.Email, a.Name, a.Role, a.PasswordHash != "", last)
		}
		return tw.Flush()
	case "setup-link":
		tok, err := m.Auth.SetupToken(ctx)
		if err != nil {
			return cliError(err)
		}
		fmt.Fprintln(stdout, link(tok))
	}
	return nil
}

// cliError turns an app error into its user-facing message.
func cliError(err error) error {
	if app.ErrorCode(err) == app.EINTERNAL {
		return err
	}
	msg := app.ErrorMessage(err)
	if f := app.ErrorField(err); f != "" {
		msg = "--" + f + ": " + msg
	}
	return errors.New(msg)
}
