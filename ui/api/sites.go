package api

import (
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/app/sites"
	"orengen/ui/web"
)

// Websites API: the key's tenant's sites, their pages (blocks as JSON),
// publishing and revisions. Admin keys name the tenant with ?tenant=.

func (s *Handler) registerSiteAPIRoutes(api fiber.Router) {
	if s.Sites == nil {
		return
	}
	api.Get("/sites", s.apiSites)
	api.Get("/site-templates", s.apiSiteTemplates)
	api.Post("/sites", web.RequireWriteKey, s.apiSiteCreate)
	api.Get("/sites/:id", s.apiSite)
	api.Get("/sites/:id/pages", s.apiSitePages)
	api.Post("/sites/:id/pages", web.RequireWriteKey, s.apiSitePageCreate)
	api.Get("/sites/:id/pages/:page", s.apiSitePage)
	api.Put("/sites/:id/pages/:page", web.RequireWriteKey, s.apiSitePageUpdate)
	api.Post("/sites/:id/publish", web.RequireWriteKey, s.apiSitePublish)
	api.Get("/sites/:id/revisions", s.apiSiteRevisions)
	api.Get("/sites/:id/analytics", s.apiSiteAnalytics)
	api.Post("/sites/:id/pages/:page/preview-link", web.RequireWriteKey, s.apiSitePreviewLink)
	api.Get("/sites/:id/media", s.apiSiteMedia)
	api.Post("/sites/:id/media", web.RequireWriteKey, s.apiSiteMediaUpload)
	api.Get("/sites/:id/redirects", s.apiSiteRedirects)
	api.Put("/sites/:id/redirects", web.RequireWriteKey, s.apiSiteRedirectsPut)
}

// apiSitePreviewLink makes a signed, expiring link to the page's saved
// draft that opens without signing in (on the portal host).
func (s *Handler) apiSitePreviewLink(c *fiber.Ctx) error {
	p, err := s.apiSitePageFind(c)
	if err != nil {
		return err
	}
	var in struct {
		Hours int `json:"hours"`
	}
	if err := web.DecodeOptionalJSON(c.Body(), &in); err != nil {
		return err
	}
	tok, exp, err := s.Sites.PreviewLink(c.UserContext(), s.SessionKey, p.SiteID, p.ID, time.Duration(in.Hours)*time.Hour, time.Now())
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"data": fiber.Map{"url": s.URL(web.HostPortal) + "/site-preview/" + tok, "expires_at": exp}})
}

// apiSiteMedia lists a site's uploaded images.
func (s *Handler) apiSiteMedia(c *fiber.Ctx) error {
	site, err := s.apiSiteFind(c)
	if err != nil {
		return err
	}
	ms, err := s.Sites.ListMedia(c.UserContext(), site.ID)
	if err != nil {
		return err
	}
	if ms == nil {
		ms = []sites.Media{}
	}
	return c.JSON(fiber.Map{"data": ms, "next_cursor": nil})
}

// apiSiteMediaUpload stores an image (multipart field "file"), its type
// sniffed from the content.
func (s *Handler) apiSiteMediaUpload(c *fiber.Ctx) error {
	site, err := s.apiSiteFind(c)
	if err != nil {
		return err
	}
	_, data, err := formFile(c, sites.MaxMediaSize, "image")
	if app.ErrorCode(err) == app.ETOOLARGE {
		return sites.ErrMediaTooLarge()
	} else if err != nil {
		return err
	}
	m, err := s.Sites.Upload(c.UserContext(), site.ID, data)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"data": m})
}

// apiSiteRedirects lists a site's 301 redirects (drafts until published).
func (s *Handler) apiSiteRedirects(c *fiber.Ctx) error {
	site, err := s.apiSiteFind(c)
	if err != nil {
		return err
	}
	rs := site.Settings.Redirects
	if rs == nil {
		rs = []sites.Redirect{}
	}
	return c.JSON(fiber.Map{"data": rs})
}

