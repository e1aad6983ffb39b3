package ui_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/url"
	"orengen/ui/web"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/pquerna/otp/totp"

	"orengen/app"
	"orengen/ui"
)

// agencyBrandStrings are strings that must never appear in a tenant's portal.
var agencyBrandStrings = []string{"OrenGen", "orengen", "img/logo", "Nexus"}

func assertTenantWhiteLabel(t *testing.T, what, body string, tn *app.Tenant) {
	t.Helper()
	if !strings.Contains(body, tn.BrandName()) {
		t.Errorf("%s: does not show the tenant's name %q", what, tn.BrandName())
	}
	for _, b := range agencyBrandStrings {
		if strings.Contains(body, b) {
			t.Errorf("%s: shows the agency's brand %q", what, b)
		}
	}
	if strings.Contains(body, " style=") || strings.Contains(body, "<style") {
		t.Errorf("%s: has inline style (the CSP is style-src 'self')", what)
	}
}

// Every portal page a signed-in user can open shows the tenant's brand
// and never the agency's, on app.DOMAIN and on the tenant's own domain.
func TestPortal_WhiteLabel(t *testing.T) {
	e := newTenantEnv(t)
	e.addDomain("portal.alpha.test", e.A.T.ID)
	// A logo, so its URL is on every page.
	if err := e.Server.Tenants.SetLogo(context.Background(), e.A.T.ID, tenantPNG(t, 8)); err != nil {
		t.Fatal(err)
	}
	tn, _ := e.Server.Tenants.TenantByID(context.Background(), e.A.T.ID)
	pages := 0
	for _, host := range []string{ui.HostPortal, "portal.alpha.test"} {
		for _, r := range e.Server.Routes(ui.HostPortal) {
			if r.Method != http.MethodGet || strings.HasPrefix(r.Path, "/api/") || strings.HasPrefix(r.Path, "/rest/") || r.Path == "/graphql" || r.Path == "/mcp" || r.Path == "/assets/*" || r.Path == "/healthz" || r.Path == "/logo" || r.Path == "/brand.css" || strings.HasSuffix(r.Path, ".csv") ||
				r.Path == "/embed.js" || r.Path == "/f/:id/brand.css" || r.Path == "/f/:id/logo" {
				continue
			}
			p := strings.ReplaceAll(r.Path, ":id", strconv.FormatInt(e.A.Lead.ID, 10))
			if strings.HasPrefix(r.Path, "/f/") || strings.HasPrefix(r.Path, "/forms/") {
				p = strings.ReplaceAll(r.Path, ":id", strconv.FormatInt(e.A.FormID, 10))
			}
			status, body, resp := e.do(treq{Host: host, Method: "GET", Path: p, Cookies: map[string]string{"psid": e.A.Cookie}})
			if status == http.StatusSeeOther {
				// Signed-in users are sent from /login to the overview.
				continue
			}
			if status == http.StatusOK && !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
				continue // a download (a file, a zip, a workbook, a chart), not a page
			}
			if status == http.StatusNoContent {
				continue // an event stream asked for without Accept: text/event-stream, not a page
			}
			pages++
			if status >= 500 {
				t.Errorf("%s %s: status %d", host, p, status)
			}
			assertTenantWhiteLabel(t, host+p, body, tn)
			if !strings.Contains(body, "/brand.css?v="+tn.BrandVersion()) || !strings.Contains(body, "/logo?v="+tn.LogoHash) {
				t.Errorf("%s %s: no brand stylesheet or logo", host, p)
			}
			if resp.Header.Get("Content-Security-Policy") == "" {
				t.Errorf("%s %s: no CSP", host, p)
			}
		}
		// Error pages too.
		_, body, _ := e.do(treq{Host: host, Method: "GET", Path: "/leads/999999", Cookies: map[string]string{"psid": e.A.Cookie}})
		assertTenantWhiteLabel(t, host+" 404 page", body, tn)
	}
	if pages < 10 {
		t.Fatalf("only %d portal pages checked", pages)
	}
	// On its own domain the tenant's brand shows before sign-in.
	_, body, _ := e.do(treq{Host: "portal.alpha.test", Method: "GET", Path: "/login"})
	assertTenantWhiteLabel(t, "custom domain login", body, tn)
	_, css, resp := e.do(treq{Host: "portal.alpha.test", Method: "GET", Path: "/brand.css?v=" + tn.BrandVersion()})
	if !strings.Contains(css, "--brand:"+tn.PrimaryColor) || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") {
		t.Errorf("brand.css = %q (%s)", css, resp.Header.Get("Content-Type"))
	}
	// On app.DOMAIN before sign-in: neutral, never the agency.
	_, body, _ = e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/login"})
	for _, b := range agencyBrandStrings {
		if strings.Contains(body, b) {
			t.Errorf("anonymous portal login shows %q", b)
		}
	}
	// The invitation email carries the tenant's brand only.
	ctx := app.NewContextWithAdmin(app.NewContextWithTenant(context.Background(), e.A.T), e.Admin)
	if _, err := e.Server.Users.Invite(ctx, "new@alpha.test", "New", app.UserRoleMember); err != nil {
		t.Fatal(err)
	}
	msgs, _, _ := e.Outbox.FindOutboxMessages(context.Background(), 1)
	m := msgs[0]
	assertTenantWhiteLabel(t, "invitation email", m.Subject+m.FromName+m.Body, tn)
}

