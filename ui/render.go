package ui

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"path"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"orengen/app"
	"orengen/assets"
)

//go:embed templates
var templateFS embed.FS

// Layout is the data every page shares: title, brand, CSRF token, flash,
// navigation.
type Layout struct {
	Title       string
	Description string
	Canonical   string
	Host        string
	Path        string
	CSRF        string
	Flash       *Flash
	Admin       *app.Admin
	User        *app.User   // portal: the signed-in tenant user
	Tenant      *app.Tenant // portal: the tenant whose brand is shown
	Site        *app.SiteSettings
	Pages       []*app.Page // marketing navigation
	Nav         []NavSection
	Brand       Brand
	Year        int
}

// Brand is what a page shows as its owner: the agency on the site and in
// Nexus, a tenant in its portal.
type Brand struct {
	Name         string
	LogoURL      string
	CSSURL       string // portal: the tenant's /brand.css?v=...
	SupportEmail string
}

// NavSection is a group of Nexus navigation entries. A section is listed
// only when at least one of its entries works.
type NavSection struct {
	Name  string
	Items []NavItem
}

// NavItem is one navigation entry.
type NavItem struct {
	Label string
	Path  string
}

// renderer holds every page template. A page is parsed on its first
// render, with its layout and only the partials it uses: parsing all ~90
// pages with every partial at boot took about 30 MiB of heap and most of
// the start-up time, for pages most processes never show.
// TestRenderer_EveryPage renders every page, so a template error still
// fails the tests, never a visitor.
type renderer struct {
	pages map[string]*pageTemplate
}

// pageTemplate is one page's files and, once parsed, its template.
type pageTemplate struct {
	layout string   // the template to execute: the layout's name
	files  []string // layout, page, then the partials they use
	once   sync.Once
	t      *template.Template
	err    error
}

func (p *pageTemplate) template() (*template.Template, error) {
	p.once.Do(func() {
		p.t, p.err = template.New(p.layout).Funcs(funcs).ParseFS(templateFS, p.files...)
		if p.err == nil && p.t.Lookup("content") == nil {
			p.err = errors.New("no content block")
		}
	})
	return p.t, p.err
}

var funcs = template.FuncMap{
	"asset": assets.URL,
	"date": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"datep": func(t *time.Time) string {
		if t == nil {
			return "never"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"hasPrefix": strings.HasPrefix,
	"ago":       ago,
	// sortFields: the further sort fields of a CRM list ("people", ...).
	"sortFields": func(kind string) []string {
		return app.ObjectSortFields[map[string]string{"people": app.RecordPerson, "companies": app.RecordCompany, "deals": app.RecordDeal}[kind]]
	},
	"bytes": app.FormatBytes,
	"secs": func(d time.Duration) string {
		if d < time.Second {
			return fmt.Sprintf("%d ms", d.Milliseconds())
		}
		return fmt.Sprintf("%.1f s", d.Seconds())
	},
	"money": app.FormatAmount,
	"dated": func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format("2006-01-02")
	},
	"list":         func(v ...any) []any { return v },
	"companySizes": func() []string { return app.CompanySizes },
	"customTypes":  func() []string { return app.CustomTypes },
	"stagesText":   stagesText,
	"hasString": func(v any, s string) bool {
		l, _ := v.([]any)
		for _, x := range l {
			if x == s {
				return true
			}
		}
		ls, _ := v.([]string)
		for _, x := range ls {
			if x == s {
				return true
			}
		}
		return false
	},
	"active": func(cur, p string) bool {
		return cur == p || p != "/" && strings.HasPrefix(cur, p+"/")
	},
}

var (
	reTemplateDefine = regexp.MustCompile(`{{-?\s*(?:define|block)\s+"([^"]+)"`)
	reTemplateUse    = regexp.MustCompile(`{{-?\s*(?:template|block)\s+"([^"]+)"`)
)

// newRenderer lists templates/<layout>/<page>.html, each with
// templates/layouts/<layout>.html and the files of templates/partials that
// define the templates they use (transitively). A missing layout, a page
// without a content block or a missing required page fails the boot;
// parsing waits for a page's first render.
func newRenderer() (*renderer, error) {
	r := &renderer{pages: map[string]*pageTemplate{}}
	partials, err := fs.Glob(templateFS, "templates/partials/*.html")
	if err != nil {
		return nil, err
	}
	definedIn := map[string]string{} // template name -> partial file
	for _, f := range partials {
		b, err := templateFS.ReadFile(f)
		if err != nil {
			return nil, err
		}
		for _, m := range reTemplateDefine.FindAllSubmatch(b, -1) {
			definedIn[string(m[1])] = f
		}
	}
	files, err := fs.Glob(templateFS, "templates/*/*.html")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		dir := path.Base(path.Dir(f))
		if dir == "layouts" || dir == "partials" {
			continue
		}
		name := dir + "/" + strings.TrimSuffix(path.Base(f), ".html")
		p := &pageTemplate{layout: dir, files: []string{"templates/layouts/" + dir + ".html", f}}
		page, err := templateFS.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		if !bytes.Contains(page, []byte(`{{define "content"}}`)) {
			return nil, fmt.Errorf("template %s: no content block", name)
		}
		// Add the partials the files use, until none is missing.
		seen := map[string]bool{}
		for i := 0; i < len(p.files); i++ {
			b, err := templateFS.ReadFile(p.files[i])
			if err != nil {
				return nil, fmt.Errorf("template %s: %w", name, err)
			}
			for _, m := range reTemplateUse.FindAllSubmatch(b, -1) {
				if pf := definedIn[string(m[1])]; pf != "" && !seen[pf] {
					seen[pf] = true
					p.files = append(p.files, pf)
				}
			}
		}
		r.pages[name] = p
	}
	for _, required := range []string{"site/page", "site/error", "nexus/error", "portal/error", "nexus/login", "portal/login"} {
		if r.pages[required] == nil {
			return nil, fmt.Errorf("template %s missing", required)
		}
	}
	return r, nil
}

