package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"orengen/app"
)

const tenantUsage = `Usage: orengen tenant <create|list> [flags]

  create --name N [--slug S] [--domain D]   create a tenant (client sub-account)
  list                                      list tenants
`

// runTenant is `orengen tenant`: client sub-accounts.
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
	sv, err := Open(ctx, cfg, discardLogger())
	if err != nil {
		return err
	}
	defer sv.Close()
	switch sub {
	case "create":
		t := &app.Tenant{Name: *name, Slug: *slug}
		if err := sv.Tenants.CreateTenant(ctx, t, *domain); err != nil {
			return cliError(err)
		}
		fmt.Fprintf(stdout, "created tenant %s (id %d, slug %s)\n", t.Name, t.ID, t.Slug)
	case "list":
		ts, err := sv.Tenants.ListTenants(ctx)
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
