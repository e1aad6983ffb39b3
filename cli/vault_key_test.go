package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"orengen/app"
)

// vaultSecret opens the data directory's services as a CLI command does and
// reads a global vault secret.
func vaultSecret(t *testing.T, data string, masterKey []byte, name string) (string, error) {
	t.Helper()
	env := map[string]string{}
	if masterKey != nil {
		env["ORENGEN_MASTER_KEY"] = base64.StdEncoding.EncodeToString(masterKey)
	}
	cfg, err := loadConfig(newFlagSet("t", "t", io.Discard), []string{"--data-dir", data}, envFrom(env))
	if err != nil {
		t.Fatal(err)
	}
	a, err := Open(context.Background(), cfg, discardLogger())
	if err != nil {
		return "", err
	}
	defer a.Close()
	return a.Vault.Get(context.Background(), app.GlobalScope, name)
}

// serveOnce runs serve until it is ready or fails, then stops it.
func serveOnce(t *testing.T, data string, extra ...string) error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, append([]string{"serve", "--data-dir", data, "--http-addr", "127.0.0.1:0"}, extra...), &out, &errb, envFrom(nil))
	}()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		select {
		case err := <-done:
			return err
		default:
		}
		if strings.Contains(out.String(), "listening on") {
			cancel()
			return <-done
		}
	}
	t.Fatalf("serve neither started nor failed:\n%s", errb.String())
	return nil
}

// TestVault_KeyLostWithDataDir: the master key is in no replica. After the
// data directory (with its development key file) is lost and restored,
// restore names the key the data needs, serve refuses to start without it
// (and generates none), and the two documented ways back work: the key
// exported with a passphrase and imported, or ORENGEN_MASTER_KEY in the
// environment file. Another key is refused, never used to seal.
func TestVault_KeyLostWithDataDir(t *testing.T) {
	dir := t.TempDir()
	data, bdir := filepath.Join(dir, "data"), filepath.Join(dir, "backups")
	ctx := context.Background()
	// A development install: serve creates master.key; secrets go in.
	if err := serveOnce(t, data, "--backup-dir", bdir); err != nil {
		t.Fatal(err)
	}
	sv := openApp(t, data)
	if err := sv.Vault.Put(ctx, app.GlobalScope, "twilio.auth_token", "tok-123456"); err != nil {
		t.Fatal(err)
	}
	keyID := sv.Vault.Cipher.KeyID()
	sv.Close()
	if err := serveOnce(t, data, "--backup-dir", bdir); err != nil { // ships the secret
		t.Fatal(err)
	}
	// The documented step: export the key, sealed with a passphrase.
	exported := filepath.Join(dir, "orengen-master-key.txt")
	const pass = "correct horse battery staple"
	if _, _, err := runCLI(t, "short\n", "vault", "export-key", "--data-dir", data, "--out", exported); err == nil {
		t.Error("export with a short passphrase accepted")
	}
	out, _, err := runCLI(t, pass+"\n", "vault", "export-key", "--data-dir", data, "--out", exported)
	if err != nil || !strings.Contains(out, keyID) {
		t.Fatalf("export-key: %q %v", out, err)
	}
	keyB64, _ := os.ReadFile(filepath.Join(data, "master.key"))
	if b, _ := os.ReadFile(exported); bytes.Contains(b, bytes.TrimSpace(keyB64)) {
		t.Fatal("the export holds the key in the clear")
	}
	rawKey, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(string(keyB64)))

	// The data directory is lost; restore says which key it needs.
	os.RemoveAll(data)
	o, err := runChild(t, "restore", "--data-dir", data, "--backup-dir", bdir)
	if err != nil || !strings.Contains(o, "needs master key "+keyID+", and none is configured") || !strings.Contains(o, "vault import-key") {
		t.Fatalf("restore: %v\n%s", err, o)
	}
	// serve refuses to start without it, and generates no key.
	err = serveOnce(t, data, "--backup-dir", bdir)
	if err == nil || !strings.Contains(err.Error(), "needs master key "+keyID) || !strings.Contains(err.Error(), "ORENGEN_MASTER_KEY") || !strings.Contains(err.Error(), "vault import-key") {
		t.Fatalf("serve without the key: %v", err)
	}
	if _, err := os.Stat(filepath.Join(data, "master.key")); !os.IsNotExist(err) {
		t.Fatalf("a key file was generated for a database whose key is missing (%v)", err)
	}
	// Another key, from the environment: refused, nothing sealed under it.
	other := bytes.Repeat([]byte{9}, 32)
	if _, err := vaultSecret(t, data, other, "twilio.auth_token"); err == nil || !strings.Contains(err.Error(), "is not the key this database's vault was sealed with ("+keyID+")") {
		t.Fatalf("another key: %v", err)
	}
	// Way back 1: ORENGEN_MASTER_KEY in the environment file.
	envFile := filepath.Join(dir, "orengen.env")
	os.WriteFile(envFile, []byte("ORENGEN_MASTER_KEY="+base64.StdEncoding.EncodeToString(rawKey)+"\n"), 0o600)
	if err := serveOnce(t, data, "--backup-dir", bdir, "--config", envFile); err != nil {
		t.Fatalf("serve with the key in the environment file: %v", err)
	}
	if v, err := vaultSecret(t, data, rawKey, "twilio.auth_token"); err != nil || v != "tok-123456" {
		t.Fatalf("secret with the environment key: %q %v", v, err)
	}
	// Way back 2: import the exported key (a wrong passphrase is refused).
	if _, _, err := runCLI(t, "wrong passphrase!\n", "vault", "import-key", "--data-dir", data, exported); err == nil || !strings.Contains(err.Error(), "wrong passphrase") {
		t.Fatalf("import with a wrong passphrase: %v", err)
	}
	out, _, err = runCLI(t, pass+"\n", "vault", "import-key", "--data-dir", data, exported)
	if err != nil || !strings.Contains(out, "master key "+keyID+" written") {
		t.Fatalf("import-key: %q %v", out, err)
	}
	if fi, err := os.Stat(filepath.Join(data, "master.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("imported key file: %v %v", fi, err)
	}
	if err := serveOnce(t, data, "--backup-dir", bdir); err != nil {
		t.Fatalf("serve with the imported key: %v", err)
	}
	if v, err := vaultSecret(t, data, nil, "twilio.auth_token"); err != nil || v != "tok-123456" {
		t.Fatalf("secret with the imported key: %q %v", v, err)
	}
	// A key that is not this database's is not imported.
	stray := filepath.Join(dir, "stray.txt")
	s, _ := exportKey(other, pass)
	os.WriteFile(stray, []byte(s), 0o600)
	if _, _, err := runCLI(t, pass+"\n", "vault", "import-key", "--data-dir", data, "--print", stray); err == nil || !strings.Contains(err.Error(), "needs "+keyID) {
		t.Fatalf("importing another database's key: %v", err)
	}
}
