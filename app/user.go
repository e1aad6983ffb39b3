package app

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"image/png"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// Tenant user roles.
const (
	UserRoleOwner  = "owner"
	UserRoleMember = "member"
)

// Tenant user token purposes and lifetimes.
const (
	TokenInvite    = "invite"
	TokenPwReset   = "reset"
	InviteTokenTTL = 7 * 24 * time.Hour
	ResetTokenTTL  = time.Hour
	// PendingLoginTTL is how long a password-checked login waits for its
	// two-factor code.
	PendingLoginTTL = 5 * time.Minute
	// MaxCodeAttempts is how many wrong codes one pending login allows.
	MaxCodeAttempts = 5
	// TokenLimitPerIP caps bad one-time links per IP per LoginWindow.
	TokenLimitPerIP = 20
)

// User is a tenant's portal account.
type User struct {
	ID           int64
	TenantID     int64
	Email        string
	Name         string
	Role         string
	PasswordHash string // empty until the invitation is accepted
	TOTPSealed   []byte // nil: two-factor off
	CreatedAt    time.Time
	UpdatedAt    time.Time
	LastLoginAt  *time.Time
}

// TOTPEnabled reports whether the user signs in with a second factor.
func (u *User) TOTPEnabled() bool { return len(u.TOTPSealed) > 0 }

// Validate normalises and checks a user. Returns EINVALID.
func (u *User) Validate() error {
	u.Email = strings.ToLower(strings.TrimSpace(u.Email))
	u.Name = strings.TrimSpace(u.Name)
	if err := ValidateEmail("email", u.Email); err != nil {
		return err
	}
	if len(u.Name) > 200 {
		return FieldErrorf("name", "Name must be at most 200 characters.")
	}
	if u.Role != UserRoleOwner && u.Role != UserRoleMember {
		return FieldErrorf("role", "Role must be owner or member.")
	}
	return nil
}

// TOTPAccount names an account in the additional data of its sealed
// two-factor secret: "user:ID" or "admin:ID".
func TOTPAccount(kind string, id int64) string { return kind + ":" + strconv.FormatInt(id, 10) }

// UserToken is a one-time link for a tenant user (invite or reset).
type UserToken struct {
	ID        int64
	Purpose   string
	UserID    int64
	TenantID  int64
	ExpiresAt time.Time
}

// ParseLinkToken checks the shape of a one-time link token (base64url of
// 32 bytes) before any lookup. Returns ENOTFOUND with the message every
// bad link gets.
func ParseLinkToken(s string) (string, error) {
	if len(s) != 43 {
		return "", errBadLink
	}
	if b, err := base64.RawURLEncoding.Strict().DecodeString(s); err != nil || len(b) != 32 {
		return "", errBadLink
	}
	return s, nil
}

var errBadLink = &Error{Code: ENOTFOUND, Message: "This link is invalid, expired or already used. Ask for a new one."}

// UserStore persists tenant users. Methods named Tenant* are scoped to
// the tenant in ctx and return EUNAUTHORIZED without one; another
// tenant's user is ENOTFOUND.
type UserStore interface {
	// FindUserByEmail looks across tenants (sign-in only). Returns ENOTFOUND.
	FindUserByEmail(ctx context.Context, email string) (*User, error)
	// FindUserByID is unscoped (session resolution only). Returns ENOTFOUND.
	FindUserByID(ctx context.Context, id int64) (*User, error)
	FindTenantUsers(ctx context.Context) ([]*User, error)
	FindTenantUser(ctx context.Context, id int64) (*User, error)
	// CreateTenantUser creates u in the tenant of ctx. Returns ECONFLICT.
	CreateTenantUser(ctx context.Context, u *User) error
	UpdateTenantUserRole(ctx context.Context, id int64, role string) error
	DeleteTenantUser(ctx context.Context, id int64) error
	// SetUserPassword, SetUserTOTP and TouchUserLogin act on the user
	// authenticated by the caller.
	SetUserPassword(ctx context.Context, id int64, hash string) error
	SetUserTOTP(ctx context.Context, id int64, sealed []byte) error
	TouchUserLogin(ctx context.Context, id int64) error
	CreateUserToken(ctx context.Context, t *UserToken, tokenHash string) error
	// FindUserToken returns ENOTFOUND for an unknown, used or expired token.
	FindUserToken(ctx context.Context, tokenHash string) (*UserToken, error)
	// RedeemUserToken marks the token used and sets the user's password
	// (and name, if not empty) in one transaction. ENOTFOUND if invalid.
	RedeemUserToken(ctx context.Context, tokenHash, passwordHash, name string) (*User, error)
}

