package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"orengen/app"
	"orengen/ui"
)

const userUsage = `Usage: orengen user <create|reset-password|list|setup-link> [flags]

  create --email E [--name N] [--role owner|staff]   create an admin; prints a one-time link to set the password
  reset-password --email E [--password-stdin]        print a one-time reset link, or set the password read from stdin
  list                                               list admins
  setup-link                                         print the first-owner setup link (only while no admin exists)
`

// runUser is `orengen user`: Nexus admins.
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
	a, err := Open(ctx, cfg, discardLogger())
	if err != nil {
		return err
	}
	defer a.Close()
	link := func(tok string) string {
		return a.Server.URL(ui.HostNexus) + "/setup?token=" + url.QueryEscape(tok)
	}
	switch sub {
	case "create":
		tok, err := a.Auth.InviteAdmin(ctx, &app.Admin{Email: *email, Name: *name, Role: *role})
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
			adm, err := a.Auth.SetPassword(ctx, *email, strings.TrimRight(pw, "\r\n"))
			if err != nil {
				return cliError(err)
			}
			fmt.Fprintf(stdout, "password set for %s\n", adm.Email)
			return nil
		}
		tok, err := a.Auth.ResetToken(ctx, *email)
		if err != nil {
			return cliError(err)
		}
		fmt.Fprintf(stdout, "reset link for %s:\n%s\n(valid 24h, works once)\n", strings.ToLower(*email), link(tok))
	case "list":
		admins, err := a.Auth.ListAdmins(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tEMAIL\tNAME\tROLE\tPASSWORD SET\tLAST LOGIN")
		for _, adm := range admins {
			last := "never"
			if adm.LastLoginAt != nil {
				last = adm.LastLoginAt.Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%v\t%s\n", adm.ID, adm.Email, adm.Name, adm.Role, adm.PasswordHash != "", last)
		}
		return tw.Flush()
	case "setup-link":
		tok, err := a.Auth.SetupToken(ctx)
		if err != nil {
			return cliError(err)
		}
		fmt.Fprintln(stdout, link(tok))
	}
	return nil
}

// cliError turns an app error into its user-facing message.
