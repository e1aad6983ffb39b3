package ui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"orengen/app"
)

// scenario is one request and what its response must show (PocketBase's
// ApiScenario).
type scenario struct {
	Name            string
	Method          string
	Host            string
	URL             string
	Form            url.Values
	Headers         map[string]string
	As              string // "", "owner", "staff"
	WantStatus      int
	WantContains    []string
	WantNotContains []string
	WantLocation    string
	WantHeaders     map[string]string
}

func runScenarios(t *testing.T, scenarios []scenario) {
	for _, sc := range scenarios {
		t.Run(sc.Name, func(t *testing.T) {
			env := newTestEnv(t)
			b := env.browser()
			if sc.As != "" {
				b = env.signedIn(sc.As)
			}
			var resp *http.Response
			var body string
			if sc.Form != nil && sc.Form.Get("_csrf") == "auto" {
				sc.Form.Del("_csrf")
				resp, body = b.post(sc.Host, "/login", sc.URL, sc.Form)
			} else if len(sc.Headers) > 0 {
				req := httptest.NewRequest(sc.Method, "http://"+sc.Host+sc.URL, strings.NewReader(sc.Form.Encode()))
				req.Host = sc.Host
				for k, v := range sc.Headers {
					req.Header.Set(k, v)
				}
				resp, body = env.do(req)
			} else {
				resp, body = b.request(sc.Method, sc.Host, sc.URL, sc.Form)
			}
			if resp.StatusCode != sc.WantStatus {
				t.Fatalf("status = %d, want %d; body: %.300s", resp.StatusCode, sc.WantStatus, body)
			}
			for _, w := range sc.WantContains {
				if !strings.Contains(body, w) {
					t.Errorf("body lacks %q: %.400s", w, body)
				}
			}
			for _, w := range sc.WantNotContains {
				if strings.Contains(body, w) {
					t.Errorf("body contains %q", w)
				}
			}
			if sc.WantLocation != "" && resp.Header.Get("Location") != sc.WantLocation {
				t.Errorf("Location = %q, want %q", resp.Header.Get("Location"), sc.WantLocation)
			}
			for k, v := range sc.WantHeaders {
				if got := resp.Header.Get(k); !strings.Contains(got, v) {
					t.Errorf("header %s = %q, want it to contain %q", k, got, v)
				}
			}
		})
	}
}

