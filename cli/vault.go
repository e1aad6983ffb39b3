package cli

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"orengen/app"
	"orengen/store"
)

const vaultUsage = `Usage: orengen vault <rotate-key|export-key|import-key> [flags]

  rotate-key [--generate]     re-encrypt every vault secret and two-factor secret
                              under a new master key, in one transaction; the new
                              key is read from standard input (base64 of 32 bytes),
                              or generated with --generate
  export-key [--out FILE]     print (or write, mode 0600) the master key in use,
                              sealed with a passphrase read from standard input
                              (at least 12 characters): keep it off the server
  import-key [--print] FILE   open an exported key with the passphrase on standard
                              input, check it is the key this database needs, and
                              write it to DATA_DIR/master.key (--print: print
                              ORENGEN_MASTER_KEY=... for the environment file instead)
`

// runVault is `orengen vault rotate-key|export-key|import-key`.
func runVault(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string, stdin io.Reader) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, vaultUsage)
		if len(args) == 0 {
			return usageError{errors.New("vault: a subcommand is required")}
		}
		return nil
	}
	switch args[0] {
	case "export-key":
		return runVaultExport(ctx, args[1:], stdout, stderr, env, stdin)
	case "import-key":
		return runVaultImport(ctx, args[1:], stdout, stderr, env, stdin)
	case "rotate-key":
	default:
		fmt.Fprint(stderr, vaultUsage)
		return usageError{fmt.Errorf("vault: unknown subcommand %q", args[0])}
	}
	fs := newFlagSet("vault rotate-key", "vault rotate-key [--generate]", stderr)
	gen := fs.Bool("generate", false, "generate the new key instead of reading it from stdin")
	cfg, err := loadConfig(fs, args[1:], env, "data-dir", "log-level", "log-format")
	if err != nil {
		return err
	}
	var next []byte
	if *gen {
		next = make([]byte, 32)
		if _, err := randRead(next); err != nil {
			return err
		}
	} else {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read new key: %w", err)
		}
		next, err = base64.StdEncoding.DecodeString(strings.TrimSpace(line))
		if err != nil || len(next) != 32 {
			return usageError{errors.New("vault rotate-key: standard input must be base64 of exactly 32 random bytes (or use --generate)")}
		}
	}
	sv, err := Open(ctx, cfg, discardLogger())
	if err != nil {
		return err
	}
	defer sv.Close()
	nc, err := app.NewCipher(next)
	if err != nil {
		return err
	}
	if nc.KeyID() == sv.Vault.Cipher.KeyID() {
		return errors.New("vault rotate-key: the new key is the key in use")
	}
	enc := base64.StdEncoding.EncodeToString(next) + "\n"
	// In development the key lives in master.key: write the new key next
	// to it first, so a crash after the commit cannot lose it, then swap.
	pending := ""
	if sv.MasterKeyFile != "" {
		pending = sv.MasterKeyFile + ".new"
		if err := os.WriteFile(pending, []byte(enc), 0o600); err != nil {
			return fmt.Errorf("write %s: %w", pending, err)
		}
	}
	n, err := sv.Vault.Rotate(ctx, nc)
	if err != nil {
		if pending != "" {
			os.Remove(pending)
		}
		return fmt.Errorf("rotate: nothing changed: %w", err)
	}
	if pending != "" {
		if err := os.Rename(pending, sv.MasterKeyFile); err != nil {
			return fmt.Errorf("re-encrypted %d values, but could not install the new key: rename %s to %s yourself: %w", n, pending, sv.MasterKeyFile, err)
		}
		fmt.Fprintf(stdout, "re-encrypted %d values; the new key is in %s (mode 0600). Restart orengen.\n", n, sv.MasterKeyFile)
		return nil
	}
	fmt.Fprintf(stdout, "re-encrypted %d values. Put the new key in the service's environment now and restart orengen:\n", n)
	if *gen {
		fmt.Fprintf(stdout, "ORENGEN_MASTER_KEY=%s", enc)
	} else {
		fmt.Fprintln(stdout, "ORENGEN_MASTER_KEY=<the key you piped in>")
	}
	fmt.Fprintln(stdout, "(installed systems: /etc/orengen/orengen.env). The old key no longer opens the vault.")
	return nil
}

