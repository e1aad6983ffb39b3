package nexus

import (
	"io"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/ui/web"
)

// registerWizardRoutes serves Control Room > New client (issue #22): the
// new-client wizard, one step at a time, resumable (the run's state is
// stored after every step).
func (s *Handler) registerWizardRoutes(r fiber.Router, csrf fiber.Handler) {
	if s.Wizards == nil {
		return
	}
	r.Get("/wizards", s.handleWizards)
	r.Post("/wizards", csrf, s.handleWizardStart)
	r.Get("/wizards/:id", s.handleWizard)
	r.Post("/wizards/:id/steps/:step", csrf, s.handleWizardStep)
	r.Post("/wizards/:id/domain-check", csrf, s.handleWizardDomainCheck)
}

type wizardsPage struct {
	web.Layout
	Wizards []*app.Wizard
}

type wizardPage struct {
	web.Layout
	W          *app.Wizard
	Steps      []app.WizardStepState
	Tenant     *app.Tenant
	Domain     *app.CustomDomain
	Records    []app.DNSRecord
	DomainsOn  bool
	Snapshots  []*app.Snapshot
	SnapshotID int64
	Preview    *app.SnapshotPreview
	Form       map[string]string
	Errors     map[string]string
}

func (s *Handler) handleWizards(c *fiber.Ctx) error {
	p := &wizardsPage{}
	var err error
	if p.Wizards, err = s.Wizards.Wizards(c.UserContext()); err != nil {
		return err
	}
	p.Layout = s.Layout(c, web.HostNexus, "New client")
	return s.Render(c, "nexus/wizards", p)
}

func (s *Handler) handleWizardStart(c *fiber.Ctx) error {
	by := ""
	if a := web.Admin(c); a != nil {
		by = a.Email
	}
	w, err := s.Wizards.Start(c.UserContext(), by)
	if err != nil {
		return err
	}
	return c.Redirect("/wizards/"+strconv.FormatInt(w.ID, 10), fiber.StatusSeeOther)
}

func (s *Handler) wizardParam(c *fiber.Ctx) (*app.Wizard, error) {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return nil, err
	}
	return s.Wizards.Wizard(c.UserContext(), id)
}

func (s *Handler) handleWizard(c *fiber.Ctx) error {
	w, err := s.wizardParam(c)
	if err != nil {
		return err
	}
	p := &wizardPage{}
	// ?snapshot=N on the snapshot step: the preview of applying it.
	if q := c.Query("snapshot"); q != "" && w.Step == app.WizardSnapshot {
		sid, err := strconv.ParseInt(q, 10, 64)
		if err != nil || sid <= 0 {
			return app.FieldErrorf("snapshot", "Choose a snapshot.")
		}
		p.SnapshotID = sid
		if p.Preview, err = s.Wizards.PreviewSnapshot(c.UserContext(), w.ID, sid); err != nil {
			return err
		}
	}
	return s.renderWizard(c, w, p)
}

func (s *Handler) renderWizard(c *fiber.Ctx, w *app.Wizard, p *wizardPage) error {
	ctx := c.UserContext()
	var err error
	p.W, p.Steps = w, w.Progress()
	if w.TenantID != 0 {
		if p.Tenant, err = s.Tenants.TenantByID(ctx, w.TenantID); err != nil && app.ErrorCode(err) != app.ENOTFOUND {
			return err
		}
	}
	if p.Domain, err = s.Wizards.Domain(ctx, w); err != nil {
		return err
	}
	p.Records = s.Wizards.DNSRecords(p.Domain)
	p.DomainsOn = s.Wizards.Domains != nil
	if w.Step == app.WizardSnapshot && s.Snapshots != nil {
		if p.Snapshots, err = s.Snapshots.Snapshots(ctx); err != nil {
			return err
		}
	}
	if p.Form == nil {
		p.Form = map[string]string{}
		if p.Tenant != nil && w.Step == app.WizardBrand {
			p.Form["primary_color"], p.Form["accent_color"] = p.Tenant.PrimaryColor, p.Tenant.AccentColor
		}
	}
	title := "New client"
	if n := w.ClientName(); n != "" {
		title = "New client: " + n
	}
	p.Layout = s.Layout(c, web.HostNexus, title)
	return s.Render(c, "nexus/wizard", p)
}

var wizardFields = map[string][]string{
	app.WizardClient:   {"name", "slug"},
	app.WizardOwner:    {"email", "name"},
	app.WizardBrand:    {"display_name", "primary_color", "accent_color"},
	app.WizardDomain:   {"domain"},
	app.WizardSnapshot: {"snapshot_id"},
}

func (s *Handler) handleWizardStep(c *fiber.Ctx) error {
	w, err := s.wizardParam(c)
	if err != nil {
		return err
	}
	step := utils.CopyString(c.Params("step"))
	g := web.FormGetter(c)
	in := app.WizardInput{Fields: map[string]string{}}
	for _, f := range wizardFields[step] {
		in.Fields[f] = g(f)
	}
	if step == app.WizardBrand {
		if fh, ferr := c.FormFile("logo"); ferr == nil && fh.Size > 0 {
			f, oerr := fh.Open()
			if oerr != nil {
				return oerr
			}
			in.Logo, err = io.ReadAll(io.LimitReader(f, app.MaxLogoBytes+1))
			f.Close()
			if err != nil {
				return err
			}
		}
	}
	nw, err := s.Wizards.Submit(c.UserContext(), w.ID, step, in)
	if err != nil {
		return web.FormError(c, err, "step", func(e map[string]string) error {
			return s.renderWizard(c, w, &wizardPage{Form: in.Fields, Errors: e})
		})
	}
	msg := app.WizardLabel(step) + " done."
	if nw.Finished() {
		msg = nw.ClientName() + " is set up."
	}
	s.SetFlash(c, "ok", msg)
	return c.Redirect("/wizards/"+strconv.FormatInt(w.ID, 10), fiber.StatusSeeOther)
}

func (s *Handler) handleWizardDomainCheck(c *fiber.Ctx) error {
	w, err := s.wizardParam(c)
	if err != nil {
		return err
	}
	d, err := s.Wizards.CheckDomain(c.UserContext(), w.ID)
	if err != nil {
		if app.ErrorCode(err) != app.EINVALID {
			return err
		}
		s.SetFlash(c, "error", app.ErrorMessage(err))
	} else if d.DNSOK {
		s.SetFlash(c, "ok", d.Name+" points here: the domain is "+d.Status+".")
	} else {
		s.SetFlash(c, "warn", d.Name+" does not point here yet: "+d.DNSError)
	}
	return c.Redirect("/wizards/"+strconv.FormatInt(w.ID, 10), fiber.StatusSeeOther)
}
