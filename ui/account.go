package ui

import (
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
)

// registerPortalUserRoutes serves the signed-in user's account (password,
// two-factor, sessions), the tenant's team and its API keys.
func (s *Server) registerPortalUserRoutes(r fiber.Router, csrf fiber.Handler) {
	r.Get("/account", s.handleAccount)
	r.Post("/account/password", csrf, s.handleAccountPassword)
	r.Get("/account/2fa", s.handleTOTPSetup)
	r.Post("/account/2fa", csrf, s.handleTOTPEnable)
	r.Post("/account/2fa/disable", csrf, s.handleTOTPDisable)
	r.Post("/account/sessions/:key/revoke", csrf, s.handleSessionRevoke)
	r.Get("/team", s.handleTeam)
	r.Post("/team", csrf, s.handleTeamInvite)
	r.Post("/team/:id/role", csrf, s.handleTeamRole)
	r.Post("/team/:id/delete", csrf, s.handleTeamRemove)
	r.Get("/apikeys", s.handlePortalAPIKeys)
	r.Post("/apikeys", csrf, s.handlePortalAPIKeyCreate)
	r.Post("/apikeys/:id/revoke", csrf, s.handlePortalAPIKeyRevoke)
}

type accountPage struct {
	Layout
	Sessions   []*app.PortalSession
	CurrentKey string
	Errors     map[string]string
}

func (s *Server) handleAccount(c *fiber.Ctx) error {
	return s.renderAccount(c, &accountPage{})
}

func (s *Server) renderAccount(c *fiber.Ctx, p *accountPage) error {
	var err error
	if p.Sessions, err = s.Users.ListSessions(c.UserContext()); err != nil {
		return err
	}
	p.CurrentKey = app.HashToken(s.cookie(c, portalSessionCookie))
	p.Layout = s.layout(c, HostPortal, "My account")
	return s.render(c, "portal/account", p)
}

// formError re-renders a form for a user-facing error, or returns err.
func formError(c *fiber.Ctx, err error, def string, render func(map[string]string) error) error {
	code := app.ErrorCode(err)
	if code == app.EINTERNAL {
		return err
	}
	c.Status(ErrorStatus(code))
	return render(map[string]string{fieldOr(err, def): app.ErrorMessage(err)})
}

func (s *Server) handleAccountPassword(c *fiber.Ctx) error {
	cur, next, confirm := utils.CopyString(c.FormValue("current")), utils.CopyString(c.FormValue("password")), c.FormValue("confirm")
	var err error
	if next != confirm {
		err = app.FieldErrorf("confirm", "The two passwords do not match.")
	} else {
		err = s.Users.ChangePassword(c.UserContext(), cur, next)
	}
	if err != nil {
		return formError(c, err, "password", func(e map[string]string) error { return s.renderAccount(c, &accountPage{Errors: e}) })
	}
	s.setFlash(c, "ok", "Password changed.")
	return c.Redirect("/account", fiber.StatusSeeOther)
}

type totpPage struct {
	Layout
	Setup  *app.TOTPSetup
	Errors map[string]string
}

func (s *Server) handleTOTPSetup(c *fiber.Ctx) error {
	if currentUser(c).TOTPEnabled() {
		return c.Redirect("/account", fiber.StatusSeeOther)
	}
	setup, err := s.Users.NewTOTP(c.UserContext())
	if err != nil {
		return err
	}
	p := &totpPage{Setup: setup}
	p.Layout = s.layout(c, HostPortal, "Two-factor sign-in")
	return s.render(c, "portal/totp", p)
}

func (s *Server) handleTOTPEnable(c *fiber.Ctx) error {
	secret := utils.CopyString(c.FormValue("secret"))
	if err := s.Users.EnableTOTP(c.UserContext(), secret, utils.CopyString(c.FormValue("code"))); err != nil {
		return formError(c, err, "code", func(e map[string]string) error {
			p := &totpPage{Setup: &app.TOTPSetup{Secret: secret}, Errors: e}
			p.Layout = s.layout(c, HostPortal, "Two-factor sign-in")
			return s.render(c, "portal/totp", p)
		})
	}
	s.setFlash(c, "ok", "Two-factor sign-in is on. You will need a code from your app each time you sign in.")
	return c.Redirect("/account", fiber.StatusSeeOther)
}

func (s *Server) handleTOTPDisable(c *fiber.Ctx) error {
	if err := s.Users.DisableTOTP(c.UserContext(), utils.CopyString(c.FormValue("password"))); err != nil {
		return formError(c, err, "disable_password", func(e map[string]string) error {
			if m, ok := e["password"]; ok {
				e = map[string]string{"disable_password": m}
			}
			return s.renderAccount(c, &accountPage{Errors: e})
		})
	}
	s.setFlash(c, "ok", "Two-factor sign-in is off.")
	return c.Redirect("/account", fiber.StatusSeeOther)
}

