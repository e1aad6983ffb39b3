package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"orengen/app"
)

const tenantUsage = `Usage: orengen tenant <create|list|export|import> [flags]

  create --name N [--slug S] [--domain D]   create a tenant (client sub-account)
  list                                      list tenants
  export --tenant SLUG --output FILE        write all of a tenant's data and files to one SQLite file
  import FILE [--dry-run] [--slug NEW]      add the tenant in an export file to this appliance
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
	tenant := fs.String("tenant", "", "export: the tenant's slug")
	output := fs.String("output", "", "export: the file to write")
	dryRun := fs.Bool("dry-run", false, "import: check and count everything, change nothing")
	if sub != "create" && sub != "list" && sub != "export" && sub != "import" {
		fmt.Fprint(stderr, tenantUsage)
		return usageError{fmt.Errorf("tenant: unknown subcommand %q", sub)}
	}
	// import takes the file first: orengen tenant import FILE [flags].
	var file string
	if sub == "import" {
		file, rest = takeFileArg(fs, rest)
	}
	cfg, err := loadConfig(fs, rest, env, "data-dir", "log-level", "log-format")
	if err != nil {
		return err
	}
	if sub == "import" && file == "" && fs.NArg() > 0 {
		file = fs.Arg(0)
	}
	if sub == "export" && (*tenant == "" || *output == "") {
		return usageError{errors.New("tenant export: --tenant and --output are required")}
	}
	if sub == "import" && file == "" {
		return usageError{errors.New("tenant import: the export file is required")}
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
	case "export":
		sum, err := sv.Transfer.Export(ctx, *tenant, *output, func(p app.TransferProgress) {
			fmt.Fprintf(stderr, "\r%3d%%  %d/%d tables, %d rows", p.Done*100/max(p.Total, 1), p.Done, p.Total, p.Rows)
		})
		fmt.Fprintln(stderr)
		if err != nil {
			return cliError(err)
		}
		fmt.Fprintf(stdout, "exported tenant %s: %d rows, %d files, %d bytes to %s in %s\n", sum.Tenant, sum.Rows, sum.Files, sum.Bytes, *output, sum.Duration.Round(time.Millisecond))
	case "import":
		sum, err := sv.Transfer.Import(ctx, file, app.ImportOptions{Slug: *slug, DryRun: *dryRun, Progress: func(p app.TransferProgress) {
			fmt.Fprintf(stderr, "\r%3d%%  %d/%d tables, %d rows", p.Done*100/max(p.Total, 1), p.Done, p.Total, p.Rows)
		}})
		fmt.Fprintln(stderr)
		if err != nil {
			return cliError(err)
		}
		verb := "imported"
		if sum.DryRun {
			verb = "dry run: would import"
		}
		fmt.Fprintf(stdout, "%s tenant %s (id %d): %d rows in %s\n", verb, sum.Tenant, sum.TenantID, sum.Rows, sum.Duration.Round(time.Millisecond))
	}
	return nil
}

// takeFileArg removes the first positional argument from args (flags may
// come before or after it) and returns it with the rest.
func takeFileArg(fs *flag.FlagSet, args []string) (string, []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			if i+1 < len(args) {
				return args[i+1], append(append([]string{}, args[:i]...), args[i+2:]...)
			}
			return "", args
		}
		if strings.HasPrefix(a, "-") {
			name := strings.TrimLeft(a, "-")
			if strings.Contains(name, "=") {
				continue
			}
			if f := fs.Lookup(name); f != nil {
				if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
					continue
				}
			}
			i++ // the flag's value
			continue
		}
		return a, append(append([]string{}, args[:i]...), args[i+1:]...)
	}
	return "", args
}
