package brand

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"html/template"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/app/brand"
	"orengen/ui/web"
)

// MountPublic adds the public press page on host: on the marketing host
// (DOMAIN) the agency's (the house tenant's), on the portal host the
// tenant of the custom domain (on app.DOMAIN, a signed-in user's own as a
// preview; nobody else's). Register it before the host's catch-all pages.
func (s *Handler) MountPublic(r fiber.Router, host string) {
	if !s.On() {
		return
	}
	p := func(fn func(c *fiber.Ctx, ctx context.Context) error) fiber.Handler { return s.pressRoute(host, fn) }
	r.Get("/press", p(s.handlePress))
	r.Get("/press/kit.zip", p(s.handlePressZip))
	r.Get("/press/kit.css", p(s.handlePressCSS))
	r.Get("/press/logo", p(s.handlePressLogo))
	r.Get("/press/assets/:asset", p(s.handlePressAsset))
	r.Get("/press/:slug", p(s.handlePressRelease))
}

// pressRoute scopes the request to the press page's tenant, or answers
// 404 when the host has none.
func (s *Handler) pressRoute(host string, fn func(c *fiber.Ctx, ctx context.Context) error) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var t *app.Tenant
		ctx := c.UserContext()
		switch {
		case host == web.HostSite:
			var err error
			if t, err = s.Tenants.TenantByID(ctx, app.HouseTenantID); err != nil {
				return err
			}
		case web.DomainTenant(c) != nil:
			t = web.DomainTenant(c)
		default:
			t = web.SessionTenant(c)
		}
		if t == nil || !t.Active() {
			return app.Errorf(app.ENOTFOUND, "Not found.")
		}
		return fn(c, app.NewContextWithTenant(app.WithoutValues(ctx), t))
	}
}

type pressPage struct {
	web.Layout
	Press       *brand.Press
	CSSURL      string
	Boilerplate template.HTML
	Release     *brand.Release
	ReleaseHTML template.HTML
}

func (s *Handler) pressPage(c *fiber.Ctx, ctx context.Context, title string) (*pressPage, error) {
	p, err := s.Brand.Press(ctx, false)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(KitCSS(p.Kit)))
	pg := &pressPage{Press: p, CSSURL: "/press/kit.css?v=" + hex.EncodeToString(sum[:6]), Boilerplate: template.HTML(brand.RenderMarkdown(p.Kit.Boilerplate))}
	host := web.HostPortal
	if s.HostKind != nil && s.HostKind(c.Hostname()) == web.HostSite {
		host = web.HostSite
	}
	pg.Layout = s.Layout(c, host, title)
	pg.Description = p.Kit.Tagline
	return pg, nil
}

func (s *Handler) pageName(c *fiber.Ctx, page string) string {
	if s.HostKind != nil && s.HostKind(c.Hostname()) == web.HostSite {
		return "site/" + page
	}
	return "portal/" + page
}

func (s *Handler) handlePress(c *fiber.Ctx, ctx context.Context) error {
	k, err := s.Brand.Kit(ctx)
	if err != nil {
		return err
	}
	pg, err := s.pressPage(c, ctx, "Press · "+k.Name)
	if err != nil {
		return err
	}
	return s.Render(c, s.pageName(c, "press"), pg)
}

func (s *Handler) handlePressRelease(c *fiber.Ctx, ctx context.Context) error {
	r, err := s.Brand.PublishedRelease(ctx, utils.CopyString(c.Params("slug")))
	if err != nil {
		return err
	}
	pg, err := s.pressPage(c, ctx, r.Title)
	if err != nil {
		return err
	}
	pg.Release, pg.ReleaseHTML = r, template.HTML(brand.RenderMarkdown(r.Body))
	if r.Summary != "" {
		pg.Description = r.Summary
	}
	return s.Render(c, s.pageName(c, "press"), pg)
}

func (s *Handler) handlePressZip(c *fiber.Ctx, ctx context.Context) error {
	return s.sendZip(c, ctx)
}

func (s *Handler) handlePressCSS(c *fiber.Ctx, ctx context.Context) error {
	k, err := s.Brand.Kit(ctx)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/css; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "public, max-age=300")
	return c.SendString(KitCSS(k))
}

func (s *Handler) handlePressAsset(c *fiber.Ctx, ctx context.Context) error {
	id, err := web.ParamID(c, "asset")
	if err != nil {
		return err
	}
	a, err := s.Brand.Asset(ctx, id)
	if err != nil {
		return err
	}
	cache := "public, max-age=300"
	if c.Query("v") == a.Hash {
		cache = "public, max-age=31536000, immutable"
	}
	return web.SendAttachment(c, "image-"+strconv.FormatInt(a.ID, 10)+a.Ext(), a.ContentType, true, a.Data, cache)
}

// handlePressLogo serves the primary logo (the tenant's, the theme's).
func (s *Handler) handlePressLogo(c *fiber.Ctx, ctx context.Context) error {
	t := app.TenantFromContext(ctx)
	l, err := s.Tenants.Logo(ctx, t.ID)
	if err != nil {
		return err
	}
	return web.SendLogo(c, l, "public")
}
