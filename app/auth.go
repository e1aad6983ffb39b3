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

// Login limits: the window of the per-IP count, and how many failed
// attempts an IP (from browsers not trusted by the account) or an account
// (before it is slowed down) takes. See LoginGuard.
const (
	LoginWindow        = 15 * time.Minute
	LoginLimitPerIP    = 20
	LoginLimitPerEmail = LoginFreeFailures
	SessionTTL         = 7 * 24 * time.Hour
	SetupTokenTTL      = 24 * time.Hour
)

// AdminSecondFactor is what sign-in needs of admin two-factor codes
// (AdminTOTPService).
type AdminSecondFactor interface {
	Enabled(ctx context.Context, adminID int64) (bool, error)
	Check(ctx context.Context, a *Admin, code string) (bool, error)
}

// AuthService signs admins in and out and manages their one-time links.
type AuthService struct {
	Admins   AdminStore
	Sessions SessionStore
	Limiter  RateLimiter
	// Guard throttles sign-ins (nil: a guard on Limiter that trusts no
	// browser).
	Guard *LoginGuard
	// TOTP checks a code sent with the password while sign-ins are slowed
	// down (nil: that way in is closed).
	TOTP AdminSecondFactor
	// Mailer and Audit tell an admin whose sign-ins get slowed down (nil:
	// not mailed / not recorded).
	Mailer Mailer
	Audit  *AuditService
	Logger *slog.Logger
	Now    func() time.Time
}

func (s *AuthService) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *AuthService) guard() *LoginGuard {
	if s.Guard == nil {
		s.Guard = &LoginGuard{Limiter: s.Limiter, Scope: "admin", Now: s.Now}
	}
	return s.Guard
}

// errBadLogin never says whether the account exists.
var errBadLogin = &Error{Code: EUNAUTHORIZED, Message: "Wrong email or password."}

// Credentials are one sign-in attempt.
type Credentials struct {
	Email, Password string
	// Code is a two-factor code sent with the password: the way in while
	// sign-ins to the account are slowed down.
	Code string
	// Device is the device token the browser holds ("" for none).
	Device string
}

// SignIn is a successful sign-in.
type SignIn struct {
	Session *Session
	Admin   *Admin
	// Device is a new device token for the browser: it makes the browser
	// trusted for the account (LoginGuard).
	Device string
	// SecondFactorDone says Credentials.Code was checked: no code step.
	SecondFactorDone bool
}

// Login checks the credentials and, if they match, creates a session.
// Returns EUNAUTHORIZED for any wrong credential (the same message whether
// or not the account exists) and a *RateLimitError while sign-ins are
// slowed down (see SignIn).
func (s *AuthService) Login(ctx context.Context, email, password string) (*Session, *Admin, error) {
	in, err := s.SignIn(ctx, Credentials{Email: email, Password: password})
	if err != nil {
		return nil, nil, err
	}
	return in.Session, in.Admin, nil
}

// SignIn checks credentials under the LoginGuard. From a browser the
// account does not trust, after LoginFreeFailures failures each attempt
// waits (a *RateLimitError) unless it brings the right password together
// with the right two-factor code; a trusted browser is never slowed down
// by others' failures. The failure that starts the slow-down emails the
// admin and is written in the audit log.
func (s *AuthService) SignIn(ctx context.Context, c Credentials) (*SignIn, error) {
	email := strings.ToLower(strings.TrimSpace(c.Email))
	req := RequestFromContext(ctx)
	g := s.guard()
	at := LoginAttempt{Email: email, IP: req.IP, Device: c.Device}
	gate, err := g.Check(ctx, at)
	if err != nil {
		return nil, err
	}
	refusal := error(errBadLogin)
	if gate.Slowed != nil {
		// Only the password with a second factor gets through; every
		// refusal then reads the same, so the slowed attempts tell
		// nothing about the password.
		if strings.TrimSpace(c.Code) == "" {
			return nil, gate.Slowed
		}
		if err := g.SecondFactorTry(ctx, at); err != nil {
			return nil, err
		}
		refusal = gate.Slowed
	}
	fail := func(why string, a *Admin) error {
		first, err := g.Failed(ctx, at, gate)
		if err != nil {
			return err
		}
		s.log().Warn("admin login failed", "reason", why, "ip", req.IP)
		if first {
			s.alertSlowed(ctx, email, req.IP, a)
		}
		return refusal
	}
	if email == "" || c.Password == "" || len(email) > 254 || len(c.Password) > 1024 {
		return nil, fail("empty or oversized credentials", nil)
	}
	a, err := s.Admins.FindAdminByEmail(ctx, email)
	if ErrorCode(err) == ENOTFOUND {
		_, _ = VerifyPassword(ctx, dummyHash, c.Password) // same cost as a real check
		return nil, fail("unknown account", nil)
	} else if err != nil {
		return nil, err
	}
	ok, err := VerifyPassword(ctx, a.PasswordHash, c.Password)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fail("wrong password", a)
	}
	done := false
	if gate.Slowed != nil {
		on := false
		if s.TOTP != nil {
			if on, err = s.TOTP.Enabled(ctx, a.ID); err != nil {
				return nil, err
			}
		}
		if !on {
			return nil, fail("sign-ins slowed down and no second factor", a)
		}
		good, err := s.TOTP.Check(ctx, a, c.Code)
		if err != nil {
			return nil, err
		}
		if !good {
			return nil, fail("wrong two-factor code with the password", a)
		}
		done = true
	}
	device, err := g.Succeeded(ctx, at, gate)
	if err != nil {
		return nil, err
	}
	sess, err := s.StartSession(ctx, a)
	if err != nil {
		return nil, err
	}
	s.log().Info("admin login", "admin_id", a.ID, "ip", req.IP, "trusted_browser", gate.Trusted)
	return &SignIn{Session: sess, Admin: a, Device: device, SecondFactorDone: done}, nil
}

