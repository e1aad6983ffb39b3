package sitesui

import (
	"context"
	"embed"
	"fmt"
	"html"
	"io"
	"mime/multipart"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/app/agents"
	"orengen/app/sites"
	"orengen/ui/web"
)

// Templates are this package's pages (templates/<layout>/<page>.html) and
// partials, parsed with web's layouts at boot (web.NewRenderer).
//
//go:embed templates
var Templates embed.FS

// NavItem is the editor's navigation entry (portal owners, Nexus).
var NavItem = web.NavItem{Label: "Websites & Funnels", Path: "/sites"}

// Mount adds the editor: Portal > Websites & Funnels for tenant owners,
// Nexus > Growth > Websites & Funnels for the house tenant.
func (s *Handler) Mount(r fiber.Router, csrf fiber.Handler, sc web.Scope) {
	if !s.On() {
		return
	}
	r.Get("/sites", s.scoped(sc, s.handleSites))
	r.Post("/sites", csrf, s.scoped(sc, s.handleSiteCreate))
	r.Get("/sites/:id", s.scoped(sc, s.handleSite))
	r.Post("/sites/:id", csrf, s.scoped(sc, s.handleSiteSave))
	r.Post("/sites/:id/publish", csrf, s.scoped(sc, s.handleSitePublish))
	r.Post("/sites/:id/rollback", csrf, s.scoped(sc, s.handleSiteRollback))
	r.Post("/sites/:id/delete", csrf, s.scoped(sc, s.handleSiteDelete))
	r.Get("/sites/:id/theme.css", s.scoped(sc, s.handleThemeCSS))
	r.Get("/sites/:id/analytics", s.scoped(sc, s.handleAnalytics))
	r.Post("/sites/:id/pages", csrf, s.scoped(sc, s.handlePageCreate))
	r.Get("/sites/:id/pages/:page", s.scoped(sc, s.handlePage))
	r.Post("/sites/:id/pages/:page", csrf, s.scoped(sc, s.handlePageSave))
	r.Post("/sites/:id/pages/:page/preview", csrf, s.scoped(sc, s.handlePagePreview))
	r.Post("/sites/:id/pages/:page/delete", csrf, s.scoped(sc, s.handlePageDelete))
	r.Post("/sites/:id/pages/:page/share", csrf, s.scoped(sc, s.handlePageShare))
	r.Get("/sites/:id/media/:name", s.scoped(sc, s.handleMedia))
	r.Post("/sites/:id/media", csrf, s.scoped(sc, s.handleMediaUpload))
	r.Post("/sites/:id/media/delete", csrf, s.scoped(sc, s.handleMediaDelete))
}

// MountPreview adds the shared previews of draft pages (signed, expiring
// links that need no sign-in) to the portal host.
func (s *Handler) MountPreview(r fiber.Router) {
	if !s.On() {
		return
	}
	r.Get("/site-preview/:token", s.handleSharedPreview)
	r.Get("/site-preview/:token/theme.css", s.handleSharedPreviewTheme)
	r.Get("/site-preview/:token/media/:name", s.handleSharedPreviewMedia)
}

func (s *Handler) handleSharedPreviewMedia(c *fiber.Ctx) error {
	f, err := s.Sites.SharedPreviewMedia(c.UserContext(), s.SessionKey, utils.CopyString(c.Params("token")), sites.MediaPrefix+c.Params("name"), time.Now())
	if err != nil {
		return err
	}
	return sendMediaFile(c, f)
}

func sendMediaFile(c *fiber.Ctx, f *sites.File) error {
	c.Set(fiber.HeaderContentType, f.ContentType)
	c.Set(fiber.HeaderCacheControl, "private, max-age=3600")
	c.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	return c.Send(f.Body)
}

// handleMedia serves an uploaded image of a site to its editor (previews).
func (s *Handler) handleMedia(c *fiber.Ctx, sc web.Scope) error {
	site, err := s.loadSite(c)
	if err != nil {
		return err
	}
	f, err := s.Sites.MediaFile(c.UserContext(), site.ID, sites.MediaPrefix+c.Params("name"))
	if err != nil {
		return err
	}
	return sendMediaFile(c, f)
}

