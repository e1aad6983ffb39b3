package api

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/ui/web"
)

// registerWizardAPIRoutes serves /api/v1/wizards on Nexus (issue #22):
// the new-client wizard, scriptable: start a run, submit its steps in
// order, read its status, and run the domain's live DNS check.
func (s *Handler) registerWizardAPIRoutes(api fiber.Router) {
	if s.Wizards == nil {
		return
	}
	api.Get("/wizards", s.handleAPIWizards)
	api.Post("/wizards", web.RequireWriteKey, s.handleAPIWizardStart)
	api.Get("/wizards/:id", s.handleAPIWizard)
	api.Post("/wizards/:id/steps/:step", web.RequireWriteKey, s.handleAPIWizardStep)
	api.Post("/wizards/:id/domain-check", web.RequireWriteKey, s.handleAPIWizardDomainCheck)
}

type apiWizardStep struct {
	Step    string            `json:"step"`
	Label   string            `json:"label"`
	Status  string            `json:"status"`
	Inputs  map[string]string `json:"inputs,omitempty"`
	Results map[string]string `json:"results,omitempty"`
}

type apiDNSRecord struct {
	Type  string `json:"type"`
	Name  string `json:"name"`
	Value string `json:"value"`
}

type apiWizardDomain struct {
	Name     string         `json:"name"`
	Status   string         `json:"status"`
	DNSOK    bool           `json:"dns_ok"`
	DNSError string         `json:"dns_error"`
	Records  []apiDNSRecord `json:"records"`
}

type apiWizard struct {
	ID        int64            `json:"id"`
	TenantID  int64            `json:"tenant_id"`
	Step      string           `json:"step"`
	Finished  bool             `json:"finished"`
	Steps     []apiWizardStep  `json:"steps"`
	Domain    *apiWizardDomain `json:"domain"`
	CreatedBy string           `json:"created_by"`
	CreatedAt time.Time        `json:"created_at"`
	UpdatedAt time.Time        `json:"updated_at"`
}

func (s *Handler) toAPIWizard(c *fiber.Ctx, w *app.Wizard) (apiWizard, error) {
	out := apiWizard{ID: w.ID, TenantID: w.TenantID, Step: w.Step, Finished: w.Finished(), CreatedBy: w.CreatedBy, CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt}
	for _, p := range w.Progress() {
		out.Steps = append(out.Steps, apiWizardStep{p.Step, p.Label, p.Status, w.Inputs[p.Step], w.Results[p.Step]})
	}
	d, err := s.Wizards.Domain(c.UserContext(), w)
	if err != nil {
		return out, err
	}
	if d != nil {
		out.Domain = &apiWizardDomain{Name: d.Name, Status: d.Status, DNSOK: d.DNSOK, DNSError: d.DNSError, Records: []apiDNSRecord{}}
		for _, r := range s.Wizards.DNSRecords(d) {
			out.Domain.Records = append(out.Domain.Records, apiDNSRecord{r.Type, r.Name, r.Value})
		}
	}
	return out, nil
}

func (s *Handler) sendWizard(c *fiber.Ctx, w *app.Wizard) error {
	out, err := s.toAPIWizard(c, w)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": out})
}

func (s *Handler) handleAPIWizards(c *fiber.Ctx) error {
	list, err := s.Wizards.Wizards(c.UserContext())
	if err != nil {
		return err
	}
	out := make([]apiWizard, 0, len(list))
	for _, w := range list {
		a, err := s.toAPIWizard(c, w)
		if err != nil {
			return err
		}
		out = append(out, a)
	}
	return c.JSON(fiber.Map{"data": out, "next_cursor": ""})
}

func (s *Handler) handleAPIWizard(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	w, err := s.Wizards.Wizard(c.UserContext(), id)
	if err != nil {
		return err
	}
	return s.sendWizard(c, w)
}

func (s *Handler) handleAPIWizardStart(c *fiber.Ctx) error {
	by := ""
	if k := app.APIKeyFromContext(c.UserContext()); k != nil {
		by = "API key " + k.Prefix
	}
	w, err := s.Wizards.Start(c.UserContext(), by)
	if err != nil {
		return err
	}
	c.Status(fiber.StatusCreated)
	return s.sendWizard(c, w)
}

// handleAPIWizardStep submits a step: its fields as a JSON object of
// strings (numbers are accepted too), the brand step's logo as
// logo_base64.
func (s *Handler) handleAPIWizardStep(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	step := utils.CopyString(c.Params("step"))
	var raw map[string]any
	body := c.Body()
	if len(strings.TrimSpace(string(body))) == 0 {
		body = []byte("{}")
	}
	if err := web.DecodeJSON(body, &raw); err != nil {
		return err
	}
	in := app.WizardInput{Fields: map[string]string{}}
	for k, v := range raw {
		switch x := v.(type) {
		case string:
			in.Fields[k] = x
		case json.Number:
			in.Fields[k] = x.String()
		case float64:
			in.Fields[k] = strconv.FormatFloat(x, 'f', -1, 64)
		case nil:
		default:
			return app.FieldErrorf(k, "%s must be a string.", k)
		}
	}
	if b64, ok := in.Fields["logo_base64"]; ok {
		delete(in.Fields, "logo_base64")
		if in.Logo, err = base64.StdEncoding.DecodeString(b64); err != nil {
			return app.FieldErrorf("logo_base64", "logo_base64 must be the image in standard base64.")
		}
	}
	w, err := s.Wizards.Submit(c.UserContext(), id, step, in)
	if err != nil {
		return err
	}
	return s.sendWizard(c, w)
}

func (s *Handler) handleAPIWizardDomainCheck(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	if _, err := s.Wizards.CheckDomain(c.UserContext(), id); err != nil {
		return err
	}
	w, err := s.Wizards.Wizard(c.UserContext(), id)
	if err != nil {
		return err
	}
	return s.sendWizard(c, w)
}
