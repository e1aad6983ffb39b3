package app

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Session is a server-side session. The cookie holds only its random ID.
type Session struct {
	ID        string
	AdminID   int64
	CreatedAt time.Time
	ExpiresAt time.Time
	IP        string
	UserAgent string
}

// SessionStore keeps sessions (in redka) with expiry.
type SessionStore interface {
	CreateSession(ctx context.Context, s *Session) error
	// FindSession returns ENOTFOUND for unknown or expired sessions.
	FindSession(ctx context.Context, id string) (*Session, error)
	DeleteSession(ctx context.Context, id string) error
}

// RateLimiter counts events in fixed windows.
type RateLimiter interface {
	// Hit counts one event for key and returns the count in the current
	// window and when the window ends.
	Hit(ctx context.Context, key string, window time.Duration) (count int, reset time.Time, err error)
	// Count returns the events counted for key in the current window.
	Count(ctx context.Context, key string) (count int, reset time.Time, err error)
	// Reset forgets key.
	Reset(ctx context.Context, key string) error
}

// RateLimitError is returned when a limit is hit; RetryAfter says when to
// try again (the ui answers 429 with Retry-After).
type RateLimitError struct {
	Err        *Error
	RetryAfter time.Duration
}

// Error implements error.
func (e *RateLimitError) Error() string { return e.Err.Error() }

// Unwrap lets errors.As find the *Error.
func (e *RateLimitError) Unwrap() error { return e.Err }

// Login limits: a window, and how many failed attempts it allows per IP and
// per account.
const (
	LoginWindow        = 15 * time.Minute
	LoginLimitPerIP    = 20
	LoginLimitPerEmail = 5
	SessionTTL         = 7 * 24 * time.Hour
	SetupTokenTTL      = 24 * time.Hour
)

// AuthService signs admins in and out and manages their one-time links.
type AuthService struct {
	Admins   AdminStore
	Sessions SessionStore
	Limiter  RateLimiter
	Logger   *slog.Logger
	Now      func() time.Time
}

func (s *AuthService) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// errBadLogin never says whether the account exists.
var errBadLogin = &Error{Code: EUNAUTHORIZED, Message: "Wrong email or password."}

// Login checks the credentials and, if they match, creates a session.
// Returns EUNAUTHORIZED for any wrong credential (the same message whether
// or not the account exists) and a *RateLimitError after too many failures.
func (s *AuthService) Login(ctx context.Context, email, password string) (*Session, *Admin, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	req := RequestFromContext(ctx)
	ipKey, emailKey := "login:ip:"+req.IP, "login:email:"+email
	for _, k := range []struct {
		key   string
		limit int
	}{{ipKey, LoginLimitPerIP}, {emailKey, LoginLimitPerEmail}} {
		n, reset, err := s.Limiter.Count(ctx, k.key)
		if err != nil {
			return nil, nil, fmt.Errorf("login rate limit: %w", err)
		}
		if n >= k.limit {
			return nil, nil, s.limited(reset)
		}
	}
	if email == "" || password == "" {
		return nil, nil, s.fail(ctx, ipKey, emailKey, email, "empty credentials")
	}
	a, err := s.Admins.FindAdminByEmail(ctx, email)
	if ErrorCode(err) == ENOTFOUND {
		_, _ = VerifyPassword(ctx, dummyHash, password) // same cost as a real check
		return nil, nil, s.fail(ctx, ipKey, emailKey, email, "unknown account")
	} else if err != nil {
		return nil, nil, err
	}
	ok, err := VerifyPassword(ctx, a.PasswordHash, password)
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		return nil, nil, s.fail(ctx, ipKey, emailKey, email, "wrong password")
	}
	_ = s.Limiter.Reset(ctx, emailKey)
	now := s.now()
	sess := &Session{ID: RandomToken(32), AdminID: a.ID, CreatedAt: now, ExpiresAt: now.Add(SessionTTL), IP: req.IP, UserAgent: req.UserAgent}
	if err := s.Sessions.CreateSession(ctx, sess); err != nil {
		return nil, nil, fmt.Errorf("create session: %w", err)
	}
	if err := s.Admins.TouchAdminLogin(ctx, a.ID); err != nil {
		return nil, nil, err
	}
	s.log().Info("admin login", "admin_id", a.ID, "ip", req.IP)
	return sess, a, nil
}

func (s *AuthService) fail(ctx context.Context, ipKey, emailKey, email, why string) error {
	for _, k := range []string{ipKey, emailKey} {
		if _, _, err := s.Limiter.Hit(ctx, k, LoginWindow); err != nil {
			return fmt.Errorf("login rate limit: %w", err)
		}
	}
	s.log().Warn("admin login failed", "reason", why, "ip", RequestFromContext(ctx).IP)
	return errBadLogin
}

func (s *AuthService) limited(reset time.Time) error {
	wait := reset.Sub(s.now()).Round(time.Second)
	if wait < time.Second {
		wait = time.Second
	}
	return &RateLimitError{
		Err:        Errorf(ETOOMANY, "Too many sign-in attempts. Try again in %s.", humanDuration(wait)),
		RetryAfter: wait,
	}
}

func humanDuration(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%d seconds", int(d.Seconds()))
	}
	m := int((d + time.Minute - 1) / time.Minute)
	if m == 1 {
		return "1 minute"
	}
	return fmt.Sprintf("%d minutes", m)
}

