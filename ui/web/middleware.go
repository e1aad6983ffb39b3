package web

import (
	"fmt"
	"runtime/debug"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/compress"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
)

// Common installs what every host's app runs first: metrics, panic
// recovery, the request log, security headers, compression and the
// request context, then /healthz and the hashed assets.
func (k *Kit) Common(host string, a *fiber.App) {
	a.Use(k.Metrics.Middleware(host))
	a.Use(k.recoverer)
	a.Use(k.requestLog)
	a.Use(k.securityHeaders)
	// gzip/brotli for dynamic text; precompressed assets and cached pages
	// already carry Content-Encoding and are left alone.
	a.Use(compress.New(compress.Config{Level: compress.LevelDefault}))
}

// Context puts the client's IP and user agent in the context that
// handlers pass inward (never the *fiber.Ctx itself), and serves
// /healthz and the assets.
func (k *Kit) Context(a *fiber.App) {
	a.Use(requestContext)
	a.Get("/healthz", k.HandleHealth)
	a.Get("/assets/*", handleAsset)
}

// recoverer turns a panic into a logged 500; no panic reaches a user.
func (k *Kit) recoverer(c *fiber.Ctx) (err error) {
	defer func() {
		if v := recover(); v != nil {
			logRecovered(k.Logger, c, v, debug.Stack())
			err = fmt.Errorf("panic: %v", v)
		}
	}()
	return c.Next()
}

// requestLog logs each request at debug level, and slow or failed ones at
// info and above.
func (k *Kit) requestLog(c *fiber.Ctx) error {
	t0 := time.Now()
	err := c.Next()
	d := time.Since(t0)
	status := c.Response().StatusCode()
	if err != nil || status >= 500 || d > time.Second {
		k.Logger.Info("request", "method", c.Method(), "host", c.Hostname(), "path", c.Path(), "status", status, "duration_ms", d.Milliseconds(), "ip", c.IP())
	} else if k.Logger.Enabled(c.UserContext(), -4) {
		k.Logger.Debug("request", "method", c.Method(), "host", c.Hostname(), "path", c.Path(), "status", status, "duration_ms", d.Milliseconds())
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
// handler: r.Get("/f/:id", web.Embeddable, s.handleForm).
func Embeddable(c *fiber.Ctx) error {
	c.Set("Content-Security-Policy", EmbeddableCSP)
	c.Response().Header.Del("X-Frame-Options")
	return c.Next()
}

// securityHeaders sets the headers every response carries.
func (k *Kit) securityHeaders(c *fiber.Ctx) error {
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	c.Set("X-Frame-Options", "DENY")
	c.Set("Content-Security-Policy", ContentSecurityPolicy)
	if k.Secure {
		c.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
	}
	return c.Next()
}

// requestContext puts the client's IP and user agent in the context that
// handlers pass inward (never the *fiber.Ctx itself).
func requestContext(c *fiber.Ctx) error {
	ctx := app.NewContextWithRequest(c.UserContext(), app.RequestInfo{
		IP:        utils.CopyString(c.IP()),
		UserAgent: utils.CopyString(c.Get(fiber.HeaderUserAgent)),
	})
	c.SetUserContext(ctx)
	return c.Next()
}