// apiSiteRedirectsPut replaces a site's redirects: a loop, a path that is
// a page of the site or a bad address is refused naming "redirects".
func (s *Handler) apiSiteRedirectsPut(c *fiber.Ctx) error {
	site, err := s.apiSiteFind(c)
	if err != nil {
		return err
	}
	var in struct {
		Redirects []sites.Redirect `json:"redirects"`
	}
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	site, err = s.Sites.SetRedirects(c.UserContext(), site.ID, in.Redirects)
	if err != nil {
		return err
	}
	rs := site.Settings.Redirects
	if rs == nil {
		rs = []sites.Redirect{}
	}
	return c.JSON(fiber.Map{"data": rs})
}

type apiSite struct {
	ID           int64          `json:"id"`
	Name         string         `json:"name"`
	Domain       string         `json:"domain"`
	Settings     sites.Settings `json:"settings"`
	PublishedRev int            `json:"published_rev"`
	PublishedAt  *time.Time     `json:"published_at"`
	CreatedAt    time.Time      `json:"created_at"`
	UpdatedAt    time.Time      `json:"updated_at"`
}

func toAPISite(s *sites.Site) apiSite {
	return apiSite{s.ID, s.Name, s.Domain, s.Settings, s.PublishedRev, s.PublishedAt, s.CreatedAt, s.UpdatedAt}
}

func (s *Handler) apiSites(c *fiber.Ctx) error {
	ctx, err := s.calCtx(c)
	if err != nil {
		return err
	}
	list, err := s.Sites.ListSites(ctx)
	if err != nil {
		return err
	}
	out := make([]apiSite, 0, len(list))
	for _, x := range list {
		out = append(out, toAPISite(x))
	}
	return c.JSON(fiber.Map{"data": out, "next_cursor": nil})
}

func (s *Handler) apiSiteCreate(c *fiber.Ctx) error {
	ctx, err := s.calCtx(c)
	if err != nil {
		return err
	}
	var in struct {
		Name     string          `json:"name"`
		Domain   string          `json:"domain"`
		Settings *sites.Settings `json:"settings"`
		Template string          `json:"template"`
		sites.TemplateInput
	}
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	site := &sites.Site{Name: in.Name, Domain: in.Domain}
	if in.Template != "" {
		if _, err := s.Sites.CreateSiteFromTemplate(ctx, site, in.Template, in.TemplateInput); err != nil {
			return err
		}
	} else if err := s.Sites.CreateSite(ctx, site); err != nil {
		return err
	}
	if in.Settings != nil {
		site.Settings = *in.Settings
		if err := s.Sites.UpdateSite(ctx, site); err != nil {
			return err
		}
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"data": toAPISite(site)})
}

func (s *Handler) apiSiteFind(c *fiber.Ctx) (*sites.Site, error) {
	ctx, err := s.calCtx(c)
	if err != nil {
		return nil, err
	}
	c.SetUserContext(ctx)
	id, err := web.ParamID(c, "id")
	if err != nil {
		return nil, err
	}
	return s.Sites.Site(ctx, id)
}

func (s *Handler) apiSite(c *fiber.Ctx) error {
	site, err := s.apiSiteFind(c)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": toAPISite(site)})
}

func (s *Handler) apiSitePages(c *fiber.Ctx) error {
	site, err := s.apiSiteFind(c)
	if err != nil {
		return err
	}
	pages, err := s.Sites.ListPages(c.UserContext(), site.ID)
	if err != nil {
		return err
	}
	if pages == nil {
		pages = []*sites.Page{}
	}
	return c.JSON(fiber.Map{"data": pages, "next_cursor": nil})
}

// apiPageInput is a page as the API takes it.
type apiPageInput struct {
	Slug     string        `json:"slug"`
	Title    string        `json:"title"`
	SEO      sites.SEO     `json:"seo"`
	Blocks   []sites.Block `json:"blocks"`
	Post     *sites.Post   `json:"post"`
	Position int           `json:"position"`
}

func (s *Handler) savePage(c *fiber.Ctx, p *sites.Page, status int) error {
	var in apiPageInput
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	p.Slug, p.Title, p.SEO, p.Blocks, p.Post = in.Slug, in.Title, in.SEO, in.Blocks, in.Post
	if in.Position != 0 {
		p.Position = in.Position
	}
	warn, err := s.Sites.SavePage(c.UserContext(), p)
	if err != nil {
		return err
	}
	if warn == nil {
		warn = []string{}
	}
	return c.Status(status).JSON(fiber.Map{"data": p, "warnings": warn})
}