// PortalSession is a tenant user's session. ID is the cookie value (only
// known at creation and from the cookie); Key is its hash, which lists and
// revocation use so no page ever shows a usable session ID.
type PortalSession struct {
	ID        string
	Key       string
	UserID    int64
	TenantID  int64
	Pending   bool // password checked, two-factor code still due
	Attempts  int  // wrong codes so far
	CreatedAt time.Time
	ExpiresAt time.Time
	IP        string
	UserAgent string
}

// PortalSessionStore keeps portal sessions (in redka).
type PortalSessionStore interface {
	CreatePortalSession(ctx context.Context, s *PortalSession) error
	// FindPortalSession returns ENOTFOUND for unknown or expired sessions.
	FindPortalSession(ctx context.Context, id string) (*PortalSession, error)
	UpdatePortalSession(ctx context.Context, s *PortalSession) error
	DeletePortalSession(ctx context.Context, id string) error
	FindUserSessions(ctx context.Context, userID int64) ([]*PortalSession, error)
	// DeleteUserSession revokes one of the user's sessions by its key.
	// Returns ENOTFOUND if the key is not one of theirs.
	DeleteUserSession(ctx context.Context, userID int64, key string) error
	DeleteUserSessions(ctx context.Context, userID int64) error
}

// TOTPSealer protects two-factor secrets (the vault implements it).
type TOTPSealer interface {
	SealTOTP(account, secret string) ([]byte, error)
	OpenTOTP(account string, sealed []byte) (string, error)
}

// UserService signs tenant users in and manages their accounts.
type UserService struct {
	Users    UserStore
	Tenants  TenantStore
	Sessions PortalSessionStore
	Limiter  RateLimiter
	// Guard throttles sign-ins (nil: a guard on Limiter that trusts no
	// browser).
	Guard   *LoginGuard
	Mailer  Mailer
	Secrets TOTPSealer
	Audit   *AuditService
	// PortalURL returns the base URL of the tenant's portal, for links in
	// email (app.DOMAIN, or the tenant's custom domain).
	PortalURL func(ctx context.Context, t *Tenant) string
	Logger    *slog.Logger
	Now       func() time.Time
}

func (s *UserService) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *UserService) log() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// ErrCodeRequired is returned by Login when the password was right and
// the account has two-factor on: the session is pending until
// VerifyLoginCode.
var ErrCodeRequired = &Error{Code: EUNAUTHORIZED, Message: "Enter the 6-digit code from your authenticator app."}

var errBadUserLogin = &Error{Code: EUNAUTHORIZED, Message: "Wrong email or password."}

// ErrBadCode is a wrong two-factor code on a still-pending login.
var ErrBadCode = &Error{Code: EUNAUTHORIZED, Message: "That code is not right. Check your authenticator app's clock and try again."}

func (s *UserService) checkLimits(ctx context.Context, keys ...string) error {
	for _, k := range keys {
		limit := LoginLimitPerEmail
		if strings.Contains(k, ":ip:") {
			limit = LoginLimitPerIP
		}
		n, reset, err := s.Limiter.Count(ctx, k)
		if err != nil {
			return fmt.Errorf("rate limit: %w", err)
		}
		if n >= limit {
			wait := max(reset.Sub(s.now()).Round(time.Second), time.Second)
			return &RateLimitError{Err: Errorf(ETOOMANY, "Too many attempts. Try again in %s.", humanDuration(wait)), RetryAfter: wait}
		}
	}
	return nil
}

func (s *UserService) hit(ctx context.Context, keys ...string) error {
	for _, k := range keys {
		if _, _, err := s.Limiter.Hit(ctx, k, LoginWindow); err != nil {
			return fmt.Errorf("rate limit: %w", err)
		}
	}
	return nil
}

// Login checks a tenant user's credentials (see SignIn). fixedTenant is
// the tenant of a custom domain (0 on app.DOMAIN, where the email chooses
// the tenant).
func (s *UserService) Login(ctx context.Context, fixedTenant int64, email, password string) (*PortalSession, error) {
	sess, _, err := s.SignIn(ctx, fixedTenant, Credentials{Email: email, Password: password})
	return sess, err
}

func (s *UserService) guard() *LoginGuard {
	if s.Guard == nil {
		s.Guard = &LoginGuard{Limiter: s.Limiter, Scope: "portal", Now: s.Now}
	}
	return s.Guard
}

