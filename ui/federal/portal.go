package federal

import (
	"orengen/ui/web"

	"github.com/gofiber/fiber/v2"

	"orengen/app"
)

// Federal in the client portal: once the admin turns federal work on for
// a client (Nexus › Settings › Federal, or the tenant's page), its users
// get a Federal section: the company profile, saved searches, the
// opportunities the scout found for them with fit scores, a notice's
// detail, Pursue, the bid pipeline and a pursuit's tasks and notes. The
// handlers are the Nexus ones; requirePortalFederal sets the tenant to
// the signed-in user's and the request's web.Scope, which picks layout
// and templates. While
// federal work is off every route answers 404 and the nav has no entry.

func (s *Handler) MountPortal(r fiber.Router, csrf fiber.Handler) {
	if s.Federal == nil {
		return
	}
	g := r.Group("/federal", s.requirePortalFederal)
	g.Get("/", s.handleFederalOpportunities)
	g.Get("/opportunities/:noticeId", s.handleFederalNotice)
	g.Post("/opportunities/:noticeId/pursue", csrf, s.handleFederalPursue)
	g.Post("/opportunities/:noticeId/pipeline", csrf, s.handleFederalPipelineSave)
	g.Get("/pipeline", s.handleFederalPipeline)
	g.Get("/searches", s.handleFederalSearches)
	g.Post("/searches", csrf, s.handleFederalSearchCreate)
	g.Post("/searches/:id/delete", csrf, s.handleFederalSearchDelete)
	g.Get("/profile", s.handleFederalSettings)
	g.Post("/profile", csrf, s.handleFederalSettingsSave)
	if s.CRM != nil {
		g.Post("/opportunities/:noticeId/tasks", csrf, s.handleFederalWorkTask(false))
		g.Post("/opportunities/:noticeId/tasks/:id/done", csrf, s.handleFederalWorkTaskDone(false))
		g.Post("/opportunities/:noticeId/notes", csrf, s.handleFederalWorkNote(false))
	}
}

// PortalOn reports whether the signed-in user's tenant has federal
// work on (asked once per request).
func (s *Handler) PortalOn(c *fiber.Ctx) (bool, error) {
	if v, ok := fedOnKey.Get(c); ok {
		return v, nil
	}
	t := web.SessionTenant(c)
	if s.Federal == nil || t == nil || web.User(c) == nil {
		return false, nil
	}
	on, err := s.Federal.FederalOn(c.UserContext(), t.ID)
	if err != nil {
		return false, err
	}
	fedOnKey.Set(c, on)
	return on, nil
}

// requirePortalFederal lets the Federal routes work for the user's tenant
// only, and only while its federal work is on (else 404).
func (s *Handler) requirePortalFederal(c *fiber.Ctx) error {
	on, err := s.PortalOn(c)
	if err != nil {
		return err
	}
	if !on {
		return app.Errorf(app.ENOTFOUND, "Page not found.")
	}
	t := web.SessionTenant(c)
	fedTenantKey.Set(c, t.ID)
	fedScopeKey.Set(c, web.PortalScope)
	return c.Next()
}

// fedScope is the scope the Federal handler serves: each route is
// registered on both hosts with the same handler, and the portal's group
// sets web.PortalScope (requirePortalFederal); Nexus is the default.
func fedScope(c *fiber.Ctx) web.Scope {
	if sc, ok := fedScopeKey.Get(c); ok {
		return sc
	}
	return web.NexusScope
}

// fedPortal reports whether the Federal handler serves the client portal.
func fedPortal(c *fiber.Ctx) bool { return !fedScope(c).Nexus() }

// fedLayout is the page layout of the scope the Federal handler serves.
func (s *Handler) fedLayout(c *fiber.Ctx, title string) web.Layout {
	return s.Layout(c, fedScope(c).Host, title)
}

// fedTemplate names the page template of the scope the handler serves.
func fedTemplate(c *fiber.Ctx, name string) string { return fedScope(c).Page(name) }

// PortalNav is the portal's Federal section, for tenants with
// federal work on.
var PortalNav = web.NavSection{Name: "Federal", Items: []web.NavItem{{Label: "Opportunities", Path: "/federal"}, {Label: "Bid pipeline", Path: "/federal/pipeline"},
	{Label: "Saved searches", Path: "/federal/searches"}, {Label: "Federal profile", Path: "/federal/profile"}}}
