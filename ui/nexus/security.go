package nexus

import (
	"errors"
	"orengen/ui/web"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
)

// mfaCookie carries a Nexus sign-in whose password was right while its
// two-factor code is still due: "adminID.expiry.nonce.mac", signed with
// the session key, valid for app.PendingLoginTTL, usable once.
const mfaCookie = "orengen_mfa"

// registerAdminSecurityRoutes serves the admin's own account page (the
// code step of sign-in, POST /login/code, is public and registered with
// /login).
func (s *Handler) registerAdminSecurityRoutes(authed fiber.Router, csrf fiber.Handler) {
	authed.Get("/account", s.handleAdminAccount)
	authed.Post("/account/2fa", csrf, s.handleAdminTOTPEnable)
	authed.Post("/account/2fa/disable", csrf, s.handleAdminTOTPDisable)
	authed.Post("/account/2fa/policy", csrf, s.handleAdminTOTPPolicy)
	authed.Post("/account/sessions/:key/revoke", csrf, s.handleAdminSessionRevoke)
}

func (s *Handler) handleAdminSessionRevoke(c *fiber.Ctx) error {
	if s.AdminSessions == nil {
		return app.Errorf(app.ENOTFOUND, "Session not found.")
	}
	key := utils.CopyString(c.Params("key"))
	a := web.Admin(c)
	if err := s.AdminSessions.DeleteAdminSession(c.UserContext(), a.ID, key); err != nil {
		return err
	}
	s.Audit.Record(c.UserContext(), "session.revoke", "admin:"+a.Email, "")
	if key == app.HashToken(s.Cookie(c, sessionCookie)) {
		s.ClearCookie(c, sessionCookie)
		return c.Redirect("/login", fiber.StatusSeeOther)
	}
	s.SetFlash(c, "ok", "Session signed out.")
	return c.Redirect("/account", fiber.StatusSeeOther)
}

func (s *Handler) newMFAToken(adminID int64) string {
	return app.NewPendingLoginToken(s.SessionKey, adminID, time.Now())
}

// parseMFAToken returns the admin ID and nonce of a valid pending token.
func (s *Handler) parseMFAToken(tok string) (int64, string, bool) {
	return app.ParsePendingLoginToken(s.SessionKey, tok, time.Now())
}

// adminNeedsCode is called after a correct password: when the admin uses
// two-factor, the new session is dropped and the code step is shown.
func (s *Handler) adminNeedsCode(c *fiber.Ctx, sess *app.Session, a *app.Admin, next string) (bool, error) {
	if s.AdminTOTP == nil {
		return false, nil
	}
	on, err := s.AdminTOTP.Enabled(c.UserContext(), a.ID)
	if err != nil || !on {
		return false, err
	}
	if err := s.Auth.Logout(c.UserContext(), sess.ID); err != nil {
		return false, err
	}
	s.SetCookie(c, mfaCookie, s.newMFAToken(a.ID), app.PendingLoginTTL)
	p := &loginPage{Email: a.Email, Next: next, Code: true}
	p.Layout = s.Layout(c, web.HostNexus, "Two-factor code")
	return true, s.Render(c, "nexus/login", p)
}

func (s *Handler) handleAdminLoginCode(c *fiber.Ctx) error {
	next := web.SafeNext(c.FormValue("next"))
	expired := app.Errorf(app.EUNAUTHORIZED, "Your sign-in expired. Enter your email and password again.")
	fail := func(err error, code bool) error {
		status := web.ErrorStatus(app.ErrorCode(err))
		if app.ErrorCode(err) == app.EINTERNAL {
			return err
		}
		var rl *app.RateLimitError
		if web.AsRateLimit(err, &rl) {
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(rl.RetryAfter.Seconds())))
			code = false
		}
		c.Status(status)
		p := &loginPage{Next: next, Error: app.ErrorMessage(err), Code: code}
		p.Layout = s.Layout(c, web.HostNexus, "Sign in")
		return s.Render(c, "nexus/login", p)
	}
	id, nonce, ok := s.parseMFAToken(s.Cookie(c, mfaCookie))
	if !ok || s.AdminTOTP == nil {
		return fail(expired, false)
	}
	ctx := c.UserContext()
	a, err := s.Auth.AdminByID(ctx, id)
	if err != nil {
		return fail(expired, false)
	}
	// A pending sign-in takes MaxCodeAttempts codes; each wrong one
	// counts as a failed sign-in of the account.
	if n, _, err := s.Auth.Limiter.Hit(ctx, "mfa-tries:"+nonce, app.PendingLoginTTL*2); err != nil {
		return err
	} else if n > app.MaxCodeAttempts {
		s.ClearCookie(c, mfaCookie)
		return fail(app.Errorf(app.EUNAUTHORIZED, "Too many wrong codes. Enter your email and password again."), false)
	}
	if err := s.AdminTOTP.Verify(ctx, a, utils.CopyString(c.FormValue("code"))); err != nil {
		if errors.Is(err, app.ErrBadCode) {
			if err := s.Auth.CodeFailed(ctx, a, utils.CopyString(s.Cookie(c, web.DeviceCookie))); err != nil {
				return err
			}
		}
		return fail(err, true)
	}
	if n, _, err := s.Auth.Limiter.Hit(ctx, "mfa-done:"+nonce, app.PendingLoginTTL*2); err != nil {
		return err
	} else if n > 1 {
		return fail(expired, false)
	}
	sess, err := s.Auth.StartSession(ctx, a)
	if err != nil {
		return err
	}
	s.Audit.Record(app.NewContextWithAdmin(ctx, a), "login", "nexus", "with two-factor")
	s.ClearCookie(c, mfaCookie)
	s.SetCookie(c, sessionCookie, sess.ID, app.SessionTTL)
	return c.Redirect(next, fiber.StatusSeeOther)
}