func (s *Server) handleSessionRevoke(c *fiber.Ctx) error {
	key := utils.CopyString(c.Params("key"))
	if err := s.Users.RevokeSession(c.UserContext(), key); err != nil {
		return err
	}
	if key == app.HashToken(s.cookie(c, portalSessionCookie)) {
		s.clearCookie(c, portalSessionCookie)
		return c.Redirect("/login", fiber.StatusSeeOther)
	}
	s.setFlash(c, "ok", "Session signed out.")
	return c.Redirect("/account", fiber.StatusSeeOther)
}

type teamPage struct {
	Layout
	Users    []*app.User
	CanWrite bool
	Email    string
	Name     string
	Role     string
	Errors   map[string]string
}

func (s *Server) handleTeam(c *fiber.Ctx) error {
	return s.renderTeam(c, &teamPage{Role: app.UserRoleMember})
}

func (s *Server) renderTeam(c *fiber.Ctx, p *teamPage) error {
	var err error
	if p.Users, err = s.Users.ListUsers(c.UserContext()); err != nil {
		return err
	}
	p.CanWrite = currentUser(c).Role == app.UserRoleOwner
	p.Layout = s.layout(c, HostPortal, "Team")
	return s.render(c, "portal/team", p)
}

func (s *Server) handleTeamInvite(c *fiber.Ctx) error {
	p := &teamPage{Email: utils.CopyString(c.FormValue("email")), Name: utils.CopyString(c.FormValue("name")), Role: utils.CopyString(c.FormValue("role"))}
	u, err := s.Users.Invite(c.UserContext(), p.Email, p.Name, p.Role)
	if err != nil {
		return formError(c, err, "email", func(e map[string]string) error { p.Errors = e; return s.renderTeam(c, p) })
	}
	s.setFlash(c, "ok", "Invitation sent to "+u.Email+".")
	return c.Redirect("/team", fiber.StatusSeeOther)
}

func (s *Server) handleTeamRole(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	if err := s.Users.SetRole(c.UserContext(), id, utils.CopyString(c.FormValue("role"))); err != nil {
		if app.ErrorCode(err) == app.EINVALID {
			s.setFlash(c, "error", app.ErrorMessage(err))
			return c.Redirect("/team", fiber.StatusSeeOther)
		}
		return err
	}
	s.setFlash(c, "ok", "Role changed.")
	return c.Redirect("/team", fiber.StatusSeeOther)
}

func (s *Server) handleTeamRemove(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	if err := s.Users.RemoveUser(c.UserContext(), id); err != nil {
		if app.ErrorCode(err) == app.EINVALID {
			s.setFlash(c, "error", app.ErrorMessage(err))
			return c.Redirect("/team", fiber.StatusSeeOther)
		}
		return err
	}
	s.setFlash(c, "ok", "User removed.")
	return c.Redirect("/team", fiber.StatusSeeOther)
}

// apiKeysPage lists keys; NewKey is shown once, right after creation.
type apiKeysPage struct {
	Layout
	Keys     []*app.APIKey
	NewKey   string
	CanWrite bool
	APIBase  string
	Errors   map[string]string
	Tenants  []*app.Tenant
}

// requireOwner refuses a tenant member an owner-only action.
func (s *Server) requireOwner(c *fiber.Ctx, what string) error {
	if u := currentUser(c); u == nil || u.Role != app.UserRoleOwner {
		return app.Errorf(app.EFORBIDDEN, "Only the account owner can %s.", what)
	}
	return nil
}

func (s *Server) handlePortalAPIKeys(c *fiber.Ctx) error {
	if err := s.requireOwner(c, "manage API keys"); err != nil {
		return err
	}
	return s.renderPortalAPIKeys(c, &apiKeysPage{})
}

func (s *Server) renderPortalAPIKeys(c *fiber.Ctx, p *apiKeysPage) error {
	var err error
	if p.Keys, err = s.APIKeys.ListTenantKeys(c.UserContext()); err != nil {
		return err
	}
	p.CanWrite = true
	p.APIBase = c.BaseURL() + "/api/v1"
	p.Layout = s.layout(c, HostPortal, "API keys")
	return s.render(c, "portal/apikeys", p)
}

func (s *Server) handlePortalAPIKeyCreate(c *fiber.Ctx) error {
	if err := s.requireOwner(c, "manage API keys"); err != nil {
		return err
	}
	raw, _, err := s.APIKeys.CreateTenantKey(c.UserContext(), utils.CopyString(c.FormValue("name")), utils.CopyString(c.FormValue("scope")))
	if err != nil {
		return formError(c, err, "name", func(e map[string]string) error { return s.renderPortalAPIKeys(c, &apiKeysPage{Errors: e}) })
	}
	// The key is shown on this response only; it is never stored in clear.
	return s.renderPortalAPIKeys(c, &apiKeysPage{NewKey: raw})
}

func (s *Server) handlePortalAPIKeyRevoke(c *fiber.Ctx) error {
	if err := s.requireOwner(c, "manage API keys"); err != nil {
		return err
	}
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	if err := s.APIKeys.RevokeTenantKey(c.UserContext(), id); err != nil {
		return err
	}
	s.setFlash(c, "ok", "API key revoked.")
	return c.Redirect("/apikeys", fiber.StatusSeeOther)
}