func TestServer_Hosts(t *testing.T) {
	runScenarios(t, []scenario{
		{Name: "SiteHome", Method: "GET", Host: "localhost", URL: "/", WantStatus: 200,
			WantContains: []string{"<title>OrenGen: AI voice agents", `name="description"`, `id="lead-form"`, "demo-bar", `href="/pricing"`},
			WantHeaders:  map[string]string{"Content-Security-Policy": "script-src 'self'", "X-Content-Type-Options": "nosniff", "Cache-Control": "public"}},
		{Name: "SiteHomeWithPort", Method: "GET", Host: "localhost:8080", URL: "/", WantStatus: 200, WantContains: []string{"Every lead answered"}},
		{Name: "WWWRedirects", Method: "GET", Host: "www.localhost", URL: "/pricing?x=1", WantStatus: 301, WantLocation: "http://localhost/pricing?x=1"},
		{Name: "Services", Method: "GET", Host: "localhost", URL: "/services", WantStatus: 200, WantContains: []string{"AI voice agents"}},
		{Name: "Pricing", Method: "GET", Host: "localhost", URL: "/pricing", WantStatus: 200, WantContains: []string{"$697"}},
		{Name: "CaseStudies", Method: "GET", Host: "localhost", URL: "/case-studies", WantStatus: 200, WantContains: []string{"38%"}},
		{Name: "AboutHUB", Method: "GET", Host: "localhost", URL: "/about", WantStatus: 200, WantContains: []string{"Historically Underutilized Business"}},
		{Name: "Contact", Method: "GET", Host: "localhost", URL: "/contact", WantStatus: 200, WantContains: []string{"hello@orengen.io", `action="/leads"`}},
		{Name: "Sitemap", Method: "GET", Host: "localhost", URL: "/sitemap.xml", WantStatus: 200, WantContains: []string{"<loc>http://localhost/pricing</loc>"}},
		{Name: "Robots", Method: "GET", Host: "localhost", URL: "/robots.txt", WantStatus: 200, WantContains: []string{"Sitemap: http://localhost/sitemap.xml"}},
		{Name: "UnknownPage", Method: "GET", Host: "localhost", URL: "/nope", WantStatus: 404, WantContains: []string{"Page not found."}},
		{Name: "UnknownHost", Method: "GET", Host: "evil.example", URL: "/", WantStatus: 404, WantNotContains: []string{"OrenGen", "<html"}},
		{Name: "UnknownSubdomain", Method: "GET", Host: "api.localhost", URL: "/healthz", WantStatus: 404},
		{Name: "WrongMethod", Method: "DELETE", Host: "localhost", URL: "/", WantStatus: 405},
		{Name: "PortalLogin", Method: "GET", Host: "app.localhost", URL: "/login", WantStatus: 200, WantContains: []string{"Sign in", `name="_csrf"`}, WantNotContains: []string{"OrenGen", "logo"}},
		{Name: "PortalLoginRefused", Method: "POST", Host: "app.localhost", URL: "/login", Form: url.Values{"_csrf": {"auto"}, "email": {"a@b.co"}, "password": {"x"}}, WantStatus: 401, WantContains: []string{"Wrong email or password."}, WantNotContains: []string{"OrenGen"}},
		{Name: "NexusRedirectsToLogin", Method: "GET", Host: "nexus.localhost", URL: "/leads", WantStatus: 303, WantLocation: "/login?next=%2Fleads"},
		{Name: "NexusLoginPage", Method: "GET", Host: "nexus.localhost", URL: "/login", WantStatus: 200, WantContains: []string{"Sign in to Nexus"}},
		{Name: "NexusDashboard", Method: "GET", Host: "nexus.localhost", URL: "/", As: "owner", WantStatus: 200,
			WantContains: []string{"Dashboard", "Control Room", "Growth", "System", "owner@example.com"}, WantNotContains: []string{"coming " + "soon", "Coming " + "soon"}},
		{Name: "NexusLeads", Method: "GET", Host: "nexus.localhost", URL: "/leads", As: "staff", WantStatus: 200, WantContains: []string{"No leads yet."}},
		{Name: "NexusAdminsStaffCannotInvite", Method: "GET", Host: "nexus.localhost", URL: "/admins", As: "staff", WantStatus: 200, WantNotContains: []string{"Add an admin"}},
		{Name: "AssetsHashed", Method: "GET", Host: "localhost", URL: "/assets/css/site.nope.css", WantStatus: 404},
		{Name: "NexusLoginCompressed", Method: "GET", Host: "nexus.localhost", URL: "/login", Headers: map[string]string{"Accept-Encoding": "br"}, WantStatus: 200,
			WantHeaders: map[string]string{"Content-Encoding": "br"}},
		{Name: "SitePagePrecompressed", Method: "GET", Host: "localhost", URL: "/", Headers: map[string]string{"Accept-Encoding": "gzip"}, WantStatus: 200,
			WantHeaders: map[string]string{"Content-Encoding": "gzip"}},
		{Name: "HealthEveryHost", Method: "GET", Host: "app.localhost", URL: "/healthz", WantStatus: 200, WantContains: []string{`{"status":"ok"}`},
			WantNotContains: []string{`"database"`, `"version"`, `"uptime_seconds"`}},
	})
}

