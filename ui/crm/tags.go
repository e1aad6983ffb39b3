package crm

import (
	"fmt"
	"orengen/ui/web"

	"github.com/gofiber/fiber/v2"

	"orengen/app"
)

// The tenant's tag list (CRM settings > Tags): every tag used on people,
// companies and deals with its counts, each linked to the filtered list;
// owners rename or delete a tag on every record at once.

type crmTagsPage struct {
	web.Layout
	Tags     []app.TagCount
	CanWrite bool
	Form     map[string]string
	Errors   map[string]string
}

func (s *Handler) tagStore() (*app.CRMService, error) {
	if s.CRM.Tags == nil {
		return nil, app.Errorf(app.ENOTFOUND, "Tags are not available.")
	}
	return s.CRM, nil
}

func (s *Handler) handleCRMTags(c *fiber.Ctx) error {
	return s.renderCRMTags(c, &crmTagsPage{})
}

func (s *Handler) renderCRMTags(c *fiber.Ctx, p *crmTagsPage) error {
	ts, err := s.tagStore()
	if err != nil {
		return err
	}
	if p.Tags, err = ts.FindTags(c.UserContext()); err != nil {
		return err
	}
	p.CanWrite = requireCRMOwner(c) == nil
	if p.Form == nil {
		p.Form = map[string]string{}
	}
	p.Layout = s.Layout(c, web.HostPortal, "CRM tags")
	return s.Render(c, "portal/crm_tags", p)
}

// handleCRMTagRename renames form tag to form to on every record of the
// tenant (owners only). A tag no record of the tenant carries is 404.
func (s *Handler) handleCRMTagRename(c *fiber.Ctx) error {
	return s.changeTag(c, true)
}

// handleCRMTagDelete removes form tag from every record of the tenant
// (owners only).
func (s *Handler) handleCRMTagDelete(c *fiber.Ctx) error {
	return s.changeTag(c, false)
}

func (s *Handler) changeTag(c *fiber.Ctx, rename bool) error {
	if err := requireCRMOwner(c); err != nil {
		return err
	}
	ts, err := s.tagStore()
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	form := web.FormMap(c, "tag", "to")
	var n int
	if rename {
		n, err = ts.RenameTag(ctx, form["tag"], form["to"])
	} else {
		n, err = ts.DeleteTag(ctx, form["tag"])
	}
	if err != nil {
		if app.ErrorCode(err) != app.EINVALID {
			return err
		}
		c.Status(fiber.StatusBadRequest)
		return s.renderCRMTags(c, &crmTagsPage{Form: form, Errors: map[string]string{"to": app.ErrorMessage(err), "for": form["tag"]}})
	}
	msg := fmt.Sprintf("Tag %q deleted from %s.", form["tag"], app.Plural(n, "record", "records"))
	if rename {
		msg = fmt.Sprintf("Tag %q renamed on %s.", form["tag"], app.Plural(n, "record", "records"))
		s.Audit.Record(ctx, "crm.tag.rename", form["tag"], form["to"])
	} else {
		s.Audit.Record(ctx, "crm.tag.delete", form["tag"], "")
	}
	s.SetFlash(c, "ok", msg)
	return c.Redirect("/crm/settings/tags", fiber.StatusSeeOther)
}
