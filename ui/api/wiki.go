package api

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/app/wiki"
	"orengen/ui/web"
)

// Knowledge Wiki API: the pages of the key's tenant's space (admin keys:
// ?tenant=, the agency's own space or a space its client shares). A
// change names the revision it started from; a stale one is a 409 with
// the page as it is now ("current"), nothing written.

func (s *Handler) registerWikiAPIRoutes(api fiber.Router) {
	if s.Wiki == nil {
		return
	}
	api.Get("/wiki/pages", s.apiWikiPages)
	api.Post("/wiki/pages", web.RequireWriteKey, s.apiWikiCreate)
	api.Get("/wiki/pages/:id", s.apiWikiPage)
	api.Patch("/wiki/pages/:id", web.RequireWriteKey, s.apiWikiUpdate)
	api.Delete("/wiki/pages/:id", web.RequireWriteKey, s.apiWikiDelete)
	api.Get("/wiki/search", s.apiWikiSearch)
	s.registerWikiMoreRoutes(api)
}

// wikiScope is the space of an API request.
func (s *Handler) wikiScope(c *fiber.Ctx) (context.Context, *wiki.Space, error) {
	ctx := c.UserContext()
	if k := app.APIKeyFromContext(ctx); k != nil && k.Admin() {
		ref := utils.CopyString(c.Query("tenant"))
		if ref == "" {
			return nil, nil, app.FieldErrorf("tenant", "Add ?tenant=ID or slug (1 or house: the agency's internal space).")
		}
		t, err := s.Tenants.TenantByRef(ctx, ref)
		if err != nil {
			return nil, nil, app.FieldErrorf("tenant", "Unknown tenant %q.", ref)
		}
		return s.Wiki.AdminOpenTenant(ctx, t.ID)
	}
	sp, err := s.Wiki.Space(ctx)
	return ctx, sp, err
}

