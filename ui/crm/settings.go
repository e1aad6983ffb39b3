package crm

import (
	"fmt"
	"orengen/ui/web"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
)

// CRM settings in the portal: custom fields and pipelines. Everyone sees
// them; only owners change them.

type crmSettingsPage struct {
	web.Layout
	Fields    []*app.CustomField
	Pipelines []*app.Pipeline
	CanWrite  bool
	Form      map[string]string
	Errors    map[string]string
}

func requireCRMOwner(c *fiber.Ctx) error {
	if u := web.User(c); u == nil || u.Role != app.UserRoleOwner {
		return app.Errorf(app.EFORBIDDEN, "Only an owner can change CRM settings.")
	}
	return nil
}

func (s *Handler) handleCRMSettings(c *fiber.Ctx) error {
	return s.renderCRMSettings(c, &crmSettingsPage{})
}

func (s *Handler) renderCRMSettings(c *fiber.Ctx, p *crmSettingsPage) error {
	ctx := c.UserContext()
	var err error
	if p.Fields, err = s.CRM.FindCustomFields(ctx, ""); err != nil {
		return err
	}
	if p.Pipelines, err = s.CRM.Pipelines(ctx); err != nil {
		return err
	}
	p.CanWrite = requireCRMOwner(c) == nil
	if p.Form == nil {
		p.Form = map[string]string{}
	}
	p.Layout = s.Layout(c, web.HostPortal, "CRM settings")
	return s.Render(c, "portal/crm_settings", p)
}

func (s *Handler) settingsError(c *fiber.Ctx, form map[string]string, err error, def string) error {
	if app.ErrorCode(err) != app.EINVALID && app.ErrorCode(err) != app.ECONFLICT {
		return err
	}
	c.Status(web.ErrorStatus(app.ErrorCode(err)))
	return s.renderCRMSettings(c, &crmSettingsPage{Form: form, Errors: map[string]string{web.FieldOr(err, def): app.ErrorMessage(err)}})
}

func (s *Handler) handleCRMFieldCreate(c *fiber.Ctx) error {
	if err := requireCRMOwner(c); err != nil {
		return err
	}
	form := web.FormMap(c, "object", "key", "label", "type", "options")
	f := &app.CustomField{Object: form["object"], Key: form["key"], Label: form["label"], Type: form["type"], Options: web.SplitList(form["options"])}
	if err := s.CRM.CreateCustomField(c.UserContext(), f); err != nil {
		return s.settingsError(c, form, err, "key")
	}
	s.SetFlash(c, "ok", "Custom field added.")
	return c.Redirect("/crm/settings", fiber.StatusSeeOther)
}

func (s *Handler) handleCRMFieldDelete(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	if err := requireCRMOwner(c); err != nil {
		return err
	}
	if err := s.CRM.DeleteCustomField(c.UserContext(), id); err != nil {
		return err
	}
	s.SetFlash(c, "ok", "Custom field deleted with its values.")
	return c.Redirect("/crm/settings", fiber.StatusSeeOther)
}

// parseStages reads one stage a line: "Name | probability | won|lost".
// Existing stages are matched by name, so they keep their deals.
func parseStages(text string, cur *app.Pipeline) ([]*app.Stage, error) {
	var out []*app.Stage
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		parts := strings.Split(line, "|")
		st := &app.Stage{Name: strings.TrimSpace(parts[0])}
		if len(parts) > 1 && strings.TrimSpace(parts[1]) != "" {
			n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(parts[1]), "%"))
			if err != nil {
				return nil, app.FieldErrorf("stages", "Line %d: the probability must be a whole number from 0 to 100.", i+1)
			}
			st.Probability = n
		}
		if len(parts) > 2 {
			switch strings.ToLower(strings.TrimSpace(parts[2])) {
			case "won":
				st.Won = true
			case "lost":
				st.Lost = true
			case "":
			default:
				return nil, app.FieldErrorf("stages", "Line %d: the third part must be won or lost.", i+1)
			}
		}
		if cur != nil {
			if old := cur.StageByRef(st.Name); old != nil {
				st.ID = old.ID
			}
		}
		out = append(out, st)
	}
	return out, nil
}

func (s *Handler) handleCRMPipelineCreate(c *fiber.Ctx) error {
	if err := requireCRMOwner(c); err != nil {
		return err
	}
	form := web.FormMap(c, "name", "stages")
	stages, err := parseStages(form["stages"], nil)
	if err == nil {
		err = s.CRM.CreatePipeline(c.UserContext(), &app.Pipeline{Name: form["name"], Stages: stages})
	}
	if err != nil {
		return s.settingsError(c, form, err, "name")
	}
	s.SetFlash(c, "ok", "Pipeline added.")
	return c.Redirect("/crm/settings", fiber.StatusSeeOther)
}

func (s *Handler) handleCRMPipelineUpdate(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	if err := requireCRMOwner(c); err != nil {
		return err
	}
	ps, err := s.CRM.Pipelines(c.UserContext())
	if err != nil {
		return err
	}
	var cur *app.Pipeline
	for _, p := range ps {
		if p.ID == id {
			cur = p
		}
	}
	if cur == nil {
		return app.Errorf(app.ENOTFOUND, "Pipeline not found.")
	}
	name := utils.CopyString(c.FormValue("name"))
	stages, err := parseStages(utils.CopyString(c.FormValue("stages")), cur)
	if err == nil {
		_, err = s.CRM.UpdatePipeline(c.UserContext(), id, &name, stages)
	}
	if err != nil {
		return s.settingsError(c, map[string]string{}, fmt.Errorf("pipeline %s: %w", cur.Name, err), "stages")
	}
	s.SetFlash(c, "ok", "Pipeline saved.")
	return c.Redirect("/crm/settings", fiber.StatusSeeOther)
}

// customFromForm reads custom.<key> form values by the fields' types: an
// empty value removes the field's value. Returns EINVALID naming
// custom.<key>.
func customFromForm(c *fiber.Ctx, defs []*app.CustomField) (map[string]any, error) {
	out := map[string]any{}
	for _, f := range defs {
		name := "custom." + f.Key
		raw := strings.TrimSpace(c.FormValue(name))
		switch f.Type {
		case app.CustomCheckbox:
			out[f.Key] = raw != ""
		case app.CustomMultiSelect:
			var vals []any
			for _, v := range c.Context().PostArgs().PeekMulti(name) {
				vals = append(vals, string(v))
			}
			if len(vals) == 0 {
				out[f.Key] = nil
			} else {
				out[f.Key] = vals
			}
		case app.CustomNumber:
			if raw == "" {
				out[f.Key] = nil
				continue
			}
			n, err := strconv.ParseFloat(raw, 64)
			if err != nil {
				return nil, app.FieldErrorf(name, "%s must be a number.", f.Label)
			}
			out[f.Key] = n
		default:
			if raw == "" {
				out[f.Key] = nil
			} else {
				out[f.Key] = utils.CopyString(raw)
			}
		}
	}
	return out, nil
}
