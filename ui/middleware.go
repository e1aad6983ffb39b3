package ui

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/compress"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
)

const (
	csrfCookie    = "csrf" // neutral names: the portal is white-label
	sessionCookie = "orengen_session"
	flashCookie   = "flash"
	csrfField     = "_csrf"
)

func (s *Server) registerCommon(host string, a *fiber.App) {
	a.Use(s.Metrics.middleware(host))
	a.Use(s.recoverer)
	a.Use(s.requestLog)
	a.Use(s.securityHeaders)
	// gzip/brotli for dynamic text; precompressed assets and cached pages
	// already carry Content-Encoding and are left alone.
	a.Use(compress.New(compress.Config{Level: compress.LevelDefault}))
	if host == HostSite {
		a.Use(s.redirectWWW)
	}
	a.Use(s.requestContext)
	a.Get("/healthz", s.handleHealth)
	a.Get("/assets/*", handleAsset)
	if host == HostNexus {
		a.Use(s.loadSession)
		a.Get("/metrics", s.handleMetrics)
	}
}

// PublicForms are anonymous forms on the marketing site: checked by origin
// only, because they carry no session and their pages are cached.
var PublicForms = map[string]bool{"/leads": true}

// recoverer turns a panic into a logged 500; no panic reaches a user.
func (s *Server) recoverer(c *fiber.Ctx) (err error) {
	defer func() {
		if v := recover(); v != nil {
			logRecovered(s.Logger, c, v, debug.Stack())
			err = fmt.Errorf("panic: %v", v)
		}
	}()
	return c.Next()
}

// requestLog logs each request at debug level, and slow or failed ones at
// info and above.
func (s *Server) requestLog(c *fiber.Ctx) error {
	t0 := time.Now()
	err := c.Next()
	d := time.Since(t0)
	status := c.Response().StatusCode()
	if err != nil || status >= 500 || d > time.Second {
		s.Logger.Info("request", "method", c.Method(), "host", c.Hostname(), "path", c.Path(), "status", status, "duration_ms", d.Milliseconds(), "ip", c.IP())
	} else if s.Logger.Enabled(c.UserContext(), -4) {
		s.Logger.Debug("request", "method", c.Method(), "host", c.Hostname(), "path", c.Path(), "status", status, "duration_ms", d.Milliseconds())
	}
	return err
}

// ContentSecurityPolicy is every page's CSP. Pages have no inline script
// or style, so both come from this origin only.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

// EmbeddableCSP is the CSP of pages other sites may frame.
const EmbeddableCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors *; base-uri 'none'; object-src 'none'"

// Embeddable is a route-level override for pages meant to be framed by
// other sites (embeddable forms): it lifts frame-ancestors 'none' and
// X-Frame-Options for that route only. Use it as the route's first
// handler: r.Get("/f/:id", ui.Embeddable, s.handleForm).
func Embeddable(c *fiber.Ctx) error {
	c.Set("Content-Security-Policy", EmbeddableCSP)
	c.Response().Header.Del("X-Frame-Options")
	return c.Next()
}

// securityHeaders sets the headers every response carries.
func (s *Server) securityHeaders(c *fiber.Ctx) error {
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	c.Set("X-Frame-Options", "DENY")
	c.Set("Content-Security-Policy", ContentSecurityPolicy)
	if s.Secure {
		c.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
	}
	return c.Next()
}

// requestContext puts the client's IP and user agent in the context that
// handlers pass inward (never the *fiber.Ctx itself).
func (s *Server) requestContext(c *fiber.Ctx) error {
	ctx := app.NewContextWithRequest(c.UserContext(), app.RequestInfo{
		IP:        utils.CopyString(c.IP()),
		UserAgent: utils.CopyString(c.Get(fiber.HeaderUserAgent)),
	})
	c.SetUserContext(ctx)
	return c.Next()
}

// loadSession resolves the session cookie to an admin, if any.
func (s *Server) loadSession(c *fiber.Ctx) error {
	id := s.cookie(c, sessionCookie)
	if id == "" {
		return c.Next()
	}
	sess, a, err := s.Auth.Authenticate(c.UserContext(), utils.CopyString(id))
	if app.ErrorCode(err) == app.EUNAUTHORIZED {
		s.clearCookie(c, sessionCookie)
		return c.Next()
	} else if err != nil {
		return err
	}
	s.migrateCookie(c, sessionCookie, sess.ID, app.SessionTTL)
	c.Locals("session", sess)
	c.Locals("admin", a)
	c.SetUserContext(app.NewContextWithAdmin(c.UserContext(), a))
	return c.Next()
}

func currentAdmin(c *fiber.Ctx) *app.Admin {
	a, _ := c.Locals("admin").(*app.Admin)
	return a
}

// requireAdmin sends anonymous visitors to the login page.
func (s *Server) requireAdmin(c *fiber.Ctx) error {
	if currentAdmin(c) == nil {
		if c.Method() == fiber.MethodGet {
			return c.Redirect("/login?next="+url.QueryEscape(requestURI(c)), fiber.StatusSeeOther)
		}
		return app.Errorf(app.EUNAUTHORIZED, "Sign in to continue.")
	}
	return c.Next()
}

// csrfToken returns the token that forms on this response must carry. It
// is an HMAC of a random per-browser cookie (set here if missing), so it
// needs no server-side state and a cross-site page cannot know it.
func (s *Server) csrfToken(c *fiber.Ctx) string {
	nonce := s.cookie(c, csrfCookie)
	if len(nonce) < 20 {
		nonce = app.RandomToken(24)
		s.setCookie(c, csrfCookie, nonce, 0)
		c.Locals(csrfCookie, nonce)
	}
	if v, ok := c.Locals(csrfCookie).(string); ok {
		nonce = v
	}
	return s.csrfFor(nonce)
}