// handleMediaUpload stores an image (multipart field "file"): its type
// is sniffed from its content, its size capped.
func (s *Handler) handleMediaUpload(c *fiber.Ctx, sc web.Scope) error {
	site, err := s.loadSite(c)
	if err != nil {
		return err
	}
	var m *sites.Media
	fh, ferr := c.FormFile("file")
	if ferr != nil {
		err = app.FieldErrorf("file", "Choose an image to upload.")
	} else if fh.Size > sites.MaxMediaSize {
		err = sites.ErrMediaTooLarge()
	} else {
		var data []byte
		if data, err = readFormFile(fh); err == nil {
			m, err = s.Sites.Upload(c.UserContext(), site.ID, data)
		}
	}
	if code := app.ErrorCode(err); code == app.EINVALID || code == app.ETOOLARGE {
		c.Status(web.ErrorStatus(code))
		return s.renderSite(c, sc, site, &sitePage{Errors: map[string]string{"file": app.ErrorMessage(err)}})
	} else if err != nil {
		return err
	}
	s.SetFlash(c, "ok", "Image uploaded: use "+m.Path+" as an image address (it goes live when the site is published).")
	return c.Redirect("/sites/"+strconv.FormatInt(site.ID, 10)+"#images", fiber.StatusSeeOther)
}

func readFormFile(fh *multipart.FileHeader) ([]byte, error) {
	f, err := fh.Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, sites.MaxMediaSize+1))
}

func (s *Handler) handleMediaDelete(c *fiber.Ctx, sc web.Scope) error {
	site, err := s.loadSite(c)
	if err != nil {
		return err
	}
	if err := s.Sites.DeleteMedia(c.UserContext(), site.ID, utils.CopyString(c.FormValue("path"))); err != nil {
		return err
	}
	s.SetFlash(c, "ok", "Image deleted. Pages that still show it lose it at the next publish.")
	return c.Redirect("/sites/"+strconv.FormatInt(site.ID, 10)+"#images", fiber.StatusSeeOther)
}

// PreviewURL is the address of a preview link's token (on the portal
// host, where it needs no sign-in).
func (s *Handler) PreviewURL(token string) string {
	return s.URL(web.HostPortal) + "/site-preview/" + token
}

// handlePageShare makes a preview link of the page's saved draft, valid
// for the hours asked (default 72), and shows it in the editor.
func (s *Handler) handlePageShare(c *fiber.Ctx, sc web.Scope) error {
	site, p, err := s.loadPage(c)
	if err != nil {
		return err
	}
	hours := 72
	if v := c.FormValue("hours"); v != "" {
		if hours, err = strconv.Atoi(v); err != nil {
			hours = -1
		}
	}
	tok, exp, err := s.Sites.PreviewLink(c.UserContext(), s.SessionKey, site.ID, p.ID, time.Duration(hours)*time.Hour, time.Now())
	e := &pageEditPage{}
	if app.ErrorCode(err) == app.EINVALID {
		c.Status(fiber.StatusBadRequest)
		e.Errors = fieldErrors(err)
	} else if err != nil {
		return err
	} else {
		e.ShareURL, e.ShareExpires = s.PreviewURL(tok), &exp
	}
	return s.renderPage(c, sc, site, p, e)
}

// handleSharedPreview shows the draft a preview link names: no sign-in,
// never indexed or cached, forms inert.
func (s *Handler) handleSharedPreview(c *fiber.Ctx) error {
	tok := utils.CopyString(c.Params("token"))
	body, err := s.Sites.SharedPreview(c.UserContext(), s.SessionKey, tok, "/site-preview/"+tok+"/theme.css", "/site-preview/"+tok+"/media/", time.Now())
	if err != nil {
		return err
	}
	previewHeaders(c)
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Send(body)
}

