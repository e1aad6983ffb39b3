package cli

import (
	"bufio"
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/argon2"

	"orengen/app"
	"orengen/store"
)

// keySupplyHelp says how to give serve the vault's master key.
const keySupplyHelp = "Supply that key: set ORENGEN_MASTER_KEY to it (base64) in the environment file " +
	"(installed systems: /etc/orengen/orengen.env, written by install.sh; keep a copy off the server), " +
	"or import the copy made with `orengen vault export-key`: orengen vault import-key --data-dir %s FILE " +
	"(the passphrase on standard input; it writes %s)."

// openVaultKey returns the vault's cipher and the key file it came from
// ("" when the key came from ORENGEN_MASTER_KEY). The key is checked
// against the check value the database records: another key is refused.
// A missing key file is generated only for a database that holds no
// sealed value and no check value yet, so a restore without its key is
// refused rather than given a new key that opens none of its secrets.
func openVaultKey(ctx context.Context, cfg *Config, db *store.DB) (*app.Cipher, string, error) {
	ids := store.NewIdentityStore(db)
	ident, err := ids.FindIdentity(ctx)
	if err != nil {
		return nil, "", err
	}
	keyFile := filepath.Join(cfg.DataDir, "master.key")
	help := fmt.Sprintf(keySupplyHelp, cfg.DataDir, keyFile)
	var key []byte
	source := "ORENGEN_MASTER_KEY"
	if len(cfg.MasterKey) == 32 {
		key, keyFile = cfg.MasterKey, ""
	} else {
		source = keyFile
		if _, err := os.Stat(keyFile); errors.Is(err, os.ErrNotExist) {
			sealed, err := ids.HasSealedValues(ctx)
			if err != nil {
				return nil, "", err
			}
			if ident.VaultKeyCheck != "" || sealed {
				need := app.KeyIDOfCheck(ident.VaultKeyCheck)
				if need == "" {
					need = "the one its secrets were sealed with"
				}
				return nil, "", fmt.Errorf("master key: this database's vault needs master key %s, and none is configured (no ORENGEN_MASTER_KEY, no %s); a new key would open none of its secrets, so none is generated. "+help, need, keyFile)
			}
		}
		if key, err = loadOrCreateKey(nil, keyFile); err != nil {
			return nil, "", fmt.Errorf("master key: %w", err)
		}
	}
	c, err := app.NewCipher(key)
	if err != nil {
		return nil, "", err
	}
	switch ident.VaultKeyCheck {
	case c.Check():
	case "":
		// The vault's first start, or a database from before check
		// values: its secrets name the key they were sealed with.
		secrets, err := store.NewVaultStore(db).FindSecrets(ctx, nil)
		if err != nil {
			return nil, "", err
		}
		for _, s := range secrets {
			if s.KeyID != c.KeyID() {
				return nil, "", fmt.Errorf("master key: the key from %s (%s) is not the key this database's vault was sealed with (%s); nothing was changed. "+help, source, c.KeyID(), s.KeyID)
			}
		}
		if err := ids.SetVaultKeyCheck(ctx, c.Check()); err != nil {
			return nil, "", err
		}
	default:
		return nil, "", fmt.Errorf("master key: the key from %s (%s) is not the key this database's vault was sealed with (%s); nothing was changed. "+help,
			source, c.KeyID(), app.KeyIDOfCheck(ident.VaultKeyCheck))
	}
	return c, keyFile, nil
}

// Exported keys: "orengen-master-key v1 KEYID BASE64", where BASE64 holds
// a 16-byte salt, a 12-byte nonce and the key sealed with AES-256-GCM
// under argon2id(passphrase, salt); the additional data binds the key ID.
const exportPrefix = "orengen-master-key v1 "

// Argon2id cost of an exported key: one derivation per export or import.
const (
	exportArgonTime    = 3
	exportArgonMemory  = 64 << 10 // KiB
	exportArgonThreads = 2
	minPassphrase      = 12
)

func exportAEAD(passphrase string, salt []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(argon2.IDKey([]byte(passphrase), salt, exportArgonTime, exportArgonMemory, exportArgonThreads, 32))
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// exportKey seals key under passphrase.
func exportKey(key []byte, passphrase string) (string, error) {
	c, err := app.NewCipher(key)
	if err != nil {
		return "", err
	}
	salt := make([]byte, 16)
	nonce := make([]byte, 12)
	if _, err := randRead(salt); err != nil {
		return "", err
	}
	if _, err := randRead(nonce); err != nil {
		return "", err
	}
	aead, err := exportAEAD(passphrase, salt)
	if err != nil {
		return "", err
	}
	blob := append(append(salt, nonce...), aead.Seal(nil, nonce, key, []byte(exportPrefix+c.KeyID()))...)
	return exportPrefix + c.KeyID() + " " + base64.StdEncoding.EncodeToString(blob) + "\n", nil
}

// importKey opens an exported key with passphrase.
func importKey(export, passphrase string) ([]byte, error) {
	f := strings.Fields(strings.TrimSpace(export))
	if len(f) != 4 || f[0]+" "+f[1]+" " != exportPrefix {
		return nil, errors.New("not an exported master key (it starts with \"" + exportPrefix + "\")")
	}
	blob, err := base64.StdEncoding.DecodeString(f[3])
	if err != nil || len(blob) < 16+12+32 {
		return nil, errors.New("the exported key is damaged (bad base64 or too short)")
	}
	aead, err := exportAEAD(passphrase, blob[:16])
	if err != nil {
		return nil, err
	}
	key, err := aead.Open(nil, blob[16:28], blob[28:], []byte(exportPrefix+f[2]))
	if err != nil {
		return nil, errors.New("wrong passphrase, or the exported key was altered")
	}
	return key, nil
}

// readPassphrase reads the first line of r.
func readPassphrase(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read passphrase: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// writeKeyFile writes key as DATA_DIR/master.key (0600), never over a
// different key.
func writeKeyFile(path string, key []byte) error {
	enc := []byte(base64.StdEncoding.EncodeToString(key) + "\n")
	if old, err := os.ReadFile(path); err == nil {
		if bytes.Equal(bytes.TrimSpace(old), bytes.TrimSpace(enc)) {
			return nil
		}
		return fmt.Errorf("%s holds another key; move it aside first (it may be the only copy of that key)", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return os.WriteFile(path, enc, 0o600)
}