type apiWikiPage struct {
	ID        int64     `json:"id"`
	SpaceID   int64     `json:"space_id"`
	ParentID  *int64    `json:"parent_id"`
	Position  int       `json:"position"`
	Title     string    `json:"title"`
	Slug      string    `json:"slug"`
	Revision  int       `json:"revision"`
	Body      *string   `json:"body,omitempty"`
	BodyHTML  *string   `json:"body_html,omitempty"`
	UpdatedBy string    `json:"updated_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func toAPIWikiPage(p *wiki.Page) apiWikiPage {
	return apiWikiPage{ID: p.ID, SpaceID: p.SpaceID, ParentID: web.OptID(p.ParentID), Position: p.Position, Title: p.Title, Slug: p.Slug,
		Revision: p.Revision, UpdatedBy: p.UpdatedBy, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

// fullPage adds the body and its rendered HTML (links as API paths).
func (s *Handler) fullPage(ctx context.Context, p *wiki.Page) (apiWikiPage, error) {
	out := toAPIWikiPage(p)
	html, err := s.Wiki.Render(ctx, p, wiki.PageURLs{
		Page:       func(slug string) string { return "/api/v1/wiki/pages?slug=" + slug },
		Attachment: func(id int64) string { return "attachment:" + strconv.FormatInt(id, 10) },
	})
	if err != nil {
		return out, err
	}
	body := p.Body
	out.Body, out.BodyHTML = &body, &html
	return out, nil
}

// apiWikiPages lists the space's pages in tree order, without bodies;
// ?slug= finds one page by its slug (with its body).
func (s *Handler) apiWikiPages(c *fiber.Ctx) error {
	ctx, sp, err := s.wikiScope(c)
	if err != nil {
		return err
	}
	if slug := c.Query("slug"); slug != "" {
		p, err := s.Wiki.PageBySlug(ctx, sp.ID, utils.CopyString(slug))
		if err != nil {
			return err
		}
		full, err := s.fullPage(ctx, p)
		if err != nil {
			return err
		}
		return c.JSON(fiber.Map{"data": []apiWikiPage{full}, "next_cursor": nil})
	}
	tree, err := s.Wiki.Tree(ctx, sp.ID)
	if err != nil {
		return err
	}
	out := make([]apiWikiPage, len(tree))
	for i, p := range tree {
		out[i] = toAPIWikiPage(p)
	}
	return c.JSON(fiber.Map{"data": out, "next_cursor": nil})
}

type wikiInput struct {
	Title    *string `json:"title"`
	Body     *string `json:"body"`
	ParentID int64   `json:"parent_id"`
	Revision int     `json:"revision"`
}

func (s *Handler) apiWikiCreate(c *fiber.Ctx) error {
	ctx, sp, err := s.wikiScope(c)
	if err != nil {
		return err
	}
	var in wikiInput
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	if in.Title == nil {
		return app.FieldErrorf("title", "Title required.")
	}
	body := ""
	if in.Body != nil {
		body = *in.Body
	}
	p, err := s.Wiki.CreatePage(ctx, sp.ID, in.ParentID, *in.Title, body)
	if err != nil {
		return err
	}
	full, err := s.fullPage(ctx, p)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"data": full})
}

func (s *Handler) apiWikiPageOf(c *fiber.Ctx) (context.Context, *wiki.Page, error) {
	ctx, sp, err := s.wikiScope(c)
	if err != nil {
		return nil, nil, err
	}
	id, err := web.ParamID(c, "id")
	if err != nil {
		return nil, nil, err
	}
	p, err := s.Wiki.Page(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if p.SpaceID != sp.ID {
		return nil, nil, app.Errorf(app.ENOTFOUND, "Page not found.")
	}
	return ctx, p, nil
}

func (s *Handler) apiWikiPage(c *fiber.Ctx) error {
	ctx, p, err := s.apiWikiPageOf(c)
	if err != nil {
		return err
	}
	full, err := s.fullPage(ctx, p)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": full})
}

func (s *Handler) apiWikiUpdate(c *fiber.Ctx) error {
	ctx, p, err := s.apiWikiPageOf(c)
	if err != nil {
		return err
	}
	var in wikiInput
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	if in.Revision <= 0 {
		return app.FieldErrorf("revision", "revision required: the revision your change starts from (the page's current one is %d).", p.Revision)
	}
	upd := wiki.PageUpdate{Title: p.Title, Body: p.Body, BaseRevision: in.Revision}
	if in.Title != nil {
		upd.Title = *in.Title
	}
	if in.Body != nil {
		upd.Body = *in.Body
	}
	saved, err := s.Wiki.SavePage(ctx, p.ID, upd)
	if err != nil {
		return s.wikiConflict(c, ctx, err)
	}
	full, err := s.fullPage(ctx, saved)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": full})
}

// wikiConflict answers a stale change (409 with the page as it is now,
// "current") and passes any other error on.
func (s *Handler) wikiConflict(c *fiber.Ctx, ctx context.Context, err error) error {
	var ce *wiki.ConflictError
	if !errors.As(err, &ce) {
		return err
	}
	cur, ferr := s.fullPage(ctx, ce.Current)
	if ferr != nil {
		return ferr
	}
	return c.Status(fiber.StatusConflict).JSON(fiber.Map{"error": fiber.Map{"code": app.ECONFLICT, "message": app.ErrorMessage(err), "field": "revision"}, "current": cur})
}

func (s *Handler) apiWikiDelete(c *fiber.Ctx) error {
	ctx, p, err := s.apiWikiPageOf(c)
	if err != nil {
		return err
	}
	if err := s.Wiki.DeletePage(ctx, p.ID); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

type apiWikiHit struct {
	PageID       int64   `json:"page_id"`
	Title        string  `json:"title"`
	Slug         string  `json:"slug"`
	AttachmentID *int64  `json:"attachment_id"`
	Attachment   string  `json:"attachment_name,omitempty"`
	Snippet      string  `json:"snippet"`
	Score        float64 `json:"score"`
}

// apiWikiSearch searches the space (q, limit 1..100, default 20): best
// first, one hit per page or file, snippet as HTML with <mark>.
func (s *Handler) apiWikiSearch(c *fiber.Ctx) error {
	ctx, sp, err := s.wikiScope(c)
	if err != nil {
		return err
	}
	limit, err := web.AtoiDefault(c.Query("limit"), 20)
	if err != nil || limit < 1 || limit > wiki.MaxSearchLimit {
		return app.FieldErrorf("limit", "limit must be a number from 1 to %d.", wiki.MaxSearchLimit)
	}
	q := utils.CopyString(c.Query("q"))
	if q == "" {
		return app.FieldErrorf("q", "q required: the words to find.")
	}
	hits, err := s.Wiki.SearchPages(ctx, sp.ID, q, limit)
	if err != nil {
		return err
	}
	out := make([]apiWikiHit, len(hits))
	for i, h := range hits {
		out[i] = apiWikiHit{PageID: h.PageID, Title: h.Title, Slug: h.Slug, AttachmentID: web.OptID(h.AttachmentID), Attachment: h.AttachName, Snippet: h.Snippet, Score: h.Score}
	}
	return c.JSON(fiber.Map{"data": out, "next_cursor": nil})
}
