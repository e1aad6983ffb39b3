package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestCLI_TenantExportImport: orengen tenant export in one data directory,
// orengen tenant import (dry run, then for real, then refused) in another.
func TestCLI_TenantExportImport(t *testing.T) {
	dir := t.TempDir()
	from := "--data-dir=" + filepath.Join(dir, "one")
	to := "--data-dir=" + filepath.Join(dir, "two")
	file := filepath.Join(dir, "acme.sqlite")
	if _, _, err := runCLI(t, "", "tenant", "create", "--name", "Acme Dental", from); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runCLI(t, "", "tenant", "export", "--tenant", "acme-dental", from); err == nil || !strings.Contains(err.Error(), "--output") {
		t.Fatalf("export without --output: %v", err)
	}
	if _, _, err := runCLI(t, "", "tenant", "export", "--tenant", "nope", "--output", file, from); err == nil || !strings.Contains(err.Error(), "Tenant not found") {
		t.Fatalf("export of an unknown tenant: %v", err)
	}
	out, _, err := runCLI(t, "", "tenant", "export", "--tenant", "acme-dental", "--output", file, from)
	if err != nil || !strings.Contains(out, "exported tenant acme-dental") {
		t.Fatalf("export: %q %v", out, err)
	}
	// Flags after the file are read too.
	out, _, err = runCLI(t, "", "tenant", "import", file, "--dry-run", to)
	if err != nil || !strings.Contains(out, "dry run: would import tenant acme-dental") {
		t.Fatalf("dry run: %q %v", out, err)
	}
	if out, _, _ := runCLI(t, "", "tenant", "list", to); strings.Contains(out, "acme-dental") {
		t.Fatalf("the dry run imported: %q", out)
	}
	if out, _, err = runCLI(t, "", "tenant", "import", to, file); err != nil || !strings.Contains(out, "imported tenant acme-dental") {
		t.Fatalf("import: %q %v", out, err)
	}
	if _, _, err := runCLI(t, "", "tenant", "import", file, to); err == nil || !strings.Contains(err.Error(), "--slug NEW") {
		t.Fatalf("second import: %v", err)
	}
	if out, _, err = runCLI(t, "", "tenant", "import", file, "--slug", "acme-copy", to); err != nil || !strings.Contains(out, "acme-copy") {
		t.Fatalf("import under a new slug: %q %v", out, err)
	}
	if _, _, err := runCLI(t, "", "tenant", "import", to); err == nil || !strings.Contains(err.Error(), "file is required") {
		t.Fatalf("import without a file: %v", err)
	}
	out, _, _ = runCLI(t, "", "tenant", "list", to)
	if !strings.Contains(out, "acme-dental") || !strings.Contains(out, "acme-copy") {
		t.Fatalf("tenant list: %q", out)
	}
}
