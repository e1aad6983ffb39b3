// Package sheets serves Data & Sheets, shared by the portal (a tenant's
// own tables, at /data) and Nexus (Infrastructure > Data & Sheets at
// /data: the agency's tables, and any tenant's with ?tenant=): the grid
// with filters, sort, grouping and a keyboard editor (sheets.js), the
// columns editor, CSV and XLSX import (mapping, progress) and export, and
// charts as SVG. The JSON API of the same tables is in ui/api.
//
// sheets imports app, app/sheets and ui/web; never a store.
package sheets

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/app/sheets"
	"orengen/ui/web"
)

// Handler serves the Data & Sheets pages.
type Handler struct {
	*web.Kit
	Sheets  *sheets.Service
	Tenants *app.TenantService
	// UploadDir holds uploads while their import waits for its mapping
	// or runs.
	UploadDir string

	uploads     *web.Uploads
	uploadsOnce sync.Once
	// Background imports: Shutdown cancels bgCtx and waits for bgWG.
	mu       sync.Mutex
	bgCtx    context.Context
	bgCancel context.CancelFunc
	bgWG     sync.WaitGroup
}

func (s *Handler) chunked() *web.Uploads {
	s.uploadsOnce.Do(func() { s.uploads = &web.Uploads{Root: filepath.Join(s.UploadDir, "uploads")} })
	return s.uploads
}

// Shutdown stops the imports this process runs (each fails, writing
// nothing) and waits for them.
func (s *Handler) Shutdown() {
	if s == nil {
		return
	}
	s.mu.Lock()
	if s.bgCancel != nil {
		s.bgCancel()
	}
	s.mu.Unlock()
	s.bgWG.Wait()
}

// background runs fn in a goroutine that Shutdown stops.
func (s *Handler) background(fn func(ctx context.Context)) {
	s.mu.Lock()
	if s.bgCtx == nil {
		s.bgCtx, s.bgCancel = context.WithCancel(context.Background())
	}
	ctx := s.bgCtx
	s.bgWG.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.bgWG.Done()
		fn(ctx)
	}()
}

// listScope is the tenant whose tables a list page shows: the user's in
// the portal; in Nexus ?tenant= (ID or slug), else the house tenant.
func (s *Handler) listScope(c *fiber.Ctx, sc web.Scope) (context.Context, *app.Tenant, error) {
	if s.Sheets == nil {
		return nil, nil, app.Errorf(app.ENOTFOUND, "Not found.")
	}
	ctx := c.UserContext()
	if !sc.Nexus() {
		return ctx, app.TenantFromContext(ctx), nil
	}
	ref := strings.TrimSpace(utils.CopyString(c.Query("tenant", c.FormValue("tenant"))))
	if ref == "" {
		ref = strconv.FormatInt(app.HouseTenantID, 10)
	}
	t, err := s.Tenants.TenantByRef(ctx, ref)
	if err != nil {
		return nil, nil, err
	}
	return app.NewContextWithTenant(ctx, t), t, nil
}

// table resolves :id: the portal user's tenant's table, or in Nexus any
// tenant's (the request's context is scoped to its tenant).
func (s *Handler) table(c *fiber.Ctx, sc web.Scope) (context.Context, *sheets.Table, error) {
	if s.Sheets == nil {
		return nil, nil, app.Errorf(app.ENOTFOUND, "Not found.")
	}
	id, err := web.ParamID(c, "id")
	if err != nil {
		return nil, nil, err
	}
	if !sc.Nexus() {
		t, err := s.Sheets.Table(c.UserContext(), id)
		return c.UserContext(), t, err
	}
	ctx, t, err := s.Sheets.AdminTable(c.UserContext(), id)
	if err != nil {
		return nil, nil, err
	}
	c.SetUserContext(ctx)
	return ctx, t, nil
}

// tableURL is the grid's address.
func tableURL(t *sheets.Table) string { return "/data/tables/" + strconv.FormatInt(t.ID, 10) }

// tableRoute resolves :id (table), then calls fn with the table's
// tenant's context.
func (s *Handler) tableRoute(sc web.Scope, fn func(c *fiber.Ctx, ctx context.Context, t *sheets.Table) error) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx, t, err := s.table(c, sc)
		if err != nil {
			return err
		}
		return fn(c, ctx, t)
	}
}
