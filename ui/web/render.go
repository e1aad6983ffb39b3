package web

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"orengen/app"
	"orengen/app/agents"
	"orengen/app/federal"
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

// Renderer holds every page template. A page is parsed on its first
// render, with its layout and only the partials it uses: parsing all ~90
// pages with every partial at boot took about 30 MiB of heap and most of
// the start-up time, for pages most processes never show. Every
// package's TestTemplates_EveryPage renders each of its pages, so a
// template error still fails the tests, never a visitor.
type Renderer struct {
	pages map[string]*pageTemplate
}

// tmplFile is a template file in the package FS that holds it.
type tmplFile struct {
	fsys fs.FS
	path string
}

// pageTemplate is one page's files and, once parsed, its template.
type pageTemplate struct {
	layout string     // the template to execute: the layout's name
	files  []tmplFile // layout, page, then the partials they use
	once   sync.Once
	t      *template.Template
	err    error
}

func (p *pageTemplate) template() (*template.Template, error) {
	p.once.Do(func() {
		t := template.New(p.layout).Funcs(Funcs)
		for _, f := range p.files {
			b, err := fs.ReadFile(f.fsys, f.path)
			if err == nil {
				_, err = t.New(path.Base(f.path)).Parse(string(b))
			}
			if err != nil {
				p.err = err
				return
			}
		}
		if t.Lookup("content") == nil {
			p.err = errors.New("no content block")
			return
		}
		p.t = t
	})
	return p.t, p.err
}

// Funcs are every template function, declared here only.
var Funcs = template.FuncMap{
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
	"ago":       Ago,
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
	// plural writes "1 lead" or "3 leads": {{plural .Total "lead" "leads"}}.
	"plural": func(n any, one, many string) string {
		switch v := n.(type) {
		case int:
			return app.Plural(v, one, many)
		case int64:
			return app.Plural(v, one, many)
		}
		return fmt.Sprint(n) + " " + many
	},
	"dated": func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.UTC().Format("2006-01-02")
	},
	"list": func(v ...any) []any { return v },
	"join": strings.Join,
	"add":  func(a, b int) int { return a + b },
	// crmFields: the descriptor fields of a CRM kind ("people", ...);
	// crmListFields those of its list without a view.
	"crmFields": func(kind string) []*app.Field {
		if k := app.KindOf(kind); k != nil {
			return k.Fields
		}
		return nil
	},
	"crmListFields": func(kind string) []*app.Field {
		if k := app.KindOf(kind); k != nil {
			return k.FieldsWhere(func(f *app.Field) bool { return f.List })
		}
		return nil
	},
	"fieldText": func(f *app.Field, rec any) string { return f.Text(rec) },
	// fieldInput: the form control of a descriptor field (select, date, text).
	"fieldInput": func(f *app.Field) string {
		switch f.Type {
		case app.ValueSelect:
			return "select"
		case app.ValueDate:
			return "date"
		}
		return "text"
	},
	"customTypes": func() []string { return app.CustomTypes },
	"stagesText":  StagesText,
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
	// Federal pages.
	"dollars":         func(cents int64) string { return app.FormatAmount(cents, "USD") }, // the one money format
	"stageLabel":      federal.StageLabel,
	"grantStageLabel": federal.GrantStageLabel,
	"day": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.DateOnly)
	},
	"dollarsInput": func(cents int64) string {
		if cents == 0 {
			return ""
		}
		return strconv.FormatFloat(float64(cents)/100, 'f', -1, 64)
	},
	"micros": agents.FormatMicros, // Agent Studio's prices and costs
	"active": func(cur, p string) bool {
		return cur == p || p != "/" && strings.HasPrefix(cur, p+"/")
	},
}

