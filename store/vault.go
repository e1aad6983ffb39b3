package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"orengen/app"
)

// VaultStore implements app.VaultStore. It only ever sees sealed bytes.
type VaultStore struct{ db *DB }

var _ app.VaultStore = (*VaultStore)(nil)

// NewVaultStore returns a VaultStore on db.
func NewVaultStore(db *DB) *VaultStore { return &VaultStore{db: db} }

// PutSecret inserts or replaces a sealed secret.
func (s *VaultStore) PutSecret(ctx context.Context, sec *app.Secret, sealed []byte) error {
	tx, err := s.db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO vault_secrets (tenant_id, name, ciphertext, key_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (tenant_id, name) DO UPDATE SET ciphertext = excluded.ciphertext, key_id = excluded.key_id, updated_at = excluded.updated_at`,
		sec.TenantID, sec.Name, sealed, sec.KeyID, FormatTime(tx.now), FormatTime(tx.now)); err != nil {
		return fmt.Errorf("put secret %q: %w", sec.Name, err)
	}
	return tx.Commit()
}

const secretColumns = `id, tenant_id, name, key_id, created_at, updated_at, last_used_at`

func scanSecret(row interface{ Scan(...any) error }, extra ...any) (*app.Secret, error) {
	var sec app.Secret
	var last NullTime
	if err := row.Scan(append([]any{&sec.ID, &sec.TenantID, &sec.Name, &sec.KeyID, Time{&sec.CreatedAt}, Time{&sec.UpdatedAt}, &last}, extra...)...); err != nil {
		return nil, err
	}
	sec.LastUsedAt = last.T
	return &sec, nil
}

// FindSecret returns ENOTFOUND if there is no such secret.
func (s *VaultStore) FindSecret(ctx context.Context, tenantID int64, name string) (*app.Secret, []byte, error) {
	var sealed []byte
	sec, err := scanSecret(s.db.read.QueryRowContext(ctx, `SELECT `+secretColumns+`, ciphertext FROM vault_secrets WHERE tenant_id = ? AND name = ?`, tenantID, name), &sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, app.Errorf(app.ENOTFOUND, "Secret not found.")
	} else if err != nil {
		return nil, nil, fmt.Errorf("find secret: %w", err)
	}
	return sec, sealed, nil
}

// DeleteSecret returns ENOTFOUND if there is no such secret.
func (s *VaultStore) DeleteSecret(ctx context.Context, tenantID int64, name string) error {
	tx, err := s.db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `DELETE FROM vault_secrets WHERE tenant_id = ? AND name = ?`, tenantID, name)
	if err != nil {
		return fmt.Errorf("delete secret: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return app.Errorf(app.ENOTFOUND, "Secret not found.")
	}
	return tx.Commit()
}

// FindSecrets lists one scope's secrets, or all when tenantID is nil.
func (s *VaultStore) FindSecrets(ctx context.Context, tenantID *int64) ([]*app.Secret, error) {
	q, args := `SELECT `+secretColumns+` FROM vault_secrets`, []any{}
	if tenantID != nil {
		q += ` WHERE tenant_id = ?`
		args = append(args, *tenantID)
	}
	rows, err := s.db.read.QueryContext(ctx, q+` ORDER BY tenant_id, name`, args...)
	if err != nil {
		return nil, fmt.Errorf("find secrets: %w", err)
	}
	defer rows.Close()
	var out []*app.Secret
	for rows.Next() {
		sec, err := scanSecret(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, sec)
	}
	return out, rows.Err()
}

// TouchSecret records a use.
func (s *VaultStore) TouchSecret(ctx context.Context, id int64) error {
	tx, err := s.db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `UPDATE vault_secrets SET last_used_at = ? WHERE id = ?`, FormatTime(tx.now), id); err != nil {
		return err
	}
	return tx.Commit()
}

// ResealAll re-encrypts every sealed value (vault secrets, tenant users'
// and admins' two-factor secrets) in one transaction.
func (s *VaultStore) ResealAll(ctx context.Context, newKeyID, newKeyCheck string, reseal func(app.SealedValue) ([]byte, error)) (int, error) {
	tx, err := s.db.BeginTx(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	type row struct {
		v      app.SealedValue
		update string
	}
	var all []row
	collect := func(q, table, update string, ad func(id int64, name string) string) error {
		rows, err := tx.QueryContext(ctx, q)
		if err != nil {
			return fmt.Errorf("read %s: %w", table, err)
		}
		defer rows.Close()
		for rows.Next() {
			var id, tid int64
			var name string
			var data []byte
			if err := rows.Scan(&id, &tid, &name, &data); err != nil {
				return err
			}
			all = append(all, row{app.SealedValue{Table: table, ID: id, AD: ad(tid, name), Data: data}, update})
		}
		return rows.Err()
	}
	if err := collect(`SELECT id, tenant_id, name, ciphertext FROM vault_secrets`, "vault_secrets",
		`UPDATE vault_secrets SET ciphertext = ?, key_id = ? WHERE id = ?`, app.SecretAD); err != nil {
		return 0, err
	}
	if err := collect(`SELECT id, id, '', totp_secret FROM tenant_users WHERE totp_secret IS NOT NULL`, "tenant_users",
		`UPDATE tenant_users SET totp_secret = ? WHERE id = ?`, func(id int64, _ string) string { return "totp|" + app.TOTPAccount("user", id) }); err != nil {
		return 0, err
	}
	if err := collect(`SELECT id, id, '', totp_secret FROM admins WHERE totp_secret IS NOT NULL`, "admins",
		`UPDATE admins SET totp_secret = ? WHERE id = ?`, func(id int64, _ string) string { return "totp|" + app.TOTPAccount("admin", id) }); err != nil {
		return 0, err
	}
	for _, r := range all {
		out, err := reseal(r.v)
		if err != nil {
			return 0, err
		}
		if r.v.Table == "vault_secrets" {
			_, err = tx.ExecContext(ctx, r.update, out, newKeyID, r.v.ID)
		} else {
			_, err = tx.ExecContext(ctx, r.update, out, r.v.ID)
		}
		if err != nil {
			return 0, fmt.Errorf("reseal %s row %d: %w", r.v.Table, r.v.ID, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE database_identity SET vault_key_check = ? WHERE id = 1`, newKeyCheck); err != nil {
		return 0, fmt.Errorf("record the new key's check value: %w", err)
	}
	return len(all), tx.Commit()
}
