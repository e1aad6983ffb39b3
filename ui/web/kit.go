// Package web is the HTTP plumbing every host package shares: the Kit
// (rendering with the page layout, CSRF, cookies, flash messages, the
// error handler, public URLs), typed request-scope accessors instead of
// string c.Locals keys, the template functions (all declared in
// render.go), the common middleware, metrics and /healthz.
//
// web imports app and app/federal (types, error codes, template
// functions) and assets; it never
// imports a store, another ui package or a technology package. Fiber
// types stay inside ui.
package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"orengen/app"
)

// Host kinds: which app serves a request.
const (
	HostSite   = "site"
	HostPortal = "portal"
	HostNexus  = "nexus"
)

// Scope is what a handler shared by the portal and Nexus serves (the
// CRM, automations, forms, federal pages): its host decides the layout,
// the template directory and whose data the page shows (the signed-in
// tenant in the portal, every tenant in Nexus).
type Scope struct {
	Host string // HostPortal or HostNexus
}

// Scopes of the two hosts that share handlers.
var (
	PortalScope = Scope{Host: HostPortal}
	NexusScope  = Scope{Host: HostNexus}
)

// Nexus reports whether the scope is the admin's.
func (sc Scope) Nexus() bool { return sc.Host == HostNexus }

// Page returns the template name of page for the scope's host.
func (sc Scope) Page(page string) string { return LayoutForHost(sc.Host) + "/" + page }

// Kit is the shared plumbing of every host package: configuration, the
// renderer, the layout fillers and the helpers handlers call. Handlers
// embed a *Kit.
type Kit struct {
	Domain     string // "localhost" in development
	Secure     bool   // TLS terminates here: Secure cookies, HSTS, https links
	PublicPort string // port to show in links ("" for the scheme default)
	Version    string
	StartedAt  time.Time
	Logger     *slog.Logger
	SessionKey []byte // HMAC key for CSRF tokens and signed cookies
	BodyLimit  int
	Health     []HealthCheck
	Metrics    *Metrics
	// Fill completes a page's Layout for its host: brand, navigation,
	// the signed-in principal. The host packages set it.
	Fill map[string]func(c *fiber.Ctx, l *Layout)
	// HostKind says which app serves a host name (the server's routing).
	HostKind func(host string) string
	// SignedInAdmin reports whether the request carries a Nexus admin's
	// session (the nexus package sets it; /healthz shows its details to
	// admins).
	SignedInAdmin func(c *fiber.Ctx) bool
	// ModulesOff returns the portal modules a tenant's plan switches off
	// (billing's feature switches; nil: every tenant sees every module).
	ModulesOff func(ctx context.Context, tenantID int64) (map[string]bool, error)

	tmpl *Renderer
}

// SetRenderer installs the parsed templates.
func (k *Kit) SetRenderer(r *Renderer) { k.tmpl = r }

// TenantURL returns the public base URL of a tenant's custom domain.
func (k *Kit) TenantURL(domain string) string { return PublicURL(domain, k.Secure, k.PublicPort) }

// URL returns the public base URL of a host kind.
func (k *Kit) URL(kind string) string {
	return PublicURL(KindHost(k.Domain, kind), k.Secure, k.PublicPort)
}

// PublicURL is the base URL a visitor uses for host: https where TLS
// terminates here, with the public port when it is not the scheme's.
func PublicURL(host string, secure bool, port string) string {
	scheme := "http"
	if secure {
		scheme = "https"
	}
	if port != "" {
		host = net.JoinHostPort(host, port)
	}
	return scheme + "://" + host
}

// KindHost is the host name of a host kind under domain: the site is
// the domain itself, the portal app.domain, Nexus nexus.domain.
func KindHost(domain, kind string) string {
	switch kind {
	case HostPortal:
		return "app." + domain
	case HostNexus:
		return "nexus." + domain
	}
	return domain
}

const (
	csrfCookie  = "csrf" // neutral names: the portal is white-label
	flashCookie = "flash"
	csrfField   = "_csrf"
)

// DeviceCookie holds the browser's device token (app.LoginGuard): a
// browser that signed in to an account before is not slowed down by other
// people's failed sign-ins to it.
const DeviceCookie = "orengen_device"

// PublicForms are anonymous forms on the marketing site: checked by origin
// only, because they carry no session and their pages are cached.
var PublicForms = map[string]bool{"/leads": true}

