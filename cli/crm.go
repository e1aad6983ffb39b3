package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"orengen/app"
)

const crmUsage = `Usage: orengen crm import --tenant SLUG [--object person|company|deal] [--dedupe skip|update|create] [--continue] FILE

  import   import a CSV file (any size, streamed; Twenty CRM exports are recognised);
           columns are mapped from the header, progress is printed as batches commit
`

func runCRM(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, crmUsage)
		if len(args) == 0 {
			return usageError{errors.New("crm: a subcommand is required")}
		}
		return nil
	}
	if args[0] != "import" {
		fmt.Fprint(stderr, crmUsage)
		return usageError{fmt.Errorf("crm: unknown subcommand %q", args[0])}
	}
	fs := newFlagSet("crm import", "crm import --tenant SLUG [flags] FILE", stderr)
	slug := fs.String("tenant", "", "slug of the tenant to import into")
	object := fs.String("object", app.RecordPerson, "person, company or deal")
	dedupe := fs.String("dedupe", app.DedupeSkip, "for duplicates (same email/phone, domain or name): skip, update or create")
	cont := fs.Bool("continue", false, "write the valid rows even if some rows are bad")
	cfg, err := loadConfig(fs, args[1:], env, "data-dir", "log-level", "log-format")
	if err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{errors.New("crm import: give exactly one CSV file")}
	}
	if *slug == "" {
		return usageError{errors.New("--tenant: required (see orengen tenant list)")}
	}
	sv, err := Open(ctx, cfg, newLogger(cfg, stderr))
	if err != nil {
		return err
	}
	defer sv.Close()
	t, err := sv.Tenants.TenantBySlug(ctx, *slug)
	if err != nil {
		return cliError(err)
	}
	tctx := app.NewContextWithTenant(ctx, t)
	j, err := sv.CRMService.ImportFile(tctx, filepath.Join(cfg.DataDir, "imports"), fs.Arg(0), *object, *dedupe, *cont, func(j *app.ImportJob) {
		fmt.Fprintf(stderr, "%d rows read, %d created, %d updated, %d skipped, %d invalid\n", j.Rows, j.Created, j.Updated, j.Skipped, j.Invalid)
	})
	if err != nil {
		return cliError(err)
	}
	fmt.Fprintf(stdout, "import #%d into %s: %s; %d rows, %d created, %d updated, %d duplicates skipped, %d invalid\n",
		j.ID, t.Slug, j.Status, j.Rows, j.Created, j.Updated, j.Skipped, j.Invalid)
	if j.Status != app.ImportDone {
		return fmt.Errorf("import failed: %s (the invalid rows are listed on the portal's import page, job #%d)", j.Error, j.ID)
	}
	return nil
}
