package nexus

import (
	"io"
	"orengen/ui/web"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
)

// registerTenantRoutes serves Nexus > Control Room > Tenants and the admin
// API keys page. Nexus acts on one tenant by scoping the context to it,
// so the same tenant-scoped store methods serve both hosts.
func (s *Handler) registerTenantRoutes(r fiber.Router, csrf fiber.Handler) {
	r.Get("/tenants", s.handleTenants)
	r.Post("/tenants", csrf, s.handleTenantCreate)
	r.Get("/tenants/:id", s.handleTenant)
	r.Post("/tenants/:id", csrf, s.handleTenantUpdate)
	r.Post("/tenants/:id/status", csrf, s.handleTenantStatus)
	r.Post("/tenants/:id/federal", csrf, s.handleTenantFederal)
	r.Get("/tenants/:id/logo", s.handleTenantLogo)
	r.Post("/tenants/:id/logo", csrf, s.handleTenantLogoUpload)
	r.Post("/tenants/:id/logo/delete", csrf, s.handleTenantLogoDelete)
	r.Post("/tenants/:id/users", csrf, s.handleTenantUserInvite)
	r.Post("/tenants/:id/apikeys", csrf, s.handleTenantAPIKeyCreate)
	r.Post("/tenants/:id/apikeys/:kid/revoke", csrf, s.handleTenantAPIKeyRevoke)
	s.API.MountAdminKeys(r, csrf)
}

type tenantsPage struct {
	web.Layout
	Tenants []*app.Tenant
	Form    tenantForm
	Errors  map[string]string
}

type tenantForm struct {
	Name, Slug, DisplayName, PrimaryColor, AccentColor, SupportEmail, Timezone, Domain string
}

func readTenantForm(c *fiber.Ctx) tenantForm {
	g := web.FormGetter(c)
	return tenantForm{Name: g("name"), Slug: g("slug"), DisplayName: g("display_name"), PrimaryColor: g("primary_color"),
		AccentColor: g("accent_color"), SupportEmail: g("support_email"), Timezone: g("timezone"), Domain: g("domain")}
}

func (s *Handler) handleTenants(c *fiber.Ctx) error {
	return s.renderTenants(c, &tenantsPage{Form: tenantForm{PrimaryColor: app.DefaultPrimaryColor, AccentColor: app.DefaultAccentColor, Timezone: "UTC"}})
}

func (s *Handler) renderTenants(c *fiber.Ctx, p *tenantsPage) error {
	var err error
	if p.Tenants, err = s.Tenants.ListTenants(c.UserContext()); err != nil {
		return err
	}
	p.Layout = s.Layout(c, web.HostNexus, "Tenants")
	return s.Render(c, "nexus/tenants", p)
}

func (s *Handler) handleTenantCreate(c *fiber.Ctx) error {
	f := readTenantForm(c)
	t := &app.Tenant{Name: f.Name, Slug: f.Slug, DisplayName: f.DisplayName, PrimaryColor: f.PrimaryColor, AccentColor: f.AccentColor,
		SupportEmail: f.SupportEmail, Timezone: f.Timezone}
	if err := s.Tenants.CreateTenant(c.UserContext(), t, f.Domain); err != nil {
		return web.FormError(c, err, "name", func(e map[string]string) error { return s.renderTenants(c, &tenantsPage{Form: f, Errors: e}) })
	}
	s.SetFlash(c, "ok", "Tenant "+t.Name+" created. Invite its first user below.")
	return c.Redirect("/tenants/"+strconv.FormatInt(t.ID, 10), fiber.StatusSeeOther)
}

type tenantPage struct {
	web.Layout
	T        *app.Tenant
	Form     tenantForm
	Errors   map[string]string
	Users    []*app.User
	Keys     []*app.APIKey
	Domains  []string
	NewKey   string
	Invited  string
	Contrast map[string]string
	// Federal: whether the Federal section can be turned on (the server
	// has it and the tenant is a client) and whether it is.
	FederalAvailable, FederalOn bool
	ExportOn                    bool // the tenant export is wired (issue #22)
}

func (s *Handler) tenantParam(c *fiber.Ctx) (*app.Tenant, error) {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return nil, err
	}
	return s.Tenants.TenantByID(c.UserContext(), id)
}

