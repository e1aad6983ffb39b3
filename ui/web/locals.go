package web

import (
	"github.com/gofiber/fiber/v2"

	"orengen/app"
)

// Request-scope values live in c.Locals under unexported keys of this
// type, read and written only through the typed accessors below, so a
// misspelt key or a wrong type cannot compile. Values set on the root app
// (the custom domain's tenant) reach the host app: both share the
// fasthttp request context.
type localKey int

const (
	keyAdmin localKey = iota + 1
	keySession
	keyUser
	keyTenant
	keyDomainTenant
	keyAPIKey
	keyCSRFNonce
)

func local[T any](c *fiber.Ctx, k localKey) T {
	v, _ := c.Locals(k).(T)
	return v
}

// Admin is the signed-in Nexus admin, or nil.
func Admin(c *fiber.Ctx) *app.Admin { return local[*app.Admin](c, keyAdmin) }

// Session is the signed-in admin's session, or nil.
func Session(c *fiber.Ctx) *app.Session { return local[*app.Session](c, keySession) }

// SetAdmin records the signed-in admin and their session.
func SetAdmin(c *fiber.Ctx, s *app.Session, a *app.Admin) {
	c.Locals(keySession, s)
	c.Locals(keyAdmin, a)
}

// User is the signed-in portal user, or nil.
func User(c *fiber.Ctx) *app.User { return local[*app.User](c, keyUser) }

// SetUser records the signed-in portal user and their tenant.
func SetUser(c *fiber.Ctx, u *app.User, t *app.Tenant) {
	c.Locals(keyUser, u)
	c.Locals(keyTenant, t)
}

// SessionTenant is the signed-in portal user's tenant, or nil.
func SessionTenant(c *fiber.Ctx) *app.Tenant { return local[*app.Tenant](c, keyTenant) }

// SetSessionTenant records the tenant a request acts for (a sign-in that
// has not finished yet, for its brand).
func SetSessionTenant(c *fiber.Ctx, t *app.Tenant) { c.Locals(keyTenant, t) }

// DomainTenant is the tenant fixed by a custom domain, or nil on
// app.DOMAIN.
func DomainTenant(c *fiber.Ctx) *app.Tenant { return local[*app.Tenant](c, keyDomainTenant) }

// SetDomainTenant records the tenant whose custom domain the request is
// for (the server's host routing).
func SetDomainTenant(c *fiber.Ctx, t *app.Tenant) { c.Locals(keyDomainTenant, t) }

// FixedTenantID is the custom domain's tenant ID, or 0.
func FixedTenantID(c *fiber.Ctx) int64 {
	if t := DomainTenant(c); t != nil {
		return t.ID
	}
	return 0
}

// Tenant is the tenant whose brand a portal page shows: the signed-in
// user's, else the custom domain's, else nil (neutral brand).
func Tenant(c *fiber.Ctx) *app.Tenant {
	if t := SessionTenant(c); t != nil {
		return t
	}
	return DomainTenant(c)
}

// APIKey is the API key that authenticated the request, or nil.
func APIKey(c *fiber.Ctx) *app.APIKey { return local[*app.APIKey](c, keyAPIKey) }

// SetAPIKey records the request's API key.
func SetAPIKey(c *fiber.Ctx, k *app.APIKey) { c.Locals(keyAPIKey, k) }

func csrfNonce(c *fiber.Ctx) string           { return local[string](c, keyCSRFNonce) }
func setCSRFNonce(c *fiber.Ctx, nonce string) { c.Locals(keyCSRFNonce, nonce) }

// Key is a typed request-scope value for a feature package's own state
// (the federal tenant of a request, whether a form is served on the
// site): declare one per value as a package variable, with its own name.
type Key[T any] struct{ name string }

// NewKey returns a key; name is for reading the code only.
func NewKey[T any](name string) *Key[T] { return &Key[T]{name: name} }

// Get returns the value, and whether it was set.
func (k *Key[T]) Get(c *fiber.Ctx) (T, bool) {
	v, ok := c.Locals(k).(T)
	return v, ok
}

// Set records the value for the rest of the request.
func (k *Key[T]) Set(c *fiber.Ctx, v T) { c.Locals(k, v) }
