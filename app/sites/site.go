// Package sites is the website and funnel builder (issue 21): a tenant's
// sites, their pages composed of blocks, publishing with revisions, and
// the rendering of a published site into files served as they are (HTML
// pages, sitemap.xml, robots.txt, the theme's CSS).
//
// sites imports app and the standard library (html/template renders the
// pages), plus goldmark and bluemonday for text blocks and custom HTML.
package sites

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"orengen/app"
)

// Site is a tenant's website: its pages, theme, navigation and footer,
// served on Domain once published.
type Site struct {
	ID       int64    `json:"id"`
	TenantID int64    `json:"-"`
	Name     string   `json:"name"`
	Domain   string   `json:"domain"` // the host it is served on ("": not public yet)
	Settings Settings `json:"settings"`
	// PublishedRev is the number of the live revision (0: never published).
	PublishedRev int        `json:"published_rev"`
	PublishedAt  *time.Time `json:"published_at,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
	salt         string
}

// Salt is the site's secret for sticky split-test assignment.
func (s *Site) Salt() string { return s.salt }

// SetSalt sets the salt (the store, when reading a site).
func (s *Site) SetSalt(v string) { s.salt = v }

// Settings are a site's theme, navigation, header and footer.
type Settings struct {
	Theme  Theme     `json:"theme"`
	Nav    []NavLink `json:"nav,omitempty"`
	Footer string    `json:"footer,omitempty"` // plain text
	// HeaderCTA is the button at the right of the header (optional).
	HeaderCTA *app.Link `json:"header_cta,omitempty"`
	// Funnels are ordered pages a visitor moves through: a form or a
	// booking on one step leads to the next.
	Funnels []Funnel `json:"funnels,omitempty"`
	// Tests split a page's traffic between variants (other pages).
	Tests []SplitTest `json:"tests,omitempty"`
	// ChatAgent is the public key of an Agent Studio agent whose chat
	// button shows in the corner of every page ("" = none): the owner
	// switches the widget on here instead of pasting its script tag.
	ChatAgent string `json:"chat_agent,omitempty"`
	// Redirects send old addresses to pages (301), before the 404 page.
	Redirects []Redirect `json:"redirects,omitempty"`
}

// Funnel is an ordered list of pages (by slug): opt-in, thank you,
// booking, upsell...
type Funnel struct {
	Name  string   `json:"name"`
	Steps []string `json:"steps"`
}

// SplitTest serves the page at Page as one of its variants (pages, by
// slug, the first usually the page itself), each with a weight.
type SplitTest struct {
	Page     string    `json:"page"`
	Variants []Variant `json:"variants"`
}

// Variant is a page of a split test and its share of the traffic.
type Variant struct {
	Slug   string `json:"slug"`
	Weight int    `json:"weight"`
}

// isVariant reports whether slug is a split test's variant served at
// another page's address (not the test's own page).
func (s *Site) isVariant(slug string) bool {
	for _, t := range s.Settings.Tests {
		for _, v := range t.Variants {
			if v.Slug == slug && t.Page != slug {
				return true
			}
		}
	}
	return false
}

// NavLink is an entry of the site's navigation menu.
type NavLink struct {
	Label string `json:"label"`
	URL   string `json:"url"`
}

// Theme is a site's look: fonts, colours and logo.
type Theme struct {
	Font        string `json:"font,omitempty"`         // body font: sans, serif, mono, rounded
	HeadingFont string `json:"heading_font,omitempty"` // same choices
	Primary     string `json:"primary,omitempty"`      // #rrggbb buttons and links
	Background  string `json:"background,omitempty"`   // #rrggbb
	Text        string `json:"text,omitempty"`         // #rrggbb
	// LogoURL is the logo (https:// or a /path); "" uses the tenant's
	// brand logo when it has one.
	LogoURL string `json:"logo_url,omitempty"`
	// Favicon is the icon (https:// or a /path); "" uses the logo.
	Favicon string `json:"favicon,omitempty"`
}

// Fonts are the theme's font choices, each a system font stack (no font
// is fetched from a third party).
var Fonts = map[string]string{
	"sans":    `system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif`,
	"serif":   `Georgia, Cambria, "Times New Roman", Times, serif`,
	"mono":    `ui-monospace, SFMono-Regular, Menlo, Consolas, monospace`,
	"rounded": `ui-rounded, "SF Pro Rounded", "Nunito", system-ui, sans-serif`,
}

// Defaults of a theme.
const (
	DefaultFont       = "sans"
	DefaultPrimary    = "#2563eb"
	DefaultBackground = "#ffffff"
	DefaultText       = "#111827"
)

var hexColorRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^#[0-9a-fA-F]{6}$`) })

