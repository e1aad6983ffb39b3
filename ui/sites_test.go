package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"orengen/app"
	"orengen/app/sites"
)

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
	pages, err := svc.Store.FindPages(ctx, s.ID)
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
	e.publishSite(e.A, "alpha-site.localhost")

	status, body, resp := e.do(treq{Host: "alpha-site.localhost", Method: http.MethodGet, Path: "/"})
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
	if st, _, _ := e.do(treq{Host: "alpha-site.localhost", Method: http.MethodGet, Path: "/", Header: map[string]string{"If-None-Match": etag}}); st != http.StatusNotModified {
		t.Errorf("If-None-Match: %d, want 304", st)
	}
	if _, _, r := e.do(treq{Host: "alpha-site.localhost", Method: http.MethodGet, Path: "/about", Header: map[string]string{"Accept-Encoding": "br, gzip"}}); r.Header.Get("Content-Encoding") != "br" {
		t.Errorf("compressed page: encoding %q", r.Header.Get("Content-Encoding"))
	}
	if st, body, _ := e.do(treq{Host: "alpha-site.localhost", Method: http.MethodGet, Path: "/missing"}); st != http.StatusNotFound || !strings.Contains(body, "Page not found") || !strings.Contains(body, `href="/about"`) {
		t.Errorf("404: %d %.200s", st, body)
	}
	if st, body, _ := e.do(treq{Host: "alpha-site.localhost", Method: http.MethodGet, Path: "/sitemap.xml"}); st != http.StatusOK || !strings.Contains(body, "<loc>http://alpha-site.localhost/about</loc>") {
		t.Errorf("sitemap: %d %s", st, body)
	}
	if st, body, _ := e.do(treq{Host: "alpha-site.localhost", Method: http.MethodGet, Path: "/robots.txt"}); st != http.StatusOK || !strings.Contains(body, "Sitemap: http://alpha-site.localhost/sitemap.xml") {
		t.Errorf("robots: %d %s", st, body)
	}
	if st, body, _ := e.do(treq{Host: "alpha-site.localhost", Method: http.MethodGet, Path: sites.PathTheme}); st != http.StatusOK || !strings.Contains(body, "--primary:") {
		t.Errorf("theme: %d %.100s", st, body)
	}

	// The form block posts into A's CRM and comes back to its note.
	ctxA := app.NewContextWithTenant(context.Background(), e.A.T)
	before, _ := e.Server.Forms.Store.CountSubmissions(ctxA)
	form := url.Values{"_page": {"/"}, "_block": {"quote"}, "name": {"Visitor One"}, "email": {"visitor@example.com"}}
	st, _, r := e.do(treq{Host: "alpha-site.localhost", Method: http.MethodPost, Path: "/_form/" + itoa64(e.A.FormID), Form: form})
	if st != http.StatusSeeOther || r.Header.Get("Location") != "/#sent-quote" {
		t.Fatalf("form post: %d %q", st, r.Header.Get("Location"))
	}
	after, _ := e.Server.Forms.Store.CountSubmissions(ctxA)
	if after[e.A.FormID] != before[e.A.FormID]+1 {
		t.Errorf("submissions %d -> %d", before[e.A.FormID], after[e.A.FormID])
	}
	// A bad email shows the page again with the message, nothing stored.
	form.Set("email", "not-an-email")
	if st, body, _ := e.do(treq{Host: "alpha-site.localhost", Method: http.MethodPost, Path: "/_form/" + itoa64(e.A.FormID), Form: form}); st != http.StatusBadRequest || !strings.Contains(body, `role="alert"`) || !strings.Contains(body, "fixes pipes") {
		t.Errorf("bad form post: %d %.300s", st, body)
	}
	// B's form on A's site is not found; nothing is stored for B.
	ctxB := app.NewContextWithTenant(context.Background(), e.B.T)
	bBefore, _ := e.Server.Forms.Store.CountSubmissions(ctxB)
	form.Set("email", "x@example.com")
	if st, _, _ := e.do(treq{Host: "alpha-site.localhost", Method: http.MethodPost, Path: "/_form/" + itoa64(e.B.FormID), Form: form}); st != http.StatusNotFound {
		t.Errorf("B's form on A's site: %d, want 404", st)
	}
	if bAfter, _ := e.Server.Forms.Store.CountSubmissions(ctxB); bAfter[e.B.FormID] != bBefore[e.B.FormID] {
		t.Error("a post on A's site stored a submission of B's form")
	}
	// The hosted form of B is not served on A's site either.
	if st, _, _ := e.do(treq{Host: "alpha-site.localhost", Method: http.MethodGet, Path: "/f/" + itoa64(e.B.FormID)}); st != http.StatusNotFound {
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