func tenantPNG(t *testing.T, n int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, n, n))
	img.Set(1, 1, color.RGBA{200, 10, 10, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestPortal_Login(t *testing.T) {
	e := newTenantEnv(t)
	login := func(host, email, pw, ip string) (int, string, *http.Response) {
		return e.do(treq{Host: host, Method: "POST", Path: "/login", CSRF: true, Form: url.Values{"email": {email}, "password": {pw}},
			Cookies: map[string]string{}, Bearer: ""})
	}
	// The member signs in once: their browser becomes trusted.
	_, _, first := login(ui.HostPortal, e.A.Member.Email, tenantTestPassword, "")
	memberDevice := tenantCookie(first, "orengen_device")
	st, _, resp := login(ui.HostPortal, e.A.Owner.Email, tenantTestPassword, "")
	if st != http.StatusSeeOther || tenantCookie(resp, "psid") == "" || tenantCookie(resp, "orengen_device") == "" {
		t.Fatalf("login: status %d, cookies %q", st, resp.Header.Values("Set-Cookie"))
	}
	// Wrong password and unknown account: the same message.
	st1, b1, _ := login(ui.HostPortal, e.A.Owner.Email, "wrong password!", "")
	st2, b2, _ := login(ui.HostPortal, "nobody@nowhere.test", "wrong password!", "")
	if st1 != 401 || st2 != 401 || !strings.Contains(b1, "Wrong email or password.") || !strings.Contains(b2, "Wrong email or password.") {
		t.Errorf("bad logins: %d %d", st1, st2)
	}
	// On A's custom domain, B's user cannot sign in (same message).
	e.addDomain("portal.alpha.test", e.A.T.ID)
	if st, b, _ := login("portal.alpha.test", e.B.Owner.Email, tenantTestPassword, ""); st != 401 || !strings.Contains(b, "Wrong email or password.") {
		t.Errorf("B's user on A's domain: %d", st)
	}
	// Suspended tenant: no login, and live sessions stop working.
	sus := app.TenantSuspended
	if _, err := e.Server.Tenants.UpdateTenant(context.Background(), e.B.T.ID, app.TenantUpdate{Status: &sus}); err != nil {
		t.Fatal(err)
	}
	if st, _, _ := login(ui.HostPortal, e.B.Member.Email, tenantTestPassword, ""); st != 401 {
		t.Errorf("suspended tenant's user logged in: %d", st)
	}
	if st, _, resp := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/", Cookies: map[string]string{"psid": e.B.Cookie}}); st != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Errorf("suspended tenant's session: %d", st)
	}
	if st, _, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/api/v1/me", Bearer: e.B.KeyRead}); st != 401 {
		t.Errorf("suspended tenant's key: %d", st)
	}
	// Too many failures for one account: 429 with Retry-After.
	var last *http.Response
	for i := 0; i < app.LoginLimitPerEmail+1; i++ {
		st, _, last = login(ui.HostPortal, e.A.Member.Email, "wrong password!", "")
	}
	if st != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" {
		t.Errorf("after too many failures: status %d, Retry-After %q", st, last.Header.Get("Retry-After"))
	}
	// Slowed for unknown browsers, not for the member's own.
	if st, _, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/login", CSRF: true, Form: url.Values{"email": {e.A.Member.Email}, "password": {tenantTestPassword}},
		Cookies: map[string]string{"orengen_device": memberDevice}}); memberDevice == "" || st != http.StatusSeeOther {
		t.Errorf("the member's own browser while slowed: %d (device %q)", st, memberDevice)
	}
	// The member was told by email, once.
	msgs, _, _ := e.Outbox.FindOutboxMessages(context.Background(), 50)
	alerts := 0
	for _, m := range msgs {
		if m.To == e.A.Member.Email && m.Subject == "Failed sign-ins to your account" {
			alerts++
		}
	}
	if alerts != 1 {
		t.Errorf("%d alert emails to the member, want 1", alerts)
	}
	entries, _, _ := e.Server.Audit.Store.FindAuditEntries(context.Background(), app.AuditFilter{Action: "login", Limit: 100})
	var ok, failed int
	for _, en := range entries {
		switch en.Action {
		case "login":
			ok++
		case "login.failed":
			failed++
		}
	}
	if ok != 3 || failed < 5 { // the member twice, the owner once
		t.Errorf("audit: %d logins, %d failures", ok, failed)
	}
}