// CSRFToken returns the token that forms on this response must carry. It
// is an HMAC of a random per-browser cookie (set here if missing), so it
// needs no server-side state and a cross-site page cannot know it.
func (k *Kit) CSRFToken(c *fiber.Ctx) string {
	nonce := k.Cookie(c, csrfCookie)
	if len(nonce) < 20 {
		nonce = app.RandomToken(24)
		k.SetCookie(c, csrfCookie, nonce, 0)
		setCSRFNonce(c, nonce)
	}
	if v := csrfNonce(c); v != "" {
		nonce = v
	}
	return k.csrfFor(nonce)
}

func (k *Kit) csrfFor(nonce string) string {
	m := hmac.New(sha256.New, k.SessionKey)
	m.Write([]byte("csrf|" + nonce))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// CSRF returns the check that every state-changing route runs before its
// handler (registered per route, after routing, so a wrong method is a
// 405, not a 403). It checks the browser's own cross-site signal
// (Sec-Fetch-Site / Origin) and, for form posts, the token. Public forms
// without a cookie yet are checked by origin only.
func (k *Kit) CSRF(host string) fiber.Handler {
	return func(c *fiber.Ctx) error { return k.CheckCSRF(c, host == HostSite && PublicForms[c.Path()]) }
}

// CheckCSRF is the CSRF check of one request; originOnly skips the token.
func (k *Kit) CheckCSRF(c *fiber.Ctx, originOnly bool) error {
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
	nonce := k.Cookie(c, csrfCookie)
	token := c.FormValue(csrfField)
	if token == "" {
		token = c.Get("X-CSRF-Token")
	}
	if nonce == "" || !hmac.Equal([]byte(token), []byte(k.csrfFor(nonce))) {
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

// CookieName is the name a cookie has on the wire.
func (k *Kit) CookieName(name string) string {
	if k.Secure {
		return hostPrefix + name
	}
	return name
}

// Cookie reads a cookie by its plain name. A browser that signed in
// before the __Host- names still sends the old name; it is read as well
// (sessions are moved by MigrateCookie), so nobody is signed out by the
// upgrade.
func (k *Kit) Cookie(c *fiber.Ctx, name string) string {
	if v := c.Cookies(k.CookieName(name)); v != "" || !k.Secure {
		return v
	}
	return c.Cookies(name)
}

// MigrateCookie moves a cookie found under its old name (before __Host-)
// to its new name with maxAge, and clears the old one.
func (k *Kit) MigrateCookie(c *fiber.Ctx, name, value string, maxAge time.Duration) {
	if k.Secure && c.Cookies(k.CookieName(name)) == "" && c.Cookies(name) != "" {
		k.SetCookie(c, name, value, maxAge)
	}
}

// SetCookie sets an HTTP-only, SameSite=Lax cookie (a Secure __Host-
// cookie under TLS); maxAge 0 makes it a session cookie.
func (k *Kit) SetCookie(c *fiber.Ctx, name, value string, maxAge time.Duration) {
	ck := &fiber.Cookie{Name: k.CookieName(name), Value: value, Path: "/", HTTPOnly: true, Secure: k.Secure, SameSite: fiber.CookieSameSiteLaxMode}
	if maxAge > 0 {
		ck.Expires = time.Now().Add(maxAge)
		ck.MaxAge = int(maxAge.Seconds())
	}
	c.Cookie(ck)
	if k.Secure && c.Cookies(name) != "" {
		k.expireCookie(c, name) // the pre-__Host- cookie of the same name
	}
}

// ClearCookie removes a cookie SetCookie set (and its pre-__Host- name).
func (k *Kit) ClearCookie(c *fiber.Ctx, name string) {
	k.expireCookie(c, k.CookieName(name))
	if k.Secure && c.Cookies(name) != "" {
		k.expireCookie(c, name)
	}
}

func (k *Kit) expireCookie(c *fiber.Ctx, wireName string) {
	c.Cookie(&fiber.Cookie{Name: wireName, Value: "", Path: "/", HTTPOnly: true, Secure: k.Secure, SameSite: fiber.CookieSameSiteLaxMode, MaxAge: -1, Expires: time.Unix(1, 0)})
}

// Flash is a one-time message shown after a redirect.
type Flash struct {
	Kind    string // ok, error, warn
	Message string
}

// SetFlash stores a one-time message for the next page.
func (k *Kit) SetFlash(c *fiber.Ctx, kind, msg string) {
	k.SetCookie(c, flashCookie, base64.RawURLEncoding.EncodeToString([]byte(kind+"|"+msg)), time.Minute)
}

// TakeFlash returns and clears the pending message, if any.
func (k *Kit) TakeFlash(c *fiber.Ctx) *Flash {
	v := k.Cookie(c, flashCookie)
	if v == "" {
		return nil
	}
	k.ClearCookie(c, flashCookie)
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