// Normalize fills the theme's defaults.
func (t *Theme) Normalize() {
	if t.Font == "" {
		t.Font = DefaultFont
	}
	if t.HeadingFont == "" {
		t.HeadingFont = t.Font
	}
	if t.Primary == "" {
		t.Primary = DefaultPrimary
	}
	if t.Background == "" {
		t.Background = DefaultBackground
	}
	if t.Text == "" {
		t.Text = DefaultText
	}
	t.Primary, t.Background, t.Text = strings.ToLower(t.Primary), strings.ToLower(t.Background), strings.ToLower(t.Text)
}

// Validate checks the theme. Returns EINVALID naming the field.
func (t *Theme) Validate() error {
	t.Normalize()
	if _, ok := Fonts[t.Font]; !ok {
		return app.FieldErrorf("font", "Font must be one of sans, serif, mono or rounded.")
	}
	if _, ok := Fonts[t.HeadingFont]; !ok {
		return app.FieldErrorf("heading_font", "Heading font must be one of sans, serif, mono or rounded.")
	}
	for _, c := range []struct{ name, v string }{{"primary", t.Primary}, {"background", t.Background}, {"text", t.Text}} {
		if !hexColorRE().MatchString(c.v) {
			return app.FieldErrorf(c.name, "Colour %s must be #rrggbb.", c.name)
		}
	}
	if r, err := app.ContrastRatio(t.Text, t.Background); err == nil && r < 4.5 {
		return app.FieldErrorf("text", "Text and background colours contrast %.1f:1; readable text needs at least 4.5:1.", r)
	}
	if t.LogoURL != "" && !linkURL(t.LogoURL) {
		return app.FieldErrorf("logo_url", "Logo must be an https:// address or a /path.")
	}
	if t.Favicon != "" && !linkURL(t.Favicon) {
		return app.FieldErrorf("favicon", "Favicon must be an https:// address or a /path.")
	}
	return nil
}

// Validate checks a site. Returns EINVALID naming the field.
func (s *Site) Validate() error {
	s.Name = strings.TrimSpace(s.Name)
	if s.Name == "" || len(s.Name) > 100 {
		return app.FieldErrorf("name", "Name required (at most 100 characters).")
	}
	s.Domain = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s.Domain)), ".")
	if err := s.Settings.Theme.Validate(); err != nil {
		return err
	}
	if len(s.Settings.Nav) > 12 {
		return app.FieldErrorf("nav", "The menu may have at most 12 links.")
	}
	for i, l := range s.Settings.Nav {
		if strings.TrimSpace(l.Label) == "" || len(l.Label) > 40 {
			return app.FieldErrorf("nav", "Menu link %d needs a label of at most 40 characters.", i+1)
		}
		if !pageLink(l.URL) {
			return app.FieldErrorf("nav", "Menu link %d (%s) must be a /path, #anchor, https://, mailto: or tel: address.", i+1, l.Label)
		}
	}
	if len(s.Settings.Footer) > 1000 {
		return app.FieldErrorf("footer", "Footer must be at most 1000 characters.")
	}
	if err := s.Settings.checkRedirects(nil); err != nil {
		return err
	}
	if s.Settings.ChatAgent != "" && !agentKeyRE().MatchString(s.Settings.ChatAgent) {
		return app.FieldErrorf("chat_agent", "Choose one of your agents for the chat button.")
	}
	if l := s.Settings.HeaderCTA; l != nil {
		if strings.TrimSpace(l.Label) == "" && l.URL == "" {
			s.Settings.HeaderCTA = nil
		} else if strings.TrimSpace(l.Label) == "" || !pageLink(l.URL) {
			return app.FieldErrorf("header_cta", "The header button needs a label and a /path or https:// address.")
		}
	}
	return nil
}

// Page is a page of a site. Slug "" is the home page.
type Page struct {
	ID       int64     `json:"id"`
	TenantID int64     `json:"-"`
	SiteID   int64     `json:"site_id"`
	Slug     string    `json:"slug"`
	Title    string    `json:"title"`
	SEO      SEO       `json:"seo"`
	Blocks   []Block   `json:"blocks"`
	Post     *Post     `json:"post,omitempty"` // a blog post (nil: a plain page)
	Position int       `json:"position"`
	Created  time.Time `json:"created_at"`
	Updated  time.Time `json:"updated_at"`
}

// SEO are a page's search and sharing fields.
type SEO struct {
	Title       string `json:"title,omitempty"` // <title>; "" uses the page title
	Description string `json:"description,omitempty"`
	OGImage     string `json:"og_image,omitempty"`  // https:// or /path
	Canonical   string `json:"canonical,omitempty"` // https:// address; "" is the page's own
	NoIndex     bool   `json:"noindex,omitempty"`
}

// Path is the page's URL path.
func (p *Page) Path() string {
	if p.Slug == "" {
		return "/"
	}
	return "/" + p.Slug
}

var slugRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`) })

// reservedSlugs are paths the public host serves itself (hosted forms,
// booking pages, the chat widget, assets).
var reservedSlugs = map[string]bool{"f": true, "book": true, "booking": true, "chat": true, "assets": true, "healthz": true,
	"embed": true, "leads": true, "webhook": true, "api": true, "login": true, "logo": true}

// MaxBlocks is the most blocks a page holds.
const MaxBlocks = 60

// Validate checks a page and its blocks, sanitising custom HTML. Returns
// EINVALID naming the field ("blocks" with the block's number for a
// block).
func (p *Page) Validate() error {
	p.Slug = strings.Trim(strings.ToLower(strings.TrimSpace(p.Slug)), "/")
	if p.Slug != "" && (!slugRE().MatchString(p.Slug) || len(p.Slug) > 80) {
		return app.FieldErrorf("slug", "Slug may contain lowercase letters, digits and single dashes (at most 80), or be empty for the home page.")
	}
	if reservedSlugs[p.Slug] {
		return app.FieldErrorf("slug", "The address /%s is used by the site itself; choose another slug.", p.Slug)
	}
	p.Title = strings.TrimSpace(p.Title)
	if p.Title == "" || len(p.Title) > 120 {
		return app.FieldErrorf("title", "Title required (at most 120 characters).")
	}
	if len(p.SEO.Title) > 120 {
		return app.FieldErrorf("seo_title", "SEO title must be at most 120 characters.")
	}
	if len(p.SEO.Description) > 300 {
		return app.FieldErrorf("description", "Description must be at most 300 characters.")
	}
	if p.SEO.OGImage != "" && !linkURL(p.SEO.OGImage) {
		return app.FieldErrorf("og_image", "Open Graph image must be an https:// address or a /path.")
	}
	if c := p.SEO.Canonical; c != "" {
		if u, err := url.Parse(c); err != nil || u.Scheme != "https" || u.Host == "" {
			return app.FieldErrorf("canonical", "Canonical address must be a full https:// address.")
		}
	}
	if p.Post != nil {
		if p.Slug == "" || p.Slug == "404" {
			return app.FieldErrorf("post_date", "The home page and the 404 page cannot be blog posts.")
		}
		if err := p.Post.validate(); err != nil {
			return err
		}
	}
	if len(p.Blocks) > MaxBlocks {
		return app.FieldErrorf("blocks", "A page may have at most %d blocks.", MaxBlocks)
	}
	ids := map[string]bool{}
	for i := range p.Blocks {
		b := &p.Blocks[i]
		if b.ID == "" || ids[b.ID] {
			b.ID = "b" + strconv.Itoa(i+1)
			for ids[b.ID] {
				b.ID += "x"
			}
		}
		ids[b.ID] = true
		if err := b.Validate(); err != nil {
			return app.FieldErrorf("blocks", "Block %d (%s): %s", i+1, b.Type, app.ErrorMessage(err))
		}
	}
	return nil
}

// linkURL reports whether u is an https:// address or a local /path (an
// image, a logo).
func linkURL(u string) bool {
	if app.LocalPath(u) {
		return true
	}
	pu, err := url.Parse(u)
	return err == nil && pu.Scheme == "https" && pu.Host != "" && len(u) <= 2000
}

// pageLink reports whether u may be a link's target: a /path, an
// #anchor, https://, mailto: or tel:.
func pageLink(u string) bool {
	switch {
	case len(u) > 2000:
		return false
	case strings.HasPrefix(u, "#") && len(u) > 1 && !strings.ContainsAny(u, " \"'<>"):
		return true
	case strings.HasPrefix(u, "mailto:"), strings.HasPrefix(u, "tel:"):
		return !strings.ContainsAny(u, " \"'<>")
	}
	return linkURL(u)
}

// Revision is a published version of a site.
type Revision struct {
	ID        int64     `json:"-"`
	SiteID    int64     `json:"site_id"`
	Number    int       `json:"number"`
	Note      string    `json:"note"`
	CreatedAt time.Time `json:"created_at"`
	// Snapshot is the site and pages it was rendered from (JSON).
	Snapshot []byte `json:"-"`
}

// Snapshot is what a revision keeps: the site and its pages as published.
type Snapshot struct {
	Site  Site    `json:"site"`
	Pages []*Page `json:"pages"`
}

// File is a rendered file of a published site.
type File struct {
	Path        string // "/", "/about", "/sitemap.xml", "/_404", "/_theme.css"
	ContentType string
	Body        []byte
}

// Special paths of a published site.
const (
	PathNotFound = "/_404"
	PathTheme    = "/_theme.css"
)

func errf(format string, a ...any) error { return app.Errorf(app.EINVALID, format, a...) }
