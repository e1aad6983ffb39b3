package cli

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"orengen/store"
)

// TestMigrate: on a database an older release left (the last two
// migrations missing), --dry-run lists exactly those and changes nothing;
// migrate applies them, says so, and leaves the schema complete; a second
// run has nothing to do. A fresh data directory gets every migration.
func TestMigrate(t *testing.T) {
	all, err := store.Migrations()
	if err != nil || len(all) < 3 {
		t.Fatalf("migrations: %v %v", all, err)
	}
	data := t.TempDir()
	path := filepath.Join(data, "orengen.db")
	old, missing := all[:len(all)-2], all[len(all)-2:]
	raw, err := sql.Open("sqlite3", store.DSN(path, false))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for _, m := range old {
		if _, err := raw.Exec(m.SQL); err != nil {
			t.Fatalf("%s: %v", m.Name, err)
		}
		if _, err := raw.Exec(`INSERT INTO schema_migrations VALUES (?, '2026-01-01T00:00:00Z')`, m.Name); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	env := map[string]string{"ORENGEN_DATA_DIR": data}

	code, out, errOut := runMain(t, env, "migrate", "--dry-run")
	want := "pending: " + missing[0].Name + "\npending: " + missing[1].Name + "\n"
	if code != 0 || out != want {
		t.Fatalf("dry run: exit %d %q (want %q) %s", code, out, want, errOut)
	}
	if p, _ := store.Pending(t.Context(), path); len(p) != 2 {
		t.Fatalf("the dry run applied something: %v pending", p)
	}
	code, out, errOut = runMain(t, env, "migrate")
	if code != 0 || !strings.Contains(out, "applied: "+missing[0].Name+"\napplied: "+missing[1].Name+"\n") ||
		!strings.Contains(out, fmt.Sprintf("is at migration %s (%d total, 2 applied now)", all[len(all)-1].Name, len(all))) {
		t.Fatalf("migrate: exit %d\n%s%s", code, out, errOut)
	}
	if p, err := store.Pending(t.Context(), path); err != nil || len(p) != 0 {
		t.Fatalf("after migrate: %v pending %v", p, err)
	}
	if code, out, _ = runMain(t, env, "migrate"); code != 0 || !strings.Contains(out, "0 applied now") || strings.Contains(out, "applied:") {
		t.Fatalf("second run: exit %d %s", code, out)
	}
	if code, out, _ = runMain(t, env, "migrate", "--dry-run"); code != 0 || out != "no pending migrations\n" {
		t.Fatalf("dry run after: %q", out)
	}

	fresh := map[string]string{"ORENGEN_DATA_DIR": filepath.Join(t.TempDir(), "new")}
	if code, out, errOut = runMain(t, fresh, "migrate"); code != 0 || !strings.Contains(out, fmt.Sprintf("%d applied now", len(all))) {
		t.Fatalf("fresh: exit %d %s%s", code, out, errOut)
	}
	if code, _, errOut = runMain(t, env, "migrate", "--bogus"); code != 2 {
		t.Fatalf("bad flag: exit %d %s", code, errOut)
	}
}