func (s *Handler) handleSharedPreviewTheme(c *fiber.Ctx) error {
	css, err := s.Sites.SharedPreviewTheme(c.UserContext(), s.SessionKey, utils.CopyString(c.Params("token")), time.Now())
	if err != nil {
		return err
	}
	previewHeaders(c)
	c.Set(fiber.HeaderContentType, "text/css; charset=utf-8")
	return c.Send(css)
}

func previewHeaders(c *fiber.Ctx) {
	c.Set("X-Robots-Tag", "noindex, nofollow")
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("Referrer-Policy", "no-referrer") // the token stays out of other sites' logs
	c.Set("Content-Security-Policy", strings.Replace(siteCSP, "form-action 'self'", "form-action 'none'", 1))
}

// scoped runs h in the editor's tenant: the signed-in owner's in the
// portal, the house tenant in Nexus.
func (s *Handler) scoped(sc web.Scope, h func(*fiber.Ctx, web.Scope) error) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if sc.Nexus() {
			c.SetUserContext(app.NewContextWithTenant(c.UserContext(), &app.Tenant{ID: app.HouseTenantID}))
		} else if err := web.RequireOwner(c, "edit websites"); err != nil {
			return err
		}
		return h(c, sc)
	}
}

// domains lists the hosts a site of the editor's tenant may use.
func (s *Handler) domains(c *fiber.Ctx, sc web.Scope) []string {
	tid, err := app.TenantIDFromContext(c.UserContext())
	if err != nil || s.Sites.Domains == nil {
		return nil
	}
	ds, _ := s.Sites.Domains.DomainsByTenant(c.UserContext(), tid)
	if sc.Nexus() && s.Sites.HouseDomain != "" {
		ds = append([]string{s.Sites.HouseDomain}, ds...)
	}
	if sub := s.Sites.SubdomainFor(app.TenantFromContext(c.UserContext())); sub != "" && !sc.Nexus() {
		ds = append(ds, sub) // a site without a custom domain
	}
	return ds
}

type sitesPage struct {
	web.Layout
	Sites     []*sites.Site
	Domains   []string
	Templates []*sites.SiteTemplate
	Name      string
	Domain    string
	Template  string
	Errors    map[string]string
}

func (s *Handler) renderSites(c *fiber.Ctx, sc web.Scope, p *sitesPage) error {
	var err error
	if p.Sites, err = s.Sites.ListSites(c.UserContext()); err != nil {
		return err
	}
	p.Domains = s.domains(c, sc)
	p.Templates = sites.SiteTemplates
	p.Layout = s.Layout(c, sc.Host, "Websites & Funnels")
	return s.Render(c, sc.Page("websites"), p)
}

func (s *Handler) handleSites(c *fiber.Ctx, sc web.Scope) error {
	return s.renderSites(c, sc, &sitesPage{})
}

func (s *Handler) handleSiteCreate(c *fiber.Ctx, sc web.Scope) error {
	site := &sites.Site{Name: utils.CopyString(c.FormValue("name")), Domain: utils.CopyString(c.FormValue("domain"))}
	tmpl := utils.CopyString(c.FormValue("template"))
	var err error
	if tmpl == "" {
		err = s.Sites.CreateSite(c.UserContext(), site)
	} else {
		_, err = s.Sites.CreateSiteFromTemplate(c.UserContext(), site, tmpl, sites.TemplateInput{})
	}
	if code := app.ErrorCode(err); code == app.EINVALID || code == app.ECONFLICT {
		c.Status(web.ErrorStatus(code))
		return s.renderSites(c, sc, &sitesPage{Name: site.Name, Domain: site.Domain, Template: tmpl, Errors: fieldErrors(err)})
	} else if err != nil {
		return err
	}
	if tmpl != "" {
		s.SetFlash(c, "ok", "Site created from the template. Replace the sample text and images, then publish.")
	} else {
		s.SetFlash(c, "ok", "Site created with a home page. Add blocks, then publish.")
	}
	return c.Redirect("/sites/"+strconv.FormatInt(site.ID, 10), fiber.StatusSeeOther)
}

func fieldErrors(err error) map[string]string {
	f := app.ErrorField(err)
	if f == "" {
		f = "form"
	}
	return map[string]string{f: app.ErrorMessage(err)}
}

