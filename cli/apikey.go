package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"orengen/app"
)

const apikeyUsage = `Usage: orengen apikey create (--tenant SLUG | --admin) [--scope read|write] [--name N]

  Prints the new key once; only its hash is stored. Tenant keys work at
  https://app.DOMAIN/api/v1/..., admin keys at https://nexus.DOMAIN/api/v1/...
`

// runAPIKey is `orengen apikey create`.
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
	sv, err := Open(ctx, cfg, discardLogger())
	if err != nil {
		return err
	}
	defer sv.Close()
	var raw string
	var k *app.APIKey
	if *admin {
		raw, k, err = sv.APIKeys.CreateAdminKey(ctx, *name, *scope)
	} else {
		t, ferr := sv.Tenants.TenantBySlug(ctx, *tenant)
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