// templateNames returns the names of b's actions that open with one of
// keywords: {{template "name"}} and {{block "name" .}} for the templates
// a file uses, {{define "name"}} and {{block "name"}} for those it
// defines. It finds what the regular expression
// {{-?\s*(?:KEYWORDS)\s+"([^"]+)" finds, without the regexp engine,
// which took most of listing the pages at every start (it ran at each of
// the files' many "{{"; TestTemplateNames_AsTheRegexp).
func templateNames(b []byte, keywords ...string) []string {
	var out []string
	for i := 0; ; {
		j := bytes.Index(b[i:], []byte("{{"))
		if j < 0 {
			return out
		}
		if name, end, ok := templateAction(b, i+j+2, keywords); ok {
			out = append(out, name)
			i = end
		} else {
			i += j + 1
		}
	}
}

// templateAction reads `-? space* keyword space+ "name"` at b[i:] and
// returns the name and where the match ends.
func templateAction(b []byte, i int, keywords []string) (string, int, bool) {
	if i < len(b) && b[i] == '-' {
		i++
	}
	for i < len(b) && isTemplateSpace(b[i]) {
		i++
	}
	found := false
	for _, k := range keywords {
		if bytes.HasPrefix(b[i:], []byte(k)) {
			i += len(k)
			found = true
			break
		}
	}
	if !found {
		return "", 0, false
	}
	after := i
	for i < len(b) && isTemplateSpace(b[i]) {
		i++
	}
	if i == after || i >= len(b) || b[i] != '"' {
		return "", 0, false
	}
	i++
	n := bytes.IndexByte(b[i:], '"')
	if n <= 0 { // no closing quote, or an empty name
		return "", 0, false
	}
	return string(b[i : i+n]), i + n + 1, true
}

// isTemplateSpace is the regexp's \s: tab, newline, form feed, carriage
// return and space.
func isTemplateSpace(c byte) bool {
	return c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' '
}

// NewRenderer lists the page templates of pkgs: each holds
// templates/<layout>/<page>.html and optionally templates/partials/*.html.
// A page goes with its layout (web's templates/layouts/<layout>.html) and
// the partial files, of any package, that define the templates it uses
// (transitively); it is named "<layout>/<page>", and a name two packages
// both define fails the boot, as do a missing layout and a page without
// a content block. Parsing waits for a page's first render.
func NewRenderer(pkgs ...fs.FS) (*Renderer, error) {
	r := &Renderer{pages: map[string]*pageTemplate{}}
	definedIn := map[string]tmplFile{} // template name -> partial file
	var pages []tmplFile
	// Every file is read into one buffer and only scanned here (the
	// names found are copies): fs.ReadFile's copy of each, ~740 KB in
	// all, was garbage of every serve's start.
	var buf bytes.Buffer
	read := func(fsys fs.FS, p string) ([]byte, error) {
		f, err := fsys.Open(p)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		buf.Reset()
		_, err = buf.ReadFrom(f)
		return buf.Bytes(), err
	}
	for _, fsys := range append([]fs.FS{templateFS}, pkgs...) {
		partials, err := fs.Glob(fsys, "templates/partials/*.html")
		if err != nil {
			return nil, err
		}
		for _, f := range partials {
			b, err := read(fsys, f)
			if err != nil {
				return nil, err
			}
			for _, name := range templateNames(b, "define", "block") {
				definedIn[name] = tmplFile{fsys, f}
			}
		}
		files, err := fs.Glob(fsys, "templates/*/*.html")
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			if dir := path.Base(path.Dir(f)); dir != "layouts" && dir != "partials" {
				pages = append(pages, tmplFile{fsys, f})
			}
		}
	}
	// Each file is read and scanned once, however many pages use it (the
	// layouts and partials are shared by hundreds of pages: scanning them
	// again for each page cost 15-40 ms of every start).
	type scanned struct {
		uses    []string // the templates it calls
		content bool     // it defines a content block
	}
	files := map[tmplFile]scanned{}
	scan := func(f tmplFile) (scanned, error) {
		if sc, ok := files[f]; ok {
			return sc, nil
		}
		b, err := read(f.fsys, f.path)
		if err != nil {
			return scanned{}, err
		}
		sc := scanned{content: bytes.Contains(b, []byte(`{{define "content"}}`)), uses: templateNames(b, "template", "block")}
		files[f] = sc
		return sc, nil
	}
	for _, pg := range pages {
		dir := path.Base(path.Dir(pg.path))
		name := dir + "/" + strings.TrimSuffix(path.Base(pg.path), ".html")
		if r.pages[name] != nil {
			return nil, fmt.Errorf("template %s: defined by two packages", name)
		}
		layout := tmplFile{templateFS, "templates/layouts/" + dir + ".html"}
		if _, err := fs.Stat(templateFS, layout.path); err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		page, err := scan(pg)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		if !page.content {
			return nil, fmt.Errorf("template %s: no content block", name)
		}
		p := &pageTemplate{layout: dir, files: []tmplFile{layout, pg}}
		// Add the partials the files use, until none is missing.
		seen := map[tmplFile]bool{}
		for i := 0; i < len(p.files); i++ {
			sc, err := scan(p.files[i])
			if err != nil {
				return nil, fmt.Errorf("template %s: %w", name, err)
			}
			for _, use := range sc.uses {
				if pf, ok := definedIn[use]; ok && !seen[pf] {
					seen[pf] = true
					p.files = append(p.files, pf)
				}
			}
		}
		r.pages[name] = p
	}
	return r, nil
}

