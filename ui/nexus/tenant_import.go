package nexus

import (
	"os"
	"path/filepath"
	"sync"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/ui/web"
)

// MaxImportUpload is the largest export file Nexus takes (chunked).
const MaxImportUpload = 16 << 30

// registerTenantImportRoutes serves Control Room > Tenants > Import
// (issue #22): an export file uploaded (in chunks, or whole without
// JavaScript up to the body limit), checked by a dry run that counts what
// it creates per table or says why it is refused, then imported in the
// background with its progress, by the CLI's import code.
func (s *Handler) registerTenantImportRoutes(r fiber.Router, csrf fiber.Handler) {
	if s.Transfer == nil {
		return
	}
	r.Get("/tenant-imports", s.handleTenantImports)
	r.Post("/tenant-imports", csrf, s.handleTenantImportForm)
	r.Post("/tenant-imports/upload", csrf, s.withUploadScope(func(c *fiber.Ctx) error { return s.importUploads().Create(c, "tenant-import", MaxImportUpload) }))
	r.Post("/tenant-imports/upload/:upload", csrf, s.withUploadScope(func(c *fiber.Ctx) error { return s.importUploads().HandleChunk(c) }))
	r.Post("/tenant-imports/upload/:upload/finish", csrf, s.handleTenantImportUploadFinish)
	r.Get("/tenant-imports/:job", s.handleTenantImport)
	r.Post("/tenant-imports/:job/check", csrf, s.handleTenantImportCheck)
	r.Post("/tenant-imports/:job/run", csrf, s.handleTenantImportRun)
}

// importUploadsDirs holds one web.Uploads per exports directory (its
// chunk locks must be shared by every request of an upload).
var importUploadsDirs sync.Map

// importUploads keeps the chunked uploads of export files next to the
// exports, in the house tenant's upload directory (web.Uploads is per
// tenant; these uploads are the agency's).
func (s *Handler) importUploads() *web.Uploads {
	u, _ := importUploadsDirs.LoadOrStore(s.Transfer.Dir, &web.Uploads{Root: filepath.Join(s.Transfer.Dir, "uploads")})
	return u.(*web.Uploads)
}

func (s *Handler) withUploadScope(h fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.SetUserContext(app.NewContextWithTenant(c.UserContext(), &app.Tenant{ID: app.HouseTenantID}))
		return h(c)
	}
}

type tenantImportsPage struct {
	web.Layout
	Jobs      []*app.TenantImportJob
	MaxUpload string
	Error     string
}

type tenantImportPage struct {
	web.Layout
	Job    *app.TenantImportJob
	Slug   string
	Errors map[string]string
}

func (s *Handler) handleTenantImports(c *fiber.Ctx) error {
	return s.renderTenantImports(c, &tenantImportsPage{})
}

func (s *Handler) renderTenantImports(c *fiber.Ctx, p *tenantImportsPage) error {
	p.Jobs = s.Transfer.ImportJobs()
	p.MaxUpload = app.FormatBytes(MaxImportUpload)
	p.Layout = s.Layout(c, web.HostNexus, "Import a client")
	return s.Render(c, "nexus/tenant_imports", p)
}

func by(c *fiber.Ctx) string {
	if a := web.Admin(c); a != nil {
		return a.Email
	}
	return ""
}

// handleTenantImportForm takes the file posted whole (no JavaScript).
func (s *Handler) handleTenantImportForm(c *fiber.Ctx) error {
	path, name, err := web.SaveFormFile(c, "file", filepath.Join(s.Transfer.Dir, "uploads"), "form-*.sqlite")
	if err != nil {
		return web.FormError(c, err, "file", func(e map[string]string) error {
			return s.renderTenantImports(c, &tenantImportsPage{Error: e["file"]})
		})
	}
	j, err := s.Transfer.StageImport(c.UserContext(), path, name, by(c))
	if err != nil {
		os.Remove(path)
		return err
	}
	return c.Redirect("/tenant-imports/"+j.ID, fiber.StatusSeeOther)
}

func (s *Handler) handleTenantImportUploadFinish(c *fiber.Ctx) error {
	ctx, who := c.UserContext(), by(c)
	c.SetUserContext(app.NewContextWithTenant(ctx, &app.Tenant{ID: app.HouseTenantID}))
	return s.importUploads().Take(c, func(k string) bool { return k == "tenant-import" }, func(m web.UploadMeta, data string) (fiber.Map, error) {
		j, err := s.Transfer.StageImport(ctx, data, m.FileName, who)
		if err != nil {
			return nil, err
		}
		return fiber.Map{"location": "/tenant-imports/" + j.ID, "id": j.ID}, nil
	})
}

func (s *Handler) handleTenantImport(c *fiber.Ctx) error {
	j, err := s.Transfer.ImportJob(c.Params("job"))
	if err != nil {
		return err
	}
	return s.renderTenantImport(c, &tenantImportPage{Job: j, Slug: j.Slug})
}

func (s *Handler) renderTenantImport(c *fiber.Ctx, p *tenantImportPage) error {
	p.Layout = s.Layout(c, web.HostNexus, "Import "+p.Job.FileName)
	return s.Render(c, "nexus/tenant_import", p)
}

func (s *Handler) handleTenantImportCheck(c *fiber.Ctx) error {
	j, err := s.Transfer.CheckImport(c.UserContext(), utils.CopyString(c.Params("job")), web.FormGetter(c)("slug"))
	if err != nil {
		return err
	}
	return c.Redirect("/tenant-imports/"+j.ID, fiber.StatusSeeOther)
}

func (s *Handler) handleTenantImportRun(c *fiber.Ctx) error {
	id := utils.CopyString(c.Params("job"))
	slug := web.FormGetter(c)("slug")
	if _, err := s.Transfer.StartImport(c.UserContext(), id, slug); err != nil {
		return web.FormError(c, err, "file", func(e map[string]string) error {
			j, jerr := s.Transfer.ImportJob(id)
			if jerr != nil {
				return jerr
			}
			return s.renderTenantImport(c, &tenantImportPage{Job: j, Slug: slug, Errors: e})
		})
	}
	s.SetFlash(c, "ok", "Import started: this page follows it.")
	return c.Redirect("/tenant-imports/"+id, fiber.StatusSeeOther)
}
