package portal

import (
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
	"orengen/ui/web"

	"orengen/app"
)

// registerPortalUserRoutes serves the signed-in user's account (password,
// two-factor, sessions), the tenant's team and its API keys.
func (s *Handler) registerPortalUserRoutes(r fiber.Router, csrf fiber.Handler) {
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
	s.API.MountPortalKeys(r, csrf)
}

type accountPage struct {
	web.Layout
	Sessions   []*app.PortalSession
	CurrentKey string
	Errors     map[string]string
}

func (s *Handler) handleAccount(c *fiber.Ctx) error {
	return s.renderAccount(c, &accountPage{})
}

func (s *Handler) renderAccount(c *fiber.Ctx, p *accountPage) error {
	var err error
	if p.Sessions, err = s.Users.ListSessions(c.UserContext()); err != nil {
		return err
	}
	p.CurrentKey = app.HashToken(c.Cookies(portalSessionCookie))
	p.Layout = s.Layout(c, web.HostPortal, "My account")
	return s.Render(c, "portal/account", p)
}

func (s *Handler) handleAccountPassword(c *fiber.Ctx) error {
	cur, next, confirm := utils.CopyString(c.FormValue("current")), utils.CopyString(c.FormValue("password")), c.FormValue("confirm")
	var err error
	if next != confirm {
		err = app.FieldErrorf("confirm", "The two passwords do not match.")
	} else {
		err = s.Users.ChangePassword(c.UserContext(), cur, next)
	}
	if err != nil {
		return web.FormError(c, err, "password", func(e map[string]string) error { return s.renderAccount(c, &accountPage{Errors: e}) })
	}
	s.SetFlash(c, "ok", "Password changed.")
	return c.Redirect("/account", fiber.StatusSeeOther)
}

type totpPage struct {
	web.Layout
	Setup  *app.TOTPSetup
	Errors map[string]string
}

func (s *Handler) handleTOTPSetup(c *fiber.Ctx) error {
	if web.User(c).TOTPEnabled() {
		return c.Redirect("/account", fiber.StatusSeeOther)
	}
	setup, err := s.Users.NewTOTP(c.UserContext())
	if err != nil {
		return err
	}
	p := &totpPage{Setup: setup}
	p.Layout = s.Layout(c, web.HostPortal, "Two-factor sign-in")
	return s.Render(c, "portal/totp", p)
}

func (s *Handler) handleTOTPEnable(c *fiber.Ctx) error {
	secret := utils.CopyString(c.FormValue("secret"))
	if err := s.Users.EnableTOTP(c.UserContext(), secret, utils.CopyString(c.FormValue("code"))); err != nil {
		return web.FormError(c, err, "code", func(e map[string]string) error {
			p := &totpPage{Setup: &app.TOTPSetup{Secret: secret}, Errors: e}
			p.Layout = s.Layout(c, web.HostPortal, "Two-factor sign-in")
			return s.Render(c, "portal/totp", p)
		})
	}
	s.SetFlash(c, "ok", "Two-factor sign-in is on. You will need a code from your app each time you sign in.")
	return c.Redirect("/account", fiber.StatusSeeOther)
}

func (s *Handler) handleTOTPDisable(c *fiber.Ctx) error {
	if err := s.Users.DisableTOTP(c.UserContext(), utils.CopyString(c.FormValue("password"))); err != nil {
		return web.FormError(c, err, "disable_password", func(e map[string]string) error {
			if m, ok := e["password"]; ok {
				e = map[string]string{"disable_password": m}
			}
			return s.renderAccount(c, &accountPage{Errors: e})
		})
	}
	s.SetFlash(c, "ok", "Two-factor sign-in is off.")
	return c.Redirect("/account", fiber.StatusSeeOther)
}

func (s *Handler) handleSessionRevoke(c *fiber.Ctx) error {
	key := utils.CopyString(c.Params("key"))
	if err := s.Users.RevokeSession(c.UserContext(), key); err != nil {
		return err
	}
	if key == app.HashToken(c.Cookies(portalSessionCookie)) {
		s.ClearCookie(c, portalSessionCookie)
		return c.Redirect("/login", fiber.StatusSeeOther)
	}
	s.SetFlash(c, "ok", "Session signed out.")
	return c.Redirect("/account", fiber.StatusSeeOther)
}

type teamPage struct {
	web.Layout
	Users    []*app.User
	CanWrite bool
	Email    string
	Name     string
	Role     string
	Errors   map[string]string
}

func (s *Handler) handleTeam(c *fiber.Ctx) error {
	return s.renderTeam(c, &teamPage{Role: app.UserRoleMember})
}

func (s *Handler) renderTeam(c *fiber.Ctx, p *teamPage) error {
	var err error
	if p.Users, err = s.Users.ListUsers(c.UserContext()); err != nil {
		return err
	}
	p.CanWrite = web.User(c).Role == app.UserRoleOwner
	p.Layout = s.Layout(c, web.HostPortal, "Team")
	return s.Render(c, "portal/team", p)
}

func (s *Handler) handleTeamInvite(c *fiber.Ctx) error {
	p := &teamPage{Email: utils.CopyString(c.FormValue("email")), Name: utils.CopyString(c.FormValue("name")), Role: utils.CopyString(c.FormValue("role"))}
	u, err := s.Users.Invite(c.UserContext(), p.Email, p.Name, p.Role)
	if err != nil {
		return web.FormError(c, err, "email", func(e map[string]string) error { p.Errors = e; return s.renderTeam(c, p) })
	}
	s.SetFlash(c, "ok", "Invitation sent to "+u.Email+".")
	return c.Redirect("/team", fiber.StatusSeeOther)
}

func (s *Handler) handleTeamRole(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	if err := s.Users.SetRole(c.UserContext(), id, utils.CopyString(c.FormValue("role"))); err != nil {
		if app.ErrorCode(err) == app.EINVALID {
			s.SetFlash(c, "error", app.ErrorMessage(err))
			return c.Redirect("/team", fiber.StatusSeeOther)
		}
		return err
	}
	s.SetFlash(c, "ok", "Role changed.")
	return c.Redirect("/team", fiber.StatusSeeOther)
}

func (s *Handler) handleTeamRemove(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	if err := s.Users.RemoveUser(c.UserContext(), id); err != nil {
		if app.ErrorCode(err) == app.EINVALID {
			s.SetFlash(c, "error", app.ErrorMessage(err))
			return c.Redirect("/team", fiber.StatusSeeOther)
		}
		return err
	}
	s.SetFlash(c, "ok", "User removed.")
	return c.Redirect("/team", fiber.StatusSeeOther)
}