func TestServer_LoginFlow(t *testing.T) {
	env := newTestEnv(t)
	env.mustAdmin("boss@example.com", app.RoleOwner)
	b := env.browser()
	// Without a CSRF token the form is refused and nothing happens.
	resp, body := b.request("POST", "nexus.localhost", "/login", url.Values{"email": {"boss@example.com"}, "password": {testPassword}})
	if resp.StatusCode != 403 || !strings.Contains(body, "This form has expired") {
		t.Fatalf("no token: %d %.200s", resp.StatusCode, body)
	}
	// Cross-site posts are refused even with a token.
	tok := b.csrf("nexus.localhost", "/login")
	req := httptest.NewRequest("POST", "http://nexus.localhost/login", strings.NewReader(url.Values{"_csrf": {tok}, "email": {"boss@example.com"}, "password": {testPassword}}.Encode()))
	req.Host = "nexus.localhost"
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.AddCookie(&http.Cookie{Name: "csrf", Value: b.cookies["csrf"]})
	if resp, _ := env.do(req); resp.StatusCode != 403 {
		t.Fatalf("cross-site: %d", resp.StatusCode)
	}
	// Wrong password: the form again with a clear message.
	resp, body = b.post("nexus.localhost", "/login", "/login", url.Values{"email": {"boss@example.com"}, "password": {"wrong password"}})
	if resp.StatusCode != 401 || !strings.Contains(body, "Wrong email or password.") || !strings.Contains(body, `value="boss@example.com"`) {
		t.Fatalf("wrong password: %d %.300s", resp.StatusCode, body)
	}
	resp, _ = b.post("nexus.localhost", "/login", "/login", url.Values{"email": {"boss@example.com"}, "password": {testPassword}, "next": {"/leads"}})
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/leads" {
		t.Fatalf("login: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	var sc *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "orengen_session" {
			sc = c
		}
	}
	if sc == nil || !sc.HttpOnly || sc.SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie = %+v", sc)
	}
	if resp, body := b.request("GET", "nexus.localhost", "/leads", nil); resp.StatusCode != 200 || !strings.Contains(body, "Leads") {
		t.Fatalf("leads after login: %d", resp.StatusCode)
	}
	// An open redirect is not possible through next: //host, a
	// backslash, or a tab or newline a browser would drop ("/\t/evil"
	// becomes "//evil").
	for _, next := range []string{"//evil.example/", "/\\evil.example", "/\t/evil.example", "/\n/evil.example", "https://evil.example/"} {
		resp, _ = env.browser().post("nexus.localhost", "/login", "/login", url.Values{"email": {"boss@example.com"}, "password": {testPassword}, "next": {next}})
		if resp.Header.Get("Location") != "/" {
			t.Fatalf("next=%q: Location %q", next, resp.Header.Get("Location"))
		}
	}
	// The sign-in page's hidden next field keeps only a local path.
	if _, body := env.browser().request("GET", "nexus.localhost", "/login?next=/%09/evil.example", nil); !strings.Contains(body, `name="next" value="/"`) {
		t.Fatalf("login page next: %.500s", body)
	}
	resp, _ = env.browser().post("nexus.localhost", "/login", "/login", url.Values{"email": {"boss@example.com"}, "password": {testPassword}, "next": {"/leads?x=1"}})
	if resp.Header.Get("Location") != "/leads?x=1" {
		t.Fatalf("a local next: Location %q", resp.Header.Get("Location"))
	}
	// Sign out ends the session server-side.
	old := b.cookies["orengen_session"]
	b.post("nexus.localhost", "/", "/logout", url.Values{})
	b.cookies["orengen_session"] = old
	if resp, _ := b.request("GET", "nexus.localhost", "/", nil); resp.StatusCode != 303 {
		t.Fatalf("old session still works: %d", resp.StatusCode)
	}
}

// TestServer_LoginRateLimit: the attempt just before the limit still
// signs in; after the limit an unknown browser gets 429 with Retry-After
// and a code field (password plus two-factor code gets in), while a
// browser that signed in before is not slowed down.
func TestServer_LoginRateLimit(t *testing.T) {
	env := newTestEnv(t)
	env.mustAdmin("boss@example.com", app.RoleOwner)
	home := env.browser()
	if resp, _ := home.post("nexus.localhost", "/login", "/login", url.Values{"email": {"boss@example.com"}, "password": {testPassword}}); resp.StatusCode != 303 || home.cookies["orengen_device"] == "" {
		t.Fatalf("first sign-in: %d, device cookie %q", resp.StatusCode, home.cookies["orengen_device"])
	}
	b := env.browser()
	var resp *http.Response
	for i := 0; i < app.LoginFreeFailures-1; i++ {
		if resp, _ = b.post("nexus.localhost", "/login", "/login", url.Values{"email": {"boss@example.com"}, "password": {"nope"}}); resp.StatusCode != 401 {
			t.Fatalf("failure %d: %d", i, resp.StatusCode)
		}
	}
	if resp, _ = b.post("nexus.localhost", "/login", "/login", url.Values{"email": {"boss@example.com"}, "password": {testPassword}}); resp.StatusCode != 303 {
		t.Fatalf("the attempt just before the limit: %d, want 303", resp.StatusCode)
	}
	attacker := env.browser()
	for i := 0; i < app.LoginFreeFailures; i++ {
		resp, _ = attacker.post("nexus.localhost", "/login", "/login", url.Values{"email": {"boss@example.com"}, "password": {"nope"}})
	}
	resp, body := attacker.post("nexus.localhost", "/login", "/login", url.Values{"email": {"boss@example.com"}, "password": {testPassword}})
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" || !strings.Contains(body, `name="code"`) {
		t.Fatalf("status %d Retry-After %q, code field %v", resp.StatusCode, resp.Header.Get("Retry-After"), strings.Contains(body, `name="code"`))
	}
	// The owner's browser (signed out since, its device cookie kept).
	again := env.browser()
	again.cookies["orengen_device"] = home.cookies["orengen_device"]
	if resp, _ = again.post("nexus.localhost", "/login", "/login", url.Values{"email": {"boss@example.com"}, "password": {testPassword}}); resp.StatusCode != 303 {
		t.Fatalf("the owner's browser while slowed: %d", resp.StatusCode)
	}
}

