package inbox

import (
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/app/inbox"
	"orengen/ui/web"
)

// Quiet hours (issue #18) in the portal: the tenant's window in which
// workflow texts and calls are held until it ends.

func (s *Handler) mountQuiet(r fiber.Router, csrf fiber.Handler, sc web.Scope) {
	if sc.Nexus() || s.Inbox.Quiet == nil {
		return
	}
	r.Get("/inbox/quiet", s.page(sc, s.handleQuiet))
	r.Post("/inbox/quiet", csrf, s.page(sc, s.handleQuietSave))
}

type quietPage struct {
	web.Layout
	Quiet  *inbox.Quiet
	Errors map[string]string
}

func (s *Handler) quiet(c *fiber.Ctx, sc web.Scope, p *quietPage) error {
	if p.Quiet == nil {
		q, err := s.Inbox.QuietSettings(c.UserContext(), 0)
		if err != nil {
			return err
		}
		p.Quiet = q
	}
	p.Layout = s.Layout(c, sc.Host, "Quiet hours")
	return s.Render(c, sc.Page("inbox_quiet"), p)
}

func (s *Handler) handleQuiet(c *fiber.Ctx, sc web.Scope) error { return s.quiet(c, sc, &quietPage{}) }

// handleQuietSave stores the window (the owner). Bad input re-renders
// the form naming the field, with 400.
func (s *Handler) handleQuietSave(c *fiber.Ctx, sc web.Scope) error {
	if err := web.RequireOwner(c, "set quiet hours"); err != nil {
		return err
	}
	q := &inbox.Quiet{Enabled: c.FormValue("enabled") != "", Start: utils.CopyString(c.FormValue("start")), End: utils.CopyString(c.FormValue("end"))}
	if err := s.Inbox.SaveQuiet(c.UserContext(), q); err != nil {
		if app.ErrorCode(err) != app.EINVALID {
			return err
		}
		c.Status(fiber.StatusBadRequest)
		return s.quiet(c, sc, &quietPage{Quiet: q, Errors: map[string]string{web.FieldOr(err, "start"): app.ErrorMessage(err)}})
	}
	s.SetFlash(c, "success", "Quiet hours saved.")
	return c.Redirect("/inbox/quiet", fiber.StatusSeeOther)
}
