package ui_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"orengen/app"
	"orengen/cli"
	"orengen/store"
	"orengen/ui"
)

// testEnv is a Server on temp databases plus what tests need to act as a
// browser: a signed-in admin's cookies and a CSRF token.
type testEnv struct {
	t      *testing.T
	Server *ui.Server
	DB     *store.DB
	KV     *store.KV
	Auth   *app.AuthService
	App    *cli.App
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	w := newWired(t)
	return &testEnv{t: t, Server: w.Server, DB: w.DB, KV: w.KV, Auth: w.Auth, App: w.App}
}

// reopen rebuilds the server's handlers after a test changed its fields.
func (e *testEnv) reopen() {
	e.t.Helper()
	if err := e.Server.Open(); err != nil {
		e.t.Fatal(err)
	}
}

// do sends a request to host and returns the response and its body.
func (e *testEnv) do(req *http.Request) (*http.Response, string) {
	e.t.Helper()
	resp, err := e.Server.Handler().Test(req, -1)
	if err != nil {
		e.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

// session is a cookie jar for one simulated browser.
type session struct {
	env     *testEnv
	cookies map[string]string
}

func (e *testEnv) browser() *session { return &session{env: e, cookies: map[string]string{}} }

func (b *session) request(method, host, path string, form url.Values) (*http.Response, string) {
	b.env.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, "http://"+host+path, body)
	req.Host = host
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	resp, s := b.env.do(req)
	for _, c := range resp.Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	return resp, s
}

var csrfRE = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// csrf loads a page on host and returns the CSRF token in its forms.
func (b *session) csrf(host, path string) string {
	b.env.t.Helper()
	_, body := b.request("GET", host, path, nil)
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		b.env.t.Fatalf("no CSRF token on %s%s", host, path)
	}
	return m[1]
}

// post submits a form with a fresh CSRF token from the page at from.
func (b *session) post(host, from, path string, form url.Values) (*http.Response, string) {
	b.env.t.Helper()
	form.Set("_csrf", b.csrf(host, from))
	return b.request("POST", host, path, form)
}

const testPassword = "a long enough password"

// mustAdmin creates an admin with testPassword.
func (e *testEnv) mustAdmin(email, role string) *app.Admin {
	e.t.Helper()
	ctx := context.Background()
	a := &app.Admin{Email: email, Role: role}
	tok, err := e.Auth.InviteAdmin(ctx, a)
	if err != nil {
		e.t.Fatal(err)
	}
	a, err = e.Auth.RedeemToken(ctx, tok, email, "", testPassword)
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

// signedIn returns a browser signed in to Nexus as a new admin.
func (e *testEnv) signedIn(role string) *session {
	e.t.Helper()
	email := role + "@example.com"
	e.mustAdmin(email, role)
	b := e.browser()
	resp, _ := b.post("nexus.localhost", "/login", "/login", url.Values{"email": {email}, "password": {testPassword}})
	if resp.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("login: status %d", resp.StatusCode)
	}
	return b
}