// SignIn checks a tenant user's credentials under the LoginGuard, as
// AuthService.SignIn does for admins. It returns a session and a new
// device token for the browser; or ErrCodeRequired with a pending session
// when the user has two-factor on (and sent no code while slowed down);
// EUNAUTHORIZED with one message for an unknown account, a wrong
// password, a user of another tenant or a suspended tenant; a
// *RateLimitError while sign-ins from this browser are slowed down.
func (s *UserService) SignIn(ctx context.Context, fixedTenant int64, c Credentials) (*PortalSession, string, error) {
	email := strings.ToLower(strings.TrimSpace(c.Email))
	req := RequestFromContext(ctx)
	g := s.guard()
	at := LoginAttempt{Email: email, IP: req.IP, Device: c.Device}
	gate, err := g.Check(ctx, at)
	if err != nil {
		return nil, "", err
	}
	refusal := error(errBadUserLogin)
	if gate.Slowed != nil {
		if strings.TrimSpace(c.Code) == "" {
			return nil, "", gate.Slowed
		}
		if err := g.SecondFactorTry(ctx, at); err != nil {
			return nil, "", err
		}
		refusal = gate.Slowed // every refusal reads the same: no password oracle
	}
	fail := func(why string, u *User) error {
		first, err := g.Failed(ctx, at, gate)
		if err != nil {
			return err
		}
		e := &AuditEntry{ActorKind: ActorAnonymous, Actor: email, Action: "login.failed", Target: "portal", Detail: why}
		if u != nil {
			e.TenantID, e.ActorID = u.TenantID, u.ID
		}
		s.Audit.RecordAs(ctx, e)
		s.log().Warn("portal login failed", "reason", why, "ip", req.IP)
		if first {
			s.alertSlowed(ctx, email, req.IP, u)
		}
		return refusal
	}
	if email == "" || c.Password == "" || len(email) > 254 || len(c.Password) > 1024 {
		return nil, "", fail("empty or oversized credentials", nil)
	}
	u, err := s.Users.FindUserByEmail(ctx, email)
	if ErrorCode(err) == ENOTFOUND {
		_, _ = VerifyPassword(ctx, dummyHash, c.Password)
		return nil, "", fail("unknown account", nil)
	} else if err != nil {
		return nil, "", err
	}
	ok, err := VerifyPassword(ctx, u.PasswordHash, c.Password)
	if err != nil {
		return nil, "", err
	}
	if !ok {
		return nil, "", fail("wrong password", u)
	}
	if fixedTenant != 0 && u.TenantID != fixedTenant {
		return nil, "", fail("user of another tenant on a custom domain", u)
	}
	t, err := s.Tenants.FindTenantByID(ctx, u.TenantID)
	if err != nil {
		return nil, "", err
	}
	if !t.Active() {
		return nil, "", fail("tenant suspended", u)
	}
	codeDone := false
	if gate.Slowed != nil {
		if !u.TOTPEnabled() {
			return nil, "", fail("sign-ins slowed down and no second factor", u)
		}
		good, err := s.checkCode(ctx, TOTPAccount("user", u.ID), u.TOTPSealed, c.Code)
		if err != nil {
			return nil, "", err
		}
		if !good {
			return nil, "", fail("wrong two-factor code with the password", u)
		}
		codeDone = true
	}
	device, err := g.Succeeded(ctx, at, gate)
	if err != nil {
		return nil, "", err
	}
	now := s.now()
	sess := &PortalSession{ID: RandomToken(32), UserID: u.ID, TenantID: u.TenantID, CreatedAt: now, ExpiresAt: now.Add(SessionTTL), IP: req.IP, UserAgent: req.UserAgent}
	if u.TOTPEnabled() && !codeDone {
		sess.Pending = true
		sess.ExpiresAt = now.Add(PendingLoginTTL)
	}
	if err := s.Sessions.CreatePortalSession(ctx, sess); err != nil {
		return nil, "", fmt.Errorf("create session: %w", err)
	}
	if sess.Pending {
		return sess, device, ErrCodeRequired
	}
	return sess, device, s.finishLogin(ctx, u, t)
}

// alertSlowed emails the user (when the account exists) that sign-ins to
// it are slowed down and records it in the tenant's audit log.
func (s *UserService) alertSlowed(ctx context.Context, email, ip string, u *User) {
	e := &AuditEntry{ActorKind: ActorAnonymous, Actor: email, Action: "login.slowed", Target: "portal",
		Detail: fmt.Sprintf("%d failed sign-ins; the last from %s", LoginFreeFailures, ip)}
	if u != nil {
		e.ActorKind, e.ActorID, e.TenantID = ActorUser, u.ID, u.TenantID
	}
	s.Audit.RecordAs(ctx, e)
	if u == nil || s.Mailer == nil {
		return
	}
	msg := &Message{TenantID: u.TenantID, To: u.Email, Subject: "Failed sign-ins to your account", Text: slowedAlertText("your account", ip)}
	if t, err := s.Tenants.FindTenantByID(ctx, u.TenantID); err == nil {
		msg.FromName = t.BrandName()
	}
	if err := s.Mailer.Send(context.WithoutCancel(ctx), msg); err != nil {
		s.log().Error("login alert email", "user_id", u.ID, "err", err)
	}
}

