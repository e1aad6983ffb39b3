package web

import (
	"context"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"orengen/app"
)

// TenantPage is the tenant a request of a module shared by the portal and
// Nexus works on: the signed-in tenant's in the portal, the :id tenant's
// in Nexus, with the request's context scoped to it.
type TenantPage struct {
	Ctx    context.Context
	Tenant *app.Tenant
	Base   string // the module's path: /brand in the portal, /brand/tenants/12 in Nexus
	Scope  Scope
}

// TenantByID finds a tenant (app.TenantService does).
type TenantByID interface {
	TenantByID(ctx context.Context, id int64) (*app.Tenant, error)
}

// TenantRoute resolves a module's TenantPage and calls fn with it. base is
// the module's portal path; Nexus serves it under base/tenants/:id.
func TenantRoute(tenants TenantByID, sc Scope, base string, fn func(c *fiber.Ctx, tp *TenantPage) error) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx := c.UserContext()
		tp := &TenantPage{Ctx: ctx, Scope: sc, Base: base}
		if !sc.Nexus() {
			if tp.Tenant = app.TenantFromContext(ctx); tp.Tenant == nil {
				return app.Errorf(app.EUNAUTHORIZED, "Sign in to continue.")
			}
			return fn(c, tp)
		}
		id, err := ParamID(c, "id")
		if err != nil {
			return err
		}
		t, err := tenants.TenantByID(ctx, id)
		if err != nil {
			return err
		}
		tp.Tenant, tp.Ctx = t, app.NewContextWithTenant(ctx, t)
		tp.Base = base + "/tenants/" + strconv.FormatInt(t.ID, 10)
		c.SetUserContext(tp.Ctx)
		return fn(c, tp)
	}
}
