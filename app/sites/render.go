package sites

import (
	"bytes"
	"embed"
	"encoding/xml"
	"fmt"
	"html/template"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"

	"orengen/app"
)

//go:embed templates
var templateFS embed.FS

// RenderContext is what rendering needs besides the snapshot.
type RenderContext struct {
	// BaseURL is the site's origin ("https://client.com"), for canonical
	// links, Open Graph and the sitemap.
	BaseURL string
	// Forms are the tenant's forms that form blocks show, by ID.
	Forms map[int64]*app.Form
	// Script is the URL of the small script for countdowns ("": none).
	Script string
	// Stylesheets are extra style sheets linked before the theme's (the
	// marketing site's own).
	Stylesheets []string
	// LogoURL is the logo when the theme names none (the tenant's brand).
	LogoURL string
	// BrandName is shown beside the logo ("": the site's name).
	BrandName string
	// Contact fills the marketing site's contact and demo sections.
	Contact *app.SiteSettings
	// Year is the copyright year (0: the current one).
	Year int
	// ThemeURL is the theme stylesheet's URL ("": the published one).
	ThemeURL string
	// OwnCSS: the Stylesheets style the whole page (the marketing site),
	// so the theme file carries the theme's variables only.
	OwnCSS bool
	// MediaBase replaces MediaPrefix in a page's addresses (previews
	// served off the site's host); "": none.
	MediaBase string
}

// Renderer renders published sites. Its templates are parsed once.
type Renderer struct{ tmpl func() *template.Template }

// NewRenderer returns a renderer whose page templates are parsed on its
// first render, by whichever render comes first (the others wait): serve
// builds one at every start, and parsing them there (~2 ms, ~220 KB of
// heap) was on the path to its first response, which renders no site. A
// broken template is a build error caught by the package's tests.
func NewRenderer() *Renderer { return &Renderer{tmpl: sync.OnceValue(parsePageTemplates)} }

// parsePageTemplates parses the page templates.
func parsePageTemplates() *template.Template {
	return template.Must(template.New("").Funcs(template.FuncMap{
		"markdown": renderMarkdown,
		"video":    func(u string) string { v, _ := VideoEmbedURL(u); return v },
		"trusted":  func(s string) template.HTML { return template.HTML(s) }, // custom HTML, sanitised on save
		"deadline": func(s string) string {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				return s
			}
			return t.UTC().Format("Monday 2 January 2006, 15:04 UTC")
		},
		"idstr":     func(id int64) string { return strconv.FormatInt(id, 10) },
		"postDate":  PostDate,
		"blockView": func(v *pageView, b Block) blockView { return blockView{V: v, B: b} },
		"formView":  func(v *pageView, b Block, f *app.Form) formView { return formView{V: v, B: b, Form: f} },
	}).ParseFS(templateFS, "templates/*.html"))
}

var md = goldmark.New(goldmark.WithExtensions(extension.GFM))

var mdPolicy = sync.OnceValue(func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.AllowURLSchemes("https", "http", "mailto", "tel")
	p.RequireNoReferrerOnLinks(true)
	return p
})

// renderMarkdown renders a text block: goldmark without raw HTML, then
// the allow-list, so the output can only be safe markup.
func renderMarkdown(src string) template.HTML {
	var b bytes.Buffer
	if err := md.Convert([]byte(src), &b); err != nil {
		return template.HTML(template.HTMLEscapeString(src))
	}
	return template.HTML(mdPolicy().SanitizeBytes(b.Bytes()))
}

// pageView is the data of the page template.
type pageView struct {
	Site      *Site
	Page      *Page
	Pages     []*Page
	Ctx       *RenderContext
	Title     string
	Canonical string
	OGImage   string
	Logo      string
	Favicon   string
	Brand     string
	Year      int
	Theme     string // the theme stylesheet's path
	// FormPage is the path posted with the page's forms (its own).
	FormPage string
	Notice   string // a message above the blocks (a refused form post)
	// Posts are the site's blog posts, newest first (index blocks, the
	// feed link in the head).
	Posts []*Page
}

type blockView struct {
	V *pageView
	B Block
}

type formView struct {
	V    *pageView
	B    Block
	Form *app.Form
}

// Page renders one page of a site.
func (r *Renderer) Page(site *Site, page *Page, pages []*Page, rc *RenderContext) ([]byte, error) {
	return r.page(site, page, pages, rc, "")
}

// Notice renders page with a message above its blocks (a form post that
// was refused), for a response that is not cached.
func (r *Renderer) Notice(site *Site, page *Page, pages []*Page, rc *RenderContext, msg string) ([]byte, error) {
	return r.page(site, page, pages, rc, msg)
}

