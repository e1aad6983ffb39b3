package cli

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"orengen/app"
)

const vaultUsage = `Usage: orengen vault rotate-key [--generate]

  Re-encrypts every vault secret and two-factor secret under a new master
  key, in one transaction. The new key is read from standard input
  (base64 of 32 bytes), or generated with --generate.
`

// runVault is `orengen vault rotate-key`.
func runVault(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string, stdin io.Reader) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, vaultUsage)
		if len(args) == 0 {
			return usageError{errors.New("vault: a subcommand is required")}
		}
		return nil
	}
	if args[0] != "rotate-key" {
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
