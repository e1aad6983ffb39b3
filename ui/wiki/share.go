package wiki

import (
	"context"
	"html/template"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/app/wiki"
	"orengen/ui/web"
)

// Public share links: /share/:token on the portal host and on the owning
// tenant's own domains (another tenant's domain answers 404), rendered in
// the tenant's brand with the space's other shared pages as contents, so
// a set of shared pages is a help center. Read only; a revoked link is
// 404. The page's own files (images, attachments) are served under the
// link too; nothing else of the space is reachable from it.

// MountShare registers the public share routes (portal host).
func (s *Handler) MountShare(r fiber.Router) {
	if s.Wiki == nil {
		return
	}
	r.Get("/share/:token", s.handleShared)
	r.Get("/share/:token/files/:id", s.handleSharedFile)
	r.Get("/share/:token/brand.css", s.handleSharedCSS)
	r.Get("/share/:token/logo", s.handleSharedLogo)
}

// shared resolves a share link for this host.
func (s *Handler) shared(c *fiber.Ctx) (context.Context, *wiki.Share, *wiki.Page, *app.Tenant, error) {
	ctx, sh, pg, err := s.Wiki.SharedPage(c.UserContext(), utils.CopyString(c.Params("token")))
	if err != nil {
		return nil, nil, nil, nil, err
	}
	t := app.TenantFromContext(ctx)
	if dt := web.DomainTenant(c); dt != nil && dt.ID != t.ID {
		return nil, nil, nil, nil, app.Errorf(app.ENOTFOUND, "This link does not exist or was revoked.")
	}
	return ctx, sh, pg, t, nil
}

type sharedPage struct {
	web.Layout
	Page     *wiki.Page
	HTML     template.HTML
	Contents []sharedLink
}

type sharedLink struct {
	Title   string
	URL     string
	Current bool
}

func (s *Handler) handleShared(c *fiber.Ctx) error {
	ctx, sh, pg, t, err := s.shared(c)
	if err != nil {
		return err
	}
	base := "/share/" + sh.Token
	html, err := s.Wiki.RenderShared(ctx, pg, func(tok string) string { return "/share/" + tok },
		func(id int64) string { return base + "/files/" + strconv.FormatInt(id, 10) })
	if err != nil {
		return err
	}
	links, err := s.Wiki.SharedPages(ctx, pg.SpaceID)
	if err != nil {
		return err
	}
	p := &sharedPage{Page: pg, HTML: template.HTML(html)} // sanitised by wiki.Render
	for _, l := range links {
		p.Contents = append(p.Contents, sharedLink{Title: l.Title, URL: "/share/" + l.Token, Current: l.PageID == pg.ID})
	}
	b := web.Brand{Name: t.BrandName(), CSSURL: base + "/brand.css?v=" + t.BrandVersion(), SupportEmail: t.SupportEmail}
	if t.LogoHash != "" {
		b.LogoURL = base + "/logo?v=" + t.LogoHash
	}
	p.Layout = web.Layout{Title: pg.Title, Path: c.Path(), Tenant: t, Brand: b, Year: time.Now().Year()}
	c.Set("Referrer-Policy", "no-referrer") // the token is in the address
	return s.Render(c, "help/wiki_shared", p)
}

// handleSharedFile serves a file of the shared page (only of that page).
func (s *Handler) handleSharedFile(c *fiber.Ctx) error {
	ctx, _, pg, _, err := s.shared(c)
	if err != nil {
		return err
	}
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	a, data, err := s.Wiki.Attachment(ctx, id)
	if err != nil {
		return err
	}
	if a.PageID != pg.ID {
		return app.Errorf(app.ENOTFOUND, "File not found.")
	}
	return web.SendAttachment(c, a.Name, a.ContentType, a.IsImage(), data, "private, max-age=300")
}

// handleSharedCSS serves the tenant's brand colours to visitors (the
// portal's /brand.css depends on a session they do not have).
func (s *Handler) handleSharedCSS(c *fiber.Ctx) error {
	_, _, _, t, err := s.shared(c)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set(fiber.HeaderContentType, "text/css; charset=utf-8")
	return c.SendString(t.BrandCSS())
}

func (s *Handler) handleSharedLogo(c *fiber.Ctx) error {
	_, _, _, t, err := s.shared(c)
	if err != nil {
		return err
	}
	if s.Tenants == nil {
		return app.Errorf(app.ENOTFOUND, "Not found.")
	}
	l, err := s.Tenants.Logo(c.UserContext(), t.ID)
	if err != nil {
		return err
	}
	return web.SendLogo(c, l, "no-cache")
}