type sitePage struct {
	web.Layout
	Site        *sites.Site
	Pages       []*sites.Page
	Revisions   []*sites.Revision
	Domains     []string
	Fonts       []string
	NavText     string
	FunnelsText string
	TestsText   string
	Redirects   string
	CTALabel    string
	CTAURL      string
	LiveURL     string
	ChatAgents  []*agents.Agent // the tenant's agents answering web chat
	Templates   []*sites.PageTemplate
	Media       []sites.Media
	Errors      map[string]string
}

// chatAgents lists the agents of the site's tenant that answer web chat:
// the choices of the chat block and of the chat button on every page.
func (s *Handler) chatAgents(ctx context.Context, tenantID int64) []*agents.Agent {
	if s.Agents == nil {
		return nil
	}
	all, err := s.Agents.Agents(ctx)
	if err != nil {
		return nil
	}
	var out []*agents.Agent
	for _, a := range all {
		if a.TenantID == tenantID && a.Enabled && a.Config.Channels.Web {
			out = append(out, a)
		}
	}
	return out
}

func (s *Handler) loadSite(c *fiber.Ctx) (*sites.Site, error) {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return nil, err
	}
	return s.Sites.Site(c.UserContext(), id)
}

func (s *Handler) renderSite(c *fiber.Ctx, sc web.Scope, site *sites.Site, p *sitePage) error {
	ctx := c.UserContext()
	var err error
	p.Site = site
	if p.Pages, err = s.Sites.ListPages(ctx, site.ID); err != nil {
		return err
	}
	if p.Revisions, err = s.Sites.ListRevisions(ctx, site.ID); err != nil {
		return err
	}
	p.Domains = s.domains(c, sc)
	p.ChatAgents = s.chatAgents(ctx, site.TenantID)
	p.Templates = sites.PageTemplates
	if p.Media, err = s.Sites.ListMedia(ctx, site.ID); err != nil {
		return err
	}
	for f := range sites.Fonts {
		p.Fonts = append(p.Fonts, f)
	}
	slices.Sort(p.Fonts)
	if p.Errors == nil {
		p.NavText = sites.FormatNav(site.Settings.Nav)
		p.FunnelsText = sites.FormatFunnels(site.Settings.Funnels)
		p.TestsText = sites.FormatTests(site.Settings.Tests)
		p.Redirects = sites.FormatRedirects(site.Settings.Redirects)
		if l := site.Settings.HeaderCTA; l != nil {
			p.CTALabel, p.CTAURL = l.Label, l.URL
		}
	}
	if site.Domain != "" && site.PublishedRev > 0 {
		p.LiveURL = s.TenantURL(site.Domain)
	}
	site.Settings.Theme.Normalize()
	p.Layout = s.Layout(c, sc.Host, site.Name)
	return s.Render(c, sc.Page("website"), p)
}

func (s *Handler) handleSite(c *fiber.Ctx, sc web.Scope) error {
	site, err := s.loadSite(c)
	if err != nil {
		return err
	}
	return s.renderSite(c, sc, site, &sitePage{})
}