// Authenticate resolves a session ID to its admin. Returns EUNAUTHORIZED
// if the session is unknown or expired or its admin is gone.
func (s *AuthService) Authenticate(ctx context.Context, sessionID string) (*Session, *Admin, error) {
	if sessionID == "" {
		return nil, nil, Errorf(EUNAUTHORIZED, "Sign in to continue.")
	}
	sess, err := s.Sessions.FindSession(ctx, sessionID)
	if ErrorCode(err) == ENOTFOUND {
		return nil, nil, Errorf(EUNAUTHORIZED, "Sign in to continue.")
	} else if err != nil {
		return nil, nil, err
	}
	a, err := s.Admins.FindAdminByID(ctx, sess.AdminID)
	if ErrorCode(err) == ENOTFOUND {
		return nil, nil, Errorf(EUNAUTHORIZED, "Sign in to continue.")
	} else if err != nil {
		return nil, nil, err
	}
	return sess, a, nil
}

// Logout deletes the session.
func (s *AuthService) Logout(ctx context.Context, sessionID string) error {
	return s.Sessions.DeleteSession(ctx, sessionID)
}

// SetupToken returns a new one-time link token for the first owner, or
// ECONFLICT if an admin already exists.
func (s *AuthService) SetupToken(ctx context.Context) (string, error) {
	n, err := s.Admins.CountAdmins(ctx)
	if err != nil {
		return "", err
	}
	if n > 0 {
		return "", Errorf(ECONFLICT, "An admin already exists; sign in, or use `orengen user reset-password`.")
	}
	return s.newToken(ctx, &AdminToken{Purpose: TokenSetup})
}

// InviteAdmin creates an admin without a password and returns a one-time
// token with which they set it. Returns EINVALID or ECONFLICT.
func (s *AuthService) InviteAdmin(ctx context.Context, a *Admin) (string, error) {
	if err := a.Validate(); err != nil {
		return "", err
	}
	if err := s.Admins.CreateAdmin(ctx, a); err != nil {
		return "", err
	}
	return s.newToken(ctx, &AdminToken{Purpose: TokenSetup, AdminID: a.ID, Email: a.Email})
}

// ResetToken returns a one-time password-reset token for the admin with
// the email. Returns ENOTFOUND if there is none.
func (s *AuthService) ResetToken(ctx context.Context, email string) (string, error) {
	a, err := s.Admins.FindAdminByEmail(ctx, strings.ToLower(strings.TrimSpace(email)))
	if err != nil {
		return "", err
	}
	return s.newToken(ctx, &AdminToken{Purpose: TokenReset, AdminID: a.ID, Email: a.Email})
}

// SetPassword sets the password of the admin with the email (the CLI's
// reset-password --password-stdin). Returns ENOTFOUND or EINVALID.
func (s *AuthService) SetPassword(ctx context.Context, email, password string) (*Admin, error) {
	a, err := s.Admins.FindAdminByEmail(ctx, email)
	if err != nil {
		return nil, err
	}
	hash, err := HashPassword(ctx, password)
	if err != nil {
		return nil, err
	}
	if err := s.Admins.SetAdminPassword(ctx, a.ID, hash); err != nil {
		return nil, err
	}
	return a, nil
}

// ListAdmins lists the Nexus admins by email.
func (s *AuthService) ListAdmins(ctx context.Context) ([]*Admin, error) {
	return s.Admins.FindAdmins(ctx)
}

// OwnerEmail is where notifications without a recipient go: the first
// owner's email, else the first admin's ("" when there is no admin or the
// store cannot be read).
func (s *AuthService) OwnerEmail(ctx context.Context) string {
	as, err := s.Admins.FindAdmins(ctx)
	if err != nil {
		return ""
	}
	for _, a := range as {
		if a.Role == RoleOwner {
			return a.Email
		}
	}
	if len(as) > 0 {
		return as[0].Email
	}
	return ""
}

func (s *AuthService) newToken(ctx context.Context, t *AdminToken) (string, error) {
	tok := RandomToken(32)
	t.ExpiresAt = s.now().Add(SetupTokenTTL)
	if err := s.Admins.CreateAdminToken(ctx, t, HashToken(tok)); err != nil {
		return "", err
	}
	return tok, nil
}

// CheckToken returns the token's record, or ENOTFOUND with a message that
// says what to do when the link is unknown, used or expired.
func (s *AuthService) CheckToken(ctx context.Context, token string) (*AdminToken, error) {
	t, err := s.Admins.FindAdminToken(ctx, HashToken(token))
	if ErrorCode(err) == ENOTFOUND {
		return nil, Errorf(ENOTFOUND, "This link is invalid, expired or already used. Ask for a new one with `orengen user setup-link` or `orengen user reset-password`.")
	}
	return t, err
}

// RedeemToken sets the password through a one-time link. For the first
// owner's link it also creates the account from email and name.
func (s *AuthService) RedeemToken(ctx context.Context, token, email, name, password string) (*Admin, error) {
	t, err := s.CheckToken(ctx, token)
	if err != nil {
		return nil, err
	}
	hash, err := HashPassword(ctx, password)
	if err != nil {
		return nil, err
	}
	a := &Admin{Email: email, Name: name, Role: RoleOwner, PasswordHash: hash}
	if t.AdminID == 0 {
		if err := a.Validate(); err != nil {
			return nil, err
		}
	}
	a, err = s.Admins.RedeemAdminToken(ctx, HashToken(token), a)
	if ErrorCode(err) == ENOTFOUND {
		return nil, Errorf(ENOTFOUND, "This link is invalid, expired or already used.")
	}
	if err == nil {
		s.log().Info("admin password set through one-time link", "admin_id", a.ID, "purpose", t.Purpose)
	}
	return a, err
}

func (s *AuthService) log() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}
