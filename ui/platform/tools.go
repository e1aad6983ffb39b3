package platform

import (
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/app/platform"
	"orengen/ui/web"
)

// Nexus > FOSS registry > Tools we run: the agency's register of the
// open-source tools it runs for itself and its clients, each with where
// it is deployed and when its next update is due. A week before that day
// a task lands in the house CRM (Nexus > CRM > Tasks).

type toolsPage struct {
	web.Layout
	Tools   []*platform.Tool
	Tenants []*app.Tenant
	Now     time.Time
	Form    toolForm
	Edit    bool // the form edits Form.ID
	Errors  map[string]string
}

// toolForm is the add/edit form as posted (strings, so a bad value is
// shown back as typed).
type toolForm struct {
	ID                                           int64
	Name, Version, Licence, URL, Deployed, Notes string
	TenantID                                     string
	UpdateDue                                    string // YYYY-MM-DD
}

func formOf(t *platform.Tool) toolForm {
	f := toolForm{ID: t.ID, Name: t.Name, Version: t.Version, Licence: t.Licence, URL: t.URL, Deployed: t.Deployed, Notes: t.Notes}
	if t.TenantID != 0 {
		f.TenantID = strconv.FormatInt(t.TenantID, 10)
	}
	if t.UpdateDue != nil {
		f.UpdateDue = t.UpdateDue.Format(time.DateOnly)
	}
	return f
}

// tool reads the tool the form describes. Returns
// EINVALID naming the field.
func (f toolForm) tool() (*platform.Tool, error) {
	t := &platform.Tool{ID: f.ID, Name: f.Name, Version: f.Version, Licence: f.Licence, URL: f.URL, Deployed: f.Deployed, Notes: f.Notes}
	if v := strings.TrimSpace(f.TenantID); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return nil, app.FieldErrorf("tenant_id", "Unknown client %q.", v)
		}
		t.TenantID = id
	}
	if v := strings.TrimSpace(f.UpdateDue); v != "" {
		d, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return nil, app.FieldErrorf("update_due", "Enter the date as YYYY-MM-DD, like 2027-01-15.")
		}
		t.UpdateDue = &d
	}
	return t, nil
}

func (s *Handler) mountNexusTools(r fiber.Router, csrf fiber.Handler) {
	r.Get("/foss/tools", s.handleTools)
	r.Post("/foss/tools", csrf, s.handleToolSave)
	r.Get("/foss/tools/:id", s.handleToolEdit)
	r.Post("/foss/tools/:id", csrf, s.handleToolSave)
	r.Post("/foss/tools/:id/delete", csrf, s.handleToolDelete)
}

func (s *Handler) renderTools(c *fiber.Ctx, p *toolsPage) error {
	var err error
	if p.Tools, err = s.Tools.List(c.UserContext()); err != nil {
		return err
	}
	if s.Tenants != nil {
		if p.Tenants, err = s.Tenants.ListTenants(c.UserContext()); err != nil {
			return err
		}
	}
	p.Now = time.Now()
	p.Layout = s.Layout(c, web.HostNexus, "Open-source tools we run")
	return s.Render(c, "nexus/foss_tools", p)
}

func (s *Handler) handleTools(c *fiber.Ctx) error { return s.renderTools(c, &toolsPage{}) }

func (s *Handler) handleToolEdit(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	t, err := s.Tools.Get(c.UserContext(), id)
	if err != nil {
		return err
	}
	return s.renderTools(c, &toolsPage{Form: formOf(t), Edit: true})
}

func (s *Handler) handleToolSave(c *fiber.Ctx) error {
	f := toolForm{Name: utils.CopyString(c.FormValue("name")), Version: utils.CopyString(c.FormValue("version")), Licence: utils.CopyString(c.FormValue("licence")),
		URL: utils.CopyString(c.FormValue("url")), Deployed: utils.CopyString(c.FormValue("deployed")), Notes: utils.CopyString(c.FormValue("notes")),
		TenantID: utils.CopyString(c.FormValue("tenant_id")), UpdateDue: utils.CopyString(c.FormValue("update_due"))}
	edit := c.Params("id") != ""
	if edit {
		id, err := web.ParamID(c, "id")
		if err != nil {
			return err
		}
		if _, err := s.Tools.Get(c.UserContext(), id); err != nil {
			return err
		}
		f.ID = id
	}
	t, err := f.tool()
	if err == nil {
		if edit {
			err = s.Tools.Update(c.UserContext(), t)
		} else {
			err = s.Tools.Create(c.UserContext(), t)
		}
	}
	if app.ErrorCode(err) == app.EINVALID {
		return web.FormError(c, err, "name", func(e map[string]string) error { return s.renderTools(c, &toolsPage{Form: f, Edit: edit, Errors: e}) })
	} else if err != nil {
		return err
	}
	s.SetFlash(c, "ok", t.Name+" saved.")
	return c.Redirect("/foss/tools", fiber.StatusSeeOther)
}

func (s *Handler) handleToolDelete(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	if err := s.Tools.Delete(c.UserContext(), id); err != nil {
		return err
	}
	s.SetFlash(c, "ok", "Tool removed from the register.")
	return c.Redirect("/foss/tools", fiber.StatusSeeOther)
}