// handleSiteSave writes the site's name, domain, theme, menu, header
// button, footer, funnels and split tests.
func (s *Handler) handleSiteSave(c *fiber.Ctx, sc web.Scope) error {
	site, err := s.loadSite(c)
	if err != nil {
		return err
	}
	v := web.FormMap(c, "name", "domain", "font", "heading_font", "primary", "background", "text", "logo_url", "favicon",
		"nav", "footer", "cta_label", "cta_url", "funnels", "tests", "chat_agent", "redirects")
	p := &sitePage{NavText: v["nav"], FunnelsText: v["funnels"], TestsText: v["tests"], Redirects: v["redirects"], CTALabel: v["cta_label"], CTAURL: v["cta_url"]}
	site.Name, site.Domain = v["name"], v["domain"]
	site.Settings.Theme = sites.Theme{Font: v["font"], HeadingFont: v["heading_font"], Primary: v["primary"], Background: v["background"],
		Text: v["text"], LogoURL: strings.TrimSpace(v["logo_url"]), Favicon: strings.TrimSpace(v["favicon"])}
	site.Settings.Footer = strings.TrimSpace(v["footer"])
	site.Settings.HeaderCTA = &app.Link{Label: strings.TrimSpace(v["cta_label"]), URL: strings.TrimSpace(v["cta_url"])}
	site.Settings.ChatAgent = v["chat_agent"]
	if site.Settings.Nav, err = sites.ParseNav(v["nav"]); err == nil {
		if site.Settings.Funnels, err = sites.ParseFunnels(v["funnels"]); err == nil {
			if site.Settings.Tests, err = sites.ParseTests(v["tests"]); err == nil {
				if site.Settings.Redirects, err = sites.ParseRedirects(v["redirects"]); err == nil {
					err = s.Sites.UpdateSite(c.UserContext(), site)
				}
			}
		}
	}
	if code := app.ErrorCode(err); code == app.EINVALID || code == app.ECONFLICT {
		p.Errors = fieldErrors(err)
		c.Status(web.ErrorStatus(code))
		return s.renderSite(c, sc, site, p)
	} else if err != nil {
		return err
	}
	s.SetFlash(c, "ok", "Site settings saved. Publish to make them live.")
	return c.Redirect("/sites/"+strconv.FormatInt(site.ID, 10), fiber.StatusSeeOther)
}

func (s *Handler) handleSitePublish(c *fiber.Ctx, sc web.Scope) error {
	site, err := s.loadSite(c)
	if err != nil {
		return err
	}
	rev, err := s.Sites.Publish(c.UserContext(), site.ID, utils.CopyString(c.FormValue("note")))
	if app.ErrorCode(err) == app.EINVALID {
		c.Status(fiber.StatusBadRequest)
		return s.renderSite(c, sc, site, &sitePage{Errors: map[string]string{"publish": app.ErrorMessage(err)}})
	} else if err != nil {
		return err
	}
	s.Forget(site.ID)
	msg := fmt.Sprintf("Published revision %d.", rev.Number)
	if site.Domain == "" {
		msg += " Choose a domain in the settings to put the site online."
	}
	s.SetFlash(c, "ok", msg)
	return c.Redirect("/sites/"+strconv.FormatInt(site.ID, 10), fiber.StatusSeeOther)
}

func (s *Handler) handleSiteRollback(c *fiber.Ctx, sc web.Scope) error {
	site, err := s.loadSite(c)
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(c.FormValue("number"))
	if err != nil || n <= 0 {
		return app.FieldErrorf("number", "Choose a revision to roll back to.")
	}
	rev, err := s.Sites.Rollback(c.UserContext(), site.ID, n)
	if err != nil {
		return err
	}
	s.Forget(site.ID)
	s.SetFlash(c, "ok", fmt.Sprintf("Revision %d is live again (as revision %d). Your drafts are unchanged.", n, rev.Number))
	return c.Redirect("/sites/"+strconv.FormatInt(site.ID, 10), fiber.StatusSeeOther)
}

func (s *Handler) handleSiteDelete(c *fiber.Ctx, sc web.Scope) error {
	site, err := s.loadSite(c)
	if err != nil {
		return err
	}
	if err := s.Sites.DeleteSite(c.UserContext(), site.ID); err != nil {
		return err
	}
	s.Forget(site.ID)
	s.SetFlash(c, "ok", "Site deleted: it is offline and its pages are gone.")
	return c.Redirect("/sites", fiber.StatusSeeOther)
}

func (s *Handler) handleThemeCSS(c *fiber.Ctx, sc web.Scope) error {
	site, err := s.loadSite(c)
	if err != nil {
		return err
	}
	css, err := s.Sites.ThemeCSS(c.UserContext(), site.ID)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/css; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return c.Send(css)
}

