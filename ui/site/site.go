package site

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"net"
	"orengen/ui/web"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/assets"
)

func (s *Handler) Mount(r fiber.Router) {
	r.Get("/robots.txt", s.handleRobots)
	r.Get("/sitemap.xml", s.handleSitemap)
	r.Post("/leads", s.CSRF(web.HostSite), s.handleLeadCreate)
	r.Get("/thanks", s.handleLeadThanks)
	s.API.MountCapture(r)
	s.API.MountStripe(r)
	s.MountForms(r, web.HostSite)
	s.ChatPages.MountChat(r, web.HostSite)
	r.Get("/", s.handleSitePage)
	r.Get("/:slug", s.handleSitePage)
}

type sitePage struct {
	web.Layout
	Page   *app.Page
	Form   web.LeadForm
	Errors map[string]string
}

// cachedPage is a rendered marketing page with its compressed forms. The
// pages are the same for every visitor, so they are rendered once and
// served from memory until the content changes.
type cachedPage struct {
	body, gz, br []byte
	etag         string
}

type pageCache struct {
	mu    sync.RWMutex
	pages map[string]*cachedPage
}

func (pc *pageCache) get(slug string) *cachedPage {
	pc.mu.RLock()
	defer pc.mu.RUnlock()
	return pc.pages[slug]
}

func (pc *pageCache) put(slug string, p *cachedPage) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if pc.pages == nil {
		pc.pages = map[string]*cachedPage{}
	}
	pc.pages[slug] = p
}

// Reset drops every cached page (after an edit).
func (pc *pageCache) Reset() {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	pc.pages = nil
}

