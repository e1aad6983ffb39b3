package cli

import (
	"context"

	"orengen/app"
	"orengen/app/sites"
	"orengen/assets"
	"orengen/store"
)

// wireSites builds the website builder: the service on its store, the
// tenant's forms for form blocks, its custom domains for a site's host,
// and each site's render context (its public origin, the tenant's logo
// and name, the countdown script).
func (a *App) wireSites() {
	a.Sites = &sites.Service{Store: store.NewSiteBuilderStore(a.DB), Forms: a.Forms.Store, Domains: a.Domains,
		Renderer: sites.NewRenderer(), HouseDomain: a.Config.Domain, Logger: a.Logger,
		Context: func(ctx context.Context, s *sites.Site) sites.RenderContext {
			rc := sites.RenderContext{Script: assets.URL("js/sites.js")}
			if s.Domain != "" {
				rc.BaseURL = a.Server.TenantURL(s.Domain)
			}
			if t, err := a.Tenants.Store.FindTenantByID(ctx, s.TenantID); err == nil {
				if t.ID != app.HouseTenantID {
					rc.BrandName = t.BrandName()
				}
				if t.LogoHash != "" {
					rc.LogoURL = "/_logo?v=" + t.LogoHash
				}
			}
			return rc
		}}
	a.Server.Sites = a.Sites
}