func (s *Handler) handlePageCreate(c *fiber.Ctx, sc web.Scope) error {
	site, err := s.loadSite(c)
	if err != nil {
		return err
	}
	p := &sites.Page{SiteID: site.ID, Slug: utils.CopyString(c.FormValue("slug")), Title: utils.CopyString(c.FormValue("title"))}
	if tmpl := c.FormValue("template"); tmpl != "" {
		var tp *sites.Page
		if tp, err = s.Sites.CreatePageFromTemplate(c.UserContext(), site.ID, utils.CopyString(tmpl), p.Slug, p.Title, sites.TemplateInput{}); err == nil {
			p = tp
		}
	} else {
		_, err = s.Sites.SavePage(c.UserContext(), p)
	}
	if code := app.ErrorCode(err); code == app.EINVALID || code == app.ECONFLICT {
		c.Status(web.ErrorStatus(code))
		return s.renderSite(c, sc, site, &sitePage{Errors: map[string]string{"page": app.ErrorMessage(err)}})
	} else if err != nil {
		return err
	}
	return c.Redirect(pageURL(p), fiber.StatusSeeOther)
}

func pageURL(p *sites.Page) string {
	return "/sites/" + strconv.FormatInt(p.SiteID, 10) + "/pages/" + strconv.FormatInt(p.ID, 10)
}

// blockForm is a block as the editor shows it.
type blockForm struct {
	Index         int
	B             sites.Block
	Label         string
	ItemsText     string
	ItemFormat    string
	Forms         []*app.Form     // the tenant's forms (form blocks)
	ChatAgents    []*agents.Agent // the tenant's chat agents (chat blocks)
	DeadlineLocal string          // countdown: for datetime-local
}

type pageEditPage struct {
	web.Layout
	Site     *sites.Site
	Page     *sites.Page
	Blocks   []blockForm
	Types    []struct{ Type, Label string }
	Forms    []*app.Form
	Errors   map[string]string
	Warnings []string
	Dirty    bool // unsaved changes (after add, remove or move without JS)
	Action   string
	Today    string // a new post's date
	// ShareURL is a preview link just made, valid until ShareExpires.
	ShareURL     string
	ShareExpires *time.Time
	Media        []sites.Media // the site's images (image address choices)
}

func blockLabel(t string) string {
	for _, b := range sites.BlockTypes {
		if b.Type == t {
			return b.Label
		}
	}
	return t
}

func (s *Handler) loadPage(c *fiber.Ctx) (*sites.Site, *sites.Page, error) {
	site, err := s.loadSite(c)
	if err != nil {
		return nil, nil, err
	}
	id, err := web.ParamID(c, "page")
	if err != nil {
		return nil, nil, err
	}
	p, err := s.Sites.Page(c.UserContext(), id)
	if err != nil {
		return nil, nil, err
	}
	if p.SiteID != site.ID {
		return nil, nil, app.Errorf(app.ENOTFOUND, "Page not found.")
	}
	return site, p, nil
}

func (s *Handler) renderPage(c *fiber.Ctx, sc web.Scope, site *sites.Site, p *sites.Page, e *pageEditPage) error {
	e.Site, e.Page, e.Types, e.Action = site, p, sites.BlockTypes, pageURL(p)
	e.Today = time.Now().UTC().Format(time.DateOnly)
	e.Media, _ = s.Sites.ListMedia(c.UserContext(), site.ID)
	e.Blocks = nil
	if s.Forms != nil {
		e.Forms, _ = s.Forms.ListForms(c.UserContext())
	}
	chat := s.chatAgents(c.UserContext(), site.TenantID)
	for i, b := range p.Blocks {
		f := blockForm{Index: i, B: b, Label: blockLabel(b.Type), ItemsText: sites.FormatItems(b.Type, b.Items), ItemFormat: sites.ItemFormat(b.Type), Forms: e.Forms, ChatAgents: chat}
		if t, err := time.Parse(time.RFC3339, b.Deadline); err == nil {
			f.DeadlineLocal = t.UTC().Format("2006-01-02T15:04")
		}
		e.Blocks = append(e.Blocks, f)
	}
	e.Layout = s.Layout(c, sc.Host, p.Title+" · "+site.Name)
	return s.Render(c, sc.Page("webpage"), e)
}