func (s *Handler) apiSitePageCreate(c *fiber.Ctx) error {
	site, err := s.apiSiteFind(c)
	if err != nil {
		return err
	}
	var tin struct {
		Template string `json:"template"`
		Slug     string `json:"slug"`
		Title    string `json:"title"`
		sites.TemplateInput
	}
	if len(c.Body()) > 0 && web.DecodeJSON(c.Body(), &tin) == nil && tin.Template != "" {
		p, err := s.Sites.CreatePageFromTemplate(c.UserContext(), site.ID, tin.Template, tin.Slug, tin.Title, tin.TemplateInput)
		if err != nil {
			return err
		}
		return c.Status(fiber.StatusCreated).JSON(fiber.Map{"data": p, "warnings": []string{}})
	}
	return s.savePage(c, &sites.Page{SiteID: site.ID}, fiber.StatusCreated)
}

// apiSiteTemplates lists the page and site templates.
func (s *Handler) apiSiteTemplates(c *fiber.Ctx) error {
	if _, err := s.calCtx(c); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": fiber.Map{"pages": sites.PageTemplates, "sites": sites.SiteTemplates}})
}

func (s *Handler) apiSitePageFind(c *fiber.Ctx) (*sites.Page, error) {
	site, err := s.apiSiteFind(c)
	if err != nil {
		return nil, err
	}
	id, err := web.ParamID(c, "page")
	if err != nil {
		return nil, err
	}
	p, err := s.Sites.Page(c.UserContext(), id)
	if err != nil {
		return nil, err
	}
	if p.SiteID != site.ID {
		return nil, app.Errorf(app.ENOTFOUND, "Page not found.")
	}
	return p, nil
}

func (s *Handler) apiSitePage(c *fiber.Ctx) error {
	p, err := s.apiSitePageFind(c)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": p})
}

func (s *Handler) apiSitePageUpdate(c *fiber.Ctx) error {
	p, err := s.apiSitePageFind(c)
	if err != nil {
		return err
	}
	return s.savePage(c, p, fiber.StatusOK)
}

func (s *Handler) apiSitePublish(c *fiber.Ctx) error {
	site, err := s.apiSiteFind(c)
	if err != nil {
		return err
	}
	var in struct {
		Note string `json:"note"`
	}
	if err := web.DecodeOptionalJSON(c.Body(), &in); err != nil {
		return err
	}
	rev, err := s.Sites.Publish(c.UserContext(), site.ID, utils.CopyString(in.Note))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": rev})
}

func (s *Handler) apiSiteRevisions(c *fiber.Ctx) error {
	site, err := s.apiSiteFind(c)
	if err != nil {
		return err
	}
	revs, err := s.Sites.ListRevisions(c.UserContext(), site.ID)
	if err != nil {
		return err
	}
	if revs == nil {
		revs = []*sites.Revision{}
	}
	return c.JSON(fiber.Map{"data": revs, "next_cursor": nil})
}

// apiSiteAnalytics is a site's analytics for ?from to ?to (dates; the
// last 30 days by default), with its funnels and split tests.
func (s *Handler) apiSiteAnalytics(c *fiber.Ctx) error {
	site, err := s.apiSiteFind(c)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	from, to := c.Query("from", now.AddDate(0, 0, -29).Format(time.DateOnly)), c.Query("to", now.Format(time.DateOnly))
	r, err := s.Sites.Report(c.UserContext(), site.ID, utils.CopyString(from), utils.CopyString(to))
	if err != nil {
		return err
	}
	type funnel struct {
		Name  string             `json:"name"`
		Steps []sites.FunnelStep `json:"steps"`
	}
	type test struct {
		Page     string                `json:"page"`
		Variants []sites.VariantResult `json:"variants"`
	}
	funnels, tests := []funnel{}, []test{}
	for _, f := range site.Settings.Funnels {
		funnels = append(funnels, funnel{f.Name, r.Funnel(f)})
	}
	for _, t := range site.Settings.Tests {
		tests = append(tests, test{t.Page, r.SplitTest(t)})
	}
	nz := func(v []sites.NameCount) []sites.NameCount {
		if v == nil {
			return []sites.NameCount{}
		}
		return v
	}
	days, pages := r.Days, r.Pages
	if days == nil {
		days = []sites.DayCount{}
	}
	if pages == nil {
		pages = []sites.PageCount{}
	}
	return c.JSON(fiber.Map{"data": fiber.Map{"from": r.From, "to": r.To, "views": r.Views, "visitors": r.Visitors, "conversions": r.Conversions,
		"days": days, "pages": pages, "referrers": nz(r.Referrers), "sources": nz(r.Sources), "devices": nz(r.Devices),
		"funnels": funnels, "tests": tests}})
}

