// Package sitesui serves the website builder: published sites on their
// domains (public.go), the editor in the portal and Nexus (editor.go)
// and the JSON API (api.go).
//
// sitesui imports app, app/sites, app/agents (the chat widget's agents),
// assets and ui/web; never a store.
package sitesui

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/app/agents"
	"orengen/app/sites"
	"orengen/assets"
	"orengen/ui/web"
)

// HostSites is the host kind of published sites (a tenant's domain that
// a site is bound to).
const HostSites = "sites"

// Handler serves the builder.
type Handler struct {
	*web.Kit
	Sites     *sites.Service
	Tenants   *app.TenantService
	Forms     *app.FormService
	LeadLimit *web.LeadLimit
	// Agents lists the tenant's chat agents for the chat block and the
	// site-wide chat button (nil: none to choose).
	Agents *agents.Service

	mu      sync.RWMutex
	bundles map[int64]*bundle
}

// On reports whether the builder is wired.
func (s *Handler) On() bool { return s != nil && s.Sites != nil }

// bundle is a published site held in memory: its files compressed once,
// its live snapshot (funnels, split tests) and its tenant.
type bundle struct {
	site   *sites.Site
	rev    int
	tenant *app.Tenant
	snap   *sites.Snapshot
	files  map[string]*file
}

type file struct {
	contentType  string
	body, gz, br []byte
	etag         string
}

func newFile(f sites.File) *file {
	out := &file{contentType: f.ContentType, body: f.Body}
	out.gz, out.br = assets.Compress(f.Body)
	sum := sha256.Sum256(f.Body)
	out.etag = `"` + hex.EncodeToString(sum[:8]) + `"`
	return out
}

var keyBundle = web.NewKey[*bundle]("site_bundle")

// Resolve reports whether host serves a published site; if so it puts
// the site (and its tenant, as the domain's tenant, so hosted forms,
// booking pages and chat widgets on it are that tenant's only) in c.
func (s *Handler) Resolve(c *fiber.Ctx, host string) bool {
	if !s.On() {
		return false
	}
	site, err := s.Sites.SiteByHost(c.UserContext(), host)
	if err != nil {
		if app.ErrorCode(err) != app.ENOTFOUND {
			s.Logger.Error("site lookup", "host", host, "err", err)
		}
		return false
	}
	b, err := s.load(c.UserContext(), site)
	if err != nil {
		s.Logger.Error("site load", "site", site.ID, "err", err)
		return false
	}
	if b.tenant.Status == app.TenantSuspended {
		return false
	}
	keyBundle.Set(c, b)
	web.SetDomainTenant(c, b.tenant)
	return true
}

// ServeHost serves the request from the published site on host, if there
// is one (the marketing host's pages once they moved into the builder).
func (s *Handler) ServeHost(c *fiber.Ctx, host string) (bool, error) {
	if !s.Resolve(c, host) {
		return false, nil
	}
	return true, s.handleFile(c)
}

// HouseSiteID returns the house tenant's site on the marketing host, when
// the marketing site moved into the builder.
func (s *Handler) HouseSiteID(ctx context.Context) (int64, bool) {
	if !s.On() {
		return 0, false
	}
	return s.Sites.HouseSiteID(ctx)
}

// load returns the site's bundle, reading it when the live revision
// changed since it was read.
func (s *Handler) load(ctx context.Context, site *sites.Site) (*bundle, error) {
	s.mu.RLock()
	b := s.bundles[site.ID]
	s.mu.RUnlock()
	if b != nil && b.rev == site.PublishedRev {
		return b, nil
	}
	t, err := s.Tenants.TenantByID(ctx, site.TenantID)
	if err != nil {
		return nil, err
	}
	tctx := app.NewContextWithTenant(ctx, t)
	snap, err := s.Sites.LiveSnapshot(tctx, site)
	if err != nil {
		return nil, err
	}
	fs, err := s.Sites.Files(ctx, site.ID)
	if err != nil {
		return nil, err
	}
	b = &bundle{site: site, rev: site.PublishedRev, tenant: t, snap: snap, files: map[string]*file{}}
	for _, f := range fs {
		b.files[f.Path] = newFile(f)
	}
	s.mu.Lock()
	if s.bundles == nil {
		s.bundles = map[int64]*bundle{}
	}
	s.bundles[site.ID] = b
	s.mu.Unlock()
	return b, nil
}

// Forget drops a site's bundle (after it was published or deleted).
func (s *Handler) Forget(siteID int64) {
	s.mu.Lock()
	delete(s.bundles, siteID)
	s.mu.Unlock()
}

// MountPublic adds the routes of a published site's host. The hosted
// forms, booking pages and chat widget of the tenant are mounted beside
// them by the server.
func (s *Handler) MountPublic(r fiber.Router) {
	r.Get("/_logo", s.handleLogo)
	r.Post("/_form/:id", s.handleFormPost)
	r.Get("/*", s.handleFile)
}

