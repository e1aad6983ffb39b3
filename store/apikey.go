package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"orengen/app"
)

// APIKeyStore implements app.APIKeyStore.
type APIKeyStore struct{ db *DB }

var _ app.APIKeyStore = (*APIKeyStore)(nil)

// NewAPIKeyStore returns an APIKeyStore on db.
func NewAPIKeyStore(db *DB) *APIKeyStore { return &APIKeyStore{db: db} }

const apiKeyColumns = `id, COALESCE(tenant_id, 0), name, scope, prefix, created_by, created_at, last_used_at, revoked_at, rate_limit`

// apiKeyUsageColumns are a listed key's counted requests: today, and
// requests and refusals of the last 30 days (?1 is today, ?2 the first
// of the 30 days).
const apiKeyUsageColumns = `,
	COALESCE((SELECT requests FROM api_key_usage u WHERE u.key_id = api_keys.id AND u.day = ?), 0),
	COALESCE((SELECT SUM(requests) FROM api_key_usage u WHERE u.key_id = api_keys.id AND u.day >= ?), 0),
	COALESCE((SELECT SUM(limited) FROM api_key_usage u WHERE u.key_id = api_keys.id AND u.day >= ?), 0)`

func scanAPIKey(row interface{ Scan(...any) error }, usage ...any) (*app.APIKey, error) {
	var k app.APIKey
	var last, revoked NullTime
	dest := []any{&k.ID, &k.TenantID, &k.Name, &k.Scope, &k.Prefix, &k.CreatedBy, Time{&k.CreatedAt}, &last, &revoked, &k.RateLimit}
	if len(usage) > 0 {
		dest = append(dest, &k.RequestsToday, &k.Requests30d, &k.Limited30d)
	}
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	k.LastUsedAt, k.RevokedAt = last.T, revoked.T
	return &k, nil
}

// CreateAPIKey stores a key by its hash.
func (s *APIKeyStore) CreateAPIKey(ctx context.Context, k *app.APIKey, keyHash string) error {
	tx, err := s.db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var tid any
	if k.TenantID != 0 {
		tid = k.TenantID
	}
	k.CreatedAt = tx.now
	res, err := tx.ExecContext(ctx, `INSERT INTO api_keys (tenant_id, name, scope, key_hash, prefix, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		tid, k.Name, k.Scope, keyHash, k.Prefix, k.CreatedBy, FormatTime(tx.now))
	if err != nil {
		return FormatError(err, "API key already exists.")
	}
	if k.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	return tx.Commit()
}

// FindAPIKeyByHash returns ENOTFOUND for an unknown or revoked key.
func (s *APIKeyStore) FindAPIKeyByHash(ctx context.Context, keyHash string) (*app.APIKey, error) {
	k, err := scanAPIKey(s.db.read.QueryRowContext(ctx, `SELECT `+apiKeyColumns+` FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL`, keyHash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "API key not found.")
	} else if err != nil {
		return nil, fmt.Errorf("find api key: %w", err)
	}
	return k, nil
}

func (s *APIKeyStore) list(ctx context.Context, where string, args ...any) ([]*app.APIKey, error) {
	now := s.db.Now().UTC()
	today, from := now.Format("2006-01-02"), now.AddDate(0, 0, -29).Format("2006-01-02")
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+apiKeyColumns+apiKeyUsageColumns+` FROM api_keys WHERE `+where+` ORDER BY revoked_at IS NOT NULL, id DESC`,
		append([]any{today, from, from}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("find api keys: %w", err)
	}
	return scanAll(rows, func(r scanner) (*app.APIKey, error) { return scanAPIKey(r, true) })
}

// FindTenantAPIKeys lists the keys of the tenant in ctx.
func (s *APIKeyStore) FindTenantAPIKeys(ctx context.Context) ([]*app.APIKey, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	return s.list(ctx, `tenant_id = ?`, tid)
}

// FindAdminAPIKeys lists admin keys.
func (s *APIKeyStore) FindAdminAPIKeys(ctx context.Context) ([]*app.APIKey, error) {
	return s.list(ctx, `tenant_id IS NULL`)
}

func (s *APIKeyStore) revoke(ctx context.Context, where string, args ...any) error {
	tx, err := s.db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE api_keys SET revoked_at = ? WHERE revoked_at IS NULL AND `+where, append([]any{FormatTime(tx.now)}, args...)...)
	if err != nil {
		return fmt.Errorf("revoke api key: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return app.Errorf(app.ENOTFOUND, "API key not found.")
	}
	return tx.Commit()
}

// RevokeTenantAPIKey revokes a key of the tenant in ctx; another tenant's
// key, or a revoked one, is ENOTFOUND.
func (s *APIKeyStore) RevokeTenantAPIKey(ctx context.Context, id int64) error {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return err
	}
	return s.revoke(ctx, `id = ? AND tenant_id = ?`, id, tid)
}

// RevokeAdminAPIKey revokes an admin key. Returns ENOTFOUND.
func (s *APIKeyStore) RevokeAdminAPIKey(ctx context.Context, id int64) error {
	return s.revoke(ctx, `id = ? AND tenant_id IS NULL`, id)
}

// TouchAPIKey records a use.
func (s *APIKeyStore) TouchAPIKey(ctx context.Context, id int64, at time.Time) error {
	tx, err := s.db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `UPDATE api_keys SET last_used_at = ? WHERE id = ?`, FormatTime(at), id); err != nil {
		return err
	}
	return tx.Commit()
}

// AddAPIKeyUsage adds counted requests to the keys' daily counts, in one
// transaction. Counts of a key deleted meanwhile are dropped.
func (s *APIKeyStore) AddAPIKeyUsage(ctx context.Context, us []app.KeyUsage) error {
	tx, err := s.db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, u := range us {
		if _, err := tx.ExecContext(ctx, `INSERT INTO api_key_usage (key_id, day, requests, limited) SELECT id, ?, ?, ? FROM api_keys WHERE id = ?
			ON CONFLICT (key_id, day) DO UPDATE SET requests = requests + excluded.requests, limited = limited + excluded.limited`,
			u.Day, u.Requests, u.Limited, u.KeyID); err != nil {
			return fmt.Errorf("add api key usage: %w", err)
		}
	}
	return tx.Commit()
}

// SetAPIKeyRateLimit sets the rate limit of a live key of tenantID (0:
// an admin key). Returns ENOTFOUND.
func (s *APIKeyStore) SetAPIKeyRateLimit(ctx context.Context, id, tenantID int64, perMinute int) error {
	tx, err := s.db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	where, args := `id = ? AND tenant_id IS NULL`, []any{perMinute, id}
	if tenantID != 0 {
		where, args = `id = ? AND tenant_id = ?`, append(args, tenantID)
	}
	res, err := tx.ExecContext(ctx, `UPDATE api_keys SET rate_limit = ? WHERE revoked_at IS NULL AND `+where, args...)
	if err != nil {
		return fmt.Errorf("set api key rate limit: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return app.Errorf(app.ENOTFOUND, "API key not found.")
	}
	return tx.Commit()
}
