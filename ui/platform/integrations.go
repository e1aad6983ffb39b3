package platform

import (
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/app/platform"
	"orengen/ui/web"
)

// The integrations hub: Nexus > Infrastructure > Integrations (the
// agency's configuration) and, for a client's owners, Account >
// Integrations (the client's own, falling back to the agency's). Each
// integration has a page with where its secrets come from (never a
// value), its settings, its latest tests and a "Test connection" button.

// PortalNav is what the handler adds to the portal's Account section (for
// owners).
func (s *Handler) PortalNav() []web.NavItem {
	if s == nil || s.Hub == nil {
		return nil
	}
	return []web.NavItem{{Label: "Integrations", Path: "/integrations"}}
}

// MountPortal serves the client's integrations to its owners.
func (s *Handler) MountPortal(r fiber.Router, csrf fiber.Handler) {
	if s == nil || s.Hub == nil {
		return
	}
	owner := func(c *fiber.Ctx) error {
		if err := web.RequireOwner(c, "manage integrations"); err != nil {
			return err
		}
		return c.Next()
	}
	r.Get("/integrations", owner, s.handleIntegrations(web.PortalScope))
	r.Get("/integrations/:key", owner, s.handleIntegration(web.PortalScope))
	r.Post("/integrations/:key/test", owner, csrf, s.handleIntegrationTest(web.PortalScope))
}

func (s *Handler) mountNexusIntegrations(r fiber.Router, csrf fiber.Handler) {
	r.Get("/integrations", s.handleIntegrations(web.NexusScope))
	r.Get("/integrations/:key", s.handleIntegration(web.NexusScope))
	r.Post("/integrations/:key/test", csrf, s.handleIntegrationTest(web.NexusScope))
	r.Post("/integrations/:key/settings", csrf, s.handleIntegrationSettings)
}

// handleIntegrationSettings saves an integration's editable settings
// (Nexus): they apply from the next request, no restart.
func (s *Handler) handleIntegrationSettings(c *fiber.Ctx) error {
	key := utils.CopyString(c.Params("key"))
	st, err := s.Hub.Find(c.UserContext(), key)
	if err != nil {
		return err
	}
	values := map[string]string{}
	for _, f := range st.Fields {
		values[f.Name] = utils.CopyString(c.FormValue(f.Name))
	}
	if _, err := s.Hub.SaveSettings(c.UserContext(), key, values); app.ErrorCode(err) == app.EINVALID {
		s.SetFlash(c, "error", app.ErrorMessage(err))
		return c.Redirect("/integrations/"+key, fiber.StatusSeeOther)
	} else if err != nil {
		return err
	}
	s.SetFlash(c, "ok", "Settings saved: they apply from the next request.")
	return c.Redirect("/integrations/"+key, fiber.StatusSeeOther)
}

type integrationsPage struct {
	web.Layout
	Portal       bool
	Integrations []*platform.IntegrationStatus
}

type integrationPage struct {
	web.Layout
	Portal bool
	I      *platform.IntegrationStatus
	// Tested: this page answers the test just run.
	Tested bool
}

func (s *Handler) handleIntegrations(sc web.Scope) fiber.Handler {
	return func(c *fiber.Ctx) error {
		all, err := s.Hub.List(c.UserContext())
		if err != nil {
			return err
		}
		p := &integrationsPage{Portal: !sc.Nexus(), Integrations: all}
		p.Layout = s.Layout(c, sc.Host, "Integrations")
		return s.Render(c, sc.Page("integrations"), p)
	}
}

func (s *Handler) handleIntegration(sc web.Scope) fiber.Handler {
	return func(c *fiber.Ctx) error {
		st, err := s.Hub.Find(c.UserContext(), utils.CopyString(c.Params("key")))
		if err != nil {
			return err
		}
		return s.renderIntegration(c, sc, st, false)
	}
}

func (s *Handler) renderIntegration(c *fiber.Ctx, sc web.Scope, st *platform.IntegrationStatus, tested bool) error {
	p := &integrationPage{Portal: !sc.Nexus(), I: st, Tested: tested}
	p.Layout = s.Layout(c, sc.Host, st.Name)
	return s.Render(c, sc.Page("integration"), p)
}

func (s *Handler) handleIntegrationTest(sc web.Scope) fiber.Handler {
	return func(c *fiber.Ctx) error {
		st, err := s.Hub.Test(c.UserContext(), utils.CopyString(c.Params("key")))
		if app.ErrorCode(err) == app.EINVALID {
			s.SetFlash(c, "error", app.ErrorMessage(err))
			return c.Redirect("/integrations/"+utils.CopyString(c.Params("key")), fiber.StatusSeeOther)
		} else if err != nil {
			return err
		}
		return s.renderIntegration(c, sc, st, true)
	}
}