func (s *UserService) finishLogin(ctx context.Context, u *User, t *Tenant) error {
	if err := s.Users.TouchUserLogin(ctx, u.ID); err != nil {
		return err
	}
	s.Audit.Record(NewContextWithUser(NewContextWithTenant(ctx, t), u), "login", "portal", "")
	s.log().Info("portal login", "user_id", u.ID, "tenant_id", u.TenantID, "ip", RequestFromContext(ctx).IP)
	return nil
}

// VerifyLoginCode completes a pending login with a TOTP code. Returns
// EUNAUTHORIZED for a wrong code (the pending session ends after
// MaxCodeAttempts) or an unknown session, and *RateLimitError.
func (s *UserService) VerifyLoginCode(ctx context.Context, sessionID, code, device string) (*PortalSession, error) {
	sess, err := s.Sessions.FindPortalSession(ctx, sessionID)
	if err != nil || !sess.Pending {
		if err != nil && ErrorCode(err) != ENOTFOUND {
			return nil, err
		}
		return nil, Errorf(EUNAUTHORIZED, "Your sign-in expired. Enter your email and password again.")
	}
	u, err := s.Users.FindUserByID(ctx, sess.UserID)
	if err != nil {
		return nil, Errorf(EUNAUTHORIZED, "Your sign-in expired. Enter your email and password again.")
	}
	req := RequestFromContext(ctx)
	// The password was right: this step is not slowed down, but each wrong
	// code counts as a failed sign-in of the account, and the pending
	// session ends after MaxCodeAttempts.
	ok, err := s.checkCode(ctx, TOTPAccount("user", u.ID), u.TOTPSealed, code)
	if err != nil {
		return nil, err
	}
	if !ok {
		at := LoginAttempt{Email: u.Email, IP: req.IP, Device: device}
		gate, err := s.guard().Check(ctx, at)
		if err != nil {
			return nil, err
		}
		if first, err := s.guard().Failed(ctx, at, gate); err != nil {
			return nil, err
		} else if first {
			s.alertSlowed(ctx, u.Email, req.IP, u)
		}
		s.Audit.RecordAs(ctx, &AuditEntry{ActorKind: ActorUser, ActorID: u.ID, Actor: u.Email, TenantID: u.TenantID, Action: "login.failed", Target: "portal", Detail: "wrong two-factor code"})
		sess.Attempts++
		if sess.Attempts >= MaxCodeAttempts {
			_ = s.Sessions.DeletePortalSession(ctx, sessionID)
			return nil, Errorf(EUNAUTHORIZED, "Too many wrong codes. Enter your email and password again.")
		}
		if err := s.Sessions.UpdatePortalSession(ctx, sess); err != nil {
			return nil, err
		}
		return nil, ErrBadCode
	}
	t, err := s.Tenants.FindTenantByID(ctx, u.TenantID)
	if err != nil {
		return nil, err
	}
	if !t.Active() {
		_ = s.Sessions.DeletePortalSession(ctx, sessionID)
		return nil, errBadUserLogin
	}
	// A fresh session ID after the second factor (no fixation across the
	// privilege change).
	_ = s.Sessions.DeletePortalSession(ctx, sessionID)
	now := s.now()
	full := &PortalSession{ID: RandomToken(32), UserID: u.ID, TenantID: u.TenantID, CreatedAt: now, ExpiresAt: now.Add(SessionTTL), IP: req.IP, UserAgent: req.UserAgent}
	if err := s.Sessions.CreatePortalSession(ctx, full); err != nil {
		return nil, err
	}
	return full, s.finishLogin(ctx, u, t)
}

// checkCode validates a TOTP code against a sealed secret and refuses a
// code already used in its window (replay).
func (s *UserService) checkCode(ctx context.Context, account string, sealed []byte, code string) (bool, error) {
	return verifyTOTP(ctx, s.Limiter, s.Secrets, s.now(), account, sealed, code)
}