func TestPortal_TwoFactor(t *testing.T) {
	e := newTenantEnv(t)
	ctx := app.NewContextWithUser(app.NewContextWithTenant(context.Background(), e.A.T), e.A.Member)
	setup, err := e.Server.Users.NewTOTP(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Server.Users.EnableTOTP(ctx, setup.Secret, "000000"); app.ErrorField(err) != "code" {
		t.Fatalf("wrong enrolment code: %v", err)
	}
	code, _ := totp.GenerateCode(setup.Secret, time.Now())
	if err := e.Server.Users.EnableTOTP(ctx, setup.Secret, code); err != nil {
		t.Fatal(err)
	}
	st, body, resp := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/login", CSRF: true, Form: url.Values{"email": {e.A.Member.Email}, "password": {tenantTestPassword}}})
	if st != 200 || !strings.Contains(body, `action="/login/code"`) {
		t.Fatalf("password step: %d", st)
	}
	pending := tenantCookie(resp, "psid")
	// A pending session is not a session.
	if st, _, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/", Cookies: map[string]string{"psid": pending}}); st != http.StatusSeeOther {
		t.Errorf("pending session reached the portal: %d", st)
	}
	st, body, _ = e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/login/code", CSRF: true, Form: url.Values{"code": {"123456"}}, Cookies: map[string]string{"psid": pending}})
	if st != 401 || !strings.Contains(body, "That code is not right") {
		t.Errorf("bad code: %d", st)
	}
	// The code used at enrolment is refused as a replay; wait for a fresh
	// one only if needed by using the next window's code with skew.
	next, _ := totp.GenerateCode(setup.Secret, time.Now().Add(30*time.Second))
	st, _, resp = e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/login/code", CSRF: true, Form: url.Values{"code": {next}}, Cookies: map[string]string{"psid": pending}})
	full := tenantCookie(resp, "psid")
	if st != http.StatusSeeOther || full == "" || full == pending {
		t.Fatalf("good code: %d, new session %v", st, full != pending)
	}
	if st, _, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/account", Cookies: map[string]string{"psid": full}}); st != 200 {
		t.Errorf("after two-factor: %d", st)
	}
	// Replaying the same code on a new login is refused.
	_, _, resp = e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/login", CSRF: true, Form: url.Values{"email": {e.A.Member.Email}, "password": {tenantTestPassword}}})
	st, _, _ = e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/login/code", CSRF: true, Form: url.Values{"code": {next}}, Cookies: map[string]string{"psid": tenantCookie(resp, "psid")}})
	if st != 401 {
		t.Errorf("replayed code: %d", st)
	}
}