func (r *Renderer) page(site *Site, page *Page, pages []*Page, rc *RenderContext, notice string) ([]byte, error) {
	v := &pageView{Site: site, Page: page, Pages: pages, Ctx: rc, Notice: notice, FormPage: page.Path(), Theme: PathTheme, Posts: Posts(site, pages)}
	if rc.ThemeURL != "" {
		v.Theme = rc.ThemeURL
	}
	v.Title = page.SEO.Title
	if v.Title == "" {
		v.Title = page.Title
		if page.Slug != "" || page.Title != site.Name {
			v.Title += " | " + site.Name
		}
	}
	base := strings.TrimRight(rc.BaseURL, "/")
	v.Canonical = page.SEO.Canonical
	if v.Canonical == "" && base != "" {
		v.Canonical = base + page.Path()
	}
	v.OGImage = page.SEO.OGImage
	if app.LocalPath(v.OGImage) && base != "" {
		v.OGImage = base + v.OGImage
	}
	v.Logo = site.Settings.Theme.LogoURL
	if v.Logo == "" {
		v.Logo = rc.LogoURL
	}
	v.Favicon = site.Settings.Theme.Favicon
	if v.Favicon == "" {
		v.Favicon = v.Logo
	}
	v.Brand = rc.BrandName
	if v.Brand == "" {
		v.Brand = site.Name
	}
	v.Year = rc.Year
	if v.Year == 0 {
		v.Year = time.Now().UTC().Year()
	}
	var b bytes.Buffer
	if err := r.tmpl().ExecuteTemplate(&b, "page", v); err != nil {
		return nil, fmt.Errorf("render page %q: %w", page.Slug, err)
	}
	if rc.MediaBase != "" {
		return bytes.ReplaceAll(b.Bytes(), []byte(`="`+MediaPrefix), []byte(`="`+rc.MediaBase)), nil
	}
	return b.Bytes(), nil
}

// Site renders every file of a published site: its pages, the 404 page
// (the page with slug "404", else a plain one), sitemap.xml, robots.txt
// the theme's CSS, and rss.xml when the site has blog posts.
func (r *Renderer) Site(s *Snapshot, rc *RenderContext) ([]File, error) {
	var files []File
	var notFound *Page
	for _, p := range s.Pages {
		body, err := r.Page(&s.Site, p, s.Pages, rc)
		if err != nil {
			return nil, err
		}
		if p.Slug == "404" {
			notFound = p
			continue
		}
		files = append(files, File{Path: p.Path(), ContentType: "text/html; charset=utf-8", Body: body})
	}
	if notFound == nil {
		notFound = &Page{Slug: "404", Title: "Page not found", SEO: SEO{NoIndex: true}, Blocks: []Block{{ID: "b1", Type: BlockHero,
			Heading: "Page not found.", Subheading: "The page you asked for is not here.", CTA: &app.Link{Label: "Go to the home page", URL: "/"}}}}
	}
	notFound.SEO.NoIndex = true
	body, err := r.Page(&s.Site, notFound, s.Pages, rc)
	if err != nil {
		return nil, err
	}
	files = append(files, File{Path: PathNotFound, ContentType: "text/html; charset=utf-8", Body: body})
	sm, err := sitemap(s, rc.BaseURL)
	if err != nil {
		return nil, err
	}
	files = append(files, File{Path: "/sitemap.xml", ContentType: "application/xml; charset=utf-8", Body: sm})
	files = append(files, File{Path: "/robots.txt", ContentType: "text/plain; charset=utf-8", Body: robots(s, rc.BaseURL)})
	if posts := Posts(&s.Site, s.Pages); len(posts) > 0 {
		feed, err := rss(s, rc.BaseURL, posts)
		if err != nil {
			return nil, err
		}
		files = append(files, File{Path: PathRSS, ContentType: "application/rss+xml; charset=utf-8", Body: feed})
	}
	css, err := r.themeCSS(&s.Site.Settings.Theme, rc.OwnCSS)
	if err != nil {
		return nil, err
	}
	files = append(files, File{Path: PathTheme, ContentType: "text/css; charset=utf-8", Body: css})
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, nil
}

func sitemap(s *Snapshot, base string) ([]byte, error) {
	type loc struct {
		Loc     string `xml:"loc"`
		LastMod string `xml:"lastmod"`
	}
	var set struct {
		XMLName xml.Name `xml:"urlset"`
		NS      string   `xml:"xmlns,attr"`
		URLs    []loc    `xml:"url"`
	}
	set.NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
	base = strings.TrimRight(base, "/")
	for _, p := range s.Pages {
		if p.SEO.NoIndex || p.Slug == "404" || s.Site.isVariant(p.Slug) {
			continue
		}
		set.URLs = append(set.URLs, loc{Loc: base + p.Path(), LastMod: p.Updated.UTC().Format("2006-01-02")})
	}
	b, err := xml.MarshalIndent(set, "", "  ")
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), append(b, '\n')...), nil
}

func robots(s *Snapshot, base string) []byte {
	var b strings.Builder
	b.WriteString("User-agent: *\nAllow: /\n")
	for _, p := range s.Pages {
		if p.SEO.NoIndex && p.Slug != "" {
			b.WriteString("Disallow: " + p.Path() + "\n")
		}
	}
	b.WriteString("Disallow: /f/\nSitemap: " + strings.TrimRight(base, "/") + "/sitemap.xml\n")
	return []byte(b.String())
}

// ThemeCSS renders a theme's stylesheet.
func (r *Renderer) ThemeCSS(t *Theme) ([]byte, error) { return r.themeCSS(t, false) }

func (r *Renderer) themeCSS(t *Theme, varsOnly bool) ([]byte, error) {
	t.Normalize()
	var b bytes.Buffer
	fmt.Fprintf(&b, ":root{--primary:%s;--bg:%s;--text:%s;--font:%s;--heading-font:%s}\n",
		t.Primary, t.Background, t.Text, Fonts[t.Font], Fonts[t.HeadingFont])
	if varsOnly {
		return b.Bytes(), nil
	}
	css, err := templateFS.ReadFile("templates/site.css")
	if err != nil {
		return nil, err
	}
	b.Write(css)
	return b.Bytes(), nil
}
