package api

import (
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
	"orengen/ui/web"

	"orengen/app"
)

// apiKeysPage lists keys; NewKey is shown once, right after creation.
type apiKeysPage struct {
	web.Layout
	Keys     []*app.APIKey
	NewKey   string
	CanWrite bool
	APIBase  string
	Errors   map[string]string
	Tenants  []*app.Tenant
}

func (s *Handler) handlePortalAPIKeys(c *fiber.Ctx) error {
	if err := web.RequireOwner(c, "manage API keys"); err != nil {
		return err
	}
	return s.renderPortalAPIKeys(c, &apiKeysPage{})
}

func (s *Handler) renderPortalAPIKeys(c *fiber.Ctx, p *apiKeysPage) error {
	var err error
	if p.Keys, err = s.APIKeys.ListTenantKeys(c.UserContext()); err != nil {
		return err
	}
	p.CanWrite = true
	p.APIBase = c.BaseURL() + "/api/v1"
	p.Layout = s.Layout(c, web.HostPortal, "API keys")
	return s.Render(c, "portal/apikeys", p)
}

func (s *Handler) handlePortalAPIKeyCreate(c *fiber.Ctx) error {
	if err := web.RequireOwner(c, "manage API keys"); err != nil {
		return err
	}
	raw, _, err := s.APIKeys.CreateTenantKey(c.UserContext(), utils.CopyString(c.FormValue("name")), utils.CopyString(c.FormValue("scope")))
	if err != nil {
		return web.FormError(c, err, "name", func(e map[string]string) error { return s.renderPortalAPIKeys(c, &apiKeysPage{Errors: e}) })
	}
	// The key is shown on this response only; it is never stored in clear.
	return s.renderPortalAPIKeys(c, &apiKeysPage{NewKey: raw})
}

func (s *Handler) handlePortalAPIKeyRevoke(c *fiber.Ctx) error {
	if err := web.RequireOwner(c, "manage API keys"); err != nil {
		return err
	}
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	if err := s.APIKeys.RevokeTenantKey(c.UserContext(), id); err != nil {
		return err
	}
	s.SetFlash(c, "ok", "API key revoked.")
	return c.Redirect("/apikeys", fiber.StatusSeeOther)
}

func (s *Handler) handleAdminAPIKeys(c *fiber.Ctx) error {
	return s.renderAdminAPIKeys(c, &apiKeysPage{})
}

func (s *Handler) renderAdminAPIKeys(c *fiber.Ctx, p *apiKeysPage) error {
	var err error
	if p.Keys, err = s.APIKeys.ListAdminKeys(c.UserContext()); err != nil {
		return err
	}
	p.CanWrite = web.Admin(c).Role == app.RoleOwner
	p.APIBase = s.URL(web.HostNexus) + "/api/v1"
	p.Layout = s.Layout(c, web.HostNexus, "API keys")
	return s.Render(c, "nexus/apikeys", p)
}

func (s *Handler) handleAdminAPIKeyCreate(c *fiber.Ctx) error {
	raw, _, err := s.APIKeys.CreateAdminKey(c.UserContext(), utils.CopyString(c.FormValue("name")), utils.CopyString(c.FormValue("scope")))
	if err != nil {
		return web.FormError(c, err, "name", func(e map[string]string) error { return s.renderAdminAPIKeys(c, &apiKeysPage{Errors: e}) })
	}
	return s.renderAdminAPIKeys(c, &apiKeysPage{NewKey: raw})
}

func (s *Handler) handleAdminAPIKeyRevoke(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	if err := s.APIKeys.RevokeAdminKey(c.UserContext(), id); err != nil {
		return err
	}
	s.SetFlash(c, "ok", "API key revoked.")
	return c.Redirect("/apikeys", fiber.StatusSeeOther)
}

// MountPortalKeys serves Portal > API keys (the owner manages the
// tenant's keys).
func (s *Handler) MountPortalKeys(r fiber.Router, csrf fiber.Handler) {
	r.Get("/apikeys", s.handlePortalAPIKeys)
	r.Post("/apikeys", csrf, s.handlePortalAPIKeyCreate)
	r.Post("/apikeys/:id/revoke", csrf, s.handlePortalAPIKeyRevoke)
	s.MountDevTools(r, web.PortalScope, csrf)
}

// MountAdminKeys serves Nexus > API keys (admin keys).
func (s *Handler) MountAdminKeys(r fiber.Router, csrf fiber.Handler) {
	r.Get("/apikeys", s.handleAdminAPIKeys)
	r.Post("/apikeys", csrf, s.handleAdminAPIKeyCreate)
	r.Post("/apikeys/:id/revoke", csrf, s.handleAdminAPIKeyRevoke)
	s.MountDevTools(r, web.NexusScope, csrf)
}