func tenantCookie(resp *http.Response, name string) string {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

var tenantLinkRE = regexp.MustCompile(`/(invite|reset/confirm)\?token=([A-Za-z0-9_-]+)`)

func TestPortal_InviteAndReset(t *testing.T) {
	e := newTenantEnv(t)
	// The admin invites a user from Nexus; the link is in the outbox.
	st, _, _ := e.do(treq{Host: ui.HostNexus, Method: "POST", Path: "/tenants/" + strconv.FormatInt(e.A.T.ID, 10) + "/users", CSRF: true,
		Form: url.Values{"email": {"newbie@alpha.test"}, "role": {"member"}}, Cookies: map[string]string{"orengen_session": e.AdminCookie}})
	if st != http.StatusSeeOther {
		t.Fatalf("invite: %d", st)
	}
	msgs, _, _ := e.Outbox.FindOutboxMessages(context.Background(), 10)
	m := tenantLinkRE.FindStringSubmatch(msgs[0].Body)
	if m == nil || msgs[0].To != "newbie@alpha.test" {
		t.Fatalf("no invite link in %q", msgs[0].Body)
	}
	// The admin sees it in Nexus > Outbox.
	if _, body, _ := e.do(treq{Host: ui.HostNexus, Method: "GET", Path: "/outbox/" + strconv.FormatInt(msgs[0].ID, 10), Cookies: map[string]string{"orengen_session": e.AdminCookie}}); !strings.Contains(body, m[2]) {
		t.Error("outbox page does not show the link")
	}
	tok := m[2]
	if st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/invite?token=" + tok}); st != 200 || !strings.Contains(body, "newbie@alpha.test") || !strings.Contains(body, e.A.T.Name) {
		t.Errorf("invite page: %d", st)
	}
	accept := func(tok, pw, confirm string) (int, string) {
		st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/invite", CSRF: true, Form: url.Values{"token": {tok}, "password": {pw}, "confirm": {confirm}, "name": {"Newbie"}}})
		return st, body
	}
	if st, body := accept(tok, "short", "short"); st != 400 || !strings.Contains(body, "at least 10") {
		t.Errorf("weak password: %d", st)
	}
	if st, _ := accept(tok, "long enough pw", "long enough pw"); st != http.StatusSeeOther {
		t.Fatalf("accept: %d", st)
	}
	if st, body := accept(tok, "long enough pw", "long enough pw"); st != 404 || !strings.Contains(body, "invalid, expired or already used") {
		t.Errorf("reused invite: %d", st)
	}
	// Reset: the same answer for known and unknown emails; mail only for known.
	n0 := tenantOutboxCount(e)
	_, b1, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/reset", CSRF: true, Form: url.Values{"email": {"newbie@alpha.test"}}})
	_, b2, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/reset", CSRF: true, Form: url.Values{"email": {"ghost@alpha.test"}}})
	if !strings.Contains(b1, `id="reset-sent"`) || !strings.Contains(b2, `id="reset-sent"`) {
		t.Error("reset request answers differ or are missing")
	}
	if tenantOutboxCount(e) != n0+1 {
		t.Errorf("outbox grew by %d, want 1", tenantOutboxCount(e)-n0)
	}
	msgs, _, _ = e.Outbox.FindOutboxMessages(context.Background(), 1)
	rtok := tenantLinkRE.FindStringSubmatch(msgs[0].Body)[2]
	reset := func(tok string) (int, string) {
		st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/reset/confirm", CSRF: true, Form: url.Values{"token": {tok}, "password": {"another long pw"}, "confirm": {"another long pw"}}})
		return st, body
	}
	if st, _ := reset(rtok); st != http.StatusSeeOther {
		t.Fatalf("reset: %d", st)
	}
	if st, body := reset(rtok); st != 404 || !strings.Contains(body, "invalid, expired or already used") {
		t.Errorf("reused reset link: %d", st)
	}
	// An invite link is not a reset link, and a malformed one is refused
	// before any lookup.
	if st, _ := reset(tok); st != 404 {
		t.Errorf("invite token as reset: %d", st)
	}
	if st, _, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/invite?token=%00garbage"}); st != 404 {
		t.Errorf("garbage token: %d", st)
	}
	// Expired: a fresh invitation, then the clock moves 8 days.
	ctx := app.NewContextWithAdmin(app.NewContextWithTenant(context.Background(), e.A.T), e.Admin)
	if _, err := e.Server.Users.Invite(ctx, "late@alpha.test", "", ""); err != nil {
		t.Fatal(err)
	}
	msgs, _, _ = e.Outbox.FindOutboxMessages(context.Background(), 1)
	late := tenantLinkRE.FindStringSubmatch(msgs[0].Body)[2]
	e.DB.Now = func() time.Time { return time.Now().Add(8 * 24 * time.Hour) }
	if st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/invite?token=" + late}); st != 404 || !strings.Contains(body, "expired") {
		t.Errorf("expired invite: %d", st)
	}
}