func verifyTOTP(ctx context.Context, limiter RateLimiter, secrets TOTPSealer, now time.Time, account string, sealed []byte, code string) (bool, error) {
	code = strings.TrimSpace(strings.ReplaceAll(code, " ", ""))
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" || len(sealed) == 0 {
		return false, nil
	}
	secret, err := secrets.OpenTOTP(account, sealed)
	if err != nil {
		return false, fmt.Errorf("two-factor secret of %s: %w", account, err)
	}
	ok, err := totp.ValidateCustom(code, secret, now, totp.ValidateOpts{Period: 30, Skew: 1, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil || !ok {
		return false, nil
	}
	n, _, err := limiter.Hit(ctx, "totp-used:"+account+":"+code, 2*time.Minute)
	if err != nil {
		return false, err
	}
	return n == 1, nil
}

// Authenticate resolves a session cookie to its user and tenant. Returns
// EUNAUTHORIZED for an unknown, expired or pending session, a deleted
// user or a suspended tenant (whose sessions end at once).
func (s *UserService) Authenticate(ctx context.Context, sessionID string) (*PortalSession, *User, *Tenant, error) {
	unauth := Errorf(EUNAUTHORIZED, "Sign in to continue.")
	if sessionID == "" {
		return nil, nil, nil, unauth
	}
	sess, err := s.Sessions.FindPortalSession(ctx, sessionID)
	if ErrorCode(err) == ENOTFOUND {
		return nil, nil, nil, unauth
	} else if err != nil {
		return nil, nil, nil, err
	}
	if sess.Pending {
		return nil, nil, nil, unauth
	}
	u, err := s.Users.FindUserByID(ctx, sess.UserID)
	if ErrorCode(err) == ENOTFOUND || err == nil && u.TenantID != sess.TenantID {
		_ = s.Sessions.DeletePortalSession(ctx, sessionID)
		return nil, nil, nil, unauth
	} else if err != nil {
		return nil, nil, nil, err
	}
	t, err := s.Tenants.FindTenantByID(ctx, u.TenantID)
	if err != nil {
		return nil, nil, nil, err
	}
	if !t.Active() {
		_ = s.Sessions.DeletePortalSession(ctx, sessionID)
		return nil, nil, nil, Errorf(EUNAUTHORIZED, "This account is suspended. Contact your provider.")
	}
	return sess, u, t, nil
}

// Logout ends a session.
func (s *UserService) Logout(ctx context.Context, sessionID string) error {
	return s.Sessions.DeletePortalSession(ctx, sessionID)
}

// canManage allows tenant owners (of the tenant in ctx) and admins.
func canManage(ctx context.Context) error {
	if u := UserFromContext(ctx); u != nil {
		if u.Role != UserRoleOwner {
			return Errorf(EFORBIDDEN, "Only the account owner can manage users.")
		}
		return nil
	}
	// An admin, or the admin API with a write key (the new-client wizard's
	// owner invitation is scriptable).
	if k := APIKeyFromContext(ctx); AdminFromContext(ctx) == nil && (k == nil || !k.Admin() || !k.CanWrite()) {
		return Errorf(EFORBIDDEN, "Only the account owner can manage users.")
	}
	return nil
}

// Invite creates a user in the tenant of ctx and emails them a link to
// set their password. Owners of the tenant and admins may invite. Returns
// EUNAUTHORIZED, EFORBIDDEN, EINVALID or ECONFLICT.
func (s *UserService) Invite(ctx context.Context, email, name, role string) (*User, error) {
	t := TenantFromContext(ctx)
	if t == nil {
		return nil, Errorf(EUNAUTHORIZED, "Sign in to continue.")
	}
	if err := canManage(ctx); err != nil {
		return nil, err
	}
	if role == "" {
		role = UserRoleMember
	}
	u := &User{TenantID: t.ID, Email: email, Name: name, Role: role}
	if err := u.Validate(); err != nil {
		return nil, err
	}
	if err := s.Users.CreateTenantUser(ctx, u); err != nil {
		if ErrorCode(err) == ECONFLICT {
			return nil, FieldErrorf("email", "This email already has a portal account.")
		}
		return nil, err
	}
	if err := s.sendLink(ctx, t, u, TokenInvite); err != nil {
		return nil, err
	}
	s.Audit.Record(ctx, "user.invite", "user:"+u.Email, "role "+u.Role)
	return u, nil
}

func (s *UserService) sendLink(ctx context.Context, t *Tenant, u *User, purpose string) error {
	tok := RandomToken(32)
	ttl := InviteTokenTTL
	if purpose == TokenPwReset {
		ttl = ResetTokenTTL
	}
	ut := &UserToken{Purpose: purpose, UserID: u.ID, TenantID: u.TenantID, ExpiresAt: s.now().Add(ttl)}
	if err := s.Users.CreateUserToken(ctx, ut, HashToken(tok)); err != nil {
		return err
	}
	base := ""
	if s.PortalURL != nil {
		base = s.PortalURL(ctx, t)
	}
	brand := t.BrandName()
	msg := &Message{TenantID: t.ID, FromName: brand, To: u.Email}
	if purpose == TokenInvite {
		msg.Subject = "You are invited to " + brand
		msg.Text = fmt.Sprintf("Hello%s,\n\nYou have been invited to the %s portal. Set your password with this link (valid for 7 days, works once):\n\n%s/invite?token=%s\n\nIf you did not expect this invitation, ignore this email.\n", greetName(u.Name), brand, base, tok)
	} else {
		msg.Subject = "Reset your " + brand + " password"
		msg.Text = fmt.Sprintf("Hello%s,\n\nSomeone asked to reset the password of your %s portal account. Choose a new password with this link (valid for 1 hour, works once):\n\n%s/reset/confirm?token=%s\n\nIf it was not you, ignore this email; your password stays the same.\n", greetName(u.Name), brand, base, tok)
	}
	if t.SupportEmail != "" {
		msg.Text += "\nQuestions? Write to " + t.SupportEmail + ".\n"
	}
	return s.Mailer.Send(ctx, msg)
}

func greetName(n string) string {
	if n == "" {
		return ""
	}
	return " " + n
}

// RequestReset emails a password-reset link if the email belongs to a
// user (of fixedTenant, when not 0) of an active tenant. It answers the
// same way whether or not the account exists; it returns only rate-limit
// and internal errors.
func (s *UserService) RequestReset(ctx context.Context, fixedTenant int64, email string) error {
	email = strings.ToLower(strings.TrimSpace(email))
	req := RequestFromContext(ctx)
	ipKey, emailKey := "preset:ip:"+req.IP, "preset:email:"+email
	if err := s.checkLimits(ctx, ipKey, emailKey); err != nil {
		return err
	}
	if err := s.hit(ctx, ipKey, emailKey); err != nil {
		return err
	}
	u, err := s.Users.FindUserByEmail(ctx, email)
	if ErrorCode(err) == ENOTFOUND {
		return nil
	} else if err != nil {
		return err
	}
	if fixedTenant != 0 && u.TenantID != fixedTenant || u.PasswordHash == "" {
		return nil
	}
	t, err := s.Tenants.FindTenantByID(ctx, u.TenantID)
	if err != nil {
		return err
	}
	if !t.Active() {
		return nil
	}
	s.Audit.RecordAs(ctx, &AuditEntry{ActorKind: ActorAnonymous, Actor: email, TenantID: t.ID, Action: "password.reset_requested", Target: "user:" + u.Email})
	return s.sendLink(ctx, t, u, TokenPwReset)
}

// CheckToken returns a valid link's token, user and tenant. Returns
// ENOTFOUND (one message for bad, used and expired links, and for a
// purpose mismatch) and *RateLimitError after too many bad links.
func (s *UserService) CheckToken(ctx context.Context, token, purpose string) (*UserToken, *User, *Tenant, error) {
	ipKey := "ptoken:ip:" + RequestFromContext(ctx).IP
	if err := s.checkLimits(ctx, ipKey); err != nil {
		return nil, nil, nil, err
	}
	bad := func() error {
		if err := s.hit(ctx, ipKey); err != nil {
			return err
		}
		return errBadLink
	}
	if _, err := ParseLinkToken(token); err != nil {
		return nil, nil, nil, bad()
	}
	t, err := s.Users.FindUserToken(ctx, HashToken(token))
	if ErrorCode(err) == ENOTFOUND || err == nil && t.Purpose != purpose {
		return nil, nil, nil, bad()
	} else if err != nil {
		return nil, nil, nil, err
	}
	u, err := s.Users.FindUserByID(ctx, t.UserID)
	if err != nil {
		return nil, nil, nil, bad()
	}
	ten, err := s.Tenants.FindTenantByID(ctx, t.TenantID)
	if err != nil {
		return nil, nil, nil, err
	}
	if !ten.Active() {
		return nil, nil, nil, bad()
	}
	return t, u, ten, nil
}

// RedeemToken sets a password through an invitation or reset link; a
// reset also signs the user out everywhere. Returns ENOTFOUND for a bad
// link and EINVALID for a weak password.
func (s *UserService) RedeemToken(ctx context.Context, token, purpose, name, password string) (*User, error) {
	_, _, ten, err := s.CheckToken(ctx, token, purpose)
	if err != nil {
		return nil, err
	}
	hash, err := HashPassword(ctx, password)
	if err != nil {
		return nil, err
	}
	if purpose != TokenInvite {
		name = ""
	}
	u, err := s.Users.RedeemUserToken(ctx, HashToken(token), hash, strings.TrimSpace(name))
	if ErrorCode(err) == ENOTFOUND {
		return nil, errBadLink
	} else if err != nil {
		return nil, err
	}
	if purpose == TokenPwReset {
		if err := s.Sessions.DeleteUserSessions(ctx, u.ID); err != nil {
			return nil, err
		}
	}
	// A new password ends the slow-down of the account.
	if err := s.guard().Reset(ctx, u.Email); err != nil {
		return nil, err
	}
	s.Audit.Record(NewContextWithUser(NewContextWithTenant(ctx, ten), u), "password."+map[string]string{TokenInvite: "set_from_invite", TokenPwReset: "reset"}[purpose], "user:"+u.Email, "")
	return u, nil
}

// ListUsers lists the users of the tenant in ctx.
func (s *UserService) ListUsers(ctx context.Context) ([]*User, error) {
	return s.Users.FindTenantUsers(ctx)
}

// SetRole changes a user's role in the tenant of ctx. Returns EFORBIDDEN,
// ENOTFOUND, EINVALID, or EINVALID when it would leave no owner.
func (s *UserService) SetRole(ctx context.Context, id int64, role string) error {
	if err := canManage(ctx); err != nil {
		return err
	}
	u, err := s.Users.FindTenantUser(ctx, id)
	if err != nil {
		return err
	}
	if role != UserRoleOwner && role != UserRoleMember {
		return FieldErrorf("role", "Role must be owner or member.")
	}
	if u.Role == UserRoleOwner && role != UserRoleOwner {
		if err := s.keepAnOwner(ctx, id); err != nil {
			return err
		}
	}
	if err := s.Users.UpdateTenantUserRole(ctx, id, role); err != nil {
		return err
	}
	s.Audit.Record(ctx, "user.role", "user:"+u.Email, u.Role+" -> "+role)
	return nil
}

func (s *UserService) keepAnOwner(ctx context.Context, leaving int64) error {
	users, err := s.Users.FindTenantUsers(ctx)
	if err != nil {
		return err
	}
	for _, o := range users {
		if o.ID != leaving && o.Role == UserRoleOwner {
			return nil
		}
	}
	return FieldErrorf("role", "The account needs at least one owner; make someone else owner first.")
}

// RemoveUser deletes a user of the tenant in ctx and ends their sessions.
// Returns EFORBIDDEN, ENOTFOUND or EINVALID (the last owner).
func (s *UserService) RemoveUser(ctx context.Context, id int64) error {
	if err := canManage(ctx); err != nil {
		return err
	}
	u, err := s.Users.FindTenantUser(ctx, id)
	if err != nil {
		return err
	}
	if u.Role == UserRoleOwner {
		if err := s.keepAnOwner(ctx, id); err != nil {
			return err
		}
	}
	if err := s.Users.DeleteTenantUser(ctx, id); err != nil {
		return err
	}
	if err := s.Sessions.DeleteUserSessions(ctx, id); err != nil {
		return err
	}
	s.Audit.Record(ctx, "user.remove", "user:"+u.Email, "")
	return nil
}

func signedIn(ctx context.Context) (*User, error) {
	u := UserFromContext(ctx)
	if u == nil {
		return nil, Errorf(EUNAUTHORIZED, "Sign in to continue.")
	}
	return u, nil
}

// ChangePassword changes the signed-in user's password after checking the
// current one. Returns EUNAUTHORIZED or EINVALID (field current or password).
func (s *UserService) ChangePassword(ctx context.Context, current, next string) error {
	u, err := signedIn(ctx)
	if err != nil {
		return err
	}
	ok, err := VerifyPassword(ctx, u.PasswordHash, current)
	if err != nil {
		return err
	}
	if !ok {
		return FieldErrorf("current", "The current password is not right.")
	}
	hash, err := HashPassword(ctx, next)
	if err != nil {
		return err
	}
	if err := s.Users.SetUserPassword(ctx, u.ID, hash); err != nil {
		return err
	}
	if err := s.guard().Reset(ctx, u.Email); err != nil {
		return err
	}
	s.Audit.Record(ctx, "password.change", "user:"+u.Email, "")
	return nil
}

// TOTPSetup is a new two-factor secret to show once while enrolling.
type TOTPSetup struct {
	Secret string
	URL    string // otpauth:// URL
	QRPNG  string // data: URL of the QR code
}

// NewTOTP generates a two-factor secret for the signed-in user; it is not
// stored until EnableTOTP confirms a code from it.
func (s *UserService) NewTOTP(ctx context.Context) (*TOTPSetup, error) {
	u, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	issuer := "Portal"
	if t := TenantFromContext(ctx); t != nil {
		issuer = t.BrandName()
	}
	return newTOTPSetup(issuer, u.Email)
}

func newTOTPSetup(issuer, account string) (*TOTPSetup, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: account})
	if err != nil {
		return nil, fmt.Errorf("generate two-factor secret: %w", err)
	}
	img, err := key.Image(200, 200)
	if err != nil {
		return nil, fmt.Errorf("two-factor QR code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return &TOTPSetup{Secret: key.Secret(), URL: key.URL(), QRPNG: "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())}, nil
}

