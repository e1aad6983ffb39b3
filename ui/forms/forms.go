package forms

import (
	"orengen/ui/web"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
)

// registerFormEditorRoutes adds the form editor: Portal > Forms for
// tenant owners, Nexus > Growth > Forms for the house tenant.
func (s *Handler) Mount(r fiber.Router, csrf fiber.Handler, sc web.Scope) {
	r.Get("/forms", s.handleForms(sc))
	r.Get("/forms/new", s.handleFormEdit(sc))
	r.Post("/forms/new", csrf, s.handleFormSave(sc))
	r.Get("/forms/:id", s.handleFormEdit(sc))
	r.Post("/forms/:id", csrf, s.handleFormSave(sc))
	r.Post("/forms/:id/delete", csrf, s.handleFormDelete(sc))
}

// formsCtx is the tenant context the editor works in: the signed-in
// user's tenant in the portal, the house tenant in Nexus.
func (s *Handler) formsCtx(c *fiber.Ctx, sc web.Scope) error {
	if sc.Nexus() {
		c.SetUserContext(app.NewContextWithTenant(c.UserContext(), &app.Tenant{ID: app.HouseTenantID}))
		return nil
	}
	return web.RequireOwner(c, "manage forms")
}

type formsPage struct {
	web.Layout
	Forms  []*app.Form
	Counts map[int64]int
	Base   string // the hosted pages' origin
}

func (s *Handler) handleForms(sc web.Scope) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if s.Forms == nil {
			return app.Errorf(app.ENOTFOUND, "Not found.")
		}
		if err := s.formsCtx(c, sc); err != nil {
			return err
		}
		p := &formsPage{Base: s.formBase(c, sc)}
		var err error
		if p.Forms, err = s.Forms.ListForms(c.UserContext()); err != nil {
			return err
		}
		if p.Counts, err = s.Forms.CountSubmissions(c.UserContext()); err != nil {
			return err
		}
		p.Layout = s.Layout(c, sc.Host, "Forms")
		return s.Render(c, sc.Page("forms"), p)
	}
}

type formEditPage struct {
	web.Layout
	Form       *app.Form
	FieldsText string
	NotifyText string
	Types      []string
	Errors     map[string]string
	URL        string // the hosted page
	EmbedJS    string // the embed script's URL
}

// formBase is the origin of hosted forms shown in the editor: the
// tenant's portal (its custom domain when it is on one), the marketing
// host for Nexus (the house tenant's forms).
func (s *Handler) formBase(c *fiber.Ctx, sc web.Scope) string {
	if sc.Nexus() {
		return s.URL(web.HostSite)
	}
	if web.DomainTenant(c) != nil {
		return c.Protocol() + "://" + c.Hostname()
	}
	return s.URL(web.HostPortal)
}

func (s *Handler) renderFormEdit(c *fiber.Ctx, sc web.Scope, p *formEditPage) error {
	p.Types = app.FormFieldTypes
	if p.Form.ID != 0 {
		base := s.formBase(c, sc)
		p.URL = base + "/f/" + strconv.FormatInt(p.Form.ID, 10)
		p.EmbedJS = base + "/embed.js"
	}
	title := "New form"
	if p.Form.ID != 0 {
		title = p.Form.Name
	}
	p.Layout = s.Layout(c, sc.Host, title)
	return s.Render(c, sc.Page("form"), p)
}

func (s *Handler) handleFormEdit(sc web.Scope) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if s.Forms == nil {
			return app.Errorf(app.ENOTFOUND, "Not found.")
		}
		if err := s.formsCtx(c, sc); err != nil {
			return err
		}
		f := &app.Form{Fields: []app.FormField{
			{Name: "name", Label: "Name", Type: app.FieldText, Required: true},
			{Name: "email", Label: "Email", Type: app.FieldEmail, Required: true},
			{Name: "message", Label: "Message", Type: app.FieldTextarea},
		}}
		if c.Params("id") != "" {
			id, err := web.ParamID(c, "id")
			if err != nil {
				return err
			}
			if f, err = s.Forms.Form(c.UserContext(), id); err != nil {
				return err
			}
		}
		return s.renderFormEdit(c, sc, &formEditPage{Form: f, FieldsText: app.FormatFormFields(f.Fields), NotifyText: strings.Join(f.Notify, ", ")})
	}
}

func (s *Handler) handleFormSave(sc web.Scope) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if s.Forms == nil {
			return app.Errorf(app.ENOTFOUND, "Not found.")
		}
		if err := s.formsCtx(c, sc); err != nil {
			return err
		}
		ctx := c.UserContext()
		f := &app.Form{}
		if c.Params("id") != "" {
			id, err := web.ParamID(c, "id")
			if err != nil {
				return err
			}
			if f, err = s.Forms.Form(ctx, id); err != nil {
				return err
			}
		}
		p := &formEditPage{Form: f, FieldsText: utils.CopyString(c.FormValue("fields")), NotifyText: utils.CopyString(c.FormValue("notify"))}
		f.Name = utils.CopyString(c.FormValue("name"))
		f.Consent = utils.CopyString(c.FormValue("consent"))
		f.SuccessMessage = utils.CopyString(c.FormValue("success_message"))
		f.RedirectURL = utils.CopyString(c.FormValue("redirect_url"))
		f.Notify = app.ParseNotify(p.NotifyText)
		fields, err := app.ParseFormFields(p.FieldsText)
		if err == nil {
			f.Fields = fields
			err = s.Forms.SaveForm(ctx, f)
		}
		if app.ErrorCode(err) == app.EINVALID {
			p.Errors = map[string]string{app.ErrorField(err): app.ErrorMessage(err)}
			c.Status(fiber.StatusBadRequest)
			return s.renderFormEdit(c, sc, p)
		} else if err != nil {
			return err
		}
		s.SetFlash(c, "ok", "Form saved. Share its link or paste the embed code on your site.")
		return c.Redirect("/forms/"+strconv.FormatInt(f.ID, 10), fiber.StatusSeeOther)
	}
}

func (s *Handler) handleFormDelete(sc web.Scope) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if s.Forms == nil {
			return app.Errorf(app.ENOTFOUND, "Not found.")
		}
		if err := s.formsCtx(c, sc); err != nil {
			return err
		}
		id, err := web.ParamID(c, "id")
		if err != nil {
			return err
		}
		if err := s.Forms.DeleteForm(c.UserContext(), id); err != nil {
			return err
		}
		s.SetFlash(c, "ok", "Form deleted. Its submissions and contacts stay.")
		return c.Redirect("/forms", fiber.StatusSeeOther)
	}
}