func tenantOutboxCount(e *tenantEnv) int {
	_, n, _ := e.Outbox.FindOutboxMessages(context.Background(), 1)
	return n
}

func TestPortal_Sessions(t *testing.T) {
	e := newTenantEnv(t)
	other := e.portalSession(e.A.Owner)
	_, body, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/account", Cookies: map[string]string{"psid": e.A.Cookie}})
	if strings.Contains(body, e.A.Cookie) || strings.Contains(body, other) {
		t.Fatal("a session ID is shown on the page")
	}
	if !strings.Contains(body, app.HashToken(other)) {
		t.Fatal("the other session is not listed")
	}
	st, _, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/account/sessions/" + app.HashToken(other) + "/revoke", CSRF: true, Cookies: map[string]string{"psid": e.A.Cookie}})
	if st != http.StatusSeeOther {
		t.Fatalf("revoke: %d", st)
	}
	if st, _, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/account", Cookies: map[string]string{"psid": other}}); st != http.StatusSeeOther {
		t.Errorf("revoked session still works: %d", st)
	}
}

func TestNexus_TenantBrandAndLogo(t *testing.T) {
	e := newTenantEnv(t)
	admin := map[string]string{"orengen_session": e.AdminCookie}
	path := "/tenants/" + strconv.FormatInt(e.A.T.ID, 10)
	// Too light a colour is refused with a clear field error.
	st, body, _ := e.do(treq{Host: ui.HostNexus, Method: "POST", Path: path, CSRF: true, Cookies: admin,
		Form: url.Values{"name": {"Alpha"}, "primary_color": {"#ffff00"}, "accent_color": {"#0e7490"}, "timezone": {"UTC"}}})
	if st != 400 || !strings.Contains(body, "too light") {
		t.Errorf("light colour: %d", st)
	}
	upload := func(name string, data []byte) (int, string) {
		var b bytes.Buffer
		w := multipart.NewWriter(&b)
		w.WriteField("_csrf", e.csrfToken())
		fw, _ := w.CreateFormFile("logo", name)
		fw.Write(data)
		w.Close()
		hr, _ := http.NewRequest("POST", "http://nexus.localhost"+path+"/logo", &b)
		hr.Host = "nexus.localhost"
		hr.Header.Set("Content-Type", w.FormDataContentType())
		hr.AddCookie(&http.Cookie{Name: "orengen_session", Value: e.AdminCookie})
		hr.AddCookie(&http.Cookie{Name: "csrf", Value: tenantCSRFNonce})
		resp, err := e.Server.Handler().Test(hr, -1)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		out.ReadFrom(resp.Body)
		return resp.StatusCode, out.String()
	}
	if st, body := upload("x.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)); st != 400 || !strings.Contains(body, "PNG or JPEG") {
		t.Errorf("svg upload: %d", st)
	}
	if st, _ := upload("big.png", append(tenantPNG(t, 4), make([]byte, app.MaxLogoBytes)...)); st != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized upload: %d", st)
	}
	if st, _ := upload("fake.png", append([]byte("\x89PNG\r\n\x1a\n"), []byte("not really")...)); st != 400 {
		t.Errorf("broken png: %d", st)
	}
	if st, body := upload("ok.png", tenantPNG(t, 16)); st != http.StatusSeeOther {
		t.Fatalf("png upload: %d %s", st, body)
	}
	tn, _ := e.Server.Tenants.TenantByID(context.Background(), e.A.T.ID)
	st, _, resp := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/logo?v=" + tn.LogoHash, Cookies: map[string]string{"psid": e.A.Cookie}})
	if st != 200 || resp.Header.Get("Content-Type") != "image/png" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("logo: %d %q %q", st, resp.Header.Get("Content-Type"), resp.Header.Get("X-Content-Type-Options"))
	}
}

