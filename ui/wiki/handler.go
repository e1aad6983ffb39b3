// Package wiki serves the Knowledge Wiki pages, shared by the portal (a
// tenant's own space, at /knowledge) and Nexus (Control Room > Knowledge
// Wiki at /wiki: the agency's internal space and every client's space the
// client shares), and the public share links (/share/:token on the portal
// host and tenants' domains: a help center in the tenant's brand). The
// JSON API of the same pages is in ui/api.
//
// wiki imports app, app/wiki and ui/web; never a store.
package wiki

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/gofiber/fiber/v2"

	"orengen/app"
	"orengen/app/wiki"
	"orengen/ui/web"
)

// Handler serves the wiki pages.
type Handler struct {
	*web.Kit
	Wiki    *wiki.Service
	Tenants *app.TenantService // the tenant's logo on share pages
	// UploadDir holds chunked uploads (attachments, space zips) while
	// they arrive.
	UploadDir string

	uploads     *web.Uploads
	uploadsOnce sync.Once
}

func (s *Handler) chunked() *web.Uploads {
	s.uploadsOnce.Do(func() { s.uploads = &web.Uploads{Root: filepath.Join(s.UploadDir, "uploads")} })
	return s.uploads
}

// MaxZip is the largest space zip an import takes.
const MaxZip = wiki.MaxImportBytes

// spaceCtx is the space a request works in and where its pages live.
type spaceCtx struct {
	ctx   context.Context
	space *wiki.Space
	base  string // /knowledge or /wiki/12
	sc    web.Scope
	name  string // the space's display name
}

// PageURL is the address of a page of the space.
func (sp *spaceCtx) PageURL(slug string) string { return sp.base + "/p/" + url.PathEscape(slug) }

// space resolves the space of a request: the signed-in user's tenant's in
// the portal; in Nexus the :space of the path, which must be the agency's
// or a space its client shares (EFORBIDDEN saying so otherwise). It also
// scopes the request's context to the space's tenant.
func (s *Handler) space(c *fiber.Ctx, sc web.Scope) (*spaceCtx, error) {
	if s.Wiki == nil {
		return nil, app.Errorf(app.ENOTFOUND, "Not found.")
	}
	ctx := c.UserContext()
	if !sc.Nexus() {
		sp, err := s.Wiki.Space(ctx)
		if err != nil {
			return nil, err
		}
		return &spaceCtx{ctx: ctx, space: sp, base: "/knowledge", sc: sc, name: "Knowledge"}, nil
	}
	id, err := web.ParamID(c, "space")
	if err != nil {
		return nil, err
	}
	tctx, sp, err := s.Wiki.AdminSpace(ctx, id)
	if err != nil {
		return nil, err
	}
	c.SetUserContext(tctx)
	name := sp.Name
	if sp.Internal() {
		name = "Internal"
	}
	return &spaceCtx{ctx: tctx, space: sp, base: "/wiki/" + strconv.FormatInt(sp.ID, 10), sc: sc, name: name}, nil
}

// urls are where a rendered page's links point in the space.
func (sp *spaceCtx) urls() wiki.PageURLs {
	return wiki.PageURLs{
		Page:       sp.PageURL,
		New:        func(slug string) string { return sp.base + "/new?title=" + url.QueryEscape(slug) },
		Attachment: func(id int64) string { return fmt.Sprintf("%s/files/%d", sp.base, id) },
	}
}

// spaceRoute resolves the request's space (space), then calls fn.
func (s *Handler) spaceRoute(sc web.Scope, fn func(c *fiber.Ctx, sp *spaceCtx) error) fiber.Handler {
	return func(c *fiber.Ctx) error {
		sp, err := s.space(c, sc)
		if err != nil {
			return err
		}
		return fn(c, sp)
	}
}

// pageRoute resolves the space and its :id page, then calls fn.
func (s *Handler) pageRoute(sc web.Scope, fn func(c *fiber.Ctx, sp *spaceCtx, pg *wiki.Page) error) fiber.Handler {
	return s.spaceRoute(sc, func(c *fiber.Ctx, sp *spaceCtx) error {
		pg, err := s.page(c, sp)
		if err != nil {
			return err
		}
		return fn(c, sp, pg)
	})
}
