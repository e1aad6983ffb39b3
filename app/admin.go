package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/mail"
	"strings"
	"time"
)

// Admin roles.
const (
	RoleOwner = "owner"
	RoleStaff = "staff"
)

// Admin is a Nexus administrator account.
type Admin struct {
	ID           int64
	Email        string
	Name         string
	Role         string
	PasswordHash string // empty until the account's link is used
	CreatedAt    time.Time
	UpdatedAt    time.Time
	LastLoginAt  *time.Time
}

// Validate checks an admin's fields before they are stored.
func (a *Admin) Validate() error {
	a.Email = strings.ToLower(strings.TrimSpace(a.Email))
	a.Name = strings.TrimSpace(a.Name)
	if err := ValidateEmail("email", a.Email); err != nil {
		return err
	}
	if len(a.Name) > 200 {
		return FieldErrorf("name", "Name must be at most 200 characters.")
	}
	if a.Role != RoleOwner && a.Role != RoleStaff {
		return FieldErrorf("role", "Role must be owner or staff.")
	}
	return nil
}

// ValidateEmail checks an address is a plain address (no display name).
func ValidateEmail(field, email string) error {
	if email == "" {
		return FieldErrorf(field, "Email required.")
	}
	if len(email) > 254 {
		return FieldErrorf(field, "Email must be at most 254 characters.")
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || !strings.Contains(email[strings.LastIndexByte(email, '@')+1:], ".") && !strings.HasSuffix(email, "@localhost") {
		return FieldErrorf(field, "Enter a valid email address, like name@example.com.")
	}
	return nil
}

// Admin token purposes.
const (
	TokenSetup = "setup" // first owner, or an admin created from the CLI
	TokenReset = "reset" // password reset
)

// AdminToken is a one-time link that lets its holder set a password.
type AdminToken struct {
	ID        int64
	Purpose   string
	AdminID   int64 // 0 for the first-owner setup token
	Email     string
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// HashToken returns the stored form of a one-time token: only its SHA-256
// is kept, so a database copy cannot be used to sign in.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// AdminStore persists admins and their one-time tokens.
type AdminStore interface {
	// CountAdmins returns how many admins exist.
	CountAdmins(ctx context.Context) (int, error)
	// FindAdminByID returns ENOTFOUND if no admin has the ID.
	FindAdminByID(ctx context.Context, id int64) (*Admin, error)
	// FindAdminByEmail returns ENOTFOUND if no admin has the email.
	FindAdminByEmail(ctx context.Context, email string) (*Admin, error)
	// FindAdmins lists admins by email.
	FindAdmins(ctx context.Context) ([]*Admin, error)
	// CreateAdmin returns ECONFLICT if the email is taken.
	CreateAdmin(ctx context.Context, a *Admin) error
	// SetAdminPassword replaces the password hash.
	SetAdminPassword(ctx context.Context, id int64, hash string) error
	// TouchAdminLogin records a successful login.
	TouchAdminLogin(ctx context.Context, id int64) error
	// CreateAdminToken stores a one-time token by its hash.
	CreateAdminToken(ctx context.Context, t *AdminToken, tokenHash string) error
	// FindAdminToken returns ENOTFOUND for an unknown, used or expired token.
	FindAdminToken(ctx context.Context, tokenHash string) (*AdminToken, error)
	// RedeemAdminToken marks the token used and, in the same transaction,
	// creates the first owner (setup, AdminID 0) or sets the password of the
	// token's admin. Returns ENOTFOUND if the token is no longer valid and
	// ECONFLICT if a first-owner token is redeemed after an admin exists.
	RedeemAdminToken(ctx context.Context, tokenHash string, a *Admin) (*Admin, error)
}