// addSitesAPI documents the website routes.
func addSitesAPI(paths, schemas obj, std func(obj, ...string) obj, idParam obj) {
	tenantParam := qparam("tenant", "Nexus (admin keys) only: the tenant, ID or slug (default: the agency's own sites, the house tenant)", str)
	pageParam := obj{"name": "page", "in": "path", "required": true, "schema": integ}
	link := props([]string{"label", "url"}, obj{"label": str, "url": str})
	item := props(nil, obj{"title": str, "text": str, "price": str, "period": str, "features": strArr, "highlight": obj{"type": "boolean"},
		"image": str, "alt": str, "role": str, "metric": str, "label": str, "icon": str})
	types := []string{}
	for _, t := range sites.BlockTypes {
		types = append(types, t.Type)
	}
	schemas["SiteBlock"] = props([]string{"type"}, obj{"id": str, "type": obj{"type": "string", "enum": types, "description": "also the marketing site's own: demo, cards, cases, steps, badges, contact, leadform"},
		"heading": str, "subheading": str, "text": obj{"type": "string", "description": "Markdown for text blocks"}, "items": obj{"type": "array", "items": item},
		"cta": link, "cta2": link, "image": str, "alt": str, "video_url": obj{"type": "string", "description": "YouTube or Vimeo address"},
		"form_id": integ, "event_type": obj{"type": "string", "description": "booking: the event type's slug"}, "agent_key": str,
		"deadline": obj{"type": "string", "format": "date-time"}, "html": obj{"type": "string", "description": "custom HTML, sanitised on save (a warning says what was removed)"}})
	seo := props(nil, obj{"title": str, "description": str, "og_image": str, "canonical": str, "noindex": obj{"type": "boolean"}})
	post := obj{"type": []string{"object", "null"}, "description": "set: the page is a blog post (listed by blog blocks newest first and in /rss.xml)",
		"required": []string{"date"}, "properties": obj{"date": obj{"type": "string", "format": "date"}, "summary": str}}
	schemas["SitePage"] = props([]string{"id", "site_id", "slug", "title", "seo", "blocks"}, obj{"id": integ, "site_id": integ,
		"slug": obj{"type": "string", "description": "empty for the home page"}, "title": str, "seo": seo, "post": post,
		"blocks": obj{"type": "array", "items": ref("SiteBlock")}, "position": integ, "created_at": tstamp, "updated_at": tstamp})
	schemas["SitePageInput"] = props([]string{"title"}, obj{"slug": str, "title": str, "seo": seo, "post": post, "blocks": obj{"type": "array", "items": ref("SiteBlock")}, "position": integ})
	tmplFields := obj{"template": obj{"type": "string", "description": "start from a template (GET /api/v1/site-templates); blocks are then the template's"},
		"form_id":    obj{"type": "integer", "description": "template: the form of form blocks (default: the tenant's first form, or a new sign-up form)"},
		"event_type": obj{"type": "string", "description": "template: the event type (slug) of booking blocks (default: the tenant's first enabled one)"}}
	pageCreate := props([]string{"title"}, obj{"slug": str, "title": str, "seo": seo, "post": post, "blocks": obj{"type": "array", "items": ref("SiteBlock")}, "position": integ,
		"template": tmplFields["template"], "form_id": tmplFields["form_id"], "event_type": tmplFields["event_type"]})
	tmplItem := props([]string{"key", "name", "description"}, obj{"key": str, "name": str, "description": str, "slug": str,
		"needs_form": obj{"type": "boolean"}, "needs_booking": obj{"type": "boolean"}, "pages": strArr})
	paths["/api/v1/site-templates"] = obj{"parameters": []obj{tenantParam},
		"get": obj{"summary": "Page and site templates (landing page, webinar, lead magnet, service business, thank-you; service business site, three-step funnel)",
			"responses": std(obj{"200": jsonResp("OK", dataOf(props([]string{"pages", "sites"}, obj{"pages": obj{"type": "array", "items": tmplItem}, "sites": obj{"type": "array", "items": tmplItem}})))}, "400")}}
	schemas["Site"] = props([]string{"id", "name", "domain", "settings", "published_rev"}, obj{"id": integ, "name": str,
		"domain":        obj{"type": "string", "description": "one of the tenant's custom domains; empty: offline"},
		"settings":      obj{"type": "object", "description": "theme (font, heading_font, primary, background, text, logo_url, favicon), nav, footer, header_cta, funnels, tests, chat_agent (the public key of one of the tenant's enabled web-chat agents: its chat button on every page; any other key is refused naming chat_agent)"},
		"published_rev": integ, "published_at": obj{"type": []string{"string", "null"}, "format": "date-time"}, "created_at": tstamp, "updated_at": tstamp})
	schemas["SiteRevision"] = props([]string{"site_id", "number", "created_at"}, obj{"site_id": integ, "number": integ, "note": str, "created_at": tstamp})
	paths["/api/v1/sites"] = obj{"parameters": []obj{tenantParam},
		"get": obj{"summary": "The tenant's websites", "responses": std(obj{"200": jsonResp("OK", pageOf(ref("Site")))}, "400")},
		"post": obj{"summary": "Create a site (with a home page, or a site template's pages, menu and funnels)", "requestBody": jsonBody(props([]string{"name"}, obj{"name": str, "domain": str, "settings": obj{"type": "object"},
			"template": obj{"type": "string", "description": "a site template's key (GET /api/v1/site-templates)"}, "form_id": tmplFields["form_id"], "event_type": tmplFields["event_type"]})),
			"responses": std(obj{"201": jsonResp("Created", dataOf(ref("Site")))}, "400", "403", "409")}}
	paths["/api/v1/sites/{id}"] = obj{"parameters": []obj{idParam, tenantParam},
		"get": obj{"summary": "One site", "responses": std(obj{"200": jsonResp("OK", dataOf(ref("Site")))}, "404")}}
	saved := props([]string{"data", "warnings"}, obj{"data": ref("SitePage"), "warnings": strArr})
	paths["/api/v1/sites/{id}/pages"] = obj{"parameters": []obj{idParam, tenantParam},
		"get": obj{"summary": "The site's pages (drafts)", "responses": std(obj{"200": jsonResp("OK", pageOf(ref("SitePage")))}, "404")},
		"post": obj{"summary": "Add a page, blank or from a page template (a draft until the site is published)", "requestBody": jsonBody(pageCreate),
			"responses": std(obj{"201": jsonResp("Created", saved)}, "400", "403", "404", "409")}}
	paths["/api/v1/sites/{id}/pages/{page}"] = obj{"parameters": []obj{idParam, pageParam, tenantParam},
		"get": obj{"summary": "One page with its blocks", "responses": std(obj{"200": jsonResp("OK", dataOf(ref("SitePage")))}, "404")},
		"put": obj{"summary": "Replace a page's draft", "requestBody": jsonBody(ref("SitePageInput")),
			"responses": std(obj{"200": jsonResp("Saved", saved)}, "400", "403", "404", "409")}}
	paths["/api/v1/sites/{id}/publish"] = obj{"parameters": []obj{idParam, tenantParam},
		"post": obj{"summary": "Publish the drafts as a new revision (all pages swap at once)",
			"requestBody": obj{"required": false, "content": obj{"application/json": obj{"schema": props(nil, obj{"note": str})}}},
			"responses":   std(obj{"200": jsonResp("Published", dataOf(ref("SiteRevision")))}, "400", "403", "404")}}
	nc := obj{"type": "array", "items": props([]string{"name", "count"}, obj{"name": str, "count": integ})}
	paths["/api/v1/sites/{id}/analytics"] = obj{"parameters": []obj{idParam, tenantParam},
		"get": obj{"summary": "Page views, unique visitors (per day, no cookies), referrers, UTM sources, devices, conversions, funnels and split tests",
			"parameters": []obj{qparam("from", "first day, YYYY-MM-DD (default 29 days ago)", str), qparam("to", "last day, YYYY-MM-DD (default today)", str)},
			"responses": std(obj{"200": jsonResp("OK", dataOf(props([]string{"from", "to", "views", "visitors", "conversions", "days", "pages", "funnels", "tests"}, obj{
				"from": str, "to": str, "views": integ, "visitors": integ, "conversions": integ,
				"days":      obj{"type": "array", "items": props([]string{"day", "views", "visitors"}, obj{"day": str, "views": integ, "visitors": integ})},
				"pages":     obj{"type": "array", "items": props([]string{"path", "views", "visitors", "conversions", "converters"}, obj{"path": str, "views": integ, "visitors": integ, "conversions": integ, "converters": integ})},
				"referrers": nc, "sources": nc, "devices": nc,
				"funnels": obj{"type": "array", "items": props([]string{"name", "steps"}, obj{"name": str, "steps": obj{"type": "array", "items": props([]string{"slug", "visitors", "converters", "rate"},
					obj{"slug": str, "visitors": integ, "converters": integ, "rate": obj{"type": "number"}})}})},
				"tests": obj{"type": "array", "items": props([]string{"page", "variants"}, obj{"page": str, "variants": obj{"type": "array", "items": props([]string{"slug", "visitors", "converters", "rate", "p", "significant"},
					obj{"slug": str, "weight": integ, "visitors": integ, "converters": integ, "rate": obj{"type": "number"}, "z": obj{"type": "number"}, "p": obj{"type": "number"}, "significant": obj{"type": "boolean"}})}})},
			})))}, "400", "404")}}
	paths["/api/v1/sites/{id}/pages/{page}/preview-link"] = obj{"parameters": []obj{idParam, pageParam, tenantParam},
		"post": obj{"summary": "A signed, expiring link to the page's saved draft that opens without signing in (noindex)",
			"requestBody": obj{"required": false, "content": obj{"application/json": obj{"schema": props(nil, obj{"hours": obj{"type": "integer", "minimum": 1, "maximum": 720, "description": "how long the link works (default 72)"}})}}},
			"responses":   std(obj{"201": jsonResp("Created", dataOf(props([]string{"url", "expires_at"}, obj{"url": str, "expires_at": tstamp})))}, "400", "403", "404")}}
	media := props([]string{"path", "content_type", "size"}, obj{"path": obj{"type": "string", "description": "the image's address on the site (/_media/...): use it in image, gallery and hero blocks or as og_image"},
		"content_type": str, "size": integ})
	paths["/api/v1/sites/{id}/media"] = obj{"parameters": []obj{idParam, tenantParam},
		"get": obj{"summary": "The site's uploaded images", "responses": std(obj{"200": jsonResp("OK", pageOf(media))}, "404")},
		"post": obj{"summary": "Upload an image (PNG, JPEG, GIF or WebP by its content, at most 900 KB), served on the site's host",
			"requestBody": obj{"required": true, "content": obj{"multipart/form-data": obj{"schema": props([]string{"file"}, obj{"file": obj{"type": "string", "format": "binary"}})}}},
			"responses":   std(obj{"201": jsonResp("Created", dataOf(media))}, "400", "403", "404", "413")}}
	redirect := props([]string{"from", "to"}, obj{"from": obj{"type": "string", "description": "a path the site has no page at, like /old-page"},
		"to": obj{"type": "string", "description": "a /path of the site or a full https:// address"}})
	redirects := props([]string{"data"}, obj{"data": obj{"type": "array", "items": redirect}})
	paths["/api/v1/sites/{id}/redirects"] = obj{"parameters": []obj{idParam, tenantParam},
		"get": obj{"summary": "The site's 301 redirects (live after the next publish)", "responses": std(obj{"200": jsonResp("OK", redirects)}, "404")},
		"put": obj{"summary": "Replace the site's 301 redirects (a loop, a page's own path or a bad address is refused naming redirects)",
			"requestBody": jsonBody(props([]string{"redirects"}, obj{"redirects": obj{"type": "array", "items": redirect}})),
			"responses":   std(obj{"200": jsonResp("Saved", redirects)}, "400", "403", "404")}}
	paths["/api/v1/sites/{id}/revisions"] = obj{"parameters": []obj{idParam, tenantParam},
		"get": obj{"summary": "Published revisions, newest first", "responses": std(obj{"200": jsonResp("OK", pageOf(ref("SiteRevision")))}, "404")}}
}
