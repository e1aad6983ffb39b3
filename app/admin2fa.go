package app

import (
	"context"
	"strings"
	"time"
)

// AdminTOTPStore keeps Nexus admins' two-factor secrets (sealed) and the
// policy that makes two-factor mandatory for owners.
type AdminTOTPStore interface {
	// FindAdminTOTP returns the sealed secret, or nil when two-factor is off.
	FindAdminTOTP(ctx context.Context, adminID int64) ([]byte, error)
	// SetAdminTOTP stores the sealed secret; nil turns two-factor off.
	SetAdminTOTP(ctx context.Context, adminID int64, sealed []byte) error
	// RequireOwnerTOTP reports whether owners must use two-factor.
	RequireOwnerTOTP(ctx context.Context) (bool, error)
	SetRequireOwnerTOTP(ctx context.Context, on bool) error
}

// AdminTOTPService adds two-factor sign-in to Nexus: optional for every
// admin, and required for owners once an owner switches the policy on
// (owners without it must enrol before they can use Nexus).
type AdminTOTPService struct {
	store   AdminTOTPStore
	Secrets TOTPSealer
	Limiter RateLimiter
	Audit   *AuditService
	Now     func() time.Time
}

// NewAdminTOTPService returns the service of admins' two-factor sign-in
// on its store; the wiring sets the other fields. The store stays
// private: callers go through the service.
func NewAdminTOTPService(st AdminTOTPStore) *AdminTOTPService { return &AdminTOTPService{store: st} }

func (s *AdminTOTPService) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Enabled reports whether the admin signs in with a code.
func (s *AdminTOTPService) Enabled(ctx context.Context, adminID int64) (bool, error) {
	b, err := s.store.FindAdminTOTP(ctx, adminID)
	return len(b) > 0, err
}

// Required reports whether owners must use two-factor sign-in.
func (s *AdminTOTPService) Required(ctx context.Context) (bool, error) {
	return s.store.RequireOwnerTOTP(ctx)
}

// MustEnrol reports whether a must set up two-factor before using Nexus.
func (s *AdminTOTPService) MustEnrol(ctx context.Context, a *Admin) (bool, error) {
	if a == nil || a.Role != RoleOwner {
		return false, nil
	}
	on, err := s.store.RequireOwnerTOTP(ctx)
	if err != nil || !on {
		return false, err
	}
	en, err := s.Enabled(ctx, a.ID)
	return !en, err
}

// Check reports whether code is the admin's current two-factor code
// (a code already used is refused: replays). It counts nothing: sign-in
// failures are the LoginGuard's (AuthService.CodeFailed).
func (s *AdminTOTPService) Check(ctx context.Context, a *Admin, code string) (bool, error) {
	sealed, err := s.store.FindAdminTOTP(ctx, a.ID)
	if err != nil {
		return false, err
	}
	return verifyTOTP(ctx, s.Limiter, s.Secrets, s.now(), TOTPAccount("admin", a.ID), sealed, code)
}

// Verify checks a code at the code step of sign-in and records a wrong
// one in the audit log. Returns ErrBadCode (EUNAUTHORIZED) for a wrong
// code.
func (s *AdminTOTPService) Verify(ctx context.Context, a *Admin, code string) error {
	ok, err := s.Check(ctx, a, code)
	if err != nil {
		return err
	}
	if !ok {
		s.Audit.RecordAs(ctx, &AuditEntry{ActorKind: ActorAdmin, ActorID: a.ID, Actor: a.Email, Action: "login.failed", Target: "nexus", Detail: "wrong two-factor code"})
		return ErrBadCode
	}
	return nil
}

// New generates a secret for the admin in ctx to enrol with.
func (s *AdminTOTPService) New(ctx context.Context) (*TOTPSetup, error) {
	a := AdminFromContext(ctx)
	if a == nil {
		return nil, Errorf(EUNAUTHORIZED, "Sign in to continue.")
	}
	return newTOTPSetup("Nexus", a.Email)
}

// Enable turns two-factor on for the admin in ctx once code proves they
// hold secret. Returns EINVALID (field code).
func (s *AdminTOTPService) Enable(ctx context.Context, secret, code string) error {
	a := AdminFromContext(ctx)
	if a == nil {
		return Errorf(EUNAUTHORIZED, "Sign in to continue.")
	}
	secret = strings.ToUpper(strings.TrimSpace(secret))
	if _, err := base32NoPad(secret); err != nil {
		return FieldErrorf("code", "The setup expired; start again.")
	}
	acct := TOTPAccount("admin", a.ID)
	sealed, err := s.Secrets.SealTOTP(acct, secret)
	if err != nil {
		return err
	}
	ok, err := verifyTOTP(ctx, s.Limiter, s.Secrets, s.now(), acct, sealed, code)
	if err != nil {
		return err
	}
	if !ok {
		return FieldErrorf("code", "That code is not right. Check your authenticator app's clock and try again.")
	}
	if err := s.store.SetAdminTOTP(ctx, a.ID, sealed); err != nil {
		return err
	}
	s.Audit.Record(ctx, "2fa.enable", "admin:"+a.Email, "")
	return nil
}

// Disable turns two-factor off after checking the password. Owners cannot
// while the policy requires it. Returns EINVALID or EFORBIDDEN.
func (s *AdminTOTPService) Disable(ctx context.Context, password string) error {
	a := AdminFromContext(ctx)
	if a == nil {
		return Errorf(EUNAUTHORIZED, "Sign in to continue.")
	}
	if a.Role == RoleOwner {
		if on, err := s.store.RequireOwnerTOTP(ctx); err != nil {
			return err
		} else if on {
			return Errorf(EFORBIDDEN, "Two-factor sign-in is required for owners; switch the requirement off first.")
		}
	}
	ok, err := VerifyPassword(ctx, a.PasswordHash, password)
	if err != nil {
		return err
	}
	if !ok {
		return FieldErrorf("password", "The password is not right.")
	}
	if err := s.store.SetAdminTOTP(ctx, a.ID, nil); err != nil {
		return err
	}
	s.Audit.Record(ctx, "2fa.disable", "admin:"+a.Email, "")
	return nil
}

// SetPolicy switches the owners' two-factor requirement. Only an owner
// who uses two-factor may switch it on. Returns EFORBIDDEN.
func (s *AdminTOTPService) SetPolicy(ctx context.Context, on bool) error {
	a := AdminFromContext(ctx)
	if a == nil || a.Role != RoleOwner {
		return Errorf(EFORBIDDEN, "Only owners can change the two-factor requirement.")
	}
	if on {
		if en, err := s.Enabled(ctx, a.ID); err != nil {
			return err
		} else if !en {
			return Errorf(EFORBIDDEN, "Turn on two-factor sign-in for your own account first.")
		}
	}
	if err := s.store.SetRequireOwnerTOTP(ctx, on); err != nil {
		return err
	}
	s.Audit.Record(ctx, "2fa.policy", "nexus", map[bool]string{true: "owners must use two-factor", false: "two-factor optional for owners"}[on])
	return nil
}

// AdminSessionInfo is one of an admin's sessions as listed to them: Key is
// the hash of the session ID, used to revoke it.
type AdminSessionInfo struct {
	Key string
	Session
}

// AdminSessionLister lets admins list and revoke their own sessions.
type AdminSessionLister interface {
	FindAdminSessions(ctx context.Context, adminID int64) ([]*AdminSessionInfo, error)
	// DeleteAdminSession returns ENOTFOUND if key is not one of the admin's.
	DeleteAdminSession(ctx context.Context, adminID int64, key string) error
}
