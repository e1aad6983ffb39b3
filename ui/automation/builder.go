package automation

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"orengen/app"
	"orengen/app/agents"
	"orengen/app/sheets"
)

// The visual workflow builder: the editor page carries, in one data
// attribute, the step types with their forms (app.StepCatalog, generated
// from the step table), the tenant's real choices for the dropdowns, the
// template variables with a sample record for the preview, and a test
// run's results; builder.js draws the canvas from the JSON definition and
// writes every change back into it, so saving is the form's ordinary post
// and the JSON stays the advanced view.

// Option is one choice of a builder dropdown.
type Option struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

// BuilderSources are the services the dropdowns read (each may be nil).
type BuilderSources struct {
	CRM    *app.CRMService
	Forms  *app.FormService
	Users  *app.UserService
	Sheets *sheets.Service
	Agents *agents.Service
}

// builderData is what builder.js reads.
type builderData struct {
	Steps     []app.StepInfo      `json:"steps"`
	Options   map[string][]Option `json:"options"`
	Variables []string            `json:"variables"`
	Sample    map[string]any      `json:"sample"`
	Run       *builderRun         `json:"run,omitempty"`
	Error     string              `json:"error,omitempty"`
	Name      string              `json:"name"`
	Trigger   string              `json:"trigger"`
}

// builderRun is a test run's result per step, drawn on the canvas.
type builderRun struct {
	ID     int64                       `json:"id"`
	Status string                      `json:"status"`
	Error  string                      `json:"error,omitempty"`
	Steps  map[string]builderRunResult `json:"steps"`
}

type builderRunResult struct {
	Status string `json:"status"`
	Output string `json:"output,omitempty"`
	Error  string `json:"error,omitempty"`
}

// sampleRecord is the record the variable preview renders against.
var sampleRecord = map[string]any{
	"Contact": map[string]string{"FirstName": "Dana", "LastName": "Rivera", "Email": "dana@example.com", "Phone": "+15125550123",
		"Company": "Rivera Roofing", "Title": "Owner", "Source": "website"},
	"Trigger": map[string]string{"source": "website", "message": "Can you quote a new roof?"},
}

// builderOptions reads the tenant's choices for the dropdowns; a source
// that fails or is absent gives none (the field stays free text).
func (s *Handler) builderOptions(ctx context.Context) map[string][]Option {
	out := map[string][]Option{}
	src := s.Sources
	if src.CRM != nil {
		if ps, err := src.CRM.Pipelines(ctx); err == nil {
			seen := map[string]bool{}
			for _, p := range ps {
				out["pipelines"] = append(out["pipelines"], Option{p.Name, p.Name})
				for _, st := range p.Stages {
					if !seen[st.Name] {
						seen[st.Name] = true
						out["stages"] = append(out["stages"], Option{st.Name, st.Name})
					}
				}
			}
		}
		if ts, err := src.CRM.FindTags(ctx); err == nil {
			for _, t := range ts {
				out["tags"] = append(out["tags"], Option{t.Tag, t.Tag})
			}
		}
	}
	if src.Forms != nil {
		out["forms"] = []Option{{"lead-capture", "Lead capture API"}, {"website", "Marketing site form"}}
		if fs, err := src.Forms.ListForms(ctx); err == nil {
			for _, f := range fs {
				out["forms"] = append(out["forms"], Option{strconv.FormatInt(f.ID, 10), f.Name})
			}
		}
	}
	if src.Users != nil {
		if us, err := src.Users.ListUsers(ctx); err == nil {
			for _, u := range us {
				out["users"] = append(out["users"], Option{u.Email, u.Name + " <" + u.Email + ">"})
			}
		}
	}
	if src.Sheets != nil {
		if ts, err := src.Sheets.Tables(ctx); err == nil {
			for _, t := range ts {
				out["tables"] = append(out["tables"], Option{t.Name, t.Name})
			}
		}
	}
	if src.Agents != nil {
		if as, err := src.Agents.Agents(ctx); err == nil {
			for _, a := range as {
				out["agents"] = append(out["agents"], Option{strconv.FormatInt(a.ID, 10), a.Name})
			}
		}
	}
	return out
}

// builderJSON fills the builder's data for p: ctx is the workflow's
// tenant; ?run= shows that test run's results on the canvas.
func (s *Handler) builderJSON(c *fiber.Ctx, ctx context.Context, p *workflowPage) string {
	d := builderData{Steps: app.StepCatalog(), Options: s.builderOptions(ctx), Variables: app.TemplateVariables, Sample: sampleRecord,
		Error: p.Errors["definition"], Name: p.Name, Trigger: p.Trigger}
	if v := c.Query("run"); v != "" && p.Workflow != nil && p.Workflow.ID != 0 {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil {
			if r, err := s.Automations.Run(c.UserContext(), id); err == nil && r.WorkflowID == p.Workflow.ID {
				br := &builderRun{ID: r.ID, Status: r.Status, Error: r.Error, Steps: map[string]builderRunResult{}}
				for _, st := range r.Steps {
					br.Steps[st.StepID] = builderRunResult{Status: st.Status, Output: st.Output, Error: st.Error}
				}
				d.Run = br
			}
		}
	}
	b, _ := json.Marshal(d)
	return string(b)
}