// requireAdminTOTP sends owners who must use two-factor but have not set
// it up to their account page, and refuses anything else meanwhile.
func (s *Handler) requireAdminTOTP(c *fiber.Ctx) error {
	if s.AdminTOTP == nil || strings.HasPrefix(c.Path(), "/account") {
		return c.Next()
	}
	must, err := s.AdminTOTP.MustEnrol(c.UserContext(), web.Admin(c))
	if err != nil {
		return err
	}
	if must {
		if c.Method() == fiber.MethodGet {
			s.SetFlash(c, "warn", "Two-factor sign-in is required for owners. Set it up to continue.")
			return c.Redirect("/account", fiber.StatusSeeOther)
		}
		return app.Errorf(app.EFORBIDDEN, "Set up two-factor sign-in first (My account).")
	}
	return c.Next()
}

type adminAccountPage struct {
	web.Layout
	Sessions   []*app.AdminSessionInfo
	CurrentKey string
	TOTP       bool
	Required   bool
	Setup      *app.TOTPSetup
	Errors     map[string]string
}

func (s *Handler) handleAdminAccount(c *fiber.Ctx) error {
	return s.renderAdminAccount(c, &adminAccountPage{})
}

func (s *Handler) renderAdminAccount(c *fiber.Ctx, p *adminAccountPage) error {
	ctx := c.UserContext()
	var err error
	if p.TOTP, err = s.AdminTOTP.Enabled(ctx, web.Admin(c).ID); err != nil {
		return err
	}
	if p.Required, err = s.AdminTOTP.Required(ctx); err != nil {
		return err
	}
	if s.AdminSessions != nil {
		if p.Sessions, err = s.AdminSessions.FindAdminSessions(ctx, web.Admin(c).ID); err != nil {
			return err
		}
		p.CurrentKey = app.HashToken(s.Cookie(c, sessionCookie))
	}
	if !p.TOTP && p.Setup == nil {
		if p.Setup, err = s.AdminTOTP.New(ctx); err != nil {
			return err
		}
	}
	p.Layout = s.Layout(c, web.HostNexus, "My account")
	return s.Render(c, "nexus/account", p)
}

func (s *Handler) handleAdminTOTPEnable(c *fiber.Ctx) error {
	secret := utils.CopyString(c.FormValue("secret"))
	if err := s.AdminTOTP.Enable(c.UserContext(), secret, utils.CopyString(c.FormValue("code"))); err != nil {
		return web.FormError(c, err, "code", func(e map[string]string) error {
			return s.renderAdminAccount(c, &adminAccountPage{Setup: &app.TOTPSetup{Secret: secret}, Errors: e})
		})
	}
	s.SetFlash(c, "ok", "Two-factor sign-in is on.")
	return c.Redirect("/account", fiber.StatusSeeOther)
}

func (s *Handler) handleAdminTOTPDisable(c *fiber.Ctx) error {
	if err := s.AdminTOTP.Disable(c.UserContext(), utils.CopyString(c.FormValue("password"))); err != nil {
		if app.ErrorCode(err) == app.EFORBIDDEN {
			s.SetFlash(c, "error", app.ErrorMessage(err))
			return c.Redirect("/account", fiber.StatusSeeOther)
		}
		return web.FormError(c, err, "password", func(e map[string]string) error { return s.renderAdminAccount(c, &adminAccountPage{Errors: e}) })
	}
	s.SetFlash(c, "ok", "Two-factor sign-in is off.")
	return c.Redirect("/account", fiber.StatusSeeOther)
}

func (s *Handler) handleAdminTOTPPolicy(c *fiber.Ctx) error {
	on := c.FormValue("require") == "on"
	if err := s.AdminTOTP.SetPolicy(c.UserContext(), on); err != nil {
		if app.ErrorCode(err) != app.EFORBIDDEN {
			return err
		}
		s.SetFlash(c, "error", app.ErrorMessage(err))
	} else if on {
		s.SetFlash(c, "ok", "Owners must now sign in with two-factor.")
	} else {
		s.SetFlash(c, "ok", "Two-factor is optional for owners again.")
	}
	return c.Redirect("/account", fiber.StatusSeeOther)
}
