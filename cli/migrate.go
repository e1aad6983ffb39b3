package cli

import (
	"context"
	"fmt"
	"io"

	"orengen/store"
)

// runMigrate is `orengen migrate`: it opens only the database.
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