func (s *Server) csrfFor(nonce string) string {
	m := hmac.New(sha256.New, s.SessionKey)
	m.Write([]byte("csrf|" + nonce))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// csrfProtect returns the check that every state-changing route runs
// before its handler (registered per route, after routing, so a wrong
// method is a 405, not a 403). It checks: the browser's own
// cross-site signal (Sec-Fetch-Site / Origin) and, for form posts, the
// token. Public forms without a cookie yet are checked by origin only.
func (s *Server) csrfProtect(host string) fiber.Handler {
	return func(c *fiber.Ctx) error { return s.checkCSRF(c, host == HostSite && PublicForms[c.Path()]) }
}

func (s *Server) checkCSRF(c *fiber.Ctx, originOnly bool) error {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return c.Next()
	}
	if strings.HasPrefix(c.Path(), "/api/") && strings.HasPrefix(c.Get(fiber.HeaderAuthorization), "Bearer ") {
		return c.Next() // API keys are not sent by browsers on their own
	}
	if site := c.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return app.Errorf(app.EFORBIDDEN, "Cross-site form submissions are refused. Reload the page and try again.")
	}
	if origin := c.Get(fiber.HeaderOrigin); origin != "" && origin != "null" {
		u, err := url.Parse(origin)
		if err != nil || !strings.EqualFold(u.Host, c.Get(fiber.HeaderHost)) {
			return app.Errorf(app.EFORBIDDEN, "Cross-site form submissions are refused. Reload the page and try again.")
		}
	}
	if originOnly {
		return c.Next()
	}
	nonce := s.cookie(c, csrfCookie)
	token := c.FormValue(csrfField)
	if token == "" {
		token = c.Get("X-CSRF-Token")
	}
	if nonce == "" || !hmac.Equal([]byte(token), []byte(s.csrfFor(nonce))) {
		return app.Errorf(app.EFORBIDDEN, "This form has expired. Reload the page and submit it again.")
	}
	return c.Next()
}

// Cookies. With TLS on, every cookie is named with the __Host- prefix:
// browsers then accept it only with Secure, Path=/ and no Domain, so no
// other host (a subdomain, a plain-HTTP page) can set or overwrite it.
// In development over plain HTTP (localhost) the plain names stay, as
// browsers refuse __Host- cookies without TLS.
const hostPrefix = "__Host-"

// cookieName is the name a cookie has on the wire.
func (s *Server) cookieName(name string) string {
	if s.Secure {
		return hostPrefix + name
	}
	return name
}

// cookie reads a cookie by its plain name. A browser that signed in
// before the __Host- names still sends the old name; it is read as well
// (sessions are migrated by migrateCookie), so nobody is signed out by
// the upgrade.
func (s *Server) cookie(c *fiber.Ctx, name string) string {
	if v := c.Cookies(s.cookieName(name)); v != "" || !s.Secure {
		return v
	}
	return c.Cookies(name)
}

// migrateCookie moves a cookie found under its old name (before __Host-)
// to its new name with maxAge, and clears the old one.
func (s *Server) migrateCookie(c *fiber.Ctx, name, value string, maxAge time.Duration) {
	if s.Secure && c.Cookies(s.cookieName(name)) == "" && c.Cookies(name) != "" {
		s.setCookie(c, name, value, maxAge)
	}
}

func (s *Server) setCookie(c *fiber.Ctx, name, value string, maxAge time.Duration) {
	ck := &fiber.Cookie{Name: s.cookieName(name), Value: value, Path: "/", HTTPOnly: true, Secure: s.Secure, SameSite: fiber.CookieSameSiteLaxMode}
	if maxAge > 0 {
		ck.Expires = time.Now().Add(maxAge)
		ck.MaxAge = int(maxAge.Seconds())
	}
	c.Cookie(ck)
	if s.Secure && c.Cookies(name) != "" {
		s.expireCookie(c, name) // the pre-__Host- cookie of the same name
	}
}

func (s *Server) clearCookie(c *fiber.Ctx, name string) {
	s.expireCookie(c, s.cookieName(name))
	if s.Secure && c.Cookies(name) != "" {
		s.expireCookie(c, name)
	}
}

func (s *Server) expireCookie(c *fiber.Ctx, wireName string) {
	c.Cookie(&fiber.Cookie{Name: wireName, Value: "", Path: "/", HTTPOnly: true, Secure: s.Secure, SameSite: fiber.CookieSameSiteLaxMode, MaxAge: -1, Expires: time.Unix(1, 0)})
}

// Flash is a one-time message shown after a redirect.
type Flash struct {
	Kind    string // ok, error, warn
	Message string
}

func (s *Server) setFlash(c *fiber.Ctx, kind, msg string) {
	s.setCookie(c, flashCookie, base64.RawURLEncoding.EncodeToString([]byte(kind+"|"+msg)), time.Minute)
}

func (s *Server) takeFlash(c *fiber.Ctx) *Flash {
	v := s.cookie(c, flashCookie)
	if v == "" {
		return nil
	}
	s.clearCookie(c, flashCookie)
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return nil
	}
	kind, msg, ok := strings.Cut(string(b), "|")
	if !ok || (kind != "ok" && kind != "error" && kind != "warn") {
		return nil
	}
	return &Flash{Kind: kind, Message: msg}
}
