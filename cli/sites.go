package cli

import (
	"context"
	"fmt"
	"time"

	"orengen/app"
	"orengen/app/sites"
	"orengen/assets"
	"orengen/store"
	"orengen/ui"
)

// wireSites builds the website builder: the service on its store, the
// tenant's forms for form blocks, its custom domains for a site's host,
// and each site's render context (its public origin, the tenant's logo
// and name, the countdown script).
func (a *App) wireSites() {
	ss := store.NewSiteBuilderStore(a.DB)
	a.Sites = sites.NewService(ss)
	a.Sites.Forms = a.Stores.Forms
	a.Sites.Domains = a.Domains
	a.Sites.Analytics = sites.NewRecorder(ss)
	a.Sites.Analytics.Logger = a.Logger
	a.Sites.Renderer = sites.NewRenderer()
	a.Sites.HouseDomain = a.Config.Domain
	a.Sites.Logger = a.Logger
	a.Sites.ChatAgent = func(ctx context.Context, key string, tenantID int64) error {
		_, err := a.Agents.WidgetAgent(ctx, key, tenantID)
		return err
	}
	a.Sites.EventTypes = func(ctx context.Context) ([]string, error) {
		if a.Calendar == nil {
			return nil, nil
		}
		ets, err := a.Calendar.FindEventTypes(ctx)
		if err != nil {
			return nil, err
		}
		var out []string
		for _, et := range ets {
			if et.Enabled {
				out = append(out, et.Slug)
			}
		}
		return out, nil
	}
	a.Sites.Context = func(ctx context.Context, s *sites.Site) sites.RenderContext {
		rc := sites.RenderContext{Script: assets.URL("js/sites.js")}
		if s.Domain != "" {
			rc.BaseURL = a.Server.TenantURL(s.Domain)
		}
		if s.TenantID == app.HouseTenantID && s.Domain == a.Config.Domain {
			// The marketing site: its own style sheet, logo and contact
			// details (Nexus > Site content's settings).
			rc.BaseURL = a.Server.URL(ui.HostSite)
			rc.Stylesheets, rc.OwnCSS, rc.LogoURL = []string{assets.URL("css/site.css")}, true, assets.URL("img/logo.svg")
			if st, err := store.NewSiteStore(a.DB).SiteSettings(ctx); err == nil {
				rc.Contact, rc.BrandName = st, st.Name
			}
			return rc
		}
		if t, err := a.Tenants.TenantByID(ctx, s.TenantID); err == nil {
			if t.ID != app.HouseTenantID {
				rc.BrandName = t.BrandName()
			}
			if t.LogoHash != "" {
				rc.LogoURL = "/_logo?v=" + t.LogoHash
			}
		}
		return rc
	}
	a.Server.Sites = a.Sites
	// A site on a subdomain of the agency's domain gets a certificate
	// while it is published there (ui/tls.go asks DomainService.Decide).
	a.Domains.SiteHost = func(ctx context.Context, name string) (bool, error) {
		_, err := a.Sites.SiteByHost(ctx, name)
		if app.ErrorCode(err) == app.ENOTFOUND {
			return false, nil
		}
		return err == nil, err
	}
}

// migrateMarketingSite is MigrateMarketingSite at start, logged.
func (a *App) migrateMarketingSite(ctx context.Context) error {
	moved, err := a.MigrateMarketingSite(ctx)
	if moved {
		a.Logger.Info("moved the marketing site's pages into Websites & Funnels")
	}
	return err
}

// MigrateMarketingSite moves the marketing site's pages (seeded content
// and Nexus edits) into the builder as the house tenant's site on the
// marketing host, published, unless that site exists already: from then
// on its pages are edited in Websites & Funnels and served by the
// builder, at the same addresses.
func (a *App) MigrateMarketingSite(ctx context.Context) (bool, error) {
	house := app.NewContextWithTenant(ctx, &app.Tenant{ID: app.HouseTenantID})
	existing, err := a.Sites.ListSites(house)
	if err != nil {
		return false, err
	}
	for _, s := range existing {
		if s.Domain == a.Config.Domain {
			return false, nil
		}
	}
	ss := store.NewSiteStore(a.DB)
	pages, err := ss.FindPages(ctx)
	if err != nil || len(pages) == 0 {
		return false, err
	}
	st, err := ss.SiteSettings(ctx)
	if err != nil {
		return false, err
	}
	site, ps := sites.FromMarketing(st, pages, a.Config.Domain)
	if _, err := a.Sites.Import(house, site, ps, "Migrated from the marketing site's content"); err != nil {
		return false, fmt.Errorf("migrate the marketing site: %w", err)
	}
	return true, nil
}

// runSiteAnalytics writes the sites' page views and conversions in
// batches until ctx ends, and rolls the past days up every hour.
func (a *App) runSiteAnalytics(ctx context.Context) {
	rollups := make(chan struct{})
	go func() {
		defer close(rollups)
		app.Every(ctx, time.Hour, func(ctx context.Context) {
			if _, err := a.Sites.Analytics.RollUp(ctx, time.Now()); err != nil && ctx.Err() == nil {
				a.Logger.Error("site analytics rollup", "err", err)
			}
		})
	}()
	a.Sites.Analytics.Run(ctx)
	<-rollups
}