func (s *Handler) handleTenant(c *fiber.Ctx) error {
	t, err := s.tenantParam(c)
	if err != nil {
		return err
	}
	return s.renderTenant(c, t, &tenantPage{})
}

func (s *Handler) renderTenant(c *fiber.Ctx, t *app.Tenant, p *tenantPage) error {
	ctx := app.NewContextWithTenant(c.UserContext(), t)
	var err error
	p.T = t
	if p.Form.Name == "" {
		p.Form = tenantForm{Name: t.Name, DisplayName: t.DisplayName, PrimaryColor: t.PrimaryColor, AccentColor: t.AccentColor, SupportEmail: t.SupportEmail, Timezone: t.Timezone}
	}
	if p.Users, err = s.Users.ListUsers(ctx); err != nil {
		return err
	}
	if p.Keys, err = s.APIKeys.ListTenantKeys(ctx); err != nil {
		return err
	}
	if s.Tenants.Domains != nil {
		if p.Domains, err = s.Tenants.Domains.DomainsByTenant(ctx, t.ID); err != nil {
			return err
		}
	}
	if s.Federal != nil && !t.House {
		on, err := s.Federal.FederalOn(c.UserContext(), t.ID)
		if err != nil {
			return err
		}
		p.FederalAvailable, p.FederalOn = true, on
	}
	p.ExportOn = s.Transfer != nil
	p.Layout = s.Layout(c, web.HostNexus, t.Name)
	return s.Render(c, "nexus/tenant", p)
}

func (s *Handler) handleTenantUpdate(c *fiber.Ctx) error {
	t, err := s.tenantParam(c)
	if err != nil {
		return err
	}
	f := readTenantForm(c)
	upd := app.TenantUpdate{Name: &f.Name, DisplayName: &f.DisplayName, PrimaryColor: &f.PrimaryColor, AccentColor: &f.AccentColor,
		SupportEmail: &f.SupportEmail, Timezone: &f.Timezone}
	if _, err := s.Tenants.UpdateTenant(c.UserContext(), t.ID, upd); err != nil {
		return web.FormError(c, err, "name", func(e map[string]string) error { return s.renderTenant(c, t, &tenantPage{Form: f, Errors: e}) })
	}
	s.SetFlash(c, "ok", "Saved.")
	return c.Redirect("/tenants/"+strconv.FormatInt(t.ID, 10), fiber.StatusSeeOther)
}

func (s *Handler) handleTenantStatus(c *fiber.Ctx) error {
	t, err := s.tenantParam(c)
	if err != nil {
		return err
	}
	status := utils.CopyString(c.FormValue("status"))
	if _, err := s.Tenants.UpdateTenant(c.UserContext(), t.ID, app.TenantUpdate{Status: &status}); err != nil {
		if app.ErrorCode(err) != app.EINVALID {
			return err
		}
		s.SetFlash(c, "error", app.ErrorMessage(err))
	} else if status == app.TenantSuspended {
		s.SetFlash(c, "ok", t.Name+" is suspended: its users cannot sign in and its API keys stop working.")
	} else {
		s.SetFlash(c, "ok", t.Name+" is active again.")
	}
	return c.Redirect("/tenants/"+strconv.FormatInt(t.ID, 10), fiber.StatusSeeOther)
}

func (s *Handler) handleTenantLogo(c *fiber.Ctx) error {
	t, err := s.tenantParam(c)
	if err != nil {
		return err
	}
	l, err := s.Tenants.Logo(c.UserContext(), t.ID)
	if err != nil {
		return err
	}
	return web.SendLogo(c, l, "private")
}

func (s *Handler) handleTenantLogoUpload(c *fiber.Ctx) error {
	t, err := s.tenantParam(c)
	if err != nil {
		return err
	}
	err = app.FieldErrorf("logo", "Choose a PNG or JPEG file.")
	if fh, ferr := c.FormFile("logo"); ferr == nil {
		var data []byte
		if f, oerr := fh.Open(); oerr == nil {
			data, err = io.ReadAll(io.LimitReader(f, app.MaxLogoBytes+1))
			f.Close()
			if err == nil {
				err = s.Tenants.SetLogo(c.UserContext(), t.ID, data)
			}
		}
	}
	if err != nil {
		return web.FormError(c, err, "logo", func(e map[string]string) error { return s.renderTenant(c, t, &tenantPage{Errors: e}) })
	}
	s.SetFlash(c, "ok", "Logo saved.")
	return c.Redirect("/tenants/"+strconv.FormatInt(t.ID, 10), fiber.StatusSeeOther)
}