func TestServer_SetupFlow(t *testing.T) {
	env := newTestEnv(t)
	tok, err := env.Auth.SetupToken(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	b := env.browser()
	path := "/setup?token=" + url.QueryEscape(tok)
	resp, body := b.post("nexus.localhost", path, "/setup", url.Values{"token": {tok}, "email": {"me@example.com"}, "password": {testPassword}, "confirm": {"different password"}})
	if resp.StatusCode != 400 || !strings.Contains(body, "do not match") {
		t.Fatalf("mismatch: %d %.300s", resp.StatusCode, body)
	}
	resp, _ = b.post("nexus.localhost", path, "/setup", url.Values{"token": {tok}, "email": {"me@example.com"}, "password": {testPassword}, "confirm": {testPassword}})
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/" {
		t.Fatalf("setup: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// Signed in at once: the dashboard opens without a login.
	if resp, body := b.request("GET", "nexus.localhost", "/", nil); resp.StatusCode != 200 || !strings.Contains(body, "Signed in as me@example.com") || !strings.Contains(body, "you are signed in") {
		t.Fatalf("after setup: %d %.300s", resp.StatusCode, body)
	}
	if resp, body := b.request("GET", "nexus.localhost", path, nil); resp.StatusCode != 404 || !strings.Contains(body, "invalid, expired or already used") {
		t.Fatalf("reused link: %d", resp.StatusCode)
	}
}

func TestServer_LeadForm(t *testing.T) {
	env := newTestEnv(t)
	b := env.browser()
	post := func(form url.Values) (*http.Response, string) {
		return b.request("POST", "localhost", "/leads", form)
	}
	resp, body := post(url.Values{"first_name": {""}, "email": {"x@example.com"}, "page": {""}})
	if resp.StatusCode != 400 || !strings.Contains(body, "First name required.") || !strings.Contains(body, `value="x@example.com"`) {
		t.Fatalf("invalid: %d %.300s", resp.StatusCode, body)
	}
	if resp, _ := post(url.Values{"first_name": {"Bot"}, "email": {"bot@example.com"}, "website": {"http://spam"}}); resp.StatusCode != 400 {
		t.Fatalf("honeypot: %d", resp.StatusCode)
	}
	if _, n, _ := env.Server.Leads.ListLeads(t.Context(), 10); n != 0 {
		t.Fatalf("%d leads written by bad submissions", n)
	}
	resp, _ = post(url.Values{"first_name": {"Ann"}, "last_name": {"Lee"}, "email": {"ann@example.com"}, "phone": {"+1 512 555 0100"}})
	if resp.StatusCode != 303 || resp.Header.Get("Location") != "/thanks" {
		t.Fatalf("valid: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	leads, n, _ := env.Server.Leads.ListLeads(t.Context(), 10)
	if n != 1 || leads[0].Email != "ann@example.com" {
		t.Fatalf("leads = %d %+v", n, leads)
	}
	// A cross-site post is refused.
	req := httptest.NewRequest("POST", "http://localhost/leads", strings.NewReader("first_name=X&email=x@example.com"))
	req.Host = "localhost"
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	if resp, _ := env.do(req); resp.StatusCode != 403 {
		t.Fatalf("cross-origin lead: %d", resp.StatusCode)
	}
	// The lead shows in Nexus.
	admin := env.signedIn(app.RoleOwner)
	if _, body := admin.request("GET", "nexus.localhost", "/leads", nil); !strings.Contains(body, "ann@example.com") {
		t.Fatal("lead not listed in Nexus")
	}
}

func TestServer_SiteEditor(t *testing.T) {
	env := newTestEnv(t)
	b := env.signedIn(app.RoleOwner)
	// The marketing site's pages moved into Websites & Funnels: the old
	// editor leads there and refuses to save pages the site no longer shows.
	resp, _ := b.request("GET", "nexus.localhost", "/site/pricing", nil)
	if resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/sites/") {
		t.Fatalf("old editor: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	siteURL := resp.Header.Get("Location")
	resp, body := b.post("nexus.localhost", siteURL, "/site", url.Values{"slug": {"pricing"}, "title": {"New pricing"}, "blocks": {"[]"}})
	if resp.StatusCode != 409 || !strings.Contains(body, "Websites &amp; Funnels") {
		t.Fatalf("old editor save: %d %.300s", resp.StatusCode, body)
	}
	if _, body := b.request("GET", "localhost", "/pricing", nil); !strings.Contains(body, "<title>Pricing") {
		t.Fatal("pricing page missing")
	}
	// The page is edited in the builder; published, the change is live at
	// once (the served copy is swapped with the revision).
	_, body = b.request("GET", "nexus.localhost", siteURL, nil)
	m := regexp.MustCompile(`href="(` + regexp.QuoteMeta(siteURL) + `/pages/[0-9]+)">Pricing</a>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no pricing page in the builder: %.500s", body)
	}
	resp, body = b.post("nexus.localhost", m[1], m[1], url.Values{"title": {"New pricing"}, "slug": {"pricing"}, "order": {"0"},
		"b0_id": {"b1"}, "b0_type": {"hero"}, "b0_heading": {"Cheaper now"}, "publish": {"1"}})
	if resp.StatusCode != 303 {
		t.Fatalf("save: %d %.300s", resp.StatusCode, body)
	}
	if _, body := b.request("GET", "localhost", "/pricing", nil); !strings.Contains(body, "Cheaper now") || !strings.Contains(body, "<title>New pricing") {
		t.Fatalf("edit not live: %.300s", body)
	}
}

func TestServer_PanicIs500(t *testing.T) {
	env := newTestEnv(t)
	env.Server.Site = app.NewSiteService(panicSite{env.App.Stores.Site})
	env.reopen()
	req := httptest.NewRequest("GET", "http://localhost/thanks", nil) // rendered with the site settings' layout
	req.Host = "localhost"
	resp, body := env.do(req)
	if resp.StatusCode != 500 || strings.Contains(body, "boom") {
		t.Fatalf("status %d body %.200s", resp.StatusCode, body)
	}
}

type panicSite struct{ app.SiteStore }

func (panicSite) FindPages(context.Context) ([]*app.Page, error) { panic("boom") }

func TestDomains_TenantMustExist(t *testing.T) {
	env := newTestEnv(t)
	b := env.signedIn(app.RoleOwner)
	resp, body := b.post("nexus.localhost", "/domains", "/domains", url.Values{"name": {"portal.client.com"}, "tenant_id": {"999"}})
	if resp.StatusCode != 400 || !strings.Contains(body, "No tenant has ID 999.") {
		t.Fatalf("unknown tenant: %d", resp.StatusCode)
	}
	if ds, _ := env.Server.Domains.FindDomains(t.Context()); len(ds) != 0 {
		t.Fatalf("a domain was written: %+v", ds)
	}
	// Client tenants are offered in the form.
	tn := &app.Tenant{Name: "Bravo Dental"}
	if err := env.Server.Tenants.CreateTenant(t.Context(), tn, ""); err != nil {
		t.Fatal(err)
	}
	_, body = b.request("GET", "nexus.localhost", "/domains", nil)
	if !strings.Contains(body, "Bravo Dental (bravo-dental)") {
		t.Fatalf("tenant not offered: %.500s", body)
	}
	resp, _ = b.post("nexus.localhost", "/domains", "/domains", url.Values{"name": {"portal.bravo.com"}, "tenant_id": {fmt.Sprint(tn.ID)}})
	if resp.StatusCode != 303 {
		t.Fatalf("add for the tenant: %d", resp.StatusCode)
	}
	if _, body = b.request("GET", "nexus.localhost", "/domains", nil); !strings.Contains(body, "<td>Bravo Dental</td>") {
		t.Fatal("tenant name not shown for its domain")
	}
}
