package ui

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"orengen/app"
	"orengen/store"
)

// domainsResolver answers every name with one address and no TXT.
type domainsResolver struct{}

func (domainsResolver) LookupIP(context.Context, string, string) ([]net.IP, error) {
	return []net.IP{net.ParseIP("203.0.113.7")}, nil
}

func (domainsResolver) LookupTXT(_ context.Context, name string) ([]string, error) {
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

// domainsTestServer is a Server on a temp database with an owner and a
// staff admin signed in (their session IDs are returned).
func domainsTestServer(t *testing.T) (s *Server, owner, staff string) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db := store.NewDB(filepath.Join(dir, "orengen.db"))
	if err := db.Open(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	kv := store.NewKV(filepath.Join(dir, "redka.db"))
	if err := kv.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kv.Close() })
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	admins := store.NewAdminStore(db)
	sessions := store.NewSessionStore(kv)
	s = &Server{
		Domain:     "agency.test",
		Logger:     logger,
		SessionKey: []byte(strings.Repeat("k", 32)),
		Auth:       &app.AuthService{Admins: admins, Sessions: sessions, Limiter: store.NewRateLimiter(kv), Logger: logger},
		Site:       app.NewSiteService(store.NewSiteStore(db)),
		Leads:      app.NewLeadService(store.NewLeadStore(db), nil),
	}
	s.Domains = app.NewDomainService(store.NewDomainStore(db))
	s.Domains.Resolver, s.Domains.Domain, s.Domains.Logger = domainsResolver{}, "agency.test", logger
	s.Domains.PublicIPs = []netip.Addr{netip.MustParseAddr("203.0.113.7"), netip.MustParseAddr("2001:db8::7")}
	if err := s.Open(); err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for _, role := range []string{app.RoleOwner, app.RoleStaff} {
		a := &app.Admin{Email: role + "@agency.test", Role: role, PasswordHash: "x"}
		if err := admins.CreateAdmin(ctx, a); err != nil {
			t.Fatal(err)
		}
		id := app.RandomToken(24)
		if err := sessions.CreateSession(ctx, &app.Session{ID: id, AdminID: a.ID, CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		ids[role] = id
	}
	return s, ids[app.RoleOwner], ids[app.RoleStaff]
}

type domainScenario struct {
	Name            string
	Method, URL     string
	Form            url.Values
	Session         string
	NoCSRF          bool
	WantStatus      int
	WantContains    []string
	WantNotContains []string
	WantLocation    string
}

func (sc domainScenario) run(t *testing.T, s *Server) string {
	t.Helper()
	nonce := strings.Repeat("n", 24)
	form := url.Values{}
	for k, v := range sc.Form {
		form[k] = v
	}
	if !sc.NoCSRF {
		form.Set("_csrf", csrfFor(s.SessionKey, nonce))
	}
	var body io.Reader
	if sc.Method == http.MethodPost {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(sc.Method, sc.URL, body)
	req.Host = "nexus.agency.test"
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.AddCookie(&http.Cookie{Name: "csrf", Value: nonce})
	if sc.Session != "" {
		req.AddCookie(&http.Cookie{Name: "orengen_session", Value: sc.Session})
	}
	resp, err := s.Handler().Test(req, 10000)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	html := string(b)
	if resp.StatusCode != sc.WantStatus {
		t.Fatalf("%s: status %d, want %d\n%s", sc.Name, resp.StatusCode, sc.WantStatus, html)
	}
	if sc.WantLocation != "" && resp.Header.Get("Location") != sc.WantLocation {
		t.Errorf("%s: Location %q, want %q", sc.Name, resp.Header.Get("Location"), sc.WantLocation)
	}
	for _, w := range sc.WantContains {
		if !strings.Contains(html, w) {
			t.Errorf("%s: body lacks %q", sc.Name, w)
		}
	}
	for _, w := range sc.WantNotContains {
		if strings.Contains(html, w) {
			t.Errorf("%s: body has %q", sc.Name, w)
		}
	}
	return html
}

func TestDomainsPage(t *testing.T) {
	s, owner, staff := domainsTestServer(t)
	add := func(name, tenant string) url.Values { return url.Values{"name": {name}, "tenant_id": {tenant}} }
	for _, sc := range []domainScenario{
		{Name: "AnonymousView", Method: "GET", URL: "/domains", WantStatus: 303, WantLocation: "/login?next=%2Fdomains"},
		{Name: "AnonymousAdd", Method: "POST", URL: "/domains", Form: add("a.client.com", ""), WantStatus: 401},
		{Name: "View", Method: "GET", URL: "/domains", Session: owner, WantStatus: 200,
			WantContains:    []string{"agency.test", "www.agency.test", "app.agency.test", "nexus.agency.test", "TLS is off", "Check DNS now", `href="/domains"`, "Infrastructure"},
			WantNotContains: []string{"public IP addresses are not set"}},
		{Name: "AddValid", Method: "POST", URL: "/domains", Session: owner, Form: add(" Portal.Client.COM ", "7"), WantStatus: 303, WantLocation: "/domains"},
		{Name: "ShowsRecords", Method: "GET", URL: "/domains", Session: owner, WantStatus: 200,
			WantContains: []string{"portal.client.com", "_orengen-verify.portal.client.com", "<td>#7</td>", "<td>A</td>", "203.0.113.7", "<td>AAAA</td>", "2001:db8::7", "pending"}},
		{Name: "Duplicate", Method: "POST", URL: "/domains", Session: owner, Form: add("portal.client.com.", ""), WantStatus: 409,
			WantContains: []string{"portal.client.com is already registered."}},
		{Name: "IPLiteral", Method: "POST", URL: "/domains", Session: owner, Form: add("203.0.113.9", ""), WantStatus: 400,
			WantContains: []string{"An IP address is not a domain name.", `id="name" name="name" required placeholder="portal.client.com" value="203.0.113.9" aria-invalid="true"`}},
		{Name: "OwnHost", Method: "POST", URL: "/domains", Session: owner, Form: add("nexus.agency.test", ""), WantStatus: 400,
			WantContains: []string{"one of this server&#39;s own hosts"}},
		{Name: "Wildcard", Method: "POST", URL: "/domains", Session: owner, Form: add("*.client.com", ""), WantStatus: 400,
			WantContains: []string{"Wildcard domains are not supported"}},
		{Name: "BadLabel", Method: "POST", URL: "/domains", Session: owner, Form: add("bad_label.client.com", ""), WantStatus: 400,
			WantContains: []string{"only letters, digits, hyphens and dots"}},
		{Name: "BadTenant", Method: "POST", URL: "/domains", Session: owner, Form: add("b.client.com", "abc"), WantStatus: 400,
			WantContains: []string{"Tenant must be a positive number", `aria-invalid="true"`}},
		{Name: "StaffCannotAdd", Method: "POST", URL: "/domains", Session: staff, Form: add("c.client.com", ""), WantStatus: 403},
		{Name: "NoCSRF", Method: "POST", URL: "/domains", Session: owner, Form: add("d.client.com", ""), NoCSRF: true, WantStatus: 403},
		{Name: "NothingHalfWritten", Method: "GET", URL: "/domains", Session: owner, WantStatus: 200,
			WantNotContains: []string{"b.client.com", "c.client.com", "d.client.com", "203.0.113.9<"}},
		{Name: "CheckDNS", Method: "POST", URL: "/domains/check", Session: owner, WantStatus: 303, WantLocation: "/domains"},
		{Name: "Checked", Method: "GET", URL: "/domains", Session: owner, WantStatus: 200,
			WantContains: []string{"points here", `<span class="pill ok">active</span>`}},
	} {
		sc.run(t, s)
	}

	ds, err := s.Domains.FindDomains(context.Background())
	if err != nil || len(ds) != 1 || ds[0].TenantID == nil || *ds[0].TenantID != 7 || !ds[0].Servable() {
		t.Fatalf("domains after the scenarios: %+v, %v", ds, err)
	}
	id := ds[0].ID
	for _, sc := range []domainScenario{
		{Name: "StaffCannotRemove", Method: "POST", URL: "/domains/" + strconv.FormatInt(id, 10) + "/delete", Session: staff, WantStatus: 403},
		{Name: "Disable", Method: "POST", URL: "/domains/" + strconv.FormatInt(id, 10) + "/disable", Session: owner, WantStatus: 303},
		{Name: "Remove", Method: "POST", URL: "/domains/" + strconv.FormatInt(id, 10) + "/delete", Session: owner, WantStatus: 303, WantLocation: "/domains"},
		{Name: "RemoveAgain", Method: "POST", URL: "/domains/" + strconv.FormatInt(id, 10) + "/delete", Session: owner, WantStatus: 404},
		{Name: "Gone", Method: "GET", URL: "/domains", Session: owner, WantStatus: 200, WantNotContains: []string{"<b>portal.client.com</b>", "_orengen-verify.portal.client.com"}},
	} {
		sc.run(t, s)
	}
	if err := s.Domains.Decide(context.Background(), "portal.client.com"); app.ErrorCode(err) != app.EFORBIDDEN {
		t.Fatalf("removed domain still allowed a certificate: %v", err)
	}
}

func TestRedirectWWW(t *testing.T) {
	s, _, _ := domainsTestServer(t)
	s.Secure, s.PublicPort = true, ""
	if err := s.Open(); err != nil { // the handlers take the fields at Open
		t.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/pricing?plan=pro", nil)
	req.Host = "www.agency.test"
	resp, err := s.Handler().Test(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 301 || resp.Header.Get("Location") != "https://agency.test/pricing?plan=pro" || resp.Header.Get("Strict-Transport-Security") == "" {
		t.Fatalf("www: %d %q HSTS %q", resp.StatusCode, resp.Header.Get("Location"), resp.Header.Get("Strict-Transport-Security"))
	}
}

// csrfFor is the CSRF token of a nonce under key (web.Kit's scheme).
func csrfFor(key []byte, nonce string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("csrf|" + nonce))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
