package ui

import (
	"slices"

	"github.com/gofiber/fiber/v2"

	"orengen/app"
)

// Federal in the client portal: once the admin turns federal work on for
// a client (Nexus › Settings › Federal, or the tenant's page), its users
// get a Federal section: the company profile, saved searches, the
// opportunities the scout found for them with fit scores, a notice's
// detail, Pursue, the bid pipeline and a pursuit's tasks and notes. The
// handlers are the Nexus ones; requirePortalFederal sets the tenant to
// the signed-in user's and fedPortal switches layout and templates. While
// federal work is off every route answers 404 and the nav has no entry.

func (s *Server) registerPortalFederalRoutes(r fiber.Router, csrf fiber.Handler) {
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

// portalFederalOn reports whether the signed-in user's tenant has federal
// work on (asked once per request).
func (s *Server) portalFederalOn(c *fiber.Ctx) (bool, error) {
	if v, ok := c.Locals("fed_on").(bool); ok {
		return v, nil
	}
	t, _ := c.Locals("tenant").(*app.Tenant)
	if s.Federal == nil || t == nil || currentUser(c) == nil {
		return false, nil
	}
	ids, err := s.Federal.Store.FederalTenants(c.UserContext())
	if err != nil {
		return false, err
	}
	on := slices.Contains(ids, t.ID)
	c.Locals("fed_on", on)
	return on, nil
}

// requirePortalFederal lets the Federal routes work for the user's tenant
// only, and only while its federal work is on (else 404).
func (s *Server) requirePortalFederal(c *fiber.Ctx) error {
	on, err := s.portalFederalOn(c)
	if err != nil {
		return err
	}
	if !on {
		return app.Errorf(app.ENOTFOUND, "Page not found.")
	}
	t := c.Locals("tenant").(*app.Tenant)
	c.Locals("fed_tenant", t.ID)
	c.Locals("fed_portal", true)
	return c.Next()
}

// fedPortal reports whether the Federal handler serves the client portal.
func fedPortal(c *fiber.Ctx) bool {
	v, _ := c.Locals("fed_portal").(bool)
	return v
}

// fedLayout is the page layout of the host the Federal handler serves.
func (s *Server) fedLayout(c *fiber.Ctx, title string) Layout {
	if fedPortal(c) {
		return s.layout(c, HostPortal, title)
	}
	return s.layout(c, HostNexus, title)
}

// fedTemplate names the page template of the host the handler serves.
func fedTemplate(c *fiber.Ctx, name string) string {
	if fedPortal(c) {
		return "portal/" + name
	}
	return "nexus/" + name
}

// portalFederalNav is the portal's Federal section, for tenants with
// federal work on.
var portalFederalNav = NavSection{Name: "Federal", Items: []NavItem{{"Opportunities", "/federal"}, {"Bid pipeline", "/federal/pipeline"},
	{"Saved searches", "/federal/searches"}, {"Federal profile", "/federal/profile"}}}