// siteCSP lets a published page show images from https addresses and
// YouTube and Vimeo players; scripts stay the site's own.
const siteCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; " +
	"frame-src 'self' https://www.youtube-nocookie.com https://player.vimeo.com; form-action 'self'; frame-ancestors 'self'; base-uri 'none'; object-src 'none'"

// handleFile serves a published file from memory: the page at the path
// (a split test's variant for its page), else the site's 404 page.
func (s *Handler) handleFile(c *fiber.Ctx) error {
	b, ok := keyBundle.Get(c)
	if !ok {
		return app.Errorf(app.ENOTFOUND, "Not found.")
	}
	path := c.Path()
	if len(path) > 1 {
		path = strings.TrimSuffix(path, "/")
	}
	if sites.IsMedia(path) {
		return s.sendMedia(c, b.site.ID, path)
	}
	if strings.HasPrefix(path, "/_") && path != sites.PathTheme {
		path = "/_none" // the 404 page is not a page of its own
	}
	slug := strings.TrimPrefix(path, "/")
	status := fiber.StatusOK
	if t := b.snap.Site.Settings.TestFor(slug); t != nil {
		if v := t.Assign(b.site.Salt(), visitorKey(c)); v != slug {
			path = "/" + v
			if v == "" {
				path = "/"
			}
		}
	}
	f := b.files[path]
	if f == nil {
		// An old address the site redirects (301), before the 404 page.
		if to, ok := b.snap.Site.Settings.RedirectFor(c.Path(), string(c.Request().URI().QueryString())); ok {
			c.Set(fiber.HeaderCacheControl, "public, max-age=300")
			return c.Redirect(to, fiber.StatusMovedPermanently)
		}
		f, status = b.files[sites.PathNotFound], fiber.StatusNotFound
		if f == nil {
			return app.Errorf(app.ENOTFOUND, "Page not found.")
		}
	}
	if status == fiber.StatusOK && strings.HasPrefix(f.contentType, "text/html") && c.Method() == fiber.MethodGet {
		s.recordView(c, b, strings.Clone(strings.TrimPrefix(path, "/"))) // c.Path() is request memory: the event outlives it
	}
	c.Status(status)
	c.Set(fiber.HeaderContentType, f.contentType)
	c.Set(fiber.HeaderVary, fiber.HeaderAcceptEncoding)
	c.Set("Content-Security-Policy", siteCSP)
	c.Set("X-Frame-Options", "SAMEORIGIN")
	if status == fiber.StatusOK {
		c.Set(fiber.HeaderCacheControl, "public, max-age=60")
		c.Set(fiber.HeaderETag, f.etag)
		if c.Get(fiber.HeaderIfNoneMatch) == f.etag {
			return c.SendStatus(fiber.StatusNotModified)
		}
	} else {
		c.Set(fiber.HeaderCacheControl, "no-cache")
	}
	return web.SendEncoded(c, f.body, f.gz, f.br)
}

// sendMedia serves an uploaded image of a site from the store. Its
// address is its content's hash, so it is cached for good.
func (s *Handler) sendMedia(c *fiber.Ctx, siteID int64, path string) error {
	f, err := s.Sites.MediaFile(c.UserContext(), siteID, path)
	if err != nil {
		return err
	}
	etag := `"` + strings.TrimSuffix(strings.TrimPrefix(path, sites.MediaPrefix), filepathExt(path)) + `"`
	c.Set(fiber.HeaderContentType, f.ContentType)
	c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	c.Set(fiber.HeaderETag, etag)
	c.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	if c.Get(fiber.HeaderIfNoneMatch) == etag {
		return c.SendStatus(fiber.StatusNotModified)
	}
	return c.Send(f.Body)
}

func filepathExt(p string) string {
	if i := strings.LastIndexByte(p, '.'); i > strings.LastIndexByte(p, '/') {
		return p[i:]
	}
	return ""
}

// recordView queues a page view (the page served: a split test's
// variant, not its address). Robots are not counted; nothing is stored
// on the visitor's side.
func (s *Handler) recordView(c *fiber.Ctx, b *bundle, slug string) {
	rec := s.Sites.Analytics
	if rec == nil {
		return
	}
	ua := string(c.Request().Header.UserAgent())
	dev := sites.Device(ua)
	if dev == "" {
		return
	}
	now := time.Now()
	v, err := rec.Visitor(c.UserContext(), b.site.ID, c.IP(), ua, now)
	if err != nil {
		s.Logger.Error("site analytics: visitor", "err", err)
		return
	}
	src := c.Query("utm_source")
	if len(src) > 100 {
		src = src[:100]
	}
	rec.Record(sites.Event{SiteID: b.site.ID, Kind: sites.EventView, Day: now.UTC().Format(time.DateOnly), Path: slug, Visitor: v,
		Referrer: sites.ReferrerHost(c.Get(fiber.HeaderReferer), c.Hostname()), Source: strings.Clone(src), Device: dev, At: now})
}