// A route opts into being framed with web.Embeddable; every other page
// keeps frame-ancestors 'none'.
func TestHeaders_Embeddable(t *testing.T) {
	e := newTenantEnv(t)
	s := &ui.Server{Domain: "localhost", SessionKey: e.Key, Site: e.Server.Site, Leads: e.Server.Leads, Tenants: e.Server.Tenants, Users: e.Server.Users,
		APIKeys: e.Server.APIKeys, Vault: e.Server.Vault, Audit: e.Server.Audit, Outbox: e.Server.Outbox, Auth: e.Server.Auth,
		Extra: []func(string, fiber.Router){func(h string, r fiber.Router) {
			if h == ui.HostSite {
				r.Get("/embed/test", web.Embeddable, func(c *fiber.Ctx) error { return c.SendString("form") })
			}
		}}}
	if err := s.Open(); err != nil {
		t.Fatal(err)
	}
	e.Server = s
	_, _, resp := e.do(treq{Host: ui.HostSite, Method: "GET", Path: "/embed/test"})
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors *") || resp.Header.Get("X-Frame-Options") != "" {
		t.Errorf("embeddable: CSP %q, XFO %q", csp, resp.Header.Get("X-Frame-Options"))
	}
	_, _, resp = e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/login"})
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || resp.Header.Get("X-Frame-Options") != "DENY" ||
		resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Referrer-Policy") == "" {
		t.Errorf("default headers: %v", resp.Header)
	}
}

