// Package site serves the public hosts: the marketing site (DOMAIN and
// www.DOMAIN, cached in memory), its lead form, and hosted forms with
// their embed script on the site, the portal and tenants' domains.
//
// site imports app, assets, ui/web and ui/api (the lead-capture API is
// mounted on the marketing host); never a store.
package site

import (
	agentsui "orengen/ui/agents"
	"time"

	"github.com/gofiber/fiber/v2"

	"orengen/assets"

	"orengen/app"
	"orengen/ui/api"
	"orengen/ui/web"
)

// Handler serves the public pages.
type Handler struct {
	*web.Kit
	Site        *app.SiteService
	Leads       *app.LeadService
	Tenants     *app.TenantService
	Automations *app.AutomationService // the capture transaction of hosted forms
	Forms       *app.FormService       // nil: no hosted forms
	LeadLimit   *web.LeadLimit
	// FormMinFillTime is the least time between rendering a hosted form
	// and its post (0: DefaultFormMinFillTime).
	FormMinFillTime time.Duration
	API             *api.Handler
	// ChatPages serves the chat widget of the house tenant's agents.
	ChatPages *agentsui.Handler
	// Builder serves the marketing site's pages, robots.txt and
	// sitemap.xml once they moved into Websites & Funnels (a published
	// house site on DOMAIN); until then they are rendered here.
	Builder interface {
		ServeHost(c *fiber.Ctx, host string) (bool, error)
	}

	pages pageCache
}

// Invalidate drops the cached marketing pages (after the content changed).
func (s *Handler) Invalidate() { s.pages.Reset() }

// FillLayout completes a marketing page's layout: the agency's brand,
// the site's settings and its navigation.
func (s *Handler) FillLayout(c *fiber.Ctx, l *web.Layout) {
	l.Brand = web.Brand{Name: "OrenGen", LogoURL: assets.URL("img/logo.svg")}
	if st, err := s.Site.Settings(c.UserContext()); err == nil {
		l.Site = st
		l.Brand.Name = st.Name
	}
	l.Pages, _ = s.Site.ListPages(c.UserContext())
}