// Names returns every page template name (for the render-all test).
func (r *renderer) Names() []string {
	out := make([]string, 0, len(r.pages))
	for n := range r.pages {
		out = append(out, n)
	}
	return out
}

func (r *renderer) execute(name string, data any) ([]byte, error) {
	p, ok := r.pages[name]
	if !ok {
		return nil, fmt.Errorf("template %s not found", name)
	}
	t, err := p.template()
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", name, err)
	}
	var buf bytes.Buffer
	// The layout is the template named after its directory.
	if err := t.ExecuteTemplate(&buf, p.layout, data); err != nil {
		return nil, fmt.Errorf("render %s: %w", name, err)
	}
	return buf.Bytes(), nil
}

// render writes a page. Rendering goes to a buffer first, so a template
// error is a clean 500, never half a page.
func (s *Server) render(c *fiber.Ctx, name string, data any) error {
	b, err := s.tmpl.execute(name, data)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(b)
}

// layout fills the shared page data for a request.
func (s *Server) layout(c *fiber.Ctx, host, title string) Layout {
	l := Layout{
		Title: title,
		Host:  host,
		Path:  c.Path(),
		Year:  time.Now().Year(),
	}
	if c.Method() == fiber.MethodGet || c.Method() == fiber.MethodPost {
		l.CSRF = s.csrfToken(c)
		l.Flash = s.takeFlash(c)
	}
	switch host {
	case HostNexus:
		l.Admin = currentAdmin(c)
		l.Brand = Brand{Name: "OrenGen Nexus", LogoURL: assets.URL("img/logo.svg")}
		if l.Admin != nil {
			l.Nav = s.nexusNav()
		}
	case HostSite:
		l.Brand = Brand{Name: "OrenGen", LogoURL: assets.URL("img/logo.svg")}
		if st, err := s.Site.SiteSettings(c.UserContext()); err == nil {
			l.Site = st
			l.Brand.Name = st.Name
		}
		l.Pages, _ = s.Site.FindPages(c.UserContext())
	default:
		// The portal never shows the agency's brand (white label): the
		// tenant's brand once known (signed in, or its custom domain), a
		// neutral one before.
		l.User = currentUser(c)
		l.Tenant = portalTenant(c)
		l.Brand = tenantBrand(l.Tenant)
		if l.User != nil {
			l.Nav = portalNav(l.User)
			if on, _ := s.portalFederalOn(c); on {
				l.Nav = append(l.Nav[:2:2], append([]NavSection{portalFederalNav}, l.Nav[2:]...)...)
			}
		}
	}
	return l
}

// handleAsset serves an embedded asset by its hashed URL, with the
// precompressed body the client accepts and a year-long cache lifetime.
func handleAsset(c *fiber.Ctx) error {
	f, ok := assets.Lookup(c.Path())
	if !ok {
		return fiber.ErrNotFound
	}
	c.Set(fiber.HeaderContentType, f.ContentType)
	c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	c.Set(fiber.HeaderETag, f.ETag)
	c.Set(fiber.HeaderVary, fiber.HeaderAcceptEncoding)
	if c.Get(fiber.HeaderIfNoneMatch) == f.ETag {
		return c.SendStatus(fiber.StatusNotModified)
	}
	gz, br := f.Compressed()
	return sendEncoded(c, f.Body, gz, br)
}

// sendEncoded sends the smallest representation the client accepts.
func sendEncoded(c *fiber.Ctx, body, gz, br []byte) error {
	ae := c.Get(fiber.HeaderAcceptEncoding)
	switch {
	case br != nil && strings.Contains(ae, "br"):
		c.Set(fiber.HeaderContentEncoding, "br")
		return c.Send(br)
	case gz != nil && strings.Contains(ae, "gzip"):
		c.Set(fiber.HeaderContentEncoding, "gzip")
		return c.Send(gz)
	}
	return c.Send(body)
}
