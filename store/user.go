package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/nalgeon/redka"

	"orengen/app"
)

// UserStore implements app.UserStore (tenant users).
type UserStore struct{ db *DB }

var _ app.UserStore = (*UserStore)(nil)

// NewUserStore returns a UserStore on db.
func NewUserStore(db *DB) *UserStore { return &UserStore{db: db} }

const userColumns = `id, tenant_id, email, name, role, password_hash, totp_secret, created_at, updated_at, last_login_at`

func scanUser(row interface{ Scan(...any) error }) (*app.User, error) {
	var u app.User
	var last NullTime
	if err := row.Scan(&u.ID, &u.TenantID, &u.Email, &u.Name, &u.Role, &u.PasswordHash, &u.TOTPSealed, Time{&u.CreatedAt}, Time{&u.UpdatedAt}, &last); err != nil {
		return nil, err
	}
	u.LastLoginAt = last.T
	return &u, nil
}

func findUser(ctx context.Context, q queryer, where string, args ...any) (*app.User, error) {
	u, err := scanUser(q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM tenant_users WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "User not found.")
	} else if err != nil {
		return nil, fmt.Errorf("find user: %w", err)
	}
	return u, nil
}

// FindUserByEmail looks across tenants (sign-in only). Returns ENOTFOUND.
func (s *UserStore) FindUserByEmail(ctx context.Context, email string) (*app.User, error) {
	return findUser(ctx, s.db.read, `email = ?`, strings.ToLower(email))
}

// FindUserByID is unscoped (session resolution only). Returns ENOTFOUND.
func (s *UserStore) FindUserByID(ctx context.Context, id int64) (*app.User, error) {
	return findUser(ctx, s.db.read, `id = ?`, id)
}

// FindTenantUsers lists the users of the tenant in ctx by email.
func (s *UserStore) FindTenantUsers(ctx context.Context) ([]*app.User, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+userColumns+` FROM tenant_users WHERE tenant_id = ? ORDER BY email`, tid)
	if err != nil {
		return nil, fmt.Errorf("find users: %w", err)
	}
	return scanAll(rows, scanUser)
}

// FindTenantUser returns ENOTFOUND for an unknown user or another tenant's.
func (s *UserStore) FindTenantUser(ctx context.Context, id int64) (*app.User, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	return findUser(ctx, s.db.read, `id = ? AND tenant_id = ?`, id, tid)
}

