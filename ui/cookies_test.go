package ui_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"orengen/ui"
)

// setCookies returns the response's cookies by name.
func setCookies(resp *http.Response) map[string]*http.Cookie {
	out := map[string]*http.Cookie{}
	for _, c := range resp.Cookies() {
		out[c.Name] = c
	}
	return out
}

// TestCookies_HostPrefixUnderTLS: with TLS on every cookie is a __Host-
// cookie (Secure, Path=/, no Domain); a browser still holding a session
// cookie of the old name stays signed in and gets the new one, the old
// one cleared. Without TLS (development) the plain names stay.
func TestCookies_HostPrefixUnderTLS(t *testing.T) {
	e := newTenantEnv(t)
	e.Server.SetSecure(true)

	// Sign-in page and sign-in on Nexus: CSRF, session and device cookies.
	st, _, resp := e.do(treq{Host: ui.HostNexus, Method: "GET", Path: "/login"})
	if st != 200 {
		t.Fatalf("login page: %d", st)
	}
	csrf := setCookies(resp)["__Host-csrf"]
	if csrf == nil {
		t.Fatalf("no __Host-csrf cookie: %v", resp.Header.Values("Set-Cookie"))
	}
	st, _, resp = e.do(treq{Host: ui.HostNexus, Method: "POST", Path: "/login", CSRF: true,
		Form: url.Values{"email": {e.Admin.Email}, "password": {tenantTestPassword}}})
	cs := setCookies(resp)
	sess := cs["__Host-orengen_session"]
	if st != 303 || sess == nil || cs["__Host-orengen_device"] == nil || cs["orengen_session"] != nil {
		t.Fatalf("sign-in: %d %v", st, resp.Header.Values("Set-Cookie"))
	}
	for _, raw := range resp.Header.Values("Set-Cookie") {
		if strings.HasPrefix(raw, "__Host-") {
			low := strings.ToLower(raw)
			if !strings.Contains(low, "; secure") || !strings.Contains(low, "path=/") || strings.Contains(low, "domain=") {
				t.Errorf("cookie %q is not a valid __Host- cookie", raw)
			}
		}
	}
	if st, _, _ := e.do(treq{Host: ui.HostNexus, Method: "GET", Path: "/", Cookies: map[string]string{"__Host-orengen_session": sess.Value}}); st != 200 {
		t.Fatalf("with the __Host- session: %d", st)
	}

	// A browser from before the upgrade: the old names still work once,
	// and are moved to the new ones.
	for _, c := range []struct {
		host, name, value string
	}{{ui.HostNexus, "orengen_session", e.AdminCookie}, {ui.HostPortal, "psid", e.A.Cookie}} {
		st, _, resp := e.do(treq{Host: c.host, Method: "GET", Path: "/", Cookies: map[string]string{c.name: c.value}})
		cs := setCookies(resp)
		if st != 200 || cs["__Host-"+c.name] == nil || cs["__Host-"+c.name].Value != c.value || !expired(cs[c.name]) {
			t.Errorf("%s with the old %s cookie: %d %v", c.host, c.name, st, resp.Header.Values("Set-Cookie"))
		}
	}

	// Sign-out clears both names.
	st, _, resp = e.do(treq{Host: ui.HostNexus, Method: "POST", Path: "/logout", CSRF: true,
		Cookies: map[string]string{"__Host-orengen_session": sess.Value, "orengen_session": sess.Value}})
	cs = setCookies(resp)
	if st != 303 || !expired(cs["__Host-orengen_session"]) || !expired(cs["orengen_session"]) {
		t.Fatalf("sign-out: %d %v", st, resp.Header.Values("Set-Cookie"))
	}

	// Plain HTTP (development): plain names.
	e.Server.SetSecure(false)
	_, _, resp = e.do(treq{Host: ui.HostNexus, Method: "GET", Path: "/login"})
	if setCookies(resp)["csrf"] == nil {
		t.Fatalf("plain HTTP: %v", resp.Header.Values("Set-Cookie"))
	}
}

// expired reports whether a Set-Cookie removes the cookie.
func expired(c *http.Cookie) bool {
	return c != nil && (c.MaxAge < 0 || !c.Expires.IsZero() && c.Expires.Before(time.Now()))
}