func (s *Handler) handlePage(c *fiber.Ctx, sc web.Scope) error {
	site, p, err := s.loadPage(c)
	if err != nil {
		return err
	}
	return s.renderPage(c, sc, site, p, &pageEditPage{})
}

// readPage reads the editor's form into p: its fields, and its blocks in
// the order their "order" inputs come (the order on screen after
// dragging). Items in the editor's line format are parsed per block.
func readPage(c *fiber.Ctx, p *sites.Page) error {
	v := web.FormMap(c, "slug", "title", "seo_title", "description", "og_image", "canonical", "noindex", "is_post", "post_date", "post_summary")
	p.Slug, p.Title = v["slug"], v["title"]
	p.SEO = sites.SEO{Title: strings.TrimSpace(v["seo_title"]), Description: strings.TrimSpace(v["description"]),
		OGImage: strings.TrimSpace(v["og_image"]), Canonical: strings.TrimSpace(v["canonical"]), NoIndex: v["noindex"] != ""}
	p.Post = nil
	if v["is_post"] != "" {
		p.Post = &sites.Post{Date: v["post_date"], Summary: v["post_summary"]}
	}
	var blocks []sites.Block
	seen := map[string]bool{}
	for _, raw := range c.Request().PostArgs().PeekMulti("order") {
		k := string(raw)
		if _, err := strconv.Atoi(k); err != nil || seen[k] || len(blocks) >= sites.MaxBlocks+1 {
			continue
		}
		seen[k] = true
		f := func(name string) string {
			return strings.TrimSpace(utils.CopyString(c.FormValue("b" + k + "_" + name)))
		}
		b := sites.Block{ID: f("id"), Type: f("type"), Heading: f("heading"), Subheading: f("subheading"), Text: f("text"),
			Image: f("image"), Alt: f("alt"), VideoURL: f("video_url"), EventType: f("event_type"), AgentKey: f("agent_key"),
			Deadline: f("deadline"), HTML: f("html")}
		if b.Type == sites.BlockText {
			b.Text = utils.CopyString(c.FormValue("b" + k + "_text")) // Markdown keeps its indentation
		}
		if id := f("form_id"); id != "" {
			n, err := strconv.ParseInt(id, 10, 64)
			if err != nil {
				return app.FieldErrorf("blocks", "Block %d: choose a form.", len(blocks)+1)
			}
			b.FormID = n
		}
		if l, u := f("cta_label"), f("cta_url"); l != "" || u != "" {
			b.CTA = &app.Link{Label: l, URL: u}
		}
		if l, u := f("cta2_label"), f("cta2_url"); l != "" || u != "" {
			b.CTA2 = &app.Link{Label: l, URL: u}
		}
		if d := f("deadline"); d != "" && len(d) == len("2006-01-02T15:04") {
			b.Deadline = d + ":00Z" // datetime-local, read as UTC
		}
		items, err := sites.ParseItems(b.Type, utils.CopyString(c.FormValue("b"+k+"_items")))
		if err != nil {
			return app.FieldErrorf("blocks", "Block %d (%s): %s", len(blocks)+1, blockLabel(b.Type), app.ErrorMessage(err))
		}
		b.Items = items
		blocks = append(blocks, b)
	}
	p.Blocks = blocks
	return nil
}

// applyEdit applies the editor's structural buttons without JavaScript:
// add a block, remove one, move one up or down. It reports whether one
// was pressed (the page is then shown again, unsaved).
func applyEdit(c *fiber.Ctx, p *sites.Page) bool {
	if c.FormValue("add") != "" {
		if t := c.FormValue("add_type"); sites.KnownBlock(t) {
			b := sites.NewBlock(utils.CopyString(t))
			b.ID = fmt.Sprintf("b%d", len(p.Blocks)+1)
			for _, o := range p.Blocks {
				if o.ID == b.ID {
					b.ID += "n"
				}
			}
			p.Blocks = append(p.Blocks, b)
		}
		return true
	}
	if v := c.FormValue("remove"); v != "" {
		if i, err := strconv.Atoi(v); err == nil && i >= 0 && i < len(p.Blocks) {
			p.Blocks = append(p.Blocks[:i], p.Blocks[i+1:]...)
		}
		return true
	}
	if v := c.FormValue("move"); v != "" {
		is, dir, _ := strings.Cut(v, ":")
		i, err := strconv.Atoi(is)
		if err == nil && i >= 0 && i < len(p.Blocks) {
			j := i - 1
			if dir == "down" {
				j = i + 1
			}
			if j >= 0 && j < len(p.Blocks) {
				p.Blocks[i], p.Blocks[j] = p.Blocks[j], p.Blocks[i]
			}
		}
		return true
	}
	return false
}

