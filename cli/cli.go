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
	"slices"
	"strings"

	"orengen/app"
)

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

// command is one entry of the command table: root help, dispatch and the
// shell completion scripts are all generated from it.
type command struct {
	Name    string
	Summary string
	// Subcommands are the words the command takes first (user create ...);
	// each has its own flags.
	Subcommands []string
	Run         func(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) error
}

// commands lists every command in help order.
func commands() []command {
	return []command{
		{Name: "serve", Summary: "run the appliance (HTTP/HTTPS, workers)", Run: runServe},
		{Name: "migrate", Summary: "apply database migrations and exit", Run: runMigrate},
		{Name: "restore", Summary: "restore databases from a replica (point in time, drills)", Run: runRestore},
		{Name: "replicate", Summary: "the Litestream replicator (started and supervised by serve)", Run: runReplicate},
		{Name: "user", Summary: "manage Nexus admins: create, reset-password, list, setup-link", Subcommands: []string{"create", "reset-password", "list", "setup-link"}, Run: runUser},
		{Name: "tenant", Summary: "manage tenants: create, list", Subcommands: []string{"create", "list"}, Run: runTenant},
		{Name: "apikey", Summary: "create API keys for a tenant or for admins", Subcommands: []string{"create"}, Run: runAPIKey},
		{Name: "vault", Summary: "the master key: rotate-key, export-key (passphrase-encrypted), import-key", Subcommands: []string{"rotate-key", "export-key", "import-key"},
			Run: func(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) error {
				return runVault(ctx, args, stdout, stderr, env, os.Stdin)
			}},
		{Name: "crm", Summary: "import a CSV file of people, companies or deals into a tenant", Subcommands: []string{"import"}, Run: runCRM},
		{Name: "federal", Summary: "SAM.gov and Grants.gov: saved searches, scout runs, per-tenant switch", Subcommands: []string{"scout", "search add", "search list", "enable", "disable"}, Run: runFederal},
		{Name: "doctor", Summary: "check configuration, permissions, ports, DNS, certificates, backups and disk", Run: runDoctor},
		{Name: "completion", Summary: "print a bash or zsh completion script (source <(orengen completion bash))", Subcommands: []string{"bash", "zsh"}, Run: runCompletion},
		{Name: "version", Summary: "print the version, commit, build date and Go version", Run: runVersion},
	}
}

// usage is the root help, from the command table.
func usage() string {
	var b strings.Builder
	b.WriteString("orengen runs the agency platform: marketing site, client portal and Nexus.\n\nUsage:\n  orengen <command> [flags]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-11s%s\n", c.Name, c.Summary)
	}
	b.WriteString("\nRun 'orengen <command> --help' (or 'orengen <command> help') for a command's flags.\n")
	return b.String()
}

// Run dispatches a subcommand. It is Main without the exit code, for tests.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage())
		if len(args) == 0 {
			return usageError{errors.New("a command is required")}
		}
		return nil
	}
	cmd, rest := args[0], args[1:]
	if cmd == "--version" {
		cmd = "version"
	}
	// "orengen serve help" is "orengen serve --help", never a serve.
	if len(rest) > 0 && rest[0] == "help" {
		rest = append([]string{"--help"}, rest[1:]...)
	}
	for _, c := range commands() {
		if c.Name == cmd {
			return c.Run(ctx, rest, stdout, stderr, env)
		}
	}
	fmt.Fprint(stderr, usage())
	return usageError{fmt.Errorf("unknown command %q", cmd)}
}

// takesArgs lists the flag sets (by name) that take positional arguments.
var takesArgs = map[string]bool{"orengen crm import": true, "orengen vault import-key": true, "orengen tenant import": true}

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
// Positional arguments are refused (a typo must not start a server)
// except for the commands in takesArgs; "help" among them prints the
// command's usage.
func loadConfig(fs *flag.FlagSet, args []string, env func(string) string, only ...string) (*Config, error) {
	cfg, err := LoadConfig(fs, args, env, only...)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, usageError{err}
	}
	if slices.Contains(fs.Args(), "help") {
		fs.Usage()
		return nil, flag.ErrHelp
	}
	if fs.NArg() > 0 && !takesArgs[fs.Name()] {
		fs.Usage()
		return nil, usageError{fmt.Errorf("%s: unexpected argument %q", strings.TrimPrefix(fs.Name(), "orengen "), fs.Arg(0))}
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
