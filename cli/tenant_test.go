package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCLI(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	env := func(string) string { return "" }
	var err error
	if args[0] == "vault" {
		err = runVault(context.Background(), args[1:], &out, &errb, env, strings.NewReader(stdin))
	} else {
		err = Run(context.Background(), args, &out, &errb, env)
	}
	return out.String(), errb.String(), err
}

func TestCLI_TenantAPIKeyVault(t *testing.T) {
	dir := t.TempDir()
	dd := "--data-dir=" + filepath.Join(dir, "data")
	out, _, err := runCLI(t, "", "tenant", "create", "--name", "Acme Dental", dd)
	if err != nil || !strings.Contains(out, "slug acme-dental") {
		t.Fatalf("tenant create: %q %v", out, err)
	}
	if _, _, err := runCLI(t, "", "tenant", "create", "--name", "Acme Dental", dd); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("duplicate tenant: %v", err)
	}
	if out, _, err := runCLI(t, "", "tenant", "create", "--name", "X", "--domain", "portal.x-clinic.test", dd); err != nil {
		t.Errorf("tenant with a domain: %q %v", out, err)
	}
	// A taken or malformed domain is refused before the tenant is written.
	for _, d := range []string{"portal.x-clinic.test", "not a domain"} {
		if _, _, err := runCLI(t, "", "tenant", "create", "--name", "Y "+d, "--domain", d, dd); err == nil || !strings.Contains(err.Error(), "--domain") {
			t.Errorf("domain %q: %v", d, err)
		}
	}
	out, _, err = runCLI(t, "", "tenant", "list", dd)
	if err != nil || !strings.Contains(out, "house") || !strings.Contains(out, "acme-dental") || strings.Contains(out, "y-") {
		t.Fatalf("tenant list: %q %v", out, err)
	}
	key, msg, err := runCLI(t, "", "apikey", "create", "--tenant", "acme-dental", "--scope", "write", dd)
	if err != nil || !strings.HasPrefix(key, "ogt_") || !strings.Contains(msg, "not shown again") {
		t.Fatalf("apikey: %q %q %v", key, msg, err)
	}
	if _, _, err := runCLI(t, "", "apikey", "create", "--tenant", "nope", dd); err == nil {
		t.Error("key for an unknown tenant")
	}
	if _, _, err := runCLI(t, "", "apikey", "create", dd); err == nil {
		t.Error("key without --tenant or --admin")
	}
	if key, _, err := runCLI(t, "", "apikey", "create", "--admin", dd); err != nil || !strings.HasPrefix(key, "oga_") {
		t.Errorf("admin key: %q %v", key, err)
	}
	// master.key was created 0600; rotation swaps it for a new key.
	kf := filepath.Join(dir, "data", "master.key")
	st, err := os.Stat(kf)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("master.key: %v %v", st, err)
	}
	before, _ := os.ReadFile(kf)
	if _, _, err := runCLI(t, "not base64", "vault", "rotate-key", dd); err == nil {
		t.Error("bad key on stdin accepted")
	}
	newKey := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{42}, 32))
	out, _, err = runCLI(t, newKey+"\n", "vault", "rotate-key", dd)
	if err != nil || !strings.Contains(out, "re-encrypted") {
		t.Fatalf("rotate: %q %v", out, err)
	}
	after, _ := os.ReadFile(kf)
	if bytes.Equal(before, after) || strings.TrimSpace(string(after)) != newKey || strings.Contains(out, newKey) {
		t.Errorf("key file not swapped, or key printed: %q", out)
	}
	if _, err := os.Stat(kf + ".new"); !os.IsNotExist(err) {
		t.Errorf("leftover %s.new", kf)
	}
}
