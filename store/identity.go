package store

import (
	"context"
	"database/sql"
	"fmt"

	"orengen/app"
)

// IdentityStore reads the database's identity and records its vault key
// check value.
type IdentityStore struct{ db *DB }

// NewIdentityStore returns an IdentityStore on db.
func NewIdentityStore(db *DB) *IdentityStore { return &IdentityStore{db: db} }

const identityQuery = `SELECT database_id, created_at, vault_key_check FROM database_identity WHERE id = 1`

func scanIdentity(row *sql.Row) (*app.DatabaseIdentity, error) {
	var id app.DatabaseIdentity
	if err := row.Scan(&id.ID, Time{&id.CreatedAt}, &id.VaultKeyCheck); err != nil {
		return nil, err
	}
	return &id, nil
}

// FindIdentity returns the database's identity.
func (s *IdentityStore) FindIdentity(ctx context.Context) (*app.DatabaseIdentity, error) {
	id, err := scanIdentity(s.db.read.QueryRowContext(ctx, identityQuery))
	if err != nil {
		return nil, fmt.Errorf("read database identity: %w", err)
	}
	return id, nil
}

// SetVaultKeyCheck records the check value of the vault's master key.
func (s *IdentityStore) SetVaultKeyCheck(ctx context.Context, check string) error {
	if _, err := s.db.write.ExecContext(ctx, `UPDATE database_identity SET vault_key_check = ? WHERE id = 1`, check); err != nil {
		return fmt.Errorf("record vault key check: %w", err)
	}
	return nil
}

// HasSealedValues reports whether anything in the database is sealed
// under the vault's master key: a vault secret or a two-factor secret.
func (s *IdentityStore) HasSealedValues(ctx context.Context) (bool, error) {
	var n bool
	err := s.db.read.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM vault_secrets) OR EXISTS (SELECT 1 FROM tenant_users WHERE totp_secret IS NOT NULL)
		OR EXISTS (SELECT 1 FROM admins WHERE totp_secret IS NOT NULL)`).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("look for sealed values: %w", err)
	}
	return n, nil
}

// ReadIdentity reads the identity of the database file at path, read-only
// and without migrating it: before serve opens it, and after a restore.
// It returns nil when the file is missing or predates identities.
func ReadIdentity(ctx context.Context, path string) (*app.DatabaseIdentity, error) {
	p := NewProbe(path)
	defer p.Close()
	return p.Identity(ctx)
}
