// Package cli is the orengen command line: one file per subcommand (serve,
// migrate, user, tenant, apikey, vault, crm, federal, doctor, and restore
// and replicate in backup.go), the configuration (config.go), and
// wire.go, which builds the whole object graph once (Open, Close) for
// serve, the subcommands and the tests.
//
// cli is the one package that imports everything: app, store, ui, the
// technology packages and backups. Nothing imports cli except main and
// external test packages.
package cli

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"

	"orengen/app"
)

// Version is set by package main from its build-time version
// (-ldflags "-X main.version=...").
var Version = ""

func buildVersion() string {
	if Version != "" {
		return Version
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

// Main runs the command line args and returns the process's exit code:
// 0, 1 for a failure, 2 for a usage error.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) int {
	err := Run(ctx, args, stdout, stderr, env)
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintln(stderr, "orengen:", err)
	var ue usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
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

// Run dispatches a subcommand. It is Main without the exit code, for tests.
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

// discardLogger is the logger of subcommands whose output says it all.
func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

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
