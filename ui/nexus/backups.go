package nexus

import (
	"fmt"
	"orengen/ui/web"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
)

func (s *Handler) registerBackupRoutes(r fiber.Router, csrf fiber.Handler) {
	r.Get("/backups", s.handleBackups)
	r.Post("/backups/drill", csrf, s.handleBackupDrill)
}

type backupsPage struct {
	web.Layout
	Configured bool
	Overview   *app.BackupOverview
	Drills     []*app.BackupDrill
	Points     []*app.RestorePoint
	Running    bool
	CanWrite   bool
	Errors     map[string]string
}

func (s *Handler) handleBackups(c *fiber.Ctx) error {
	return s.renderBackups(c, &backupsPage{})
}

func (s *Handler) renderBackups(c *fiber.Ctx, p *backupsPage) error {
	p.Layout = s.Layout(c, web.HostNexus, "Backups")
	p.CanWrite = web.Admin(c).Role == app.RoleOwner
	if s.Backups != nil {
		p.Configured = true
		p.Overview = s.Backups.Overview(c.UserContext())
		var err error
		if p.Drills, err = s.Backups.Drills(c.UserContext()); err != nil {
			return err
		}
		if p.Points, err = s.Backups.RestorePoints(c.UserContext()); err != nil {
			return err
		}
		for _, d := range p.Drills {
			p.Running = p.Running || d.Status == "running"
		}
	}
	if p.Running {
		// The page refreshes itself while a drill runs (no script needed).
		c.Set("Refresh", "3")
	}
	return s.Render(c, "nexus/backups", p)
}

// handleBackupDrill starts a restore drill in the background; the page
// shows it running, then its result.
func (s *Handler) handleBackupDrill(c *fiber.Ctx) error {
	if err := requireOwnerAdmin(c, "run restore drills"); err != nil {
		return err
	}
	if s.Backups == nil {
		return app.Errorf(app.EINVALID, "No replica is configured: set --backup-dir or --replica first.")
	}
	replica, db := utils.CopyString(c.FormValue("replica")), utils.CopyString(c.FormValue("db"))
	d, err := s.Backups.StartDrill(c.UserContext(), replica, db)
	if err != nil {
		if code := app.ErrorCode(err); code == app.EINVALID || code == app.ECONFLICT {
			c.Status(web.ErrorStatus(code))
			return s.renderBackups(c, &backupsPage{Errors: map[string]string{web.FieldOr(err, "replica"): app.ErrorMessage(err)}})
		}
		return err
	}
	s.Audit.Record(c.UserContext(), "backup.drill", "replica:"+replica, db)
	s.SetFlash(c, "ok", fmt.Sprintf("Restore drill #%d started: %s from %s.", d.ID, db, replica))
	return c.Redirect("/backups", fiber.StatusSeeOther)
}