// runVaultExport is `orengen vault export-key`: the key in use (checked
// against the database), sealed with a passphrase.
func runVaultExport(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string, stdin io.Reader) error {
	fs := newFlagSet("vault export-key", "vault export-key [--out FILE] < passphrase", stderr)
	out := fs.String("out", "", "write the sealed key to FILE (mode 0600) instead of standard output")
	cfg, err := loadConfig(fs, args, env, "data-dir", "log-level", "log-format")
	if err != nil {
		return err
	}
	pass, err := readPassphrase(stdin)
	if err != nil {
		return err
	}
	if len(pass) < minPassphrase {
		return usageError{fmt.Errorf("vault export-key: give a passphrase of at least %d characters on standard input", minPassphrase)}
	}
	db := store.NewDB(cfg.DBPath())
	if err := db.Open(ctx); err != nil {
		return err
	}
	defer db.Close()
	c, keyFile, err := openVaultKey(ctx, cfg, db)
	if err != nil {
		return err
	}
	key := cfg.MasterKey
	if keyFile != "" {
		if key, err = loadOrCreateKey(nil, keyFile); err != nil {
			return err
		}
	}
	sealed, err := exportKey(key, pass)
	if err != nil {
		return err
	}
	if *out == "" {
		_, err = io.WriteString(stdout, sealed)
		return err
	}
	if err := os.WriteFile(*out, []byte(sealed), 0o600); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "master key %s sealed with your passphrase in %s; keep it off this server. Restore it with: orengen vault import-key --data-dir DIR %s\n", c.KeyID(), *out, *out)
	return nil
}

// runVaultImport is `orengen vault import-key`: an exported key, opened
// with its passphrase, checked against the database, installed.
func runVaultImport(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string, stdin io.Reader) error {
	fs := newFlagSet("vault import-key", "vault import-key [--print] FILE < passphrase", stderr)
	printEnv := fs.Bool("print", false, "print ORENGEN_MASTER_KEY=... for the environment file instead of writing DATA_DIR/master.key")
	cfg, err := loadConfig(fs, args, env, "data-dir", "log-level", "log-format")
	if err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{errors.New("vault import-key: give the file written by `orengen vault export-key`")}
	}
	export, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	pass, err := readPassphrase(stdin)
	if err != nil {
		return err
	}
	key, err := importKey(string(export), pass)
	if err != nil {
		return fmt.Errorf("vault import-key: %w", err)
	}
	c, err := app.NewCipher(key)
	if err != nil {
		return err
	}
	if _, err := os.Stat(cfg.DBPath()); err == nil {
		id, err := store.ReadIdentity(ctx, cfg.DBPath())
		if err != nil {
			return err
		}
		if id != nil && id.VaultKeyCheck != "" && id.VaultKeyCheck != c.Check() {
			return fmt.Errorf("vault import-key: this is master key %s, but the database in %s needs %s; nothing was written", c.KeyID(), cfg.DataDir, app.KeyIDOfCheck(id.VaultKeyCheck))
		}
	}
	if *printEnv {
		fmt.Fprintf(stdout, "ORENGEN_MASTER_KEY=%s\n", base64.StdEncoding.EncodeToString(key))
		return nil
	}
	path := filepath.Join(cfg.DataDir, "master.key")
	if err := writeKeyFile(path, key); err != nil {
		return fmt.Errorf("vault import-key: %w", err)
	}
	fmt.Fprintf(stdout, "master key %s written to %s (mode 0600)\n", c.KeyID(), path)
	return nil
}
