package automation

import (
	"fmt"
	"orengen/ui/web"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
)

// registerPortalAutomationRoutes adds the client's side of automation
// requests (tenant owners): the catalogue, a request, and each request
// with its workflow and runs.
func (s *Handler) MountPortalRequests(r fiber.Router, csrf fiber.Handler) {
	r.Get("/automations", s.handlePortalAutomations)
	r.Post("/automations/request", csrf, s.handlePortalAutomationRequest)
	r.Get("/automations/requests/:id", s.handlePortalAutomation)
}

// registerAutomationRequestRoutes adds the admin's decisions (Nexus).
func (s *Handler) registerAutomationRequestRoutes(r fiber.Router, csrf fiber.Handler) {
	r.Post("/automations/requests/:id/approve", csrf, s.handleAutomationRequestApprove)
	r.Post("/automations/requests/:id/reject", csrf, s.handleAutomationRequestReject)
}

type portalAutomationsPage struct {
	web.Layout
	Templates   []*app.AutomationTemplate
	Automations []*app.TenantAutomation
	Workflows   []*app.Workflow // every workflow of the tenant, requested or built here
	// The form sent back on an error.
	Template string
	Params   map[string]string
	Errors   map[string]string
}

func (s *Handler) handlePortalAutomations(c *fiber.Ctx) error {
	if err := web.RequireOwner(c, "request automations"); err != nil {
		return err
	}
	return s.renderPortalAutomations(c, &portalAutomationsPage{})
}

func (s *Handler) renderPortalAutomations(c *fiber.Ctx, p *portalAutomationsPage) error {
	var err error
	if p.Automations, err = s.Automations.TenantAutomations(c.UserContext()); err != nil {
		return err
	}
	if p.Workflows, err = s.Automations.Workflows(c.UserContext()); err != nil {
		return err
	}
	p.Templates = app.AutomationTemplates
	p.Layout = s.Layout(c, web.HostPortal, "Automations")
	return s.Render(c, "portal/automations", p)
}

func (s *Handler) handlePortalAutomationRequest(c *fiber.Ctx) error {
	if err := web.RequireOwner(c, "request automations"); err != nil {
		return err
	}
	key := utils.CopyString(c.FormValue("template"))
	params := map[string]string{}
	if t := app.FindAutomationTemplate(key); t != nil {
		for _, p := range t.Params {
			params[p.Name] = utils.CopyString(c.FormValue(p.Name))
		}
	}
	r, err := s.Automations.RequestAutomation(c.UserContext(), key, params)
	if app.ErrorCode(err) == app.EINVALID {
		c.Status(fiber.StatusBadRequest)
		return s.renderPortalAutomations(c, &portalAutomationsPage{Template: key, Params: params,
			Errors: map[string]string{app.ErrorField(err): app.ErrorMessage(err)}})
	} else if err != nil {
		return err
	}
	s.SetFlash(c, "ok", fmt.Sprintf("Requested %q. We will set it up and you will see it here once it is approved.", r.TemplateName()))
	return c.Redirect("/automations", fiber.StatusSeeOther)
}

type portalAutomationPage struct {
	web.Layout
	Automation *app.TenantAutomation
}

func (s *Handler) handlePortalAutomation(c *fiber.Ctx) error {
	if err := web.RequireOwner(c, "request automations"); err != nil {
		return err
	}
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return app.Errorf(app.ENOTFOUND, "Automation request not found.")
	}
	a, err := s.Automations.TenantAutomation(c.UserContext(), id)
	if err != nil {
		return err
	}
	p := &portalAutomationPage{Automation: a}
	p.Layout = s.Layout(c, web.HostPortal, a.Request.TemplateName())
	return s.Render(c, "portal/automation", p)
}

func (s *Handler) handleAutomationRequestApprove(c *fiber.Ctx) error {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return app.Errorf(app.ENOTFOUND, "Automation request not found.")
	}
	w, missing, err := s.Automations.ApproveRequest(c.UserContext(), id)
	switch {
	case app.ErrorCode(err) == app.ECONFLICT || app.ErrorCode(err) == app.EINVALID:
		s.SetFlash(c, "error", app.ErrorMessage(err))
	case err != nil:
		return err
	case len(missing) > 0:
		s.SetFlash(c, "error", fmt.Sprintf("Approved: workflow %q was created disabled because the client's account needs %s. Configure it, then enable the workflow.", w.Name, joinAnd(missing)))
	default:
		s.SetFlash(c, "ok", fmt.Sprintf("Approved: workflow %q is enabled in the client's account.", w.Name))
	}
	return c.Redirect("/automations", fiber.StatusSeeOther)
}

func (s *Handler) handleAutomationRequestReject(c *fiber.Ctx) error {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return app.Errorf(app.ENOTFOUND, "Automation request not found.")
	}
	err = s.Automations.RejectRequest(c.UserContext(), id, utils.CopyString(c.FormValue("note")))
	switch {
	case app.ErrorCode(err) == app.ECONFLICT || app.ErrorCode(err) == app.EINVALID:
		s.SetFlash(c, "error", app.ErrorMessage(err))
	case err != nil:
		return err
	default:
		s.SetFlash(c, "ok", "Request rejected; the client sees the reason.")
	}
	return c.Redirect("/automations", fiber.StatusSeeOther)
}

func joinAnd(xs []string) string {
	out := ""
	for i, x := range xs {
		if i > 0 {
			out += " and "
		}
		out += x
	}
	return out
}

// requestRow is a request on the Nexus page with what approving it would
// still need.
type requestRow struct {
	*app.AutomationRequest
	Missing []string
}