func TestNexus_TwoFactor(t *testing.T) {
	e := newTenantEnv(t)
	admin := map[string]string{"orengen_session": e.AdminCookie}
	ctx := app.NewContextWithAdmin(context.Background(), e.Admin)
	// The policy cannot be switched on by an owner without two-factor.
	if err := e.Server.AdminTOTP.SetPolicy(ctx, true); app.ErrorCode(err) != app.EFORBIDDEN {
		t.Fatalf("policy without own 2FA: %v", err)
	}
	setup, _ := e.Server.AdminTOTP.New(ctx)
	code, _ := totp.GenerateCode(setup.Secret, time.Now())
	if err := e.Server.AdminTOTP.Enable(ctx, setup.Secret, code); err != nil {
		t.Fatal(err)
	}
	if err := e.Server.AdminTOTP.SetPolicy(ctx, true); err != nil {
		t.Fatal(err)
	}
	// Password step, then the code step.
	st, body, resp := e.do(treq{Host: ui.HostNexus, Method: "POST", Path: "/login", CSRF: true, Form: url.Values{"email": {e.Admin.Email}, "password": {tenantTestPassword}}})
	if st != 200 || !strings.Contains(body, `action="/login/code"`) || tenantCookie(resp, "orengen_session") != "" {
		t.Fatalf("password step: %d", st)
	}
	pending := tenantCookie(resp, "orengen_mfa")
	st, _, _ = e.do(treq{Host: ui.HostNexus, Method: "POST", Path: "/login/code", CSRF: true, Form: url.Values{"code": {"000000"}}, Cookies: map[string]string{"orengen_mfa": pending}})
	if st != 401 {
		t.Errorf("wrong code: %d", st)
	}
	if st, _, _ := e.do(treq{Host: ui.HostNexus, Method: "POST", Path: "/login/code", CSRF: true, Form: url.Values{"code": {"000000"}}, Cookies: map[string]string{"orengen_mfa": pending + "x"}}); st != 401 {
		t.Errorf("forged pending cookie: %d", st)
	}
	next, _ := totp.GenerateCode(setup.Secret, time.Now().Add(30*time.Second))
	st, _, resp = e.do(treq{Host: ui.HostNexus, Method: "POST", Path: "/login/code", CSRF: true, Form: url.Values{"code": {next}}, Cookies: map[string]string{"orengen_mfa": pending}})
	if st != http.StatusSeeOther || tenantCookie(resp, "orengen_session") == "" {
		t.Fatalf("good code: %d", st)
	}
	// A second owner without two-factor is held at the account page.
	hash, _ := app.HashPassword(context.Background(), tenantTestPassword)
	o2 := &app.Admin{Email: "second@agency.test", Role: app.RoleOwner, PasswordHash: hash}
	if err := e.Server.Auth.Admins.CreateAdmin(context.Background(), o2); err != nil {
		t.Fatal(err)
	}
	sid := app.RandomToken(32)
	e.Server.Auth.Sessions.CreateSession(context.Background(), &app.Session{ID: sid, AdminID: o2.ID, CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)})
	if st, _, resp := e.do(treq{Host: ui.HostNexus, Method: "GET", Path: "/tenants", Cookies: map[string]string{"orengen_session": sid}}); st != http.StatusSeeOther || resp.Header.Get("Location") != "/account" {
		t.Errorf("owner without 2FA: %d %q", st, resp.Header.Get("Location"))
	}
	if st, _, _ := e.do(treq{Host: ui.HostNexus, Method: "GET", Path: "/account", Cookies: map[string]string{"orengen_session": sid}}); st != 200 {
		t.Errorf("account page: %d", st)
	}
	// The first owner (enrolled) is not held.
	if st, _, _ := e.do(treq{Host: ui.HostNexus, Method: "GET", Path: "/tenants", Cookies: admin}); st != 200 {
		t.Errorf("enrolled owner: %d", st)
	}
}

func TestNexus_Sessions(t *testing.T) {
	e := newTenantEnv(t)
	admin := map[string]string{"orengen_session": e.AdminCookie}
	second := app.RandomToken(32)
	e.Server.Auth.Sessions.CreateSession(context.Background(), &app.Session{ID: second, AdminID: e.Admin.ID, CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)})
	_, body, _ := e.do(treq{Host: ui.HostNexus, Method: "GET", Path: "/account", Cookies: admin})
	if !strings.Contains(body, app.HashToken(second)) || strings.Contains(body, e.OtherAdminSessionKey) || strings.Contains(body, second) {
		t.Fatal("session list wrong: missing own session, shows another admin's, or shows an ID")
	}
	if st, _, _ := e.do(treq{Host: ui.HostNexus, Method: "POST", Path: "/account/sessions/" + app.HashToken(second) + "/revoke", CSRF: true, Cookies: admin}); st != http.StatusSeeOther {
		t.Fatalf("revoke: %d", st)
	}
	if st, _, _ := e.do(treq{Host: ui.HostNexus, Method: "GET", Path: "/tenants", Cookies: map[string]string{"orengen_session": second}}); st != http.StatusSeeOther {
		t.Errorf("revoked admin session still works: %d", st)
	}
	if st, _, _ := e.do(treq{Host: ui.HostNexus, Method: "GET", Path: "/tenants", Cookies: admin}); st != 200 {
		t.Errorf("own session: %d", st)
	}
}
