package cli

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestCLI_CRMImport(t *testing.T) {
	dir := t.TempDir()
	dd := "--data-dir=" + filepath.Join(dir, "data")
	if _, _, err := runCLI(t, "", "tenant", "create", "--name", "Acme Dental", dd); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join("..", "ui", "testdata", "twenty_people.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rows := strings.Count(strings.TrimSpace(string(src)), "\n")
	file := filepath.Join(dir, "people.csv")
	os.WriteFile(file, src, 0o600)
	out, _, err := runCLI(t, "", "crm", "import", "--tenant", "acme-dental", dd, file)
	if err != nil || !strings.Contains(out, ": done;") || !strings.Contains(out, "created") {
		t.Fatalf("import: %q %v", out, err)
	}
	// The same file again: every row is a duplicate and is skipped.
	out, _, err = runCLI(t, "", "crm", "import", "--tenant", "acme-dental", dd, file)
	if err != nil || !strings.Contains(out, "0 created") || !strings.Contains(out, strconv.Itoa(rows)+" duplicates skipped") {
		t.Fatalf("reimport (%d rows): %q %v", rows, out, err)
	}
	// The file given stays where it was (only the import's copy is removed).
	if _, err := os.Stat(file); err != nil {
		t.Fatalf("source file removed: %v", err)
	}
	// A bad row stops the import unless --continue; a bad flag names itself.
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("First Name,Email\nAnn,ann@example.com\nBob,not-an-email\n"), 0o600)
	if out, _, err := runCLI(t, "", "crm", "import", "--tenant", "acme-dental", dd, bad); err == nil || !strings.Contains(out, "failed") {
		t.Fatalf("bad row without --continue: %q %v", out, err)
	}
	if out, _, err := runCLI(t, "", "crm", "import", "--tenant", "acme-dental", "--continue", dd, bad); err != nil || !strings.Contains(out, "1 created") || !strings.Contains(out, "1 invalid") {
		t.Fatalf("bad row with --continue: %q %v", out, err)
	}
	for _, args := range [][]string{
		{"crm", "import", "--tenant", "nope", dd, file},
		{"crm", "import", "--tenant", "acme-dental", "--object", "lead", dd, file},
		{"crm", "import", "--tenant", "acme-dental", "--dedupe", "merge", dd, file},
		{"crm", "import", "--tenant", "acme-dental", dd, filepath.Join(dir, "missing.csv")},
	} {
		if _, _, err := runCLI(t, "", args...); err == nil {
			t.Errorf("%v: accepted", args)
		}
	}
}