// EnableTOTP turns two-factor on for the signed-in user once code proves
// they hold secret. Returns EINVALID (field code) for a wrong code.
func (s *UserService) EnableTOTP(ctx context.Context, secret, code string) error {
	u, err := signedIn(ctx)
	if err != nil {
		return err
	}
	secret = strings.ToUpper(strings.TrimSpace(secret))
	if _, err := base32NoPad(secret); err != nil {
		return FieldErrorf("code", "The setup expired; start again.")
	}
	acct := TOTPAccount("user", u.ID)
	sealed, err := s.Secrets.SealTOTP(acct, secret)
	if err != nil {
		return err
	}
	ok, err := s.checkCode(ctx, acct, sealed, code)
	if err != nil {
		return err
	}
	if !ok {
		return FieldErrorf("code", "That code is not right. Check your authenticator app's clock and try again.")
	}
	if err := s.Users.SetUserTOTP(ctx, u.ID, sealed); err != nil {
		return err
	}
	s.Audit.Record(ctx, "2fa.enable", "user:"+u.Email, "")
	return nil
}

// DisableTOTP turns two-factor off after checking the password. Returns
// EINVALID (field password).
func (s *UserService) DisableTOTP(ctx context.Context, password string) error {
	u, err := signedIn(ctx)
	if err != nil {
		return err
	}
	ok, err := VerifyPassword(ctx, u.PasswordHash, password)
	if err != nil {
		return err
	}
	if !ok {
		return FieldErrorf("password", "The password is not right.")
	}
	if err := s.Users.SetUserTOTP(ctx, u.ID, nil); err != nil {
		return err
	}
	s.Audit.Record(ctx, "2fa.disable", "user:"+u.Email, "")
	return nil
}

