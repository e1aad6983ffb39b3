package sites_test

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"orengen/app"
	"orengen/app/sites"
	"orengen/store"
)

type siteEnv struct {
	DB    *store.DB
	Svc   *sites.Service
	Forms *store.FormStore
	A, B  context.Context
	pub   []int64
}

type fakeDomains map[int64][]string

func (f fakeDomains) DomainsByTenant(_ context.Context, id int64) ([]string, error) {
	return f[id], nil
}

func (f fakeDomains) TenantIDByDomain(_ context.Context, host string) (int64, error) {
	for id, ds := range f {
		if slices.Contains(ds, host) {
			return id, nil
		}
	}
	return 0, app.Errorf(app.ENOTFOUND, "Domain not found.")
}

func newSiteEnv(tb testing.TB) *siteEnv {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "orengen.db")
	db := store.NewDB(path)
	if err := db.Open(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	e := &siteEnv{DB: db, Forms: store.NewFormStore(db)}
	tenants := store.NewTenantStore(db)
	doms := fakeDomains{}
	for i, name := range []string{"Alpha", "Bravo"} {
		t := &app.Tenant{Name: name}
		if err := tenants.CreateTenant(context.Background(), t); err != nil {
			tb.Fatal(err)
		}
		doms[t.ID] = []string{strings.ToLower(name) + ".example.com"}
		ctx := app.NewContextWithTenant(context.Background(), t)
		if i == 0 {
			e.A = ctx
		} else {
			e.B = ctx
		}
	}
	e.Svc = sites.NewService(store.NewSiteBuilderStore(db))
	e.Svc.Forms, e.Svc.Domains = e.Forms, doms
	e.Svc.Published = func(id int64, _ string) { e.pub = append(e.pub, id) }
	return e
}

func (e *siteEnv) site(tb testing.TB, ctx context.Context, domain string) *sites.Site {
	tb.Helper()
	s := &sites.Site{Name: "Alpha Plumbing", Domain: domain}
	if err := e.Svc.CreateSite(ctx, s); err != nil {
		tb.Fatal(err)
	}
	return s
}

func (e *siteEnv) home(tb testing.TB, ctx context.Context, s *sites.Site) *sites.Page {
	tb.Helper()
	pages, err := e.Svc.ListPages(ctx, s.ID)
	if err != nil || len(pages) != 1 || pages[0].Slug != "" {
		tb.Fatalf("pages of a new site: %v %+v", err, pages)
	}
	return pages[0]
}

func TestService_PublishRoundTrip(t *testing.T) {
	e := newSiteEnv(t)
	s := e.site(t, e.A, "alpha.example.com")
	form := &app.Form{Name: "Quote", Fields: []app.FormField{{Name: "name", Label: "Your name", Type: app.FieldText, Required: true}, {Name: "email", Label: "Email", Type: app.FieldEmail, Required: true}}}
	if err := e.Forms.SaveForm(e.A, form); err != nil {
		t.Fatal(err)
	}
	home := e.home(t, e.A, s)
	home.SEO = sites.SEO{Description: "Emergency plumbing in Austin", OGImage: "/og.png"}
	home.Blocks = []sites.Block{
		{Type: sites.BlockHero, Heading: "Pipes fixed today", CTA: &app.Link{Label: "Get a quote", URL: "#quote"}},
		{Type: sites.BlockText, Text: "We serve **Austin** since 1999.\n\n<script>alert(1)</script>"},
		{Type: sites.BlockForm, FormID: form.ID, Heading: "Get a quote"},
	}
	if _, err := e.Svc.SavePage(e.A, home); err != nil {
		t.Fatal(err)
	}
	about := &sites.Page{SiteID: s.ID, Slug: "about", Title: "About us", SEO: sites.SEO{NoIndex: true}, Blocks: []sites.Block{{Type: sites.BlockFAQ, Items: []sites.Item{{Title: "Open on Sunday?", Text: "Yes."}}}}}
	if _, err := e.Svc.SavePage(e.A, about); err != nil {
		t.Fatal(err)
	}
	rev, err := e.Svc.Publish(e.A, s.ID, "first")
	if err != nil {
		t.Fatal(err)
	}
	if rev.Number != 1 || len(e.pub) != 1 {
		t.Fatalf("revision %d, published calls %v", rev.Number, e.pub)
	}
	files, err := e.Svc.Files(context.Background(), s.ID)
	if err != nil {
		t.Fatal(err)
	}
	byPath := map[string]sites.File{}
	for _, f := range files {
		byPath[f.Path] = f
	}
	for _, p := range []string{"/", "/about", "/sitemap.xml", "/robots.txt", sites.PathNotFound, sites.PathTheme} {
		if _, ok := byPath[p]; !ok {
			t.Errorf("published files lack %s (have %d files)", p, len(files))
		}
	}
	h := string(byPath["/"].Body)
	for _, want := range []string{"<h1>Pipes fixed today</h1>", "<strong>Austin</strong>", `action="/_form/`, `name="email"`, `type="email"`,
		`<link rel="canonical" href="https://alpha.example.com/">`, `content="https://alpha.example.com/og.png"`, `content="Emergency plumbing in Austin"`} {
		if !strings.Contains(h, want) {
			t.Errorf("home page lacks %q", want)
		}
	}
	if strings.Contains(h, "<script>alert") {
		t.Error("markdown's raw script reached the page")
	}
	if !strings.Contains(string(byPath["/about"].Body), `<meta name="robots" content="noindex">`) {
		t.Error("noindex page has no robots meta")
	}
	sm := string(byPath["/sitemap.xml"].Body)
	if !strings.Contains(sm, "<loc>https://alpha.example.com/</loc>") || strings.Contains(sm, "/about") {
		t.Errorf("sitemap: %s", sm)
	}
	if !strings.Contains(string(byPath["/robots.txt"].Body), "Disallow: /about\n") {
		t.Errorf("robots.txt: %s", byPath["/robots.txt"].Body)
	}

	// The bytes served are the same after a restart (a new store on the
	// same file), and the same as rendering the snapshot again.
	path := e.DB.Path
	e.DB.Close()
	db2 := store.NewDB(path)
	if err := db2.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	svc2 := sites.NewService(store.NewSiteBuilderStore(db2))
	svc2.Forms = store.NewFormStore(db2)
	files2, err := svc2.Files(context.Background(), s.ID)
	if err != nil || len(files2) != len(files) {
		t.Fatalf("files after restart: %v %d", err, len(files2))
	}
	for i := range files {
		if files[i].Path != files2[i].Path || !bytes.Equal(files[i].Body, files2[i].Body) {
			t.Errorf("%s differs after restart", files[i].Path)
		}
	}

	// Draft edits are not live until published; a rollback brings back
	// revision 1's content as revision 3.
	home.Blocks[0].Heading = "Second version"
	if _, err := svc2.SavePage(e.A, home); err != nil {
		t.Fatal(err)
	}
	if got := fileBody(t, svc2, s.ID, "/"); strings.Contains(got, "Second version") {
		t.Error("a draft edit is live before publishing")
	}
	if _, err := svc2.Publish(e.A, s.ID, ""); err != nil {
		t.Fatal(err)
	}
	if got := fileBody(t, svc2, s.ID, "/"); !strings.Contains(got, "Second version") {
		t.Error("published edit not live")
	}
	r3, err := svc2.Rollback(e.A, s.ID, 1)
	if err != nil || r3.Number != 3 {
		t.Fatalf("rollback: %v %+v", err, r3)
	}
	if got := fileBody(t, svc2, s.ID, "/"); !strings.Contains(got, "Pipes fixed today") || strings.Contains(got, "Second version") {
		t.Error("rollback did not bring revision 1 back")
	}
	// Tenant B sees none of it.
	if _, err := svc2.Rollback(e.B, s.ID, 1); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("B rolling back A's site: %v", err)
	}
	if _, err := svc2.Page(e.B, home.ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("B reading A's page: %v", err)
	}
}

func fileBody(t *testing.T, svc *sites.Service, siteID int64, path string) string {
	t.Helper()
	files, err := svc.Files(context.Background(), siteID)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if f.Path == path {
			return string(f.Body)
		}
	}
	t.Fatalf("no file %s", path)
	return ""
}

func TestService_BadInput(t *testing.T) {
	e := newSiteEnv(t)
	s := e.site(t, e.A, "")
	home := e.home(t, e.A, s)
	cases := []struct {
		name  string
		page  sites.Page
		field string
	}{
		{"slug clash", sites.Page{Slug: "", Title: "Another home"}, ""},
		{"bad slug", sites.Page{Slug: "About Us", Title: "x"}, "slug"},
		{"reserved slug", sites.Page{Slug: "f", Title: "x"}, "slug"},
		{"no title", sites.Page{Slug: "x"}, "title"},
		{"canonical http", sites.Page{Slug: "x", Title: "x", SEO: sites.SEO{Canonical: "http://a.com/"}}, "canonical"},
		{"unknown block", sites.Page{Slug: "x", Title: "x", Blocks: []sites.Block{{Type: "marquee"}}}, "blocks"},
		{"image without alt", sites.Page{Slug: "x", Title: "x", Blocks: []sites.Block{{Type: sites.BlockImage, Image: "https://a.com/a.png"}}}, "blocks"},
		{"javascript link", sites.Page{Slug: "x", Title: "x", Blocks: []sites.Block{{Type: sites.BlockCTA, CTA: &app.Link{Label: "x", URL: "javascript:alert(1)"}}}}, "blocks"},
		{"video elsewhere", sites.Page{Slug: "x", Title: "x", Blocks: []sites.Block{{Type: sites.BlockVideo, VideoURL: "https://evil.example/v.mp4"}}}, "blocks"},
		{"other tenant's form", sites.Page{Slug: "x", Title: "x", Blocks: []sites.Block{{Type: sites.BlockForm, FormID: 999}}}, "blocks"},
		{"countdown date", sites.Page{Slug: "x", Title: "x", Blocks: []sites.Block{{Type: sites.BlockCountdown, Deadline: "tomorrow"}}}, "blocks"},
	}
	for _, c := range cases {
		p := c.page
		p.SiteID = s.ID
		_, err := e.Svc.SavePage(e.A, &p)
		if c.field == "" {
			if app.ErrorCode(err) != app.ECONFLICT {
				t.Errorf("%s: %v, want ECONFLICT", c.name, err)
			}
			continue
		}
		if app.ErrorCode(err) != app.EINVALID || app.ErrorField(err) != c.field {
			t.Errorf("%s: %v (field %q), want EINVALID on %s", c.name, err, app.ErrorField(err), c.field)
		}
	}
	// Custom HTML is sanitised with a warning, never refused.
	home.Blocks = []sites.Block{{Type: sites.BlockHTML, HTML: `<p class="x" onclick="steal()">Hi<script>alert(1)</script></p><a href="javascript:x()">l</a>`}}
	warn, err := e.Svc.SavePage(e.A, home)
	if err != nil || len(warn) != 1 {
		t.Fatalf("custom HTML: %v %v", err, warn)
	}
	got, _ := e.Svc.Page(e.A, home.ID)
	h := got.Blocks[0].HTML
	if strings.Contains(h, "script") || strings.Contains(h, "onclick") || strings.Contains(h, "javascript") || !strings.Contains(h, `<p class="x">Hi</p>`) {
		t.Errorf("sanitised HTML: %s", h)
	}
	// A domain that is not the tenant's is refused; B's domain too.
	if err := e.Svc.CreateSite(e.A, &sites.Site{Name: "x", Domain: "bravo.example.com"}); app.ErrorField(err) != "domain" {
		t.Errorf("B's domain for A's site: %v", err)
	}
	// Low contrast is refused.
	s.Settings.Theme = sites.Theme{Text: "#eeeeee", Background: "#ffffff"}
	if err := e.Svc.UpdateSite(e.A, s); app.ErrorField(err) != "text" {
		t.Errorf("low contrast: %v", err)
	}
	// A funnel naming a missing page is refused.
	s.Settings.Theme = sites.Theme{}
	s.Settings.Funnels = []sites.Funnel{{Name: "Main", Steps: []string{"", "missing"}}}
	if err := e.Svc.UpdateSite(e.A, s); app.ErrorField(err) != "funnels" {
		t.Errorf("funnel with a missing page: %v", err)
	}
	// Publishing without a home page is refused, and leaves nothing live.
	if err := e.Svc.DeletePage(e.A, home.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Svc.Publish(e.A, s.ID, ""); app.ErrorCode(err) != app.EINVALID {
		t.Errorf("publish without home: %v", err)
	}
	if files, _ := e.Svc.Files(context.Background(), s.ID); len(files) != 0 {
		t.Errorf("files after a refused publish: %d", len(files))
	}
}

func TestVideoEmbedURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://www.youtube.com/watch?v=dQw4w9WgXcQ": "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
		"https://youtu.be/dQw4w9WgXcQ":                "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
		"https://vimeo.com/76979871":                  "https://player.vimeo.com/video/76979871",
		"https://www.youtube.com/watch?v=bad":         "",
		"javascript:alert(1)":                         "",
	} {
		got, err := sites.VideoEmbedURL(in)
		if got != want || (want == "") != (err != nil) {
			t.Errorf("%s: %q %v, want %q", in, got, err, want)
		}
	}
}
