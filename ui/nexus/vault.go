package nexus

import (
	"orengen/ui/web"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
)

// registerVaultRoutes serves Nexus > Infrastructure > Vault: names,
// scopes and last use. Values are write-only: the page never shows one,
// and replacing a value means typing the new one.
func (s *Handler) registerVaultRoutes(r fiber.Router, csrf fiber.Handler) {
	r.Get("/vault", s.handleVault)
	r.Post("/vault", csrf, s.handleVaultPut)
	r.Post("/vault/delete", csrf, s.handleVaultDelete)
}

type vaultPage struct {
	web.Layout
	Secrets  []*app.Secret
	Tenants  map[int64]string
	AllTen   []*app.Tenant
	Name     string
	Scope    int64
	Errors   map[string]string
	CanWrite bool
	Known    []app.KnownSecret
	Set      map[string]bool // known names set in some scope
}

func (s *Handler) handleVault(c *fiber.Ctx) error {
	return s.renderVault(c, &vaultPage{})
}

func (s *Handler) renderVault(c *fiber.Ctx, p *vaultPage) error {
	var err error
	if p.Secrets, err = s.Vault.ListAll(c.UserContext()); err != nil {
		return err
	}
	if p.AllTen, err = s.Tenants.ListTenants(c.UserContext()); err != nil {
		return err
	}
	p.Tenants = map[int64]string{0: "global"}
	for _, t := range p.AllTen {
		p.Tenants[t.ID] = t.Name
	}
	p.Known, p.Set = app.KnownSecrets, map[string]bool{}
	for _, sec := range p.Secrets {
		p.Set[sec.Name] = true
	}
	p.CanWrite = web.Admin(c).Role == app.RoleOwner
	p.Layout = s.Layout(c, web.HostNexus, "Vault")
	return s.Render(c, "nexus/vault", p)
}

func (s *Handler) vaultScope(c *fiber.Ctx) (app.VaultScope, error) {
	id, err := strconv.ParseInt(c.FormValue("scope"), 10, 64)
	if err != nil || id < 0 {
		return app.VaultScope{}, app.FieldErrorf("scope", "Choose global or a tenant.")
	}
	if id != 0 {
		if _, err := s.Tenants.TenantByID(c.UserContext(), id); err != nil {
			return app.VaultScope{}, app.FieldErrorf("scope", "Choose global or a tenant.")
		}
	}
	return app.TenantScope(id), nil
}

// requireOwnerAdmin refuses Nexus staff an owner-only action.
func requireOwnerAdmin(c *fiber.Ctx, what string) error {
	if a := web.Admin(c); a == nil || a.Role != app.RoleOwner {
		return app.Errorf(app.EFORBIDDEN, "Only Nexus owners can %s.", what)
	}
	return nil
}

func (s *Handler) handleVaultPut(c *fiber.Ctx) error {
	if err := requireOwnerAdmin(c, "change the vault"); err != nil {
		return err
	}
	name := utils.CopyString(c.FormValue("name"))
	scope, err := s.vaultScope(c)
	if err == nil {
		// The value is read, sealed and dropped; it goes in no log, no
		// flash and no re-rendered form.
		err = s.Vault.Put(c.UserContext(), scope, name, utils.CopyString(c.FormValue("value")))
	}
	if err != nil {
		return web.FormError(c, err, "name", func(e map[string]string) error {
			return s.renderVault(c, &vaultPage{Name: name, Scope: scope.TenantID, Errors: e})
		})
	}
	s.SetFlash(c, "ok", "Secret "+name+" saved ("+scope.String()+").")
	return c.Redirect("/vault", fiber.StatusSeeOther)
}

func (s *Handler) handleVaultDelete(c *fiber.Ctx) error {
	if err := requireOwnerAdmin(c, "change the vault"); err != nil {
		return err
	}
	scope, err := s.vaultScope(c)
	if err != nil {
		return err
	}
	name := utils.CopyString(c.FormValue("name"))
	if err := s.Vault.Delete(c.UserContext(), scope, name); err != nil {
		return err
	}
	s.SetFlash(c, "ok", "Secret "+name+" deleted.")
	return c.Redirect("/vault", fiber.StatusSeeOther)
}