func (s *Handler) handlePageSave(c *fiber.Ctx, sc web.Scope) error {
	site, p, err := s.loadPage(c)
	if err != nil {
		return err
	}
	e := &pageEditPage{}
	if err := readPage(c, p); err != nil {
		e.Errors = fieldErrors(err)
		c.Status(fiber.StatusBadRequest)
		return s.renderPage(c, sc, site, p, e)
	}
	if applyEdit(c, p) {
		e.Dirty = true
		return s.renderPage(c, sc, site, p, e)
	}
	warn, err := s.Sites.SavePage(c.UserContext(), p)
	if code := app.ErrorCode(err); code == app.EINVALID || code == app.ECONFLICT {
		e.Errors = fieldErrors(err)
		c.Status(web.ErrorStatus(code))
		return s.renderPage(c, sc, site, p, e)
	} else if err != nil {
		return err
	}
	msg := "Draft saved. Publish the site to make it live."
	if len(warn) > 0 {
		msg = strings.Join(warn, " ") + " " + msg
	}
	s.SetFlash(c, "ok", msg)
	if c.FormValue("publish") != "" {
		if _, err := s.Sites.Publish(c.UserContext(), site.ID, ""); err != nil {
			if app.ErrorCode(err) != app.EINVALID {
				return err
			}
			s.SetFlash(c, "error", "Draft saved, but not published: "+app.ErrorMessage(err))
		} else {
			s.Forget(site.ID)
			s.SetFlash(c, "ok", strings.TrimSuffix(msg, " Publish the site to make it live.")+" Published.")
		}
	}
	return c.Redirect(pageURL(p), fiber.StatusSeeOther)
}

// handlePagePreview renders the editor's unsaved page as it would be
// published, for the preview frame beside the editor.
func (s *Handler) handlePagePreview(c *fiber.Ctx, sc web.Scope) error {
	site, p, err := s.loadPage(c)
	if err != nil {
		return err
	}
	err = readPage(c, p)
	var body []byte
	if err == nil {
		base := "/sites/" + strconv.FormatInt(site.ID, 10)
		body, err = s.Sites.Preview(c.UserContext(), site.ID, p, base+"/theme.css", base+"/media/")
	}
	if app.ErrorCode(err) == app.EINVALID || app.ErrorCode(err) == app.ECONFLICT {
		c.Status(fiber.StatusOK)
		body = []byte(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Preview</title></head><body><p role="alert">` +
			html.EscapeString(app.ErrorMessage(err)) + `</p></body></html>`)
	} else if err != nil {
		return err
	}
	c.Response().Header.Del("X-Frame-Options")
	c.Set("X-Frame-Options", "SAMEORIGIN")
	c.Set("Content-Security-Policy", strings.Replace(siteCSP, "form-action 'self'", "form-action 'none'", 1))
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Send(body)
}

func (s *Handler) handlePageDelete(c *fiber.Ctx, sc web.Scope) error {
	site, p, err := s.loadPage(c)
	if err != nil {
		return err
	}
	if err := s.Sites.DeletePage(c.UserContext(), p.ID); err != nil {
		return err
	}
	s.SetFlash(c, "ok", "Page deleted from the drafts. It stays live until you publish.")
	return c.Redirect("/sites/"+strconv.FormatInt(site.ID, 10), fiber.StatusSeeOther)
}
