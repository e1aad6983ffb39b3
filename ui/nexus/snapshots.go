package nexus

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"orengen/app"
	"orengen/ui/web"
)

// registerSnapshotRoutes serves Control Room > Snapshots (issue #22):
// capture a tenant's configuration, preview what applying it to a tenant
// creates, and apply it.
func (s *Handler) registerSnapshotRoutes(r fiber.Router, csrf fiber.Handler) {
	if s.Snapshots == nil {
		return
	}
	r.Get("/snapshots", s.handleSnapshots)
	r.Post("/snapshots", csrf, s.handleSnapshotCapture)
	r.Get("/snapshots/:id", s.handleSnapshot)
	r.Post("/snapshots/:id/apply", csrf, s.handleSnapshotApply)
	r.Post("/snapshots/:id/delete", csrf, s.handleSnapshotDelete)
}

type snapshotsPage struct {
	web.Layout
	Snapshots []*app.Snapshot
	Tenants   []*app.Tenant
	Form      struct{ Name, Description, Tenant string }
	Errors    map[string]string
}

type snapshotPage struct {
	web.Layout
	Snapshot *app.Snapshot
	Tenants  []*app.Tenant
	Tenant   int64
	Preview  *app.SnapshotPreview
	Errors   map[string]string
}

func (s *Handler) handleSnapshots(c *fiber.Ctx) error {
	return s.renderSnapshots(c, &snapshotsPage{})
}

func (s *Handler) renderSnapshots(c *fiber.Ctx, p *snapshotsPage) error {
	var err error
	if p.Snapshots, err = s.Snapshots.Snapshots(c.UserContext()); err != nil {
		return err
	}
	if p.Tenants, err = s.Tenants.ListTenants(c.UserContext()); err != nil {
		return err
	}
	p.Layout = s.Layout(c, web.HostNexus, "Snapshots")
	return s.Render(c, "nexus/snapshots", p)
}

func (s *Handler) handleSnapshotCapture(c *fiber.Ctx) error {
	g := web.FormGetter(c)
	p := &snapshotsPage{}
	p.Form.Name, p.Form.Description, p.Form.Tenant = g("name"), g("description"), g("tenant")
	tid, err := strconv.ParseInt(p.Form.Tenant, 10, 64)
	if err != nil || tid <= 0 {
		p.Errors = map[string]string{"tenant": "Choose the tenant to capture."}
		c.Status(fiber.StatusUnprocessableEntity)
		return s.renderSnapshots(c, p)
	}
	by := ""
	if a := web.Admin(c); a != nil {
		by = a.Email
	}
	sn, err := s.Snapshots.Capture(c.UserContext(), tid, p.Form.Name, p.Form.Description, by)
	if err != nil {
		return web.FormError(c, err, "name", func(e map[string]string) error { p.Errors = e; return s.renderSnapshots(c, p) })
	}
	s.SetFlash(c, "ok", "Captured "+sn.Name+" version "+strconv.Itoa(sn.Version)+".")
	return c.Redirect("/snapshots/"+strconv.FormatInt(sn.ID, 10), fiber.StatusSeeOther)
}

func (s *Handler) handleSnapshot(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	p := &snapshotPage{}
	if p.Snapshot, err = s.Snapshots.Snapshot(c.UserContext(), id); err != nil {
		return err
	}
	if p.Tenants, err = s.Tenants.ListTenants(c.UserContext()); err != nil {
		return err
	}
	// ?tenant=N: the preview of applying it there.
	if q := c.Query("tenant"); q != "" {
		tid, err := strconv.ParseInt(q, 10, 64)
		if err != nil || tid <= 0 {
			return app.FieldErrorf("tenant", "Choose the tenant to apply the snapshot to.")
		}
		p.Tenant = tid
		if p.Preview, err = s.Snapshots.Preview(c.UserContext(), id, tid); err != nil {
			return err
		}
	}
	p.Layout = s.Layout(c, web.HostNexus, "Snapshot "+p.Snapshot.Name)
	return s.Render(c, "nexus/snapshot", p)
}

func (s *Handler) handleSnapshotApply(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	tid, err := strconv.ParseInt(web.FormGetter(c)("tenant"), 10, 64)
	if err != nil || tid <= 0 {
		return app.FieldErrorf("tenant", "Choose the tenant to apply the snapshot to.")
	}
	p, err := s.Snapshots.Apply(c.UserContext(), id, tid)
	if err != nil {
		return err
	}
	s.SetFlash(c, "ok", "Applied "+p.Snapshot.Name+" to "+p.Tenant.Name+": "+strconv.Itoa(p.Count(app.SnapshotCreate))+" created, "+strconv.Itoa(p.Count(app.SnapshotExists))+" kept.")
	return c.Redirect("/tenants/"+strconv.FormatInt(tid, 10), fiber.StatusSeeOther)
}

func (s *Handler) handleSnapshotDelete(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	if err := s.Snapshots.Delete(c.UserContext(), id); err != nil {
		return err
	}
	s.SetFlash(c, "ok", "Snapshot deleted.")
	return c.Redirect("/snapshots", fiber.StatusSeeOther)
}
