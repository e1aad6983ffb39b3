package nexus

import (
	"github.com/gofiber/fiber/v2"

	"orengen/app"
	"orengen/ui/web"
)

// registerTransferRoutes serves a tenant's export (issue #22): started
// here, written in the background with its progress shown, then
// downloaded as one SQLite file.
func (s *Handler) registerTransferRoutes(r fiber.Router, csrf fiber.Handler) {
	if s.Transfer == nil {
		return
	}
	r.Get("/tenants/:id/export", s.handleTenantExports)
	r.Post("/tenants/:id/export", csrf, s.handleTenantExportStart)
	r.Get("/tenants/:id/export/:job", s.handleTenantExportDownload)
}

type tenantExportPage struct {
	web.Layout
	T       *app.Tenant
	Jobs    []*app.ExportJob
	Running bool
}

func (s *Handler) handleTenantExports(c *fiber.Ctx) error {
	t, err := s.tenantParam(c)
	if err != nil {
		return err
	}
	p := &tenantExportPage{T: t, Jobs: s.Transfer.ExportJobs(t.ID)}
	for _, j := range p.Jobs {
		if !j.Finished() {
			p.Running = true
		}
	}
	p.Layout = s.Layout(c, web.HostNexus, "Export "+t.Name)
	return s.Render(c, "nexus/tenant_export", p)
}

func (s *Handler) handleTenantExportStart(c *fiber.Ctx) error {
	t, err := s.tenantParam(c)
	if err != nil {
		return err
	}
	if _, err := s.Transfer.StartExport(c.UserContext(), t.ID); err != nil {
		return err
	}
	s.SetFlash(c, "ok", "Export started: it appears below when done.")
	return c.Redirect("/tenants/"+c.Params("id")+"/export", fiber.StatusSeeOther)
}

func (s *Handler) handleTenantExportDownload(c *fiber.Ctx) error {
	t, err := s.tenantParam(c)
	if err != nil {
		return err
	}
	f, j, err := s.Transfer.ExportFile(t.ID, c.Params("job"))
	if err != nil {
		return err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	c.Set(fiber.HeaderContentType, "application/vnd.sqlite3")
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+web.ASCIIName(j.FileName())+`"`)
	// fasthttp closes the file when the body is sent.
	return c.SendStream(f, int(fi.Size()))
}
