package sites

import (
	"context"

	"orengen/app"
)

// The reads the editor, the API and public serving make. Each works in the
// tenant of ctx (EUNAUTHORIZED without one; another tenant's rows are
// ENOTFOUND) unless it says "across tenants".

// ListSites lists the tenant's sites.
func (s *Service) ListSites(ctx context.Context) ([]*Site, error) {
	return s.store.FindSites(ctx)
}

// Site returns one of the tenant's sites.
func (s *Service) Site(ctx context.Context, id int64) (*Site, error) {
	return s.store.FindSite(ctx, id)
}

// ListPages returns a site's pages by position.
func (s *Service) ListPages(ctx context.Context, siteID int64) ([]*Page, error) {
	return s.store.FindPages(ctx, siteID)
}

// Page returns one of the tenant's pages.
func (s *Service) Page(ctx context.Context, id int64) (*Page, error) {
	return s.store.FindPage(ctx, id)
}

// ListRevisions lists a site's published revisions.
func (s *Service) ListRevisions(ctx context.Context, siteID int64) ([]*Revision, error) {
	return s.store.FindRevisions(ctx, siteID)
}

// ListMedia lists a site's uploaded images.
func (s *Service) ListMedia(ctx context.Context, siteID int64) ([]Media, error) {
	return s.store.FindMedia(ctx, siteID)
}

// DeleteMedia removes an uploaded image from a site (ENOTFOUND); pages
// that show it lose it at the next publish.
func (s *Service) DeleteMedia(ctx context.Context, siteID int64, path string) error {
	return s.store.DeleteMedia(ctx, siteID, path)
}

// MediaFile returns an uploaded image of a site, across tenants (public
// serving and previews). ENOTFOUND.
func (s *Service) MediaFile(ctx context.Context, siteID int64, path string) (*File, error) {
	return s.store.FindMediaFile(ctx, siteID, path)
}

// HouseSiteID returns the house tenant's site on the marketing host
// (HouseDomain), when the marketing site moved into the builder.
func (s *Service) HouseSiteID(ctx context.Context) (int64, bool) {
	if s.HouseDomain == "" {
		return 0, false
	}
	list, err := s.store.FindSites(app.NewContextWithTenant(ctx, &app.Tenant{ID: app.HouseTenantID}))
	if err != nil {
		return 0, false
	}
	for _, x := range list {
		if x.Domain == s.HouseDomain {
			return x.ID, true
		}
	}
	return 0, false
}