// Sessions lists the signed-in user's sessions.
func (s *UserService) ListSessions(ctx context.Context) ([]*PortalSession, error) {
	u, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	return s.Sessions.FindUserSessions(ctx, u.ID)
}

// RevokeSession ends one of the signed-in user's sessions by its key.
// Returns ENOTFOUND for a key that is not theirs.
func (s *UserService) RevokeSession(ctx context.Context, key string) error {
	u, err := signedIn(ctx)
	if err != nil {
		return err
	}
	if err := s.Sessions.DeleteUserSession(ctx, u.ID, key); err != nil {
		return err
	}
	s.Audit.Record(ctx, "session.revoke", "user:"+u.Email, "")
	return nil
}

func base32NoPad(s string) ([]byte, error) {
	if s == "" || len(s) > 128 {
		return nil, errors.New("bad secret")
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= '2' && r <= '7' || r == '=') {
			return nil, errors.New("bad secret")
		}
	}
	return []byte(s), nil
}

// NewContextWithUser returns a copy of ctx carrying the signed-in tenant
// user (put the user's tenant in ctx too, with NewContextWithTenant).
func NewContextWithUser(ctx context.Context, u *User) context.Context {
	return context.WithValue(ctx, userKey, u)
}

// UserFromContext returns the signed-in tenant user, or nil.
func UserFromContext(ctx context.Context) *User {
	u, _ := ctx.Value(userKey).(*User)
	return u
}

// NewContextWithAPIKey returns a copy of ctx carrying the API key that
// authenticated the request.
func NewContextWithAPIKey(ctx context.Context, k *APIKey) context.Context {
	return context.WithValue(ctx, apiKeyKey, k)
}

// APIKeyFromContext returns the request's API key, or nil.
func APIKeyFromContext(ctx context.Context) *APIKey {
	k, _ := ctx.Value(apiKeyKey).(*APIKey)
	return k
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }
