package ui_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/xml"
	"html"
	"image"
	"image/color"
	pngenc "image/png"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"orengen/app"
	"orengen/app/sites"
	"orengen/ui"
)

// houseSite gives the house tenant an unpublished site with a page.
func (e *tenantEnv) houseSite() (*sites.Site, *sites.Page) {
	e.t.Helper()
	ctx := app.NewContextWithTenant(context.Background(), &app.Tenant{ID: app.HouseTenantID})
	s := &sites.Site{Name: "House landing pages"}
	if err := e.App.Sites.CreateSite(ctx, s); err != nil {
		e.t.Fatal(err)
	}
	pages, err := e.App.Sites.ListPages(ctx, s.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return s, pages[0]
}

// publishSite gives side a site on host with a hero, a text and a form
// block, publishes it and returns it.
func (e *tenantEnv) publishSite(side *tenantSide, host string) (*sites.Site, *sites.Page) {
	e.t.Helper()
	ctx := app.NewContextWithTenant(context.Background(), side.T)
	e.addDomain(host, side.T.ID)
	svc := e.App.Sites
	s := &sites.Site{Name: side.T.Name + " site", Domain: host, Settings: sites.Settings{Nav: []sites.NavLink{{Label: "About", URL: "/about"}}}}
	if err := svc.CreateSite(ctx, s); err != nil {
		e.t.Fatal(err)
	}
	pages, err := svc.ListPages(ctx, s.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	home := pages[0]
	home.Blocks = []sites.Block{
		{Type: sites.BlockHero, Heading: side.T.Name + " fixes pipes"},
		{Type: sites.BlockText, Text: "Call **" + side.T.Name + "** today."},
		{ID: "quote", Type: sites.BlockForm, FormID: side.FormID, Heading: "Ask for a quote"},
	}
	if _, err := svc.SavePage(ctx, home); err != nil {
		e.t.Fatal(err)
	}
	if _, err := svc.SavePage(ctx, &sites.Page{SiteID: s.ID, Slug: "about", Title: "About", Blocks: []sites.Block{{Type: sites.BlockText, Text: "Since 1999."}}}); err != nil {
		e.t.Fatal(err)
	}
	if _, err := svc.Publish(ctx, s.ID, ""); err != nil {
		e.t.Fatal(err)
	}
	return s, home
}

func TestSites_PublicServing(t *testing.T) {
	e := newTenantEnv(t)

	status, body, resp := e.do(treq{Host: "alpha-plumbing-site.localhost", Method: http.MethodGet, Path: "/"})
	if status != http.StatusOK || !strings.Contains(body, "<h1>Alpha Plumbing fixes pipes</h1>") || !strings.Contains(body, "<strong>Alpha Plumbing</strong>") {
		t.Fatalf("home: %d %.300s", status, body)
	}
	if strings.Contains(body, "Bravo") || strings.Contains(body, "OrenGen") {
		t.Error("the site shows another tenant's or the agency's name")
	}
	etag := resp.Header.Get("ETag")
	if etag == "" || !strings.Contains(resp.Header.Get("Cache-Control"), "public") {
		t.Errorf("cache headers: %v", resp.Header)
	}
	if st, _, _ := e.do(treq{Host: "alpha-plumbing-site.localhost", Method: http.MethodGet, Path: "/", Header: map[string]string{"If-None-Match": etag}}); st != http.StatusNotModified {
		t.Errorf("If-None-Match: %d, want 304", st)
	}
	if _, _, r := e.do(treq{Host: "alpha-plumbing-site.localhost", Method: http.MethodGet, Path: "/about", Header: map[string]string{"Accept-Encoding": "br, gzip"}}); r.Header.Get("Content-Encoding") != "br" {
		t.Errorf("compressed page: encoding %q", r.Header.Get("Content-Encoding"))
	}
	if st, body, _ := e.do(treq{Host: "alpha-plumbing-site.localhost", Method: http.MethodGet, Path: "/missing"}); st != http.StatusNotFound || !strings.Contains(body, "Page not found") || !strings.Contains(body, `href="/about"`) {
		t.Errorf("404: %d %.200s", st, body)
	}
	if st, body, _ := e.do(treq{Host: "alpha-plumbing-site.localhost", Method: http.MethodGet, Path: "/sitemap.xml"}); st != http.StatusOK || !strings.Contains(body, "<loc>http://alpha-plumbing-site.localhost/about</loc>") {
		t.Errorf("sitemap: %d %s", st, body)
	}
	if st, body, _ := e.do(treq{Host: "alpha-plumbing-site.localhost", Method: http.MethodGet, Path: "/robots.txt"}); st != http.StatusOK || !strings.Contains(body, "Sitemap: http://alpha-plumbing-site.localhost/sitemap.xml") {
		t.Errorf("robots: %d %s", st, body)
	}
	if st, body, _ := e.do(treq{Host: "alpha-plumbing-site.localhost", Method: http.MethodGet, Path: sites.PathTheme}); st != http.StatusOK || !strings.Contains(body, "--primary:") {
		t.Errorf("theme: %d %.100s", st, body)
	}

	// The form block posts into A's CRM and comes back to its note.
	ctxA := app.NewContextWithTenant(context.Background(), e.A.T)
	before, _ := e.Server.Forms.CountSubmissions(ctxA)
	form := url.Values{"_page": {"/"}, "_block": {"quote"}, "name": {"Visitor One"}, "email": {"visitor@example.com"}}
	st, _, r := e.do(treq{Host: "alpha-plumbing-site.localhost", Method: http.MethodPost, Path: "/_form/" + itoa64(e.A.FormID), Form: form})
	if st != http.StatusSeeOther || r.Header.Get("Location") != "/#sent-quote" {
		t.Fatalf("form post: %d %q", st, r.Header.Get("Location"))
	}
	after, _ := e.Server.Forms.CountSubmissions(ctxA)
	if after[e.A.FormID] != before[e.A.FormID]+1 {
		t.Errorf("submissions %d -> %d", before[e.A.FormID], after[e.A.FormID])
	}
	// A bad email shows the page again with the message, nothing stored.
	form.Set("email", "not-an-email")
	if st, body, _ := e.do(treq{Host: "alpha-plumbing-site.localhost", Method: http.MethodPost, Path: "/_form/" + itoa64(e.A.FormID), Form: form}); st != http.StatusBadRequest || !strings.Contains(body, `role="alert"`) || !strings.Contains(body, "fixes pipes") {
		t.Errorf("bad form post: %d %.300s", st, body)
	}
	// B's form on A's site is not found; nothing is stored for B.
	ctxB := app.NewContextWithTenant(context.Background(), e.B.T)
	bBefore, _ := e.Server.Forms.CountSubmissions(ctxB)
	form.Set("email", "x@example.com")
	if st, _, _ := e.do(treq{Host: "alpha-plumbing-site.localhost", Method: http.MethodPost, Path: "/_form/" + itoa64(e.B.FormID), Form: form}); st != http.StatusNotFound {
		t.Errorf("B's form on A's site: %d, want 404", st)
	}
	if bAfter, _ := e.Server.Forms.CountSubmissions(ctxB); bAfter[e.B.FormID] != bBefore[e.B.FormID] {
		t.Error("a post on A's site stored a submission of B's form")
	}
	// The hosted form of B is not served on A's site either.
	if st, _, _ := e.do(treq{Host: "alpha-plumbing-site.localhost", Method: http.MethodGet, Path: "/f/" + itoa64(e.B.FormID)}); st != http.StatusNotFound {
		t.Errorf("B's hosted form on A's site: %d", st)
	}
}

func TestSites_DomainIsTheTenants(t *testing.T) {
	e := newTenantEnv(t)
	e.addDomain("bravo-site.localhost", e.B.T.ID)
	ctx := app.NewContextWithTenant(context.Background(), e.A.T)
	err := e.App.Sites.CreateSite(ctx, &sites.Site{Name: "Stolen", Domain: "bravo-site.localhost"})
	if app.ErrorField(err) != "domain" {
		t.Fatalf("A's site on B's domain: %v", err)
	}
	// An unpublished site leaves its domain to the tenant's portal.
	e.addDomain("alpha-draft.localhost", e.A.T.ID)
	if err := e.App.Sites.CreateSite(ctx, &sites.Site{Name: "Draft", Domain: "alpha-draft.localhost"}); err != nil {
		t.Fatal(err)
	}
	if st, _, resp := e.do(treq{Host: "alpha-draft.localhost", Method: http.MethodGet, Path: "/"}); st != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Errorf("draft site's domain: %d %q, want the portal's sign-in", st, resp.Header.Get("Location"))
	}
}

// The editor round trip in the portal: create a site, add blocks with the
// editor's buttons, save, preview, publish, and find it on the domain.
func TestSites_Editor(t *testing.T) {
	e := newTenantEnv(t)
	e.addDomain("alpha-new.localhost", e.A.T.ID)
	owner := map[string]string{"psid": e.A.Cookie}
	st, body, r := e.do(treq{Host: "portal", Method: http.MethodPost, Path: "/sites", Cookies: owner, CSRF: true,
		Form: url.Values{"name": {"Spring offer"}, "domain": {"alpha-new.localhost"}}})
	if st != http.StatusSeeOther {
		t.Fatalf("create: %d %.300s", st, body)
	}
	siteURL := r.Header.Get("Location")
	st, body, _ = e.do(treq{Host: "portal", Method: http.MethodGet, Path: siteURL, Cookies: owner})
	if st != http.StatusOK || !strings.Contains(body, "Spring offer") {
		t.Fatalf("site page: %d", st)
	}
	i := strings.Index(body, siteURL+"/pages/")
	if i < 0 {
		t.Fatalf("no page link in %.500s", body)
	}
	pageURL := body[i : i+len(siteURL+"/pages/")+strings.IndexByte(body[i+len(siteURL+"/pages/"):], '"')]

	// Add a hero (unsaved: shown again), then a text block.
	form := url.Values{"title": {"Spring offer"}, "slug": {""}, "order": {"0"}, "b0_id": {"b1"}, "b0_type": {"hero"}, "b0_heading": {"Spring offer"},
		"add": {"1"}, "add_type": {"text"}}
	st, body, _ = e.do(treq{Host: "portal", Method: http.MethodPost, Path: pageURL, Cookies: owner, CSRF: true, Form: form})
	if st != http.StatusOK || !strings.Contains(body, `name="b1_type" value="text"`) || !strings.Contains(body, "Unsaved changes") {
		t.Fatalf("add block: %d %.300s", st, body)
	}
	// Save: the text block first (dragged above the hero), then the hero,
	// then a form block.
	form = url.Values{"title": {"Spring offer"}, "slug": {""}, "description": {"Half price in April"},
		"order": {"1", "0", "2"},
		"b0_id": {"b1"}, "b0_type": {"hero"}, "b0_heading": {"Half price plumbing"}, "b0_cta_label": {"Book now"}, "b0_cta_url": {"#b3"},
		"b1_id": {"b2"}, "b1_type": {"text"}, "b1_text": {"Offer **ends** soon."},
		"b2_id": {"b3"}, "b2_type": {"form"}, "b2_heading": {"Claim it"}, "b2_form_id": {itoa64(e.A.FormID)}}
	st, body, _ = e.do(treq{Host: "portal", Method: http.MethodPost, Path: pageURL + "/preview", Cookies: owner, CSRF: true, Form: form})
	if st != http.StatusOK || strings.Index(body, "<strong>ends</strong>") > strings.Index(body, "Half price plumbing") || !strings.Contains(body, `action="/_form/`) {
		t.Fatalf("preview: %d %.400s", st, body)
	}
	form.Set("publish", "1")
	if st, body, _ = e.do(treq{Host: "portal", Method: http.MethodPost, Path: pageURL, Cookies: owner, CSRF: true, Form: form}); st != http.StatusSeeOther {
		t.Fatalf("save and publish: %d %.300s", st, body)
	}
	st, body, _ = e.do(treq{Host: "alpha-new.localhost", Method: http.MethodGet, Path: "/"})
	if st != http.StatusOK || !strings.Contains(body, "<h1>Half price plumbing</h1>") || !strings.Contains(body, `content="Half price in April"`) {
		t.Fatalf("live page: %d %.300s", st, body)
	}
	if strings.Index(body, "<strong>ends</strong>") > strings.Index(body, "Half price plumbing") {
		t.Error("the dragged order was not kept")
	}

	// A second page with the home's slug is refused, naming the clash.
	st, body, _ = e.do(treq{Host: "portal", Method: http.MethodPost, Path: siteURL + "/pages", Cookies: owner, CSRF: true, Form: url.Values{"title": {"Again"}, "slug": {""}}})
	if st != http.StatusConflict || !strings.Contains(body, "Another page of this site has this slug") {
		t.Errorf("slug clash: %d", st)
	}
	// A member (not the owner) may not edit.
	member := map[string]string{"psid": e.portalSession(e.A.Member)}
	if st, _, _ := e.do(treq{Host: "portal", Method: http.MethodGet, Path: "/sites", Cookies: member}); st != http.StatusForbidden {
		t.Errorf("member on /sites: %d", st)
	}
	// A second revision, then a rollback to the first from the editor.
	form.Set("b0_heading", "Second offer")
	if st, _, _ := e.do(treq{Host: "portal", Method: http.MethodPost, Path: pageURL, Cookies: owner, CSRF: true, Form: form}); st != http.StatusSeeOther {
		t.Fatalf("second publish: %d", st)
	}
	if _, body, _ := e.do(treq{Host: "alpha-new.localhost", Method: http.MethodGet, Path: "/"}); !strings.Contains(body, "Second offer") {
		t.Fatal("second revision not live")
	}
	if st, _, _ := e.do(treq{Host: "portal", Method: http.MethodPost, Path: siteURL + "/rollback", Cookies: owner, CSRF: true, Form: url.Values{"number": {"1"}}}); st != http.StatusSeeOther {
		t.Fatalf("rollback: %d", st)
	}
	if _, body, _ := e.do(treq{Host: "alpha-new.localhost", Method: http.MethodGet, Path: "/"}); !strings.Contains(body, "Half price plumbing") || strings.Contains(body, "Second offer") {
		t.Error("rollback did not bring revision 1 back")
	}
}

// isoSitesRequest gives the websites API valid bodies, and Nexus's
// requests ?tenant=B, so the admin key's requests succeed.
func (e *tenantEnv) isoSitesRequest(r isoRoute, req *treq) {
	if !strings.HasPrefix(r.Path, "/api/v1/sites") {
		return
	}
	switch {
	case r.Path == "/api/v1/sites" && r.Method == http.MethodPost:
		req.JSON = `{"name":"Api site"}`
	case strings.HasSuffix(r.Path, "/pages") && r.Method == http.MethodPost:
		req.JSON = `{"slug":"api-page","title":"Api page","blocks":[{"type":"hero","heading":"Api"}]}`
	case strings.HasSuffix(r.Path, "/media") && r.Method == http.MethodPost:
		req.JSON = ""
		req.Raw, req.ContentType = siteUpload(e.t, "dot.gif", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), "")
	case strings.HasSuffix(r.Path, "/redirects") && r.Method == http.MethodPut:
		req.JSON = `{"redirects":[{"from":"/old","to":"/"}]}`
	case r.Method == http.MethodPut:
		req.JSON = `{"slug":"","title":"Home","blocks":[{"type":"hero","heading":"Api home"}]}`
	case strings.HasSuffix(r.Path, "/publish"):
		req.JSON = `{"note":"api"}`
	}
	if r.Host == ui.HostNexus {
		req.Path += "?tenant=" + strconv.FormatInt(e.B.T.ID, 10)
	}
}

var (
	reTitle = regexp.MustCompile(`<title>([^<]*)</title>`)
	reCanon = regexp.MustCompile(`<link rel="canonical" href="([^"]*)">`)
	reMain  = regexp.MustCompile(`(?s)<main id="main">(.*)</main>`)
	reNav   = regexp.MustCompile(`(?s)<nav class="main"[^>]*>(.*?)</nav>`)
	reTag   = regexp.MustCompile(`<[^>]*>`)
	reLoc   = regexp.MustCompile(`<loc>([^<]*)</loc>`)
)

// visible is the text of an HTML fragment, its whitespace collapsed.
func visible(s string) string {
	return strings.Join(strings.Fields(html.UnescapeString(reTag.ReplaceAllString(s, " "))), " ")
}

func firstMatch(re *regexp.Regexp, s string) string {
	if m := re.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return ""
}

// The marketing site moved into the builder (at Seed) answers every old
// address with the same title, canonical link, navigation and content
// as the renderer it replaced, and its lead form still makes a lead.
func TestSites_MarketingMigrated(t *testing.T) {
	w := newWired(t)
	env := &testEnv{t: t, Server: w.Server, DB: w.DB, KV: w.KV, Auth: w.Auth}
	ctx := context.Background()
	house := app.NewContextWithTenant(ctx, &app.Tenant{ID: app.HouseTenantID})
	list, err := w.App.Sites.ListSites(house)
	if err != nil || len(list) != 1 || list[0].Domain != "localhost" || list[0].PublishedRev != 1 {
		t.Fatalf("house site after Seed: %v %+v", err, list)
	}
	paths := []string{"/", "/services", "/pricing", "/case-studies", "/about", "/contact"}
	get := func() map[string]string {
		out := map[string]string{}
		for _, p := range append(paths, "/sitemap.xml", "/no-such-page") {
			req := httptest.NewRequest("GET", "http://localhost"+p, nil)
			req.Host = "localhost"
			resp, body := env.do(req)
			out[p] = strconv.Itoa(resp.StatusCode) + "\n" + body
		}
		return out
	}
	migrated := get()
	if !strings.Contains(migrated["/"], `href="/_theme.css"`) {
		t.Fatal("the home page is not the builder's")
	}
	// The renderer it replaced: the house site deleted, the marketing
	// host falls back to it.
	if err := w.App.Sites.DeleteSite(house, list[0].ID); err != nil {
		t.Fatal(err)
	}
	old := get()
	if strings.Contains(old["/"], "_theme.css") {
		t.Fatal("the old renderer serves the builder's page")
	}
	for _, p := range paths {
		o, n := old[p], migrated[p]
		if o[:4] != "200\n" || n[:4] != "200\n" {
			t.Errorf("%s: status old %.3s new %.3s", p, o, n)
			continue
		}
		for _, re := range []*regexp.Regexp{reTitle, reCanon} {
			if a, b := firstMatch(re, o), firstMatch(re, n); a != b || a == "" {
				t.Errorf("%s: %q before, %q after", p, a, b)
			}
		}
		if a, b := visible(firstMatch(reNav, o)), visible(firstMatch(reNav, n)); a != b || a == "" {
			t.Errorf("%s navigation: %q before, %q after", p, a, b)
		}
		if a, b := visible(firstMatch(reMain, o)), visible(firstMatch(reMain, n)); a != b || len(a) < 40 {
			t.Errorf("%s content differs:\nbefore: %s\nafter:  %s", p, a, b)
		}
	}
	if a, b := reLoc.FindAllString(old["/sitemap.xml"], -1), reLoc.FindAllString(migrated["/sitemap.xml"], -1); strings.Join(a, ",") != strings.Join(b, ",") || len(a) != len(paths) {
		t.Errorf("sitemap: %v before, %v after", a, b)
	}
	if old["/no-such-page"][:4] != "404\n" || migrated["/no-such-page"][:4] != "404\n" {
		t.Errorf("unknown page: %.3s before, %.3s after", old["/no-such-page"], migrated["/no-such-page"])
	}

	// Migrated again (as at the next start), the lead form on /contact
	// posts a lead into the CRM.
	if moved, err := w.App.MigrateMarketingSite(ctx); err != nil || !moved {
		t.Fatalf("migrate: %v %v", moved, err)
	}
	if again, err := w.App.MigrateMarketingSite(ctx); err != nil || again {
		t.Fatalf("second migration: %v %v", again, err)
	}
	b := env.browser()
	resp, body := b.request("GET", "localhost", "/contact", nil)
	if resp.StatusCode != 200 || !strings.Contains(body, `action="/leads"`) || !strings.Contains(body, "_theme.css") {
		t.Fatalf("contact: %d", resp.StatusCode)
	}
	resp, _ = b.request("POST", "localhost", "/leads", url.Values{"first_name": {"Mia"}, "email": {"mia@example.com"}, "page": {"contact"}})
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/thanks" {
		t.Fatalf("lead: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	mia := "mia@example.com"
	people, _, err := w.App.CRM.People.FindPeople(house, app.PersonFilter{Email: &mia})
	if err != nil || len(people) != 1 {
		t.Errorf("lead in the CRM: %v %d", err, len(people))
	}
	// Nexus > Site content now leads to the builder.
	admin := env.signedIn(app.RoleOwner)
	if resp, _ := admin.request("GET", "nexus.localhost", "/site", nil); resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/sites/") {
		t.Errorf("Nexus > Site content: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// A scripted sequence of visits is counted exactly: views, unique
// visitors, referrers, sources, devices, conversions; the funnel's form
// leads to its next step; a split test serves each visitor one variant,
// always the same; robots are not counted; no cookie is set.
func TestSites_AnalyticsFunnelSplit(t *testing.T) {
	e := newTenantEnv(t)
	ctx := app.NewContextWithTenant(context.Background(), e.A.T)
	svc := e.App.Sites
	site := e.A.Site
	for _, p := range []*sites.Page{
		{SiteID: site.ID, Slug: "thanks", Title: "Thanks", Blocks: []sites.Block{{Type: sites.BlockText, Text: "We will call you."}}},
		{SiteID: site.ID, Slug: "about-b", Title: "About B", Blocks: []sites.Block{{Type: sites.BlockHero, Heading: "About variant B"}}},
	} {
		if _, err := svc.SavePage(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	site.Settings.Funnels = []sites.Funnel{{Name: "Quote", Steps: []string{"", "thanks"}}}
	site.Settings.Tests = []sites.SplitTest{{Page: "about", Variants: []sites.Variant{{Slug: "about", Weight: 50}, {Slug: "about-b", Weight: 50}}}}
	if err := svc.UpdateSite(ctx, site); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Publish(ctx, site.ID, ""); err != nil {
		t.Fatal(err)
	}
	host := e.A.T.Slug + "-site.localhost"
	desktop := "Mozilla/5.0 (X11; Linux x86_64) Chrome/120"
	phone := "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Mobile/15E148"
	visit := func(ip, ua, path string, hdr map[string]string) (int, string, *http.Response) {
		h := map[string]string{"User-Agent": ua, "X-Forwarded-For": ip}
		for k, v := range hdr {
			h[k] = v
		}
		return e.do(treq{Host: host, Method: http.MethodGet, Path: path, Header: h})
	}
	// Visitor 1 (desktop): home twice, then the form: to the next step.
	for i := 0; i < 2; i++ {
		if st, _, r := visit("", desktop, "/", nil); st != http.StatusOK || len(r.Cookies()) != 0 {
			t.Fatalf("home: %d cookies %v", st, r.Cookies())
		}
	}
	st, _, r := e.do(treq{Host: host, Method: http.MethodPost, Path: "/_form/" + itoa64(e.A.FormID), Header: map[string]string{"User-Agent": desktop},
		Form: url.Values{"_page": {"/"}, "_block": {"quote"}, "name": {"Funnel Visitor"}, "email": {"funnel@example.com"}}})
	if st != http.StatusSeeOther || r.Header.Get("Location") != "/thanks" {
		t.Fatalf("funnel form: %d %q", st, r.Header.Get("Location"))
	}
	if st, body, _ := visit("", desktop, "/thanks", nil); st != http.StatusOK || !strings.Contains(body, "We will call you") {
		t.Fatalf("next step: %d %.200s", st, body)
	}
	// Visitor 2 (a phone, from a newsletter link on another site).
	visit("", phone, "/?utm_source=newsletter", map[string]string{"Referer": "https://www.mail.example/inbox"})
	// A robot.
	visit("", "Googlebot/2.1 (+http://www.google.com/bot.html)", "/", nil)
	// The split test: each visitor's variant is the same on every visit.
	served := map[string]int{}
	for i := 0; i < 40; i++ {
		ua := desktop + " visitor " + strconv.Itoa(i)
		_, body, _ := visit("", ua, "/about", nil)
		v := "about"
		if strings.Contains(body, "About variant B") {
			v = "about-b"
		}
		_, again, _ := visit("", ua, "/about", nil)
		if strings.Contains(again, "About variant B") != (v == "about-b") {
			t.Fatalf("visitor %d saw both variants", i)
		}
		served[v]++
	}
	if served["about"] == 0 || served["about-b"] == 0 {
		t.Errorf("a 50/50 test served %v to 40 visitors", served)
	}
	if err := svc.Analytics.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	today := time.Now().UTC().Format(time.DateOnly)
	rep, err := svc.Report(ctx, site.ID, today, today)
	if err != nil {
		t.Fatal(err)
	}
	// Views: 2 + 1 (visitor 1), 1 (visitor 2), 80 (the split test).
	if rep.Views != 84 || rep.Visitors != 42 || rep.Conversions != 1 {
		t.Errorf("views %d visitors %d conversions %d, want 84 42 1", rep.Views, rep.Visitors, rep.Conversions)
	}
	home := rep.Page("")
	if home.Views != 3 || home.Visitors != 2 || home.Conversions != 1 || home.Converters != 1 {
		t.Errorf("home: %+v", home)
	}
	if a, b := rep.Page("about"), rep.Page("about-b"); a.Visitors != served["about"] || b.Visitors != served["about-b"] || a.Views != 2*served["about"] {
		t.Errorf("variants: %+v %+v, served %v", a, b, served)
	}
	if len(rep.Referrers) != 1 || rep.Referrers[0] != (sites.NameCount{Name: "mail.example", Count: 1}) {
		t.Errorf("referrers %+v", rep.Referrers)
	}
	if len(rep.Sources) != 1 || rep.Sources[0] != (sites.NameCount{Name: "newsletter", Count: 1}) {
		t.Errorf("sources %+v", rep.Sources)
	}
	if d := map[string]int{}; true {
		for _, n := range rep.Devices {
			d[n.Name] = n.Count
		}
		if d["mobile"] != 1 || d["desktop"] != 83 || len(d) != 2 {
			t.Errorf("devices %v", d)
		}
	}
	steps := rep.Funnel(site.Settings.Funnels[0])
	if steps[0].Visitors != 2 || steps[0].Converters != 1 || steps[1].Visitors != 1 {
		t.Errorf("funnel %+v pages %+v", steps, rep.Pages)
	}
	// The owner's analytics page shows the funnel chart and the test.
	st, body, _ := e.do(treq{Host: "portal", Method: http.MethodGet, Path: "/sites/" + itoa64(site.ID) + "/analytics", Cookies: map[string]string{"psid": e.A.Cookie}})
	if st != http.StatusOK || !strings.Contains(body, "Funnel: Quote") || !strings.Contains(body, "Split test of") || !strings.Contains(body, "<strong>42</strong> unique visitors") {
		t.Errorf("analytics page: %d %.300s", st, body)
	}
}

// A site's chat button must name one of its own tenant's web-chat
// agents, through the API as through the editor: another tenant's agent
// would never answer on the tenant's host.
func TestSites_ChatButtonAgentIsTheTenants(t *testing.T) {
	e := newTenantEnv(t)
	body := func(key string) string {
		return `{"name":"Chat site","settings":{"chat_agent":"` + key + `"}}`
	}
	// B's agent answers web chat (on B's hosts).
	if err := e.App.Agents.SetAgentEnabled(app.NewContextWithTenant(context.Background(), e.B.T), e.B.Agent.ID, true); err != nil {
		t.Fatal(err)
	}
	st, p, raw := e.api("portal", http.MethodPost, "/api/v1/sites", e.A.KeyWrite, body(e.B.Agent.PublicKey))
	if st != http.StatusBadRequest || p.Error == nil || p.Error.Field != "chat_agent" {
		t.Fatalf("A's site with B's agent: %d %s, want 400 naming chat_agent", st, raw)
	}
	if st, _, raw := e.api("portal", http.MethodPost, "/api/v1/sites", e.A.KeyWrite, body("ag_"+strings.Repeat("z", 20))); st != http.StatusBadRequest || !strings.Contains(raw, `"field":"chat_agent"`) {
		t.Fatalf("unknown agent: %d %s", st, raw)
	}
	// The fixture's agents start switched off; a switched-off agent answers
	// no chat, so it is refused too.
	if st, _, raw := e.api("portal", http.MethodPost, "/api/v1/sites", e.A.KeyWrite, body(e.A.Agent.PublicKey)); st != http.StatusBadRequest || !strings.Contains(raw, `"field":"chat_agent"`) {
		t.Fatalf("A's disabled agent: %d %s", st, raw)
	}
	ctx := app.NewContextWithTenant(context.Background(), e.A.T)
	if err := e.App.Agents.SetAgentEnabled(ctx, e.A.Agent.ID, true); err != nil {
		t.Fatal(err)
	}
	if st, _, raw := e.api("portal", http.MethodPost, "/api/v1/sites", e.A.KeyWrite, body(e.A.Agent.PublicKey)); st != http.StatusCreated || !strings.Contains(raw, e.A.Agent.PublicKey) {
		t.Fatalf("A's site with A's agent: %d %s", st, raw)
	}
}

// 301 redirects: set in the editor and the API, refused on a loop or a
// page's own path, served on the site's host after publishing (before
// the 404 page), and only on their own site.
func TestSites_Redirects(t *testing.T) {
	e := newTenantEnv(t)
	host := "alpha-plumbing-site.localhost"
	siteURL := "/sites/" + itoa64(e.A.Site.ID)
	owner := map[string]string{"psid": e.A.Cookie}
	settings := func(redirects string) url.Values {
		return url.Values{"name": {e.A.Site.Name}, "domain": {host}, "nav": {"About | /about"}, "redirects": {redirects}}
	}
	// The editor refuses a loop, naming the chain, and keeps what was typed.
	st, body, _ := e.do(treq{Host: "portal", Method: http.MethodPost, Path: siteURL, Cookies: owner, CSRF: true, Form: settings("/a -> /b\n/b -> /a")})
	if st != http.StatusBadRequest || !strings.Contains(body, "makes a loop: /a → /b → /a") || !strings.Contains(body, `name="redirects" rows="3" class="mono" aria-invalid="true"`) {
		t.Fatalf("loop in the editor: %d %.300s", st, visible(body))
	}
	st, body, _ = e.do(treq{Host: "portal", Method: http.MethodPost, Path: siteURL, Cookies: owner, CSRF: true, Form: settings("/about -> /")})
	if st != http.StatusBadRequest || !strings.Contains(body, "is a page of this site") {
		t.Fatalf("a page's path in the editor: %d", st)
	}
	st, _, _ = e.do(treq{Host: "portal", Method: http.MethodPost, Path: siteURL, Cookies: owner, CSRF: true, Form: settings("/old-about/ -> /about\n/go -> https://example.com/offer")})
	if st != http.StatusSeeOther {
		t.Fatalf("save redirects: %d", st)
	}
	// Not live before publishing.
	if st, _, _ := e.do(treq{Host: host, Method: http.MethodGet, Path: "/old-about"}); st != http.StatusNotFound {
		t.Errorf("draft redirect served before publishing: %d", st)
	}

	// The API lists them and refuses a loop and a page's path, naming the field.
	api := "/api/v1/sites/" + itoa64(e.A.Site.ID) + "/redirects"
	if st, _, raw := e.api("portal", http.MethodGet, api, e.A.KeyRead, ""); st != http.StatusOK || !strings.Contains(raw, `{"from":"/old-about","to":"/about"}`) {
		t.Fatalf("API list: %d %s", st, raw)
	}
	for _, bad := range []string{`[{"from":"/x","to":"/x"}]`, `[{"from":"/x","to":"/y"},{"from":"/y","to":"/z"},{"from":"/z","to":"/x"}]`,
		`[{"from":"/about","to":"/"}]`, `[{"from":"x","to":"/"}]`, `[{"from":"/x","to":"javascript:alert(1)"}]`} {
		if st, _, raw := e.api("portal", http.MethodPut, api, e.A.KeyWrite, `{"redirects":`+bad+`}`); st != http.StatusBadRequest || !strings.Contains(raw, `"field":"redirects"`) {
			t.Errorf("API %s: %d %s", bad, st, raw)
		}
	}
	if st, _, raw := e.api("portal", http.MethodPut, api, e.A.KeyWrite, `{"redirects":[{"from":"/old-about/","to":"/about"},{"from":"/go","to":"https://example.com/offer"},{"from":"/older","to":"/old-about"}]}`); st != http.StatusOK || !strings.Contains(raw, `"from":"/older"`) {
		t.Fatalf("API put: %d %s", st, raw)
	}
	// B's key does not see or change A's redirects.
	if st, _, _ := e.api("portal", http.MethodGet, api, e.B.KeyRead, ""); st != http.StatusNotFound {
		t.Errorf("B reads A's redirects: %d", st)
	}
	if st, _, _ := e.api("portal", http.MethodPut, api, e.B.KeyWrite, `{"redirects":[]}`); st != http.StatusNotFound {
		t.Errorf("B replaces A's redirects: %d", st)
	}
	// A page may not take a redirected path.
	if st, _, raw := e.api("portal", http.MethodPost, "/api/v1/sites/"+itoa64(e.A.Site.ID)+"/pages", e.A.KeyWrite, `{"slug":"older","title":"Older"}`); st != http.StatusBadRequest || !strings.Contains(raw, `"field":"slug"`) {
		t.Errorf("page on a redirected path: %d %s", st, raw)
	}

	if st, _, raw := e.api("portal", http.MethodPost, "/api/v1/sites/"+itoa64(e.A.Site.ID)+"/publish", e.A.KeyWrite, ""); st != http.StatusOK {
		t.Fatalf("publish: %d %s", st, raw)
	}
	for _, c := range []struct{ path, loc string }{
		{"/old-about", "/about"}, {"/old-about/", "/about"}, {"/old-about?utm_source=mail", "/about?utm_source=mail"},
		{"/go", "https://example.com/offer"}, {"/older", "/old-about"},
	} {
		st, _, r := e.do(treq{Host: host, Method: http.MethodGet, Path: c.path})
		if st != http.StatusMovedPermanently || r.Header.Get("Location") != c.loc {
			t.Errorf("GET %s: %d %q, want 301 %q", c.path, st, r.Header.Get("Location"), c.loc)
		}
	}
	// Pages and the 404 are as before; B's host does not know A's redirects.
	if st, _, _ := e.do(treq{Host: host, Method: http.MethodGet, Path: "/about"}); st != http.StatusOK {
		t.Errorf("/about: %d", st)
	}
	if st, _, _ := e.do(treq{Host: host, Method: http.MethodGet, Path: "/nowhere"}); st != http.StatusNotFound {
		t.Errorf("/nowhere: %d", st)
	}
	if st, _, _ := e.do(treq{Host: "bravo-plumbing-site.localhost", Method: http.MethodGet, Path: "/old-about"}); st != http.StatusNotFound {
		t.Errorf("A's redirect on B's site: %d", st)
	}
}

// Templates: a site made from the three-step funnel template (API)
// publishes, and its opt-in form moves a visitor to the next step with
// the lead stored; the portal editor makes a site and a page from
// templates.
func TestSites_Templates(t *testing.T) {
	e := newTenantEnv(t)
	e.addDomain("alpha-funnel.localhost", e.A.T.ID)
	st, _, raw := e.api("portal", http.MethodGet, "/api/v1/site-templates", e.A.KeyRead, "")
	if st != http.StatusOK || !strings.Contains(raw, `"key":"funnel"`) || !strings.Contains(raw, `"key":"webinar"`) {
		t.Fatalf("templates: %d %.300s", st, raw)
	}
	st, _, raw = e.api("portal", http.MethodPost, "/api/v1/sites", e.A.KeyWrite, `{"name":"Guide funnel","domain":"alpha-funnel.localhost","template":"funnel","form_id":`+itoa64(e.A.FormID)+`}`)
	if st != http.StatusCreated || !strings.Contains(raw, `"steps":["","thank-you","book-a-call"]`) {
		t.Fatalf("site from the funnel template: %d %s", st, raw)
	}
	id := firstMatch(regexp.MustCompile(`"id":(\d+)`), raw)
	if st, _, raw := e.api("portal", http.MethodPost, "/api/v1/sites/"+id+"/publish", e.A.KeyWrite, ""); st != http.StatusOK {
		t.Fatalf("publish: %d %s", st, raw)
	}
	host := "alpha-funnel.localhost"
	st, body, _ := e.do(treq{Host: host, Method: http.MethodGet, Path: "/"})
	if st != http.StatusOK || !strings.Contains(body, `action="/_form/`+itoa64(e.A.FormID)+`"`) {
		t.Fatalf("opt-in page: %d %.300s", st, body)
	}
	ctxA := app.NewContextWithTenant(context.Background(), e.A.T)
	before, _ := e.Server.Forms.CountSubmissions(ctxA)
	st, _, r := e.do(treq{Host: host, Method: http.MethodPost, Path: "/_form/" + itoa64(e.A.FormID),
		Form: url.Values{"_page": {"/"}, "_block": {"get-it"}, "name": {"Funnel Visitor"}, "email": {"funnel@example.com"}}})
	if st != http.StatusSeeOther || r.Header.Get("Location") != "/thank-you" {
		t.Fatalf("opt-in post: %d %q, want 303 /thank-you", st, r.Header.Get("Location"))
	}
	if after, _ := e.Server.Forms.CountSubmissions(ctxA); after[e.A.FormID] != before[e.A.FormID]+1 {
		t.Error("the opt-in stored no submission")
	}
	if st, body, _ := e.do(treq{Host: host, Method: http.MethodGet, Path: "/thank-you"}); st != http.StatusOK || !strings.Contains(body, `href="/book-a-call"`) {
		t.Errorf("thank-you step: %d", st)
	}
	if st, body, _ := e.do(treq{Host: host, Method: http.MethodGet, Path: "/book-a-call"}); st != http.StatusOK || !strings.Contains(body, `src="/book/`) {
		t.Errorf("booking step: %d %.200s", st, body)
	}
	// A bad template is refused naming the field; B's form is not A's.
	if st, _, raw := e.api("portal", http.MethodPost, "/api/v1/sites", e.A.KeyWrite, `{"name":"x","template":"nope"}`); st != http.StatusBadRequest || !strings.Contains(raw, `"field":"template"`) {
		t.Errorf("unknown template: %d %s", st, raw)
	}
	if st, _, raw := e.api("portal", http.MethodPost, "/api/v1/sites/"+id+"/pages", e.A.KeyWrite, `{"template":"landing","slug":"offer","title":"Offer","form_id":`+itoa64(e.B.FormID)+`}`); st != http.StatusBadRequest || !strings.Contains(raw, `"field":"form_id"`) {
		t.Errorf("B's form in A's template page: %d %s", st, raw)
	}
	if st, _, raw := e.api("portal", http.MethodPost, "/api/v1/sites/"+id+"/pages", e.A.KeyWrite, `{"template":"webinar","slug":"live","title":"Live"}`); st != http.StatusCreated || !strings.Contains(raw, `"type":"countdown"`) {
		t.Errorf("page from a template (API): %d %s", st, raw)
	}

	// The portal editor: a site from the service-business template, then a
	// page from the thank-you template.
	owner := map[string]string{"psid": e.A.Cookie}
	st, body, r = e.do(treq{Host: "portal", Method: http.MethodPost, Path: "/sites", Cookies: owner, CSRF: true, Form: url.Values{"name": {"Plumbing"}, "template": {"service-business"}}})
	if st != http.StatusSeeOther {
		t.Fatalf("editor: site from template: %d %.300s", st, body)
	}
	siteURL := r.Header.Get("Location")
	_, body, _ = e.do(treq{Host: "portal", Method: http.MethodGet, Path: siteURL, Cookies: owner})
	for _, p := range []string{">/about<", ">/services<", ">/contact<", `value="thank-you">Template: Thank-you page`} {
		if !strings.Contains(body, p) {
			t.Errorf("editor site page lacks %s", p)
		}
	}
	st, _, r = e.do(treq{Host: "portal", Method: http.MethodPost, Path: siteURL + "/pages", Cookies: owner, CSRF: true, Form: url.Values{"title": {"Thanks"}, "slug": {"thanks"}, "template": {"thank-you"}}})
	if st != http.StatusSeeOther {
		t.Fatalf("editor: page from template: %d", st)
	}
	if _, body, _ = e.do(treq{Host: "portal", Method: http.MethodGet, Path: r.Header.Get("Location"), Cookies: owner}); !strings.Contains(body, "Thank you: you are in") {
		t.Errorf("templated page in the editor: %.300s", body)
	}
}

// A blog: pages marked as posts (API and editor) are listed newest first
// by a blog block, and published in /rss.xml (RSS 2.0), linked from every
// page's head.
func TestSites_BlogRSS(t *testing.T) {
	e := newTenantEnv(t)
	host := "alpha-plumbing-site.localhost"
	pagesAPI := "/api/v1/sites/" + itoa64(e.A.Site.ID) + "/pages"
	for _, p := range []string{
		`{"slug":"winter-pipes","title":"Keep pipes from freezing","post":{"date":"2026-11-20","summary":"Three things to do before the frost."},"blocks":[{"type":"text","text":"Insulate."}]}`,
		`{"slug":"new-van","title":"Our new van & crew","post":{"date":"2026-12-01","summary":"Faster visits across town."},"blocks":[{"type":"text","text":"Vroom."}]}`,
		`{"slug":"blog","title":"Blog","blocks":[{"type":"blog","heading":"News"}]}`,
	} {
		if st, _, raw := e.api("portal", http.MethodPost, pagesAPI, e.A.KeyWrite, p); st != http.StatusCreated {
			t.Fatalf("page: %d %s", st, raw)
		}
	}
	// A bad date and a post on the home page are refused naming the field.
	if st, _, raw := e.api("portal", http.MethodPost, pagesAPI, e.A.KeyWrite, `{"slug":"x","title":"X","post":{"date":"yesterday"}}`); st != http.StatusBadRequest || !strings.Contains(raw, `"field":"post_date"`) {
		t.Errorf("bad date: %d %s", st, raw)
	}
	// The editor marks a third post (the oldest).
	owner := map[string]string{"psid": e.A.Cookie}
	st, _, r := e.do(treq{Host: "portal", Method: http.MethodPost, Path: "/sites/" + itoa64(e.A.Site.ID) + "/pages", Cookies: owner, CSRF: true, Form: url.Values{"title": {"Hello"}, "slug": {"hello"}}})
	if st != http.StatusSeeOther {
		t.Fatalf("editor page: %d", st)
	}
	st, body, _ := e.do(treq{Host: "portal", Method: http.MethodPost, Path: r.Header.Get("Location"), Cookies: owner, CSRF: true,
		Form: url.Values{"title": {"Hello"}, "slug": {"hello"}, "is_post": {"1"}, "post_date": {"2026-01-05"}, "post_summary": {"We are open."}, "publish": {"1"}}})
	if st != http.StatusSeeOther {
		t.Fatalf("editor post: %d %.300s", st, visible(body))
	}

	st, body, _ = e.do(treq{Host: host, Method: http.MethodGet, Path: "/blog"})
	if st != http.StatusOK || !strings.Contains(body, `<link rel="alternate" type="application/rss+xml" title="Alpha Plumbing site" href="/rss.xml">`) {
		t.Fatalf("blog page: %d %.600s", st, body)
	}
	iVan, iPipes, iHello := strings.Index(body, `href="/new-van"`), strings.Index(body, `href="/winter-pipes"`), strings.Index(body, `href="/hello"`)
	if iVan < 0 || iPipes < iVan || iHello < iPipes || !strings.Contains(body, "1 December 2026") {
		t.Errorf("blog index order: van %d pipes %d hello %d", iVan, iPipes, iHello)
	}
	if _, body, _ := e.do(treq{Host: host, Method: http.MethodGet, Path: "/new-van"}); !strings.Contains(body, `<time datetime="2026-12-01">1 December 2026</time>`) {
		t.Error("a post shows no date")
	}

	st, body, resp := e.do(treq{Host: host, Method: http.MethodGet, Path: "/rss.xml"})
	if st != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/rss+xml") {
		t.Fatalf("rss: %d %q", st, resp.Header.Get("Content-Type"))
	}
	var feed struct {
		XMLName xml.Name `xml:"rss"`
		Version string   `xml:"version,attr"`
		Channel struct {
			Title string   `xml:"title"`
			Links []string `xml:"link"` // the channel's link and atom:link (empty text)
		} `xml:"channel"`
	}
	if err := xml.Unmarshal([]byte(body), &feed); err != nil {
		t.Fatalf("rss does not parse: %v\n%s", err, body)
	}
	var items struct {
		Items []struct {
			Title       string `xml:"title"`
			Link        string `xml:"link"`
			GUID        string `xml:"guid"`
			PubDate     string `xml:"pubDate"`
			Description string `xml:"description"`
		} `xml:"channel>item"`
	}
	if err := xml.Unmarshal([]byte(body), &items); err != nil {
		t.Fatal(err)
	}
	if feed.Version != "2.0" || feed.Channel.Title != "Alpha Plumbing site" || !slices.Contains(feed.Channel.Links, "http://"+host+"/") || len(items.Items) != 3 {
		t.Fatalf("feed: %+v %d items\n%s", feed, len(items.Items), body)
	}
	want := []struct{ title, path, day string }{{"Our new van & crew", "/new-van", "2026-12-01"}, {"Keep pipes from freezing", "/winter-pipes", "2026-11-20"}, {"Hello", "/hello", "2026-01-05"}}
	for i, w := range want {
		it := items.Items[i]
		d, err := time.Parse(time.RFC1123Z, it.PubDate)
		if it.Title != w.title || it.Link != "http://"+host+w.path || it.GUID != it.Link || err != nil || d.Format(time.DateOnly) != w.day {
			t.Errorf("item %d: %+v (%v)", i, it, err)
		}
	}
	if items.Items[0].Description != "Faster visits across town." {
		t.Errorf("description: %q", items.Items[0].Description)
	}
	// B's site has no posts: no feed, no link.
	if st, _, _ := e.do(treq{Host: "bravo-plumbing-site.localhost", Method: http.MethodGet, Path: "/rss.xml"}); st != http.StatusNotFound {
		t.Errorf("B's rss: %d", st)
	}
}

// Draft preview links: made in the editor or the API, they show the
// saved draft without signing in (noindex, not cached); a tampered or
// expired link is refused, and a link never opens another page.
func TestSites_PreviewLinks(t *testing.T) {
	e := newTenantEnv(t)
	ctxA := app.NewContextWithTenant(context.Background(), e.A.T)
	// A draft change that is not published.
	p := e.A.SitePage
	p.Blocks[0].Heading = "Draft headline for approval"
	if _, err := e.App.Sites.SavePage(ctxA, p); err != nil {
		t.Fatal(err)
	}
	owner := map[string]string{"psid": e.A.Cookie}
	pagePath := "/sites/" + itoa64(e.A.Site.ID) + "/pages/" + itoa64(p.ID)
	st, body, _ := e.do(treq{Host: "portal", Method: http.MethodPost, Path: pagePath + "/share", Cookies: owner, CSRF: true, Form: url.Values{"hours": {"24"}}})
	link := html.UnescapeString(firstMatch(regexp.MustCompile(`id="share_url" readonly value="([^"]+)"`), body))
	if st != http.StatusOK || !strings.Contains(link, "/site-preview/") {
		t.Fatalf("share: %d %q", st, link)
	}
	u, _ := url.Parse(link)
	st, body, resp := e.do(treq{Host: "portal", Method: http.MethodGet, Path: u.Path})
	if st != http.StatusOK || !strings.Contains(body, "Draft headline for approval") || !strings.Contains(body, `<meta name="robots" content="noindex">`) ||
		resp.Header.Get("X-Robots-Tag") == "" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("preview without sign-in: %d %v %.300s", st, resp.Header, body)
	}
	if !strings.Contains(body, `href="`+u.Path+`/theme.css"`) {
		t.Error("the preview does not link its theme")
	}
	if st, css, _ := e.do(treq{Host: "portal", Method: http.MethodGet, Path: u.Path + "/theme.css"}); st != http.StatusOK || !strings.Contains(css, "--primary:") {
		t.Errorf("preview theme: %d", st)
	}
	// The live site still shows the published version.
	if _, body, _ := e.do(treq{Host: "alpha-plumbing-site.localhost", Method: http.MethodGet, Path: "/"}); strings.Contains(body, "Draft headline") {
		t.Error("the draft went live")
	}
	// Tampered: another page's ID with the same signature, a cut token.
	tok := strings.TrimPrefix(u.Path, "/site-preview/")
	raw, _ := base64.RawURLEncoding.DecodeString(tok[:strings.IndexByte(tok, '.')])
	forged := strings.Replace(string(raw), "."+itoa64(p.ID)+".", "."+itoa64(e.B.SitePage.ID)+".", 1)
	forgedTok := base64.RawURLEncoding.EncodeToString([]byte(forged)) + tok[strings.IndexByte(tok, '.'):]
	for _, bad := range []string{forgedTok, tok[:len(tok)-2], "nonsense"} {
		if st, body, _ := e.do(treq{Host: "portal", Method: http.MethodGet, Path: "/site-preview/" + bad}); st != http.StatusNotFound || strings.Contains(body, "fixes pipes") {
			t.Errorf("tampered token %q: %d", bad, st)
		}
	}
	// Expired: signed with the server's key an hour ago.
	expired := sites.SignPreview(e.Server.SessionKey, sites.PreviewClaim{TenantID: e.A.T.ID, SiteID: e.A.Site.ID, PageID: p.ID, Expires: time.Now().Add(-time.Hour)})
	if st, body, _ := e.do(treq{Host: "portal", Method: http.MethodGet, Path: "/site-preview/" + expired}); st != http.StatusForbidden || !strings.Contains(body, "expired") || strings.Contains(body, "Draft headline") {
		t.Errorf("expired token: %d %.200s", st, body)
	}
	// The API makes one too; bad hours name the field; B's key cannot.
	api := "/api/v1/sites/" + itoa64(e.A.Site.ID) + "/pages/" + itoa64(p.ID) + "/preview-link"
	if st, _, raw := e.api("portal", http.MethodPost, api, e.A.KeyWrite, `{"hours":2}`); st != http.StatusCreated || !strings.Contains(raw, `/site-preview/`) || !strings.Contains(raw, `"expires_at"`) {
		t.Errorf("API link: %d %s", st, raw)
	}
	if st, _, raw := e.api("portal", http.MethodPost, api, e.A.KeyWrite, `{"hours":10000}`); st != http.StatusBadRequest || !strings.Contains(raw, `"field":"hours"`) {
		t.Errorf("API bad hours: %d %s", st, raw)
	}
	if st, _, _ := e.api("portal", http.MethodPost, api, e.B.KeyWrite, `{}`); st != http.StatusNotFound {
		t.Errorf("B's key on A's page: %d", st)
	}
}

// siteUpload is a multipart body with one file field "file" (and the
// CSRF field when csrf is set).
func siteUpload(t *testing.T, name string, data []byte, csrf string) (string, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	if csrf != "" {
		w.WriteField("_csrf", csrf)
	}
	fw, _ := w.CreateFormFile("file", name)
	fw.Write(data)
	w.Close()
	return b.String(), w.FormDataContentType()
}

// Image uploads: the type comes from the content (not the name), the size
// is capped, the image is stored with the site, kept across publishes and
// served on its host only; the editor and the API both upload.
func TestSites_ImageUploads(t *testing.T) {
	e := newTenantEnv(t)
	var png bytes.Buffer
	img := image.NewRGBA(image.Rect(0, 0, 4, 3))
	img.Set(1, 1, color.RGBA{200, 30, 30, 255})
	if err := pngenc.Encode(&png, img); err != nil {
		t.Fatal(err)
	}
	owner := map[string]string{"psid": e.A.Cookie}
	siteURL := "/sites/" + itoa64(e.A.Site.ID)
	// The editor: a PNG named .jpg is stored as the PNG it is.
	body, ct := siteUpload(t, "photo.jpg", png.Bytes(), e.csrfToken())
	st, resp, r := e.do(treq{Host: "portal", Method: http.MethodPost, Path: siteURL + "/media", Cookies: owner, CSRF: true, Raw: body, ContentType: ct})
	if st != http.StatusSeeOther {
		t.Fatalf("upload: %d %.300s", st, visible(resp))
	}
	_ = r
	_, page, _ := e.do(treq{Host: "portal", Method: http.MethodGet, Path: siteURL, Cookies: owner})
	path := firstMatch(regexp.MustCompile(`<td class="mono">(/_media/[0-9a-f]+\.png)</td>`), page)
	if path == "" {
		t.Fatalf("no uploaded image listed: %.300s", visible(page))
	}
	// Not an image (whatever its name), and too large: refused with the field.
	body, ct = siteUpload(t, "evil.png", []byte("<svg onload=alert(1)></svg>"), e.csrfToken())
	if st, resp, _ := e.do(treq{Host: "portal", Method: http.MethodPost, Path: siteURL + "/media", Cookies: owner, CSRF: true, Raw: body, ContentType: ct}); st != http.StatusBadRequest || !strings.Contains(resp, "is not a PNG, JPEG, GIF or WebP image") {
		t.Errorf("text named .png: %d %.200s", st, visible(resp))
	}
	big := append(bytes.Clone(png.Bytes()), make([]byte, sites.MaxMediaSize)...)
	body, ct = siteUpload(t, "big.png", big, e.csrfToken())
	if st, resp, _ := e.do(treq{Host: "portal", Method: http.MethodPost, Path: siteURL + "/media", Cookies: owner, CSRF: true, Raw: body, ContentType: ct}); st != http.StatusRequestEntityTooLarge || !strings.Contains(resp, "over 900 KB") {
		t.Errorf("too large: %d %.200s", st, visible(resp))
	}
	// The API lists and uploads; B's key sees none of A's.
	api := "/api/v1/sites/" + itoa64(e.A.Site.ID) + "/media"
	if st, _, raw := e.api("portal", http.MethodGet, api, e.A.KeyRead, ""); st != http.StatusOK || !strings.Contains(raw, `"path":"`+path+`"`) || !strings.Contains(raw, `"content_type":"image/png"`) {
		t.Errorf("API list: %d %s", st, raw)
	}
	body, ct = siteUpload(t, "x.gif", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), "")
	if st, raw, _ := e.do(treq{Host: "portal", Method: http.MethodPost, Path: api, Bearer: e.A.KeyWrite, Raw: body, ContentType: ct}); st != http.StatusCreated || !strings.Contains(raw, `"content_type":"image/gif"`) {
		t.Errorf("API upload: %d %s", st, raw)
	}
	body, ct = siteUpload(t, "x.png", []byte("hello"), "")
	if st, raw, _ := e.do(treq{Host: "portal", Method: http.MethodPost, Path: api, Bearer: e.A.KeyWrite, Raw: body, ContentType: ct}); st != http.StatusBadRequest || !strings.Contains(raw, `"field":"file"`) {
		t.Errorf("API not an image: %d %s", st, raw)
	}
	if st, _, _ := e.api("portal", http.MethodGet, api, e.B.KeyRead, ""); st != http.StatusNotFound {
		t.Errorf("B lists A's images: %d", st)
	}
	// Used by an image block and published: the page shows it, the host
	// serves it (kept by the publish), B's host does not.
	ctxA := app.NewContextWithTenant(context.Background(), e.A.T)
	p := e.A.SitePage
	p.Blocks = append(p.Blocks, sites.Block{Type: sites.BlockImage, Image: path, Alt: "A red dot"})
	if _, err := e.App.Sites.SavePage(ctxA, p); err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.Sites.Publish(ctxA, e.A.Site.ID, ""); err != nil {
		t.Fatal(err)
	}
	if _, body, _ := e.do(treq{Host: "alpha-plumbing-site.localhost", Method: http.MethodGet, Path: "/"}); !strings.Contains(body, `src="`+path+`"`) {
		t.Errorf("page without the image: %.300s", body)
	}
	st, got, resp2 := e.do(treq{Host: "alpha-plumbing-site.localhost", Method: http.MethodGet, Path: path})
	if st != http.StatusOK || got != png.String() || resp2.Header.Get("Content-Type") != "image/png" || !strings.Contains(resp2.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("image on the host: %d %q %v", st, resp2.Header.Get("Content-Type"), resp2.Header)
	}
	if st, _, _ := e.do(treq{Host: "bravo-plumbing-site.localhost", Method: http.MethodGet, Path: path}); st == http.StatusOK {
		t.Error("A's image is served on B's site")
	}
	// The editor's preview shows it from the editor's own address.
	if st, got, _ := e.do(treq{Host: "portal", Method: http.MethodGet, Path: siteURL + "/media/" + strings.TrimPrefix(path, sites.MediaPrefix), Cookies: owner}); st != http.StatusOK || got != png.String() {
		t.Errorf("editor media: %d", st)
	}
}

// A site without a custom domain on a subdomain of the agency's domain:
// offered in the editor, served once published, first come first served,
// the agency's own hosts refused; a certificate only while a site is
// published there.
func TestSites_AgencySubdomain(t *testing.T) {
	e := newTenantEnv(t)
	ctx := context.Background()
	sub := e.A.T.Slug + ".localhost"
	owner := map[string]string{"psid": e.A.Cookie}
	if _, body, _ := e.do(treq{Host: "portal", Method: http.MethodGet, Path: "/sites", Cookies: owner}); !strings.Contains(body, "<option>"+sub+"</option>") {
		t.Errorf("the editor does not offer %s", sub)
	}
	if err := e.App.Domains.Decide(ctx, "nobody.localhost"); err == nil {
		t.Error("a certificate for a subdomain no site claims")
	}
	st, _, raw := e.api("portal", http.MethodPost, "/api/v1/sites", e.A.KeyWrite, `{"name":"Sub site","domain":"`+sub+`"}`)
	if st != http.StatusCreated {
		t.Fatalf("site on %s: %d %s", sub, st, raw)
	}
	id := firstMatch(regexp.MustCompile(`"id":(\d+)`), raw)
	// Taken: B gets a conflict; the agency's hosts and deeper names are refused.
	if st, _, raw := e.api("portal", http.MethodPost, "/api/v1/sites", e.B.KeyWrite, `{"name":"Mine","domain":"`+sub+`"}`); st != http.StatusConflict {
		t.Errorf("B on A's subdomain: %d %s", st, raw)
	}
	for _, bad := range []string{"app.localhost", "nexus.localhost", "www.localhost", "a.b.localhost", "-x.localhost"} {
		if st, _, raw := e.api("portal", http.MethodPost, "/api/v1/sites", e.B.KeyWrite, `{"name":"Bad","domain":"`+bad+`"}`); st != http.StatusBadRequest || !strings.Contains(raw, `"field":"domain"`) {
			t.Errorf("%s: %d %s", bad, st, raw)
		}
	}
	if st, _, _ := e.do(treq{Host: sub, Method: http.MethodGet, Path: "/"}); st != http.StatusNotFound {
		t.Errorf("unpublished subdomain site: %d", st)
	}
	if st, _, raw := e.api("portal", http.MethodPost, "/api/v1/sites/"+id+"/publish", e.A.KeyWrite, ""); st != http.StatusOK {
		t.Fatalf("publish: %d %s", st, raw)
	}
	if st, body, _ := e.do(treq{Host: sub, Method: http.MethodGet, Path: "/"}); st != http.StatusOK || !strings.Contains(body, "Sub site") {
		t.Errorf("published subdomain site: %d %.200s", st, body)
	}
	if err := e.App.Domains.Decide(ctx, sub); err != nil {
		t.Errorf("no certificate for the published subdomain site: %v", err)
	}
	if err := e.App.Domains.Decide(ctx, "a.b.localhost"); err == nil {
		t.Error("a certificate for a deeper name")
	}
}

// FunnelBooking: a booking made in a funnel step's booking block counts
// as that step's conversion (the report's "booking") and sends the
// visitor on to the next step (a link the whole page follows, since the
// booking page is framed); the same booking page without the site page,
// or framed by no site, sends nobody anywhere.
func TestSites_FunnelBooking(t *testing.T) {
	e := newTenantEnv(t)
	e.addDomain("alpha-book.localhost", e.A.T.ID)
	host := "alpha-book.localhost"
	st, _, raw := e.api("portal", http.MethodPost, "/api/v1/sites", e.A.KeyWrite, `{"name":"Call funnel","domain":"alpha-book.localhost","template":"funnel","form_id":`+itoa64(e.A.FormID)+`}`)
	if st != http.StatusCreated {
		t.Fatalf("site from the funnel template: %d %s", st, raw)
	}
	id := firstMatch(regexp.MustCompile(`"id":(\d+)`), raw)
	if st, _, raw := e.api("portal", http.MethodPost, "/api/v1/sites/"+id+"/pages", e.A.KeyWrite, `{"template":"thank-you","slug":"welcome","title":"Welcome"}`); st != http.StatusCreated {
		t.Fatalf("a fourth step's page: %d %s", st, raw)
	}
	// The funnel goes on after the booking step: / -> thank-you -> book-a-call -> welcome.
	ctxA := app.NewContextWithTenant(context.Background(), e.A.T)
	svc := e.App.Sites
	siteID, _ := strconv.ParseInt(id, 10, 64)
	site, err := svc.Site(ctxA, siteID)
	if err != nil {
		t.Fatal(err)
	}
	site.Settings.Funnels = []sites.Funnel{{Name: "Call", Steps: []string{"", "thank-you", "book-a-call", "welcome"}}}
	if err := svc.UpdateSite(ctxA, site); err != nil {
		t.Fatal(err)
	}
	if st, _, raw := e.api("portal", http.MethodPost, "/api/v1/sites/"+id+"/publish", e.A.KeyWrite, ""); st != http.StatusOK {
		t.Fatalf("publish: %d %s", st, raw)
	}
	st, body, _ := e.do(treq{Host: host, Method: http.MethodGet, Path: "/book-a-call"})
	frame := html.UnescapeString(firstMatch(regexp.MustCompile(`<iframe class="booking" src="([^"]+)"`), body))
	if st != http.StatusOK || !strings.Contains(frame, "site_page=%2fbook-a-call") {
		t.Fatalf("booking step: %d, frame %q", st, frame)
	}
	u, _ := url.Parse(frame)
	st, body, _ = e.do(treq{Host: host, Method: http.MethodGet, Path: frame})
	if st != http.StatusOK || !strings.Contains(body, `name="site_page" value="/book-a-call"`) {
		t.Fatalf("framed booking page: %d %.300s", st, body)
	}
	slots := regexp.MustCompile(`name="start" value="([^"]+)"`).FindAllStringSubmatch(body, -1)
	if len(slots) < 3 {
		t.Fatalf("%d free slots on the booking page", len(slots))
	}
	book := func(host, start string, sitePage bool) (int, string) {
		t.Helper()
		f := url.Values{"name": {"Booked Visitor"}, "email": {"booked@example.com"}, "start": {start}, "tz": {"UTC"}}
		if sitePage {
			f.Set("site_page", "/book-a-call")
		}
		st, body, _ := e.do(treq{Host: host, Method: http.MethodPost, Path: u.Path, Form: f})
		return st, body
	}
	st, body = book(host, slots[0][1], true)
	if st != http.StatusCreated || !strings.Contains(body, `id="booking-continue" class="btn" href="/welcome" target="_top"`) || !strings.Contains(body, "booking-continue.") {
		t.Fatalf("booked in the funnel: %d %.400s", st, body)
	}
	js := firstMatch(regexp.MustCompile(`<script src="(/assets/js/booking-continue\.[^"]+)"`), body)
	if st, jsBody, _ := e.do(treq{Host: host, Method: http.MethodGet, Path: js}); st != http.StatusOK || !strings.Contains(jsBody, "window.top.location.href") {
		t.Fatalf("the continue script %q on the site's host: %d", js, st)
	}
	// Without the site page (the booking page opened on its own), and on
	// the client portal's host: booked, and nobody sent on.
	if st, body = book(host, slots[1][1], false); st != http.StatusCreated || strings.Contains(body, "booking-continue") {
		t.Fatalf("booked on its own: %d %.300s", st, body)
	}
	if st, body, _ := e.do(treq{Host: "portal", Method: http.MethodPost, Path: u.Path + "?tenant=" + e.A.T.Slug,
		Form: url.Values{"name": {"Portal Visitor"}, "email": {"portal@example.com"}, "start": {slots[2][1]}, "tz": {"UTC"}, "site_page": {"/book-a-call"}}}); st != http.StatusCreated || strings.Contains(body, "booking-continue") {
		t.Fatalf("booked on the portal host: %d %.300s", st, body)
	}
	if err := svc.Analytics.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	today := time.Now().UTC().Format(time.DateOnly)
	rep, err := svc.Report(ctxA, siteID, today, today)
	if err != nil {
		t.Fatal(err)
	}
	if p := rep.Page("book-a-call"); p.Conversions != 1 || p.Converters != 1 {
		t.Fatalf("the booking step's conversions: %+v", p)
	}
	found := false
	for _, f := range rep.Forms {
		found = found || f == (sites.NameCount{Name: "booking", Count: 1})
	}
	if !found {
		t.Fatalf("conversions by form: %+v", rep.Forms)
	}
}
