package ui

import (
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
)

func (s *Server) registerBackupRoutes(r fiber.Router, csrf fiber.Handler) {
	r.Get("/backups", s.handleBackups)
	r.Post("/backups/drill", csrf, s.handleBackupDrill)
}

type backupsPage struct {
	Layout
	Configured bool
	Overview   *app.BackupOverview
	Drills     []*app.BackupDrill
	Points     []*app.RestorePoint
	Running    bool
	CanWrite   bool
	Errors     map[string]string
}

func (s *Server) handleBackups(c *fiber.Ctx) error {
	return s.renderBackups(c, &backupsPage{})
}

func (s *Server) renderBackups(c *fiber.Ctx, p *backupsPage) error {
	p.Layout = s.layout(c, HostNexus, "Backups")
	p.CanWrite = currentAdmin(c).Role == app.RoleOwner
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
	return s.render(c, "nexus/backups", p)
}

// handleBackupDrill starts a restore drill in the background; the page
// shows it running, then its result.
func (s *Server) handleBackupDrill(c *fiber.Ctx) error {
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
			c.Status(ErrorStatus(code))
			return s.renderBackups(c, &backupsPage{Errors: map[string]string{fieldOr(err, "replica"): app.ErrorMessage(err)}})
		}
		return err
	}
	s.Audit.Record(c.UserContext(), "backup.drill", "replica:"+replica, db)
	s.setFlash(c, "ok", fmt.Sprintf("Restore drill #%d started: %s from %s.", d.ID, db, replica))
	return c.Redirect("/backups", fiber.StatusSeeOther)
}

// ago formats how long ago t was, for the Backups page.
func ago(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := time.Since(t).Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}