// recordConversion queues a form's conversion on the page slug.
func (s *Handler) recordConversion(c *fiber.Ctx, b *bundle, slug string, formID int64) {
	rec := s.Sites.Analytics
	if rec == nil {
		return
	}
	ua := string(c.Request().Header.UserAgent())
	now := time.Now()
	v, err := rec.Visitor(c.UserContext(), b.site.ID, c.IP(), ua, now)
	if err != nil {
		s.Logger.Error("site analytics: visitor", "err", err)
		return
	}
	rec.Record(sites.Event{SiteID: b.site.ID, Kind: sites.EventConversion, Day: now.UTC().Format(time.DateOnly), Path: slug, Visitor: v,
		Device: sites.Device(ua), FormID: formID, At: now})
}

// visitorKey identifies a visitor without a cookie: address and browser.
func visitorKey(c *fiber.Ctx) string {
	return c.IP() + "|" + string(c.Request().Header.UserAgent())
}

func (s *Handler) handleLogo(c *fiber.Ctx) error {
	b, ok := keyBundle.Get(c)
	if !ok {
		return app.Errorf(app.ENOTFOUND, "Not found.")
	}
	l, err := s.Tenants.Logo(c.UserContext(), b.tenant.ID)
	if err != nil {
		return err
	}
	return web.SendLogo(c, l, "public")
}

// handleFormPost is a form block's post: the site's tenant's form only,
// rate-limited, honeypot-checked, stored with its contact and workflow
// runs in one transaction. A funnel step leads to the next step; else
// the form's redirect, else the page with its thank-you note. A refused
// post shows the page again (400) with the message.
func (s *Handler) handleFormPost(c *fiber.Ctx) error {
	b, ok := keyBundle.Get(c)
	if !ok || s.Forms == nil {
		return app.Errorf(app.ENOTFOUND, "Not found.")
	}
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	f, err := s.Forms.PublicForm(c.UserContext(), id)
	if err != nil {
		return err
	}
	if f.TenantID != b.tenant.ID {
		return app.Errorf(app.ENOTFOUND, "Form not found.")
	}
	if err := s.LeadLimit.Check(c); err != nil {
		return err
	}
	if len(c.Body()) > web.WebhookBodyLimit {
		return app.FieldErrorf("body", "The form must be at most 64 KB.")
	}
	slug := strings.Trim(utils.CopyString(c.FormValue("_page")), "/")
	block := utils.CopyString(c.FormValue("_block"))
	var page *sites.Page
	for _, p := range b.snap.Pages {
		if p.Slug == slug {
			page = p
		}
	}
	if page == nil {
		return app.FieldErrorf("_page", "This form was posted from a page the site does not have.")
	}
	get := func(k string) string { return utils.CopyString(c.FormValue(k)) }
	if get("website_url") != "" {
		return app.Errorf(app.EINVALID, "This submission was refused as automated.")
	}
	if _, err := s.Forms.Submit(c.UserContext(), f, get); app.ErrorCode(err) == app.EINVALID {
		body, rerr := s.Sites.RenderNotice(app.NewContextWithTenant(c.UserContext(), b.tenant), b.snap, page, app.ErrorMessage(err)+" Please correct it and send the form again.")
		if rerr != nil {
			return rerr
		}
		c.Status(fiber.StatusBadRequest)
		c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
		c.Set("Content-Security-Policy", siteCSP)
		return c.Send(body)
	} else if err != nil {
		return err
	}
	s.recordConversion(c, b, page.Slug, f.ID)
	if next, ok := b.snap.Site.Settings.NextStep(page.Slug); ok {
		return c.Redirect("/"+next, fiber.StatusSeeOther)
	}
	if f.RedirectURL != "" {
		return c.Redirect(f.RedirectURL, fiber.StatusSeeOther)
	}
	return c.Redirect(page.Path()+"#sent-"+url.PathEscape(block), fiber.StatusSeeOther)
}

// FunnelBooked is calendar.Handler.SiteBooked on a site's host: a booking
// made in the booking block of the page with slug sitePage counts as
// that page's conversion, and the visitor goes on to the funnel's next
// step when the page is a step with one. Another host, or a slug the
// published site does not have: nothing.
func (s *Handler) FunnelBooked(c *fiber.Ctx, sitePage string) (string, bool) {
	b, ok := keyBundle.Get(c)
	if !ok {
		return "", false
	}
	slug := strings.Trim(sitePage, "/")
	for _, p := range b.snap.Pages {
		if p.Slug != slug {
			continue
		}
		s.recordConversion(c, b, p.Slug, 0)
		if next, ok := b.snap.Site.Settings.NextStep(p.Slug); ok {
			return "/" + next, true
		}
		return "", false
	}
	return "", false
}
