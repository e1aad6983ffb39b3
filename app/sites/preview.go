package sites

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"orengen/app"
)

// Shareable previews of a draft page: a signed link that shows the
// page's saved draft to anyone holding it (a client approving a page)
// until it expires, without signing in. The link names the tenant, site
// and page and its expiry; an HMAC over them makes it unforgeable.

// Preview link lifetimes.
const (
	DefaultPreviewTTL = 72 * time.Hour
	MaxPreviewTTL     = 30 * 24 * time.Hour
)

// PreviewClaim is what a preview link grants.
type PreviewClaim struct {
	TenantID, SiteID, PageID int64
	Expires                  time.Time
}

func previewMAC(key []byte, payload string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("site preview|" + payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

// SignPreview returns the token of a preview link.
func SignPreview(key []byte, c PreviewClaim) string {
	payload := fmt.Sprintf("%d.%d.%d.%d", c.TenantID, c.SiteID, c.PageID, c.Expires.Unix())
	return base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." + previewMAC(key, payload)
}

// VerifyPreview checks a token: ENOTFOUND when it was not signed with
// key (tampered, truncated), EFORBIDDEN when it expired before now.
func VerifyPreview(key []byte, token string, now time.Time) (PreviewClaim, error) {
	var c PreviewClaim
	notFound := app.Errorf(app.ENOTFOUND, "This preview link is not valid: check that it was copied whole.")
	p64, mac, ok := strings.Cut(token, ".")
	if !ok || len(token) > 300 {
		return c, notFound
	}
	raw, err := base64.RawURLEncoding.DecodeString(p64)
	if err != nil || !hmac.Equal([]byte(mac), []byte(previewMAC(key, string(raw)))) {
		return c, notFound
	}
	var exp int64
	if _, err := fmt.Sscanf(string(raw), "%d.%d.%d.%d", &c.TenantID, &c.SiteID, &c.PageID, &exp); err != nil {
		return c, notFound
	}
	c.Expires = time.Unix(exp, 0).UTC()
	if !now.Before(c.Expires) {
		return c, app.Errorf(app.EFORBIDDEN, "This preview link expired on %s: ask for a new one.", c.Expires.Format("2 January 2006, 15:04 UTC"))
	}
	return c, nil
}

// PreviewLink signs a preview link of a page of the tenant of ctx, valid
// for ttl (0: DefaultPreviewTTL). Returns EINVALID naming "hours" for a
// ttl over MaxPreviewTTL, ENOTFOUND.
func (s *Service) PreviewLink(ctx context.Context, key []byte, siteID, pageID int64, ttl time.Duration, now time.Time) (string, time.Time, error) {
	if ttl == 0 {
		ttl = DefaultPreviewTTL
	}
	if ttl < time.Hour || ttl > MaxPreviewTTL {
		return "", time.Time{}, app.FieldErrorf("hours", "A preview link lasts 1 hour to 30 days (720 hours).")
	}
	p, err := s.store.FindPage(ctx, pageID)
	if err != nil {
		return "", time.Time{}, err
	}
	if p.SiteID != siteID {
		return "", time.Time{}, app.Errorf(app.ENOTFOUND, "Page not found.")
	}
	c := PreviewClaim{TenantID: p.TenantID, SiteID: siteID, PageID: pageID, Expires: now.Add(ttl).UTC().Truncate(time.Second)}
	return SignPreview(key, c), c.Expires, nil
}

// SharedPreview renders the saved draft of the page a preview token
// names, marked noindex, with the theme served at themeURL. Errors as
// VerifyPreview's, ENOTFOUND once the page is gone.
func (s *Service) SharedPreview(ctx context.Context, key []byte, token, themeURL, mediaBase string, now time.Time) ([]byte, error) {
	c, err := VerifyPreview(key, token, now)
	if err != nil {
		return nil, err
	}
	ctx = app.NewContextWithTenant(ctx, &app.Tenant{ID: c.TenantID})
	site, err := s.store.FindSite(ctx, c.SiteID)
	if err != nil {
		return nil, err
	}
	pages, err := s.store.FindPages(ctx, site.ID)
	if err != nil {
		return nil, err
	}
	var page *Page
	for _, p := range pages {
		if p.ID == c.PageID {
			cp := *p
			page = &cp
		}
	}
	if page == nil {
		return nil, app.Errorf(app.ENOTFOUND, "This page no longer exists.")
	}
	page.SEO.NoIndex = true
	rc, err := s.renderContext(ctx, site, pages)
	if err != nil {
		return nil, err
	}
	rc.ThemeURL, rc.MediaBase = themeURL, mediaBase
	return s.renderer().Page(site, page, pages, rc)
}

// SharedPreviewTheme is the theme CSS of the site a valid preview token
// names.
func (s *Service) SharedPreviewTheme(ctx context.Context, key []byte, token string, now time.Time) ([]byte, error) {
	c, err := VerifyPreview(key, token, now)
	if err != nil {
		return nil, err
	}
	return s.ThemeCSS(app.NewContextWithTenant(ctx, &app.Tenant{ID: c.TenantID}), c.SiteID)
}

// SharedPreviewMedia is an uploaded image of the site a valid preview
// token names.
func (s *Service) SharedPreviewMedia(ctx context.Context, key []byte, token, path string, now time.Time) (*File, error) {
	c, err := VerifyPreview(key, token, now)
	if err != nil {
		return nil, err
	}
	return s.store.FindMediaFile(ctx, c.SiteID, path)
}