func newCachedPage(body []byte) *cachedPage {
	gz, br := assets.Compress(body)
	sum := sha256.Sum256(body)
	return &cachedPage{body: body, gz: gz, br: br, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
}

// handleSitePage serves a marketing page from the cache, rendering it on
// the first request after start or after an edit.
func (s *Handler) handleSitePage(c *fiber.Ctx) error {
	if ok, err := s.serveBuilt(c); ok {
		return err
	}
	slug := c.Params("slug")
	cp := s.pages.get(slug)
	if cp == nil {
		p, err := s.Site.PageBySlug(c.UserContext(), utils.CopyString(slug))
		if err != nil {
			return err
		}
		data := &sitePage{Page: p}
		data.Layout = s.siteLayout(c, p)
		b, err := s.Execute("site/page", data)
		if err != nil {
			return err
		}
		cp = newCachedPage(b)
		s.pages.put(utils.CopyString(slug), cp)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "public, max-age=60")
	c.Set(fiber.HeaderETag, cp.etag)
	c.Set(fiber.HeaderVary, fiber.HeaderAcceptEncoding)
	if c.Get(fiber.HeaderIfNoneMatch) == cp.etag {
		return c.SendStatus(fiber.StatusNotModified)
	}
	return web.SendEncoded(c, cp.body, cp.gz, cp.br)
}

// siteLayout is the layout of a cacheable page: no per-visitor data.
func (s *Handler) siteLayout(c *fiber.Ctx, p *app.Page) web.Layout {
	l := web.Layout{Title: p.Title, Description: p.Description, Host: web.HostSite, Path: p.Path(), Canonical: s.URL(web.HostSite) + p.Path()}
	full := s.Layout(c, web.HostSite, p.Title)
	l.Site, l.Pages, l.Brand, l.Year = full.Site, full.Pages, full.Brand, full.Year
	return l
}

// handleLeadCreate stores a lead from the site's form. The form is public
// and anonymous, so cross-site posts are refused by origin (csrfProtect)
// rather than by a per-visitor token, which keeps the pages cacheable.
func (s *Handler) handleLeadCreate(c *fiber.Ctx) error {
	f := web.LeadForm{
		FirstName: utils.CopyString(c.FormValue("first_name")),
		LastName:  utils.CopyString(c.FormValue("last_name")),
		Email:     utils.CopyString(c.FormValue("email")),
		Phone:     utils.CopyString(c.FormValue("phone")),
		Company:   utils.CopyString(c.FormValue("company")),
		Message:   utils.CopyString(c.FormValue("message")),
	}
	if c.FormValue("website") != "" { // honeypot: people never see this field
		return app.Errorf(app.EINVALID, "Your submission was rejected. If you are a person, reload the page and try again.")
	}
	l := &app.Lead{FirstName: f.FirstName, LastName: f.LastName, Email: f.Email, Phone: f.Phone, Company: f.Company,
		Message: f.Message, Source: utils.CopyString(c.FormValue("source")), IP: app.RequestFromContext(c.UserContext()).IP}
	if l.Source == "" {
		l.Source = "website"
	}
	err := s.captureLead(c, l)
	if app.ErrorCode(err) == app.EINVALID {
		slug := strings.Trim(c.FormValue("page"), "/")
		p, perr := s.Site.PageBySlug(c.UserContext(), utils.CopyString(slug))
		if perr != nil {
			p, perr = s.Site.PageBySlug(c.UserContext(), "contact")
			if perr != nil {
				return err
			}
		}
		data := &sitePage{Page: p, Form: f, Errors: map[string]string{app.ErrorField(err): app.ErrorMessage(err)}}
		data.Layout = s.siteLayout(c, p)
		c.Status(fiber.StatusBadRequest)
		return s.Render(c, "site/page", data)
	} else if err != nil {
		return err
	}
	s.Logger.Info("lead captured", "lead_id", l.ID, "source", l.Source)
	return c.Redirect("/thanks", fiber.StatusSeeOther)
}

// captureLead stores the site form's lead: with automations, as a
// submission whose contact and workflow runs commit in one transaction
// (the same path as /webhook/lead-capture).
func (s *Handler) captureLead(c *fiber.Ctx, l *app.Lead) error {
	if s.Automations == nil {
		return s.Leads.CreateLead(c.UserContext(), l)
	}
	if err := l.Validate(); err != nil {
		return err
	}
	sub := &app.Submission{TenantID: app.HouseTenantID, Form: "website",
		Contact: app.ContactInput{TenantID: app.HouseTenantID, FirstName: l.FirstName, LastName: l.LastName, Email: l.Email, Phone: l.Phone,
			Company: l.Company, Message: l.Message, Source: l.Source, IP: l.IP},
		Payload: map[string]string{"firstName": l.FirstName, "lastName": l.LastName, "email": l.Email, "phone": l.Phone,
			"company": l.Company, "message": l.Message, "source": l.Source}}
	if err := s.Automations.Capture(c.UserContext(), sub); err != nil {
		return err
	}
	l.ID = sub.ContactID
	return nil
}

func (s *Handler) handleLeadThanks(c *fiber.Ctx) error {
	p := &app.Page{Slug: "thanks", Title: "Thank you", Blocks: []app.Block{{Type: "hero", Heading: "Thank you!",
		Subheading: "We received your message and will reply within one business day.", CTA: &app.Link{Label: "Back to the home page", URL: "/"}}}}
	data := &sitePage{Page: p}
	data.Layout = s.siteLayout(c, p)
	return s.Render(c, "site/page", data)
}

// serveBuilt serves the request from the builder's published house site
// when the marketing site moved there.
func (s *Handler) serveBuilt(c *fiber.Ctx) (bool, error) {
	if s.Builder == nil {
		return false, nil
	}
	return s.Builder.ServeHost(c, s.Domain)
}

func (s *Handler) handleRobots(c *fiber.Ctx) error {
	if ok, err := s.serveBuilt(c); ok {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/plain; charset=utf-8")
	return c.SendString("User-agent: *\nAllow: /\nDisallow: /leads\nSitemap: " + s.URL(web.HostSite) + "/sitemap.xml\n")
}

func (s *Handler) handleSitemap(c *fiber.Ctx) error {
	if ok, err := s.serveBuilt(c); ok {
		return err
	}
	pages, err := s.Site.ListPages(c.UserContext())
	if err != nil {
		return err
	}
	type url struct {
		Loc     string `xml:"loc"`
		LastMod string `xml:"lastmod"`
	}
	var set struct {
		XMLName xml.Name `xml:"urlset"`
		NS      string   `xml:"xmlns,attr"`
		URLs    []url    `xml:"url"`
	}
	set.NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
	for _, p := range pages {
		set.URLs = append(set.URLs, url{Loc: s.URL(web.HostSite) + p.Path(), LastMod: p.UpdatedAt.UTC().Format("2006-01-02")})
	}
	b, err := xml.MarshalIndent(set, "", "  ")
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/xml; charset=utf-8")
	return c.Send(append([]byte(xml.Header), b...))
}

// RedirectWWW sends www.DOMAIN to DOMAIN, keeping the path and query.
func (s *Handler) RedirectWWW(c *fiber.Ctx) error {
	host := strings.ToLower(c.Hostname())
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if strings.TrimSuffix(host, ".") == "www."+s.Domain {
		return c.Redirect(s.URL(web.HostSite)+string(c.Request().URI().RequestURI()), fiber.StatusMovedPermanently)
	}
	return c.Next()
}
