package app

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Cipher seals and opens small values with AES-256-GCM under the master
// key. Each value gets a random 96-bit nonce; the additional data binds a
// ciphertext to its row (scope and name), so rows cannot be swapped.
type Cipher struct {
	aead   cipher.AEAD
	keyID  string
	check  string
	derive []byte // HMAC-SHA256(key, deriveLabel): the root of DeriveKey
}

// NewCipher returns a Cipher for a 32-byte key.
func NewCipher(key []byte) (*Cipher, error) {
	if len(key) != 32 {
		return nil, errors.New("master key must be 32 bytes")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	sum := sha256.Sum256(append([]byte("orengen-vault-key-id|"), key...))
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(keyCheckLabel))
	id := hex.EncodeToString(sum[:4])
	dm := hmac.New(sha256.New, key)
	dm.Write([]byte(deriveLabel))
	return &Cipher{aead: aead, keyID: id, check: id + ":" + hex.EncodeToString(mac.Sum(nil)), derive: dm.Sum(nil)}, nil
}

// deriveLabel is the fixed message whose HMAC under the master key is the
// root of the keys DeriveKey returns.
const deriveLabel = "orengen derived keys v1"

// DeriveKey returns a 32-byte key for one purpose (HMAC-SHA256 of the
// purpose under a key derived from the master key): it reveals nothing of
// the master key or of another purpose's key, and is the same on every
// start with the same master key.
func (c *Cipher) DeriveKey(purpose string) []byte {
	m := hmac.New(sha256.New, c.derive)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

// keyCheckLabel is the fixed message whose HMAC under the master key is
// the key's check value.
const keyCheckLabel = "orengen vault master key check v1"

// KeyID names the key without revealing it (a hash prefix), so a wrong
// master key is reported as such rather than as corrupt data.
func (c *Cipher) KeyID() string { return c.keyID }

// Check is the key's check value, "KEYID:HMAC": the HMAC-SHA256 of a
// fixed label under the key, never the key. The database records it, so a
// start with another key is refused instead of sealing new secrets under
// a key the old ones do not open.
func (c *Cipher) Check() string { return c.check }

// KeyIDOfCheck returns the key ID a check value names ("" for none).
func KeyIDOfCheck(check string) string {
	id, _, _ := strings.Cut(check, ":")
	return id
}

// Seal encrypts plain; the result is nonce || ciphertext || tag.
func (c *Cipher) Seal(plain, ad []byte) ([]byte, error) {
	nonce := make([]byte, c.aead.NonceSize(), c.aead.NonceSize()+len(plain)+c.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("vault nonce: %w", err)
	}
	return c.aead.Seal(nonce, nonce, plain, ad), nil
}

// Open decrypts a value sealed with the same key and additional data. The
// error never contains the value.
func (c *Cipher) Open(sealed, ad []byte) ([]byte, error) {
	n := c.aead.NonceSize()
	if len(sealed) < n+c.aead.Overhead() {
		return nil, errors.New("vault: sealed value too short")
	}
	out, err := c.aead.Open(nil, sealed[:n], sealed[n:], ad)
	if err != nil {
		return nil, errors.New("vault: cannot decrypt (wrong master key or altered data)")
	}
	return out, nil
}

// VaultScope says whose secret it is: a tenant's, or global (TenantID 0).
type VaultScope struct{ TenantID int64 }

// GlobalScope is the scope of the agency's own integration credentials.
var GlobalScope = VaultScope{}

// TenantScope is the scope of one tenant's secrets.
func TenantScope(id int64) VaultScope { return VaultScope{TenantID: id} }

// String is "global" or "tenant:ID".
func (s VaultScope) String() string {
	if s.TenantID == 0 {
		return "global"
	}
	return fmt.Sprintf("tenant:%d", s.TenantID)
}

// Secret describes a stored secret; its value is never part of it.
type Secret struct {
	ID         int64
	TenantID   int64
	Name       string
	KeyID      string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	LastUsedAt *time.Time
}

// SealedValue is a sealed value somewhere in the database, as handed to a
// key rotation: Reseal gets its bytes and additional data.
type SealedValue struct {
	Table string
	ID    int64
	AD    string
	Data  []byte
}

// VaultStore persists sealed secrets.
type VaultStore interface {
	// PutSecret inserts or replaces the sealed value of (tenantID, name).
	PutSecret(ctx context.Context, s *Secret, sealed []byte) error
	// FindSecret returns ENOTFOUND if there is no such secret.
	FindSecret(ctx context.Context, tenantID int64, name string) (*Secret, []byte, error)
	// DeleteSecret returns ENOTFOUND if there is no such secret.
	DeleteSecret(ctx context.Context, tenantID int64, name string) error
	// FindSecrets lists secrets of one scope, or of every scope when
	// tenantID is nil, by scope and name.
	FindSecrets(ctx context.Context, tenantID *int64) ([]*Secret, error)
	// TouchSecret records a use.
	TouchSecret(ctx context.Context, id int64) error
	// ResealAll passes every sealed value in the database (vault secrets
	// and two-factor secrets) through reseal and stores the results under
	// newKeyID, all in one transaction: either everything moves to the new
	// key or nothing does.
	// newKeyCheck (Cipher.Check) becomes the database's key check value
	// in the same transaction.
	ResealAll(ctx context.Context, newKeyID, newKeyCheck string, reseal func(v SealedValue) ([]byte, error)) (int, error)
}

// Vault is the secret store other features use for integration
// credentials. Values are sealed before they reach the store and are
// never logged or put in an error message.
type Vault interface {
	// Get returns the value. Returns ENOTFOUND.
	Get(ctx context.Context, scope VaultScope, name string) (string, error)
	// Put sets the value (replace-only: there is no way to read it back
	// except Get). Returns EINVALID for a bad name or an empty value.
	Put(ctx context.Context, scope VaultScope, name, value string) error
	// Delete removes the secret. Returns ENOTFOUND.
	Delete(ctx context.Context, scope VaultScope, name string) error
	// List describes the secrets of a scope, without values.
	List(ctx context.Context, scope VaultScope) ([]*Secret, error)
}

// VaultService implements Vault over a VaultStore and a Cipher.
type VaultService struct {
	store  VaultStore
	Cipher *Cipher
	Audit  *AuditService
}

var _ Vault = (*VaultService)(nil)

// NewVaultService returns the vault over st, sealing with c; the caller
// sets Audit.
func NewVaultService(st VaultStore, c *Cipher) *VaultService {
	return &VaultService{store: st, Cipher: c}
}

var secretNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,99}$`) })

// MaxSecretBytes caps a secret's value.
const MaxSecretBytes = 16 << 10

func secretAD(tenantID int64, name string) []byte {
	return []byte(fmt.Sprintf("vault|%d|%s", tenantID, name))
}

// SecretAD is the additional data that binds a vault row's ciphertext to
// its scope and name (exported for the store's rotation).
func SecretAD(tenantID int64, name string) string { return string(secretAD(tenantID, name)) }

// checkScope keeps tenant principals inside their own scope: a tenant
// user or key asking for another scope (or the global one) gets
// ENOTFOUND, as if the secret did not exist. Admins and background work
// (no principal) may use any scope.
func checkScope(ctx context.Context, scope VaultScope) error {
	if UserFromContext(ctx) == nil && APIKeyFromContext(ctx) == nil {
		return nil
	}
	if t := TenantFromContext(ctx); t == nil || t.ID != scope.TenantID {
		return Errorf(ENOTFOUND, "Secret not found.")
	}
	return nil
}

// Get implements Vault.
func (s *VaultService) Get(ctx context.Context, scope VaultScope, name string) (string, error) {
	if err := checkScope(ctx, scope); err != nil {
		return "", err
	}
	sec, sealed, err := s.store.FindSecret(ctx, scope.TenantID, name)
	if err != nil {
		return "", err
	}
	if sec.KeyID != s.Cipher.KeyID() {
		return "", fmt.Errorf("vault secret %q (%s) was sealed with master key %s but the configured key is %s: set ORENGEN_MASTER_KEY to the key in use, or run `orengen vault rotate-key`", name, scope, sec.KeyID, s.Cipher.KeyID())
	}
	plain, err := s.Cipher.Open(sealed, secretAD(scope.TenantID, name))
	if err != nil {
		return "", fmt.Errorf("vault secret %q (%s): %w", name, scope, err)
	}
	if err := s.store.TouchSecret(context.WithoutCancel(ctx), sec.ID); err != nil {
		return "", err
	}
	return string(plain), nil
}

// GetOr returns the secret name of scope, trimmed, or fallback (trimmed)
// when the vault has no such secret or it is blank: a key saved in Nexus
// takes effect at once, and the environment's key serves until then.
func (s *VaultService) GetOr(ctx context.Context, scope VaultScope, name, fallback string) (string, error) {
	val, err := s.Get(ctx, scope, name)
	if err == nil && strings.TrimSpace(val) != "" {
		return strings.TrimSpace(val), nil
	}
	if err != nil && ErrorCode(err) != ENOTFOUND {
		return "", fmt.Errorf("vault %s: %w", name, err)
	}
	return strings.TrimSpace(fallback), nil
}

// Put implements Vault.
func (s *VaultService) Put(ctx context.Context, scope VaultScope, name, value string) error {
	if err := checkScope(ctx, scope); err != nil {
		return err
	}
	name = strings.TrimSpace(name)
	if !secretNameRE().MatchString(name) {
		return FieldErrorf("name", "Name may contain lowercase letters, digits, dots, dashes and underscores (at most 100), like twilio_auth_token.")
	}
	if value == "" {
		return FieldErrorf("value", "Value required.")
	}
	if len(value) > MaxSecretBytes {
		return FieldErrorf("value", "Value must be at most %d KiB.", MaxSecretBytes>>10)
	}
	sealed, err := s.Cipher.Seal([]byte(value), secretAD(scope.TenantID, name))
	if err != nil {
		return err
	}
	if err := s.store.PutSecret(ctx, &Secret{TenantID: scope.TenantID, Name: name, KeyID: s.Cipher.KeyID()}, sealed); err != nil {
		return err
	}
	s.Audit.Record(ctx, "vault.put", scope.String()+"/"+name, "")
	return nil
}

// Delete implements Vault.
func (s *VaultService) Delete(ctx context.Context, scope VaultScope, name string) error {
	if err := checkScope(ctx, scope); err != nil {
		return err
	}
	if err := s.store.DeleteSecret(ctx, scope.TenantID, name); err != nil {
		return err
	}
	s.Audit.Record(ctx, "vault.delete", scope.String()+"/"+name, "")
	return nil
}

// List implements Vault.
func (s *VaultService) List(ctx context.Context, scope VaultScope) ([]*Secret, error) {
	if err := checkScope(ctx, scope); err != nil {
		return nil, err
	}
	id := scope.TenantID
	return s.store.FindSecrets(ctx, &id)
}

// ListAll describes every secret of every scope (Nexus). Returns
// EFORBIDDEN for anyone but an admin.
func (s *VaultService) ListAll(ctx context.Context) ([]*Secret, error) {
	if AdminFromContext(ctx) == nil {
		return nil, Errorf(EFORBIDDEN, "Only Nexus admins can list the vault.")
	}
	return s.store.FindSecrets(ctx, nil)
}

// Rotate re-encrypts every sealed value under next, in one transaction,
// and returns how many values moved. The service keeps using its old
// cipher; the caller installs the new key and restarts.
func (s *VaultService) Rotate(ctx context.Context, next *Cipher) (int, error) {
	n, err := s.store.ResealAll(ctx, next.KeyID(), next.Check(), func(v SealedValue) ([]byte, error) {
		plain, err := s.Cipher.Open(v.Data, []byte(v.AD))
		if err != nil {
			return nil, fmt.Errorf("%s row %d: %w", v.Table, v.ID, err)
		}
		return next.Seal(plain, []byte(v.AD))
	})
	if err != nil {
		return 0, err
	}
	s.Audit.Record(ctx, "vault.rotate_key", "vault", fmt.Sprintf("%d values re-encrypted; key %s -> %s", n, s.Cipher.KeyID(), next.KeyID()))
	return n, nil
}

// SealTOTP and OpenTOTP protect two-factor secrets with the vault's key;
// the additional data binds the value to its account.
func (s *VaultService) SealTOTP(account, secret string) ([]byte, error) {
	return s.Cipher.Seal([]byte(secret), []byte("totp|"+account))
}

// OpenTOTP opens a value sealed by SealTOTP.
func (s *VaultService) OpenTOTP(account string, sealed []byte) (string, error) {
	b, err := s.Cipher.Open(sealed, []byte("totp|"+account))
	return string(b), err
}