// CreateTenantUser inserts u into the tenant of ctx. Returns ECONFLICT if
// the email has an account.
func (s *UserStore) CreateTenantUser(ctx context.Context, u *app.User) error {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return err
	}
	if err := u.Validate(); err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	u.TenantID, u.CreatedAt, u.UpdatedAt = tid, tx.now, tx.now
	res, err := tx.ExecContext(ctx, `INSERT INTO tenant_users (tenant_id, email, name, role, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		tid, u.Email, u.Name, u.Role, u.PasswordHash, FormatTime(tx.now), FormatTime(tx.now))
	if err != nil {
		return FormatError(err, "A user with this email already exists.")
	}
	if u.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	return tx.Commit()
}

func (s *UserStore) execTenant(ctx context.Context, what, q string, args ...any) error {
	tid, tx, err := s.db.tenantTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, q, append(args, tid)...)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return app.Errorf(app.ENOTFOUND, "User not found.")
	}
	return tx.Commit()
}

// UpdateTenantUserRole returns ENOTFOUND for another tenant's user.
func (s *UserStore) UpdateTenantUserRole(ctx context.Context, id int64, role string) error {
	return s.execTenant(ctx, "update user role", `UPDATE tenant_users SET role = ?, updated_at = ? WHERE id = ? AND tenant_id = ?`, role, FormatTime(s.db.Now()), id)
}

// DeleteTenantUser returns ENOTFOUND for another tenant's user.
func (s *UserStore) DeleteTenantUser(ctx context.Context, id int64) error {
	return s.execTenant(ctx, "delete user", `DELETE FROM tenant_users WHERE id = ? AND tenant_id = ?`, id)
}

func (s *UserStore) execByID(ctx context.Context, what, q string, args ...any) error {
	tx, err := s.db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return app.Errorf(app.ENOTFOUND, "User not found.")
	}
	return tx.Commit()
}

// SetUserPassword replaces the password hash.
func (s *UserStore) SetUserPassword(ctx context.Context, id int64, hash string) error {
	return s.execByID(ctx, "set password", `UPDATE tenant_users SET password_hash = ?, updated_at = ? WHERE id = ?`, hash, FormatTime(s.db.Now()), id)
}

// SetUserTOTP stores the sealed two-factor secret (nil turns it off).
func (s *UserStore) SetUserTOTP(ctx context.Context, id int64, sealed []byte) error {
	var v any
	if len(sealed) > 0 {
		v = sealed
	}
	return s.execByID(ctx, "set two-factor", `UPDATE tenant_users SET totp_secret = ?, updated_at = ? WHERE id = ?`, v, FormatTime(s.db.Now()), id)
}

// TouchUserLogin records a successful sign-in.
func (s *UserStore) TouchUserLogin(ctx context.Context, id int64) error {
	return s.execByID(ctx, "touch login", `UPDATE tenant_users SET last_login_at = ? WHERE id = ?`, FormatTime(s.db.Now()), id)
}

// CreateUserToken stores a one-time link token by its hash.
func (s *UserStore) CreateUserToken(ctx context.Context, t *app.UserToken, tokenHash string) error {
	tx, err := s.db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT INTO user_tokens (token_hash, purpose, user_id, tenant_id, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		tokenHash, t.Purpose, t.UserID, t.TenantID, FormatTime(t.ExpiresAt), FormatTime(tx.now))
	if err != nil {
		return FormatError(err, "Token already exists.")
	}
	if t.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	return tx.Commit()
}

func findUserToken(ctx context.Context, q queryer, tokenHash, now string) (*app.UserToken, error) {
	var t app.UserToken
	err := q.QueryRowContext(ctx, `SELECT id, purpose, user_id, tenant_id, expires_at FROM user_tokens
		WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?`, tokenHash, now).
		Scan(&t.ID, &t.Purpose, &t.UserID, &t.TenantID, Time{&t.ExpiresAt})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Link not found.")
	} else if err != nil {
		return nil, fmt.Errorf("find user token: %w", err)
	}
	return &t, nil
}

// FindUserToken returns ENOTFOUND for an unknown, used or expired token.
func (s *UserStore) FindUserToken(ctx context.Context, tokenHash string) (*app.UserToken, error) {
	return findUserToken(ctx, s.db.read, tokenHash, FormatTime(s.db.Now()))
}

// RedeemUserToken marks the token used and sets the password (and name),
// in one transaction, so a link works exactly once.
func (s *UserStore) RedeemUserToken(ctx context.Context, tokenHash, passwordHash, name string) (*app.User, error) {
	tx, err := s.db.BeginTx(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	t, err := findUserToken(ctx, tx, tokenHash, FormatTime(tx.now))
	if err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE user_tokens SET used_at = ? WHERE id = ?`, FormatTime(tx.now), t.ID); err != nil {
		return nil, err
	}
	if name != "" {
		if _, err := tx.ExecContext(ctx, `UPDATE tenant_users SET name = ? WHERE id = ?`, name, t.UserID); err != nil {
			return nil, err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE tenant_users SET password_hash = ?, updated_at = ? WHERE id = ?`, passwordHash, FormatTime(tx.now), t.UserID); err != nil {
		return nil, err
	}
	u, err := findUser(ctx, tx, `id = ?`, t.UserID)
	if err != nil {
		return nil, err
	}
	return u, tx.Commit()
}

// PortalSessionStore implements app.PortalSessionStore on redka: each
// session is a string with expiry under its hash, and each user has a
// hash of their session keys so they can list and revoke them.
type PortalSessionStore struct{ kv *KV }

var _ app.PortalSessionStore = (*PortalSessionStore)(nil)

// NewPortalSessionStore returns a PortalSessionStore on kv.
func NewPortalSessionStore(kv *KV) *PortalSessionStore { return &PortalSessionStore{kv: kv} }

type portalSessionRecord struct {
	UserID    int64     `json:"user_id"`
	TenantID  int64     `json:"tenant_id"`
	Pending   bool      `json:"pending,omitempty"`
	Attempts  int       `json:"attempts,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	IP        string    `json:"ip"`
	UserAgent string    `json:"user_agent"`
}

func psKey(key string) string     { return "psession:" + key }
func psIndex(userID int64) string { return "psessions:" + strconv.FormatInt(userID, 10) }
func recordOf(s *app.PortalSession) portalSessionRecord {
	return portalSessionRecord{s.UserID, s.TenantID, s.Pending, s.Attempts, s.CreatedAt, s.ExpiresAt, s.IP, s.UserAgent}
}

func (st *PortalSessionStore) put(tx *redka.Tx, s *app.PortalSession) error {
	b, err := json.Marshal(recordOf(s))
	if err != nil {
		return err
	}
	ttl := s.ExpiresAt.Sub(st.kv.Now())
	if ttl <= 0 {
		return app.Errorf(app.EINVALID, "Session already expired.")
	}
	if err := tx.Str().SetExpire(psKey(s.Key), b, ttl); err != nil {
		return err
	}
	_, err = tx.Hash().Set(psIndex(s.UserID), s.Key, s.ExpiresAt.UTC().Format(time.RFC3339))
	return err
}

// CreatePortalSession stores s (by the hash of its ID) until it expires.
func (st *PortalSessionStore) CreatePortalSession(ctx context.Context, s *app.PortalSession) error {
	s.Key = app.HashToken(s.ID)
	return st.kv.rdb.UpdateContext(ctx, func(tx *redka.Tx) error { return st.put(tx, s) })
}

// UpdatePortalSession rewrites s (pending state, attempts).
func (st *PortalSessionStore) UpdatePortalSession(ctx context.Context, s *app.PortalSession) error {
	if s.Key == "" {
		s.Key = app.HashToken(s.ID)
	}
	return st.kv.rdb.UpdateContext(ctx, func(tx *redka.Tx) error { return st.put(tx, s) })
}

func (st *PortalSessionStore) load(key string) (*app.PortalSession, error) {
	v, err := st.kv.rdb.Str().Get(psKey(key))
	if errors.Is(err, redka.ErrNotFound) {
		return nil, app.Errorf(app.ENOTFOUND, "Session not found.")
	} else if err != nil {
		return nil, fmt.Errorf("find session: %w", err)
	}
	var r portalSessionRecord
	if err := json.Unmarshal(v.Bytes(), &r); err != nil {
		return nil, fmt.Errorf("decode session: %w", err)
	}
	if !r.ExpiresAt.After(st.kv.Now()) {
		return nil, app.Errorf(app.ENOTFOUND, "Session not found.")
	}
	return &app.PortalSession{Key: key, UserID: r.UserID, TenantID: r.TenantID, Pending: r.Pending, Attempts: r.Attempts,
		CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt, IP: r.IP, UserAgent: r.UserAgent}, nil
}

// FindPortalSession returns ENOTFOUND for unknown or expired sessions.
func (st *PortalSessionStore) FindPortalSession(ctx context.Context, id string) (*app.PortalSession, error) {
	s, err := st.load(app.HashToken(id))
	if err != nil {
		return nil, err
	}
	s.ID = id
	return s, nil
}

// DeletePortalSession forgets the session.
func (st *PortalSessionStore) DeletePortalSession(ctx context.Context, id string) error {
	key := app.HashToken(id)
	s, err := st.load(key)
	if app.ErrorCode(err) == app.ENOTFOUND {
		return nil
	} else if err != nil {
		return err
	}
	return st.delete(ctx, s.UserID, key)
}

func (st *PortalSessionStore) delete(ctx context.Context, userID int64, keys ...string) error {
	return st.kv.rdb.UpdateContext(ctx, func(tx *redka.Tx) error {
		for _, k := range keys {
			if _, err := tx.Key().Delete(psKey(k)); err != nil {
				return err
			}
			if _, err := tx.Hash().Delete(psIndex(userID), k); err != nil {
				return err
			}
		}
		return nil
	})
}

// FindUserSessions lists the user's live sessions, newest first, and
// drops index entries of expired ones.
func (st *PortalSessionStore) FindUserSessions(ctx context.Context, userID int64) ([]*app.PortalSession, error) {
	items, err := st.kv.rdb.Hash().Items(psIndex(userID))
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	var out []*app.PortalSession
	var stale []string
	for key := range items {
		s, err := st.load(key)
		if app.ErrorCode(err) == app.ENOTFOUND {
			stale = append(stale, key)
			continue
		} else if err != nil {
			return nil, err
		}
		if s.UserID != userID {
			continue
		}
		out = append(out, s)
	}
	if len(stale) > 0 {
		_ = st.delete(ctx, userID, stale...)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out, nil
}

// DeleteUserSession revokes one of the user's sessions. Returns ENOTFOUND
// if key is not one of theirs.
func (st *PortalSessionStore) DeleteUserSession(ctx context.Context, userID int64, key string) error {
	s, err := st.load(key)
	if err != nil {
		return err
	}
	if s.UserID != userID {
		return app.Errorf(app.ENOTFOUND, "Session not found.")
	}
	return st.delete(ctx, userID, key)
}

// DeleteUserSessions ends every session of the user.
func (st *PortalSessionStore) DeleteUserSessions(ctx context.Context, userID int64) error {
	items, err := st.kv.rdb.Hash().Items(psIndex(userID))
	if err != nil {
		return fmt.Errorf("list sessions: %w", err)
	}
	keys := make([]string, 0, len(items))
	for k := range items {
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil
	}
	return st.delete(ctx, userID, keys...)
}

// AdminTOTPStore implements app.AdminTOTPStore on the admins table and a
// "security" site setting.
type AdminTOTPStore struct{ db *DB }

var _ app.AdminTOTPStore = (*AdminTOTPStore)(nil)

// NewAdminTOTPStore returns an AdminTOTPStore on db.
func NewAdminTOTPStore(db *DB) *AdminTOTPStore { return &AdminTOTPStore{db: db} }

// FindAdminTOTP returns the sealed secret or nil. Returns ENOTFOUND.
func (s *AdminTOTPStore) FindAdminTOTP(ctx context.Context, adminID int64) ([]byte, error) {
	var b []byte
	err := s.db.read.QueryRowContext(ctx, `SELECT totp_secret FROM admins WHERE id = ?`, adminID).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Admin not found.")
	}
	return b, err
}

// SetAdminTOTP stores the sealed secret (nil: off). Returns ENOTFOUND.
func (s *AdminTOTPStore) SetAdminTOTP(ctx context.Context, adminID int64, sealed []byte) error {
	var v any
	if len(sealed) > 0 {
		v = sealed
	}
	tx, err := s.db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE admins SET totp_secret = ?, updated_at = ? WHERE id = ?`, v, FormatTime(tx.now), adminID)
	if err != nil {
		return fmt.Errorf("set admin two-factor: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return app.Errorf(app.ENOTFOUND, "Admin not found.")
	}
	return tx.Commit()
}

type securitySettings struct {
	RequireOwnerTOTP bool `json:"require_owner_totp"`
}

// RequireOwnerTOTP reports the owners' two-factor policy (off by default).
func (s *AdminTOTPStore) RequireOwnerTOTP(ctx context.Context) (bool, error) {
	var v string
	err := s.db.read.QueryRowContext(ctx, `SELECT value FROM site_settings WHERE key = 'security'`).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	var st securitySettings
	if err := json.Unmarshal([]byte(v), &st); err != nil {
		return false, fmt.Errorf("security settings: %w", err)
	}
	return st.RequireOwnerTOTP, nil
}

// SetRequireOwnerTOTP switches the policy.
func (s *AdminTOTPStore) SetRequireOwnerTOTP(ctx context.Context, on bool) error {
	tx, err := s.db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := saveSetting(ctx, tx, "security", securitySettings{RequireOwnerTOTP: on}); err != nil {
		return err
	}
	return tx.Commit()
}

// AdminSessionStore is the Nexus SessionStore with a per-admin index in
// redka, so admins can list and revoke their own sessions. It stores
// sessions exactly as SessionStore does (same keys and records).
type AdminSessionStore struct {
	*SessionStore
}

var (
	_ app.SessionStore       = (*AdminSessionStore)(nil)
	_ app.AdminSessionLister = (*AdminSessionStore)(nil)
)

// NewAdminSessionStore returns an AdminSessionStore on kv.
func NewAdminSessionStore(kv *KV) *AdminSessionStore {
	return &AdminSessionStore{SessionStore: NewSessionStore(kv)}
}

func asIndex(adminID int64) string { return "asessions:" + strconv.FormatInt(adminID, 10) }

// CreateSession stores the session and indexes it under its admin.
func (s *AdminSessionStore) CreateSession(ctx context.Context, sess *app.Session) error {
	if err := s.SessionStore.CreateSession(ctx, sess); err != nil {
		return err
	}
	_, err := s.kv.rdb.Hash().Set(asIndex(sess.AdminID), app.HashToken(sess.ID), sess.ExpiresAt.UTC().Format(time.RFC3339))
	return err
}

// DeleteSession forgets the session and its index entry.
func (s *AdminSessionStore) DeleteSession(ctx context.Context, id string) error {
	if sess, err := s.SessionStore.FindSession(ctx, id); err == nil {
		if _, err := s.kv.rdb.Hash().Delete(asIndex(sess.AdminID), app.HashToken(id)); err != nil {
			return err
		}
	}
	return s.SessionStore.DeleteSession(ctx, id)
}

func (s *AdminSessionStore) loadByKey(key string) (*app.Session, error) {
	v, err := s.kv.rdb.Str().Get("session:" + key)
	if errors.Is(err, redka.ErrNotFound) {
		return nil, app.Errorf(app.ENOTFOUND, "Session not found.")
	} else if err != nil {
		return nil, fmt.Errorf("find session: %w", err)
	}
	var r sessionRecord
	if err := json.Unmarshal(v.Bytes(), &r); err != nil {
		return nil, fmt.Errorf("decode session: %w", err)
	}
	if !r.ExpiresAt.After(s.kv.Now()) {
		return nil, app.Errorf(app.ENOTFOUND, "Session not found.")
	}
	return &app.Session{AdminID: r.AdminID, CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt, IP: r.IP, UserAgent: r.UserAgent}, nil
}

// FindAdminSessions lists the admin's live sessions newest first, keyed
// by the hash of their IDs (a listing never holds a usable ID).
func (s *AdminSessionStore) FindAdminSessions(ctx context.Context, adminID int64) ([]*app.AdminSessionInfo, error) {
	items, err := s.kv.rdb.Hash().Items(asIndex(adminID))
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	var out []*app.AdminSessionInfo
	for key := range items {
		sess, err := s.loadByKey(key)
		if app.ErrorCode(err) == app.ENOTFOUND {
			_, _ = s.kv.rdb.Hash().Delete(asIndex(adminID), key)
			continue
		} else if err != nil {
			return nil, err
		}
		if sess.AdminID == adminID {
			out = append(out, &app.AdminSessionInfo{Key: key, Session: *sess})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out, nil
}

// DeleteAdminSession revokes one of the admin's sessions by key. Returns
// ENOTFOUND if the key is not one of theirs.
func (s *AdminSessionStore) DeleteAdminSession(ctx context.Context, adminID int64, key string) error {
	sess, err := s.loadByKey(key)
	if err != nil {
		return err
	}
	if sess.AdminID != adminID {
		return app.Errorf(app.ENOTFOUND, "Session not found.")
	}
	return s.kv.rdb.UpdateContext(ctx, func(tx *redka.Tx) error {
		if _, err := tx.Key().Delete("session:" + key); err != nil {
			return err
		}
		_, err := tx.Hash().Delete(asIndex(adminID), key)
		return err
	})
}
