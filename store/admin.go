package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"orengen/app"
)

// AdminStore implements app.AdminStore.
type AdminStore struct{ db *DB }

var _ app.AdminStore = (*AdminStore)(nil)

// NewAdminStore returns an AdminStore on db.
func NewAdminStore(db *DB) *AdminStore { return &AdminStore{db: db} }

const adminColumns = `id, email, name, role, password_hash, created_at, updated_at, last_login_at`

func scanAdmin(row interface{ Scan(...any) error }) (*app.Admin, error) {
	var a app.Admin
	var last NullTime
	if err := row.Scan(&a.ID, &a.Email, &a.Name, &a.Role, &a.PasswordHash, Time{&a.CreatedAt}, Time{&a.UpdatedAt}, &last); err != nil {
		return nil, err
	}
	a.LastLoginAt = last.T
	return &a, nil
}

// CountAdmins returns how many admins exist.
func (s *AdminStore) CountAdmins(ctx context.Context) (int, error) {
	var n int
	err := s.db.read.QueryRowContext(ctx, `SELECT count(*) FROM admins`).Scan(&n)
	return n, err
}

// FindAdminByID returns ENOTFOUND if no admin has the ID.
func (s *AdminStore) FindAdminByID(ctx context.Context, id int64) (*app.Admin, error) {
	return s.findOne(ctx, `id = ?`, id)
}

// FindAdminByEmail returns ENOTFOUND if no admin has the email.
func (s *AdminStore) FindAdminByEmail(ctx context.Context, email string) (*app.Admin, error) {
	return s.findOne(ctx, `email = ?`, strings.ToLower(email))
}

func (s *AdminStore) findOne(ctx context.Context, where string, arg any) (*app.Admin, error) {
	a, err := scanAdmin(s.db.read.QueryRowContext(ctx, `SELECT `+adminColumns+` FROM admins WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Admin not found.")
	} else if err != nil {
		return nil, fmt.Errorf("find admin: %w", err)
	}
	return a, nil
}

// FindAdmins lists admins by email.
func (s *AdminStore) FindAdmins(ctx context.Context) ([]*app.Admin, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+adminColumns+` FROM admins ORDER BY email`)
	if err != nil {
		return nil, fmt.Errorf("find admins: %w", err)
	}
	return scanAll(rows, scanAdmin)
}

// CreateAdmin returns ECONFLICT if the email is taken.
func (s *AdminStore) CreateAdmin(ctx context.Context, a *app.Admin) error {
	return s.db.Update(ctx, func(tx *Tx) error { return createAdmin(ctx, tx, a) })
}

func createAdmin(ctx context.Context, tx *Tx, a *app.Admin) error {
	a.CreatedAt, a.UpdatedAt = tx.now, tx.now
	res, err := tx.ExecContext(ctx, `INSERT INTO admins (email, name, role, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
		a.Email, a.Name, a.Role, a.PasswordHash, FormatTime(tx.now), FormatTime(tx.now))
	if err != nil {
		return FormatError(err, "An admin with this email already exists.")
	}
	a.ID, err = res.LastInsertId()
	return err
}

// SetAdminPassword replaces the password hash.
func (s *AdminStore) SetAdminPassword(ctx context.Context, id int64, hash string) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE admins SET password_hash = ?, updated_at = ? WHERE id = ?`, hash, FormatTime(tx.now), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "Admin not found.")
		}
		return nil
	})
}

// TouchAdminLogin records a successful login.
func (s *AdminStore) TouchAdminLogin(ctx context.Context, id int64) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE admins SET last_login_at = ? WHERE id = ?`, FormatTime(tx.now), id)
		return err
	})
}

// CreateAdminToken stores a one-time token by its hash.
func (s *AdminStore) CreateAdminToken(ctx context.Context, t *app.AdminToken, tokenHash string) error {
	tx, err := s.db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var adminID any
	if t.AdminID != 0 {
		adminID = t.AdminID
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO admin_tokens (token_hash, purpose, admin_id, email, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		tokenHash, t.Purpose, adminID, t.Email, FormatTime(t.ExpiresAt), FormatTime(tx.now))
	if err != nil {
		return FormatError(err, "Token already exists.")
	}
	if t.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	return tx.Commit()
}

// FindAdminToken returns ENOTFOUND for an unknown, used or expired token.
func (s *AdminStore) FindAdminToken(ctx context.Context, tokenHash string) (*app.AdminToken, error) {
	return findAdminToken(ctx, s.db.read, tokenHash, FormatTime(s.db.Now()))
}

type queryer interface {
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

func findAdminToken(ctx context.Context, q queryer, tokenHash, now string) (*app.AdminToken, error) {
	var t app.AdminToken
	var adminID sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT id, purpose, admin_id, email, expires_at FROM admin_tokens
		WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?`, tokenHash, now).
		Scan(&t.ID, &t.Purpose, &adminID, &t.Email, Time{&t.ExpiresAt})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Link not found.")
	} else if err != nil {
		return nil, fmt.Errorf("find admin token: %w", err)
	}
	t.AdminID = adminID.Int64
	return &t, nil
}

// RedeemAdminToken marks the token used and creates the first owner or
// sets the token's admin's password, in one transaction.
func (s *AdminStore) RedeemAdminToken(ctx context.Context, tokenHash string, a *app.Admin) (*app.Admin, error) {
	tx, err := s.db.BeginTx(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	t, err := findAdminToken(ctx, tx, tokenHash, FormatTime(tx.now))
	if err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE admin_tokens SET used_at = ? WHERE id = ?`, FormatTime(tx.now), t.ID); err != nil {
		return nil, err
	}
	var out *app.Admin
	if t.AdminID == 0 {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM admins`).Scan(&n); err != nil {
			return nil, err
		}
		if n > 0 {
			return nil, app.Errorf(app.ECONFLICT, "An admin already exists; this setup link can no longer be used.")
		}
		a.Role = app.RoleOwner
		if err := createAdmin(ctx, tx, a); err != nil {
			return nil, err
		}
		out = a
	} else {
		if _, err := tx.ExecContext(ctx, `UPDATE admins SET password_hash = ?, updated_at = ? WHERE id = ?`, a.PasswordHash, FormatTime(tx.now), t.AdminID); err != nil {
			return nil, err
		}
		if out, err = scanAdmin(tx.QueryRowContext(ctx, `SELECT `+adminColumns+` FROM admins WHERE id = ?`, t.AdminID)); err != nil {
			return nil, fmt.Errorf("find admin: %w", err)
		}
	}
	return out, tx.Commit()
}