// Require fails when a page the server cannot do without is missing.
func (r *Renderer) Require(names ...string) error {
	for _, n := range names {
		if r.pages[n] == nil {
			return fmt.Errorf("template %s missing", n)
		}
	}
	return nil
}

// Names returns every page template name (for the render-all tests).
func (r *Renderer) Names() []string {
	out := make([]string, 0, len(r.pages))
	for n := range r.pages {
		out = append(out, n)
	}
	return out
}

// Execute renders a page to bytes.
func (r *Renderer) Execute(name string, data any) ([]byte, error) {
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

// Render writes a page. Rendering goes to a buffer first, so a template
// error is a clean 500, never half a page.
func (k *Kit) Render(c *fiber.Ctx, name string, data any) error {
	b, err := k.tmpl.Execute(name, data)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(b)
}

// Execute renders a page to bytes (pages cached by the caller).
func (k *Kit) Execute(name string, data any) ([]byte, error) { return k.tmpl.Execute(name, data) }

// Layout fills the shared page data for a request; the host's Fill adds
// its brand, navigation and principal. A host without its own Fill (the
// root app's errors, a custom domain) is the portal's.
func (k *Kit) Layout(c *fiber.Ctx, host, title string) Layout {
	l := Layout{
		Title: title,
		Host:  host,
		Path:  c.Path(),
		Year:  time.Now().Year(),
	}
	if c.Method() == fiber.MethodGet || c.Method() == fiber.MethodPost {
		l.CSRF = k.CSRFToken(c)
		l.Flash = k.TakeFlash(c)
	}
	fill, ok := k.Fill[host]
	if !ok {
		fill = k.Fill[HostPortal]
	}
	if fill != nil {
		fill(c, &l)
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
	return SendEncoded(c, f.Body(), gz, br)
}

// SendEncoded sends the smallest representation the client accepts.
func SendEncoded(c *fiber.Ctx, body, gz, br []byte) error {
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

// CheckPages renders every page template of a package (fsys, or web's own
// error pages for nil) with the zero-value data pages gives it, and
// returns what failed: a page without an entry, or a render error. Each
// package's tests call it, so a page added without data fails them.
func CheckPages(fsys fs.FS, pages map[string]func() any) []error {
	var pkgs []fs.FS
	own := fs.FS(templateFS)
	if fsys != nil {
		pkgs, own = []fs.FS{fsys}, fsys
	}
	r, err := NewRenderer(pkgs...)
	if err != nil {
		return []error{err}
	}
	files, err := fs.Glob(own, "templates/*/*.html")
	if err != nil {
		return []error{err}
	}
	var errs []error
	for _, f := range files {
		dir := path.Base(path.Dir(f))
		if dir == "layouts" || dir == "partials" {
			continue
		}
		name := dir + "/" + strings.TrimSuffix(path.Base(f), ".html")
		mk, ok := pages[name]
		if !ok {
			errs = append(errs, fmt.Errorf("template %s has no entry in pageData", name))
			continue
		}
		if _, err := r.Execute(name, mk()); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	return errs
}