// StartSession signs a in: a new session from the request in ctx, and
// the admin's last sign-in time. SignIn calls it after the password; the
// two-factor step calls it after the code.
func (s *AuthService) StartSession(ctx context.Context, a *Admin) (*Session, error) {
	req := RequestFromContext(ctx)
	now := s.now()
	sess := &Session{ID: RandomToken(32), AdminID: a.ID, CreatedAt: now, ExpiresAt: now.Add(SessionTTL), IP: req.IP, UserAgent: req.UserAgent}
	if err := s.Sessions.CreateSession(ctx, sess); err != nil {
		return nil, fmt.Errorf("create session: %w", err)
	}
	if err := s.Admins.TouchAdminLogin(ctx, a.ID); err != nil {
		return nil, err
	}
	return sess, nil
}

// CodeFailed counts a wrong two-factor code at the code step (after a
// right password) as a failed sign-in of the account.
func (s *AuthService) CodeFailed(ctx context.Context, a *Admin, device string) error {
	at := LoginAttempt{Email: a.Email, IP: RequestFromContext(ctx).IP, Device: device}
	gate, err := s.guard().Check(ctx, at)
	if err != nil {
		return err
	}
	first, err := s.guard().Failed(ctx, at, gate)
	if err == nil && first {
		s.alertSlowed(ctx, a.Email, at.IP, a)
	}
	return err
}

// alertSlowed tells the admin (when the account exists) that sign-ins to
// it are slowed down, and records it in the audit log.
func (s *AuthService) alertSlowed(ctx context.Context, email, ip string, a *Admin) {
	if s.Audit != nil {
		e := &AuditEntry{ActorKind: ActorAnonymous, Actor: email, Action: "login.slowed", Target: "nexus",
			Detail: fmt.Sprintf("%d failed sign-ins; the last from %s", LoginFreeFailures, ip)}
		if a != nil {
			e.ActorKind, e.ActorID = ActorAdmin, a.ID
		}
		s.Audit.RecordAs(ctx, e)
	}
	if a == nil || s.Mailer == nil {
		return
	}
	msg := &Message{To: a.Email, Subject: "Failed sign-ins to your Nexus account",
		Text: slowedAlertText("your Nexus admin account", ip)}
	if err := s.Mailer.Send(context.WithoutCancel(ctx), msg); err != nil {
		s.log().Error("login alert email", "admin_id", a.ID, "err", err)
	}
}

// slowedAlertText is the email body telling an account's owner about
// failed sign-ins.
func slowedAlertText(account, ip string) string {
	return fmt.Sprintf(`There were %d failed attempts to sign in to %s; the last came from %s.

Sign-ins from browsers you have not used before now wait a little longer after each failure. You can still sign in from a browser you have used before, or with your password and your two-factor code.

If this was not you, change your password (which also clears the slow-down) and turn on two-factor sign-in if it is off.
`, LoginFreeFailures, account, ip)
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
	// A new password ends the slow-down of the account.
	if err := s.guard().Reset(ctx, a.Email); err != nil {
		return nil, err
	}
	return a, nil
}

// CountAdmins returns how many Nexus admins exist.
func (s *AuthService) CountAdmins(ctx context.Context) (int, error) {
	return s.Admins.CountAdmins(ctx)
}

// AdminByID returns ENOTFOUND if no admin has the ID.
func (s *AuthService) AdminByID(ctx context.Context, id int64) (*Admin, error) {
	return s.Admins.FindAdminByID(ctx, id)
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
	if err != nil {
		return nil, err
	}
	s.log().Info("admin password set through one-time link", "admin_id", a.ID, "purpose", t.Purpose)
	// A new password ends the slow-down of the account.
	if err := s.guard().Reset(ctx, a.Email); err != nil {
		return nil, err
	}
	return a, nil
}

func (s *AuthService) log() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}