func (s *Handler) handleTenantLogoDelete(c *fiber.Ctx) error {
	t, err := s.tenantParam(c)
	if err != nil {
		return err
	}
	if err := s.Tenants.RemoveLogo(c.UserContext(), t); err != nil {
		return err
	}
	s.SetFlash(c, "ok", "Logo removed.")
	return c.Redirect("/tenants/"+strconv.FormatInt(t.ID, 10), fiber.StatusSeeOther)
}

func (s *Handler) handleTenantUserInvite(c *fiber.Ctx) error {
	t, err := s.tenantParam(c)
	if err != nil {
		return err
	}
	email, name, role := utils.CopyString(c.FormValue("email")), utils.CopyString(c.FormValue("name")), utils.CopyString(c.FormValue("role"))
	if _, err := s.Users.Invite(app.NewContextWithTenant(c.UserContext(), t), email, name, role); err != nil {
		return web.FormError(c, err, "email", func(e map[string]string) error { return s.renderTenant(c, t, &tenantPage{Errors: e}) })
	}
	s.SetFlash(c, "ok", "Invitation for "+email+" is in the outbox (no email server yet): open System > Outbox to copy the link.")
	return c.Redirect("/tenants/"+strconv.FormatInt(t.ID, 10), fiber.StatusSeeOther)
}

func (s *Handler) handleTenantAPIKeyCreate(c *fiber.Ctx) error {
	t, err := s.tenantParam(c)
	if err != nil {
		return err
	}
	raw, _, err := s.APIKeys.CreateTenantKey(app.NewContextWithTenant(c.UserContext(), t), utils.CopyString(c.FormValue("name")), utils.CopyString(c.FormValue("scope")))
	if err != nil {
		// The page has a tenant form too: the key form's fields are key_*.
		if f := app.ErrorField(err); f == "name" || f == "scope" {
			err = app.FieldErrorf("key_"+f, "%s", app.ErrorMessage(err))
		}
		return web.FormError(c, err, "key_name", func(e map[string]string) error { return s.renderTenant(c, t, &tenantPage{Errors: e}) })
	}
	return s.renderTenant(c, t, &tenantPage{NewKey: raw})
}

func (s *Handler) handleTenantAPIKeyRevoke(c *fiber.Ctx) error {
	t, err := s.tenantParam(c)
	if err != nil {
		return err
	}
	kid, err := web.ParamID(c, "kid")
	if err != nil {
		return err
	}
	if err := s.APIKeys.RevokeTenantKey(app.NewContextWithTenant(c.UserContext(), t), kid); err != nil {
		return err
	}
	s.SetFlash(c, "ok", "API key revoked.")
	return c.Redirect("/tenants/"+strconv.FormatInt(t.ID, 10), fiber.StatusSeeOther)
}

// handleTenantFederal turns the client's Federal section on or off
// (federal=on|off), audit-logged. Its portal shows the section only while
// on; the scout runs its saved searches within the shared SAM.gov quota.
func (s *Handler) handleTenantFederal(c *fiber.Ctx) error {
	if s.Federal == nil {
		return app.Errorf(app.ENOTFOUND, "Federal scouting is not configured on this server.")
	}
	t, err := s.tenantParam(c)
	if err != nil {
		return err
	}
	on := c.FormValue("federal") == "on"
	if err := s.Federal.SetFederalEnabled(c.UserContext(), t.ID, on); err != nil {
		return err
	}
	action, msg := "federal.disable", "Federal is off for "+t.Name+": its portal no longer shows the Federal section."
	if on {
		action, msg = "federal.enable", "Federal is on for "+t.Name+": its portal shows the Federal section."
	}
	s.Audit.Record(c.UserContext(), action, "tenant:"+strconv.FormatInt(t.ID, 10), "")
	s.SetFlash(c, "ok", msg)
	return c.Redirect("/tenants/"+strconv.FormatInt(t.ID, 10), fiber.StatusSeeOther)
}
