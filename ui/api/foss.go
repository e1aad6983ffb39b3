package api

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/gofiber/fiber/v2"

	"orengen/app"
	"orengen/app/platform"
	"orengen/ui/web"
)

// The FOSS registry's admin endpoints: the binary's components with their
// licences, and its CycloneDX SBOM (the same document Nexus > FOSS
// registry downloads), for a scanner or a procurement portal to fetch.

func (s *Handler) registerFOSSAPIRoutes(api fiber.Router) {
	if s.FOSS == nil {
		return
	}
	api.Get("/foss/components", s.handleAPIFOSSComponents)
	api.Get("/foss/sbom", s.handleAPIFOSSSBOM)
}

type apiComponent struct {
	Name     string `json:"name"`
	Version  string `json:"version"`
	Licence  string `json:"licence"`
	Kind     string `json:"kind"`
	PURL     string `json:"purl"`
	URL      string `json:"url"`
	Replaced string `json:"replaced"`
}

func (s *Handler) handleAPIFOSSComponents(c *fiber.Ctx) error {
	b := s.FOSS.Bill(c.UserContext())
	out := make([]apiComponent, 0, len(b.Components))
	for _, x := range b.Components {
		out = append(out, apiComponent{Name: x.Name, Version: x.Version, Licence: x.Licence, Kind: x.Kind, PURL: x.PURL(), URL: x.URL, Replaced: x.Replaced})
	}
	return c.JSON(fiber.Map{"data": out, "name": b.Name, "version": b.Version, "go_version": b.GoVersion})
}

func (s *Handler) handleAPIFOSSSBOM(c *fiber.Ctx) error {
	if s.FOSS.Encode == nil {
		return fiber.ErrNotFound
	}
	var buf bytes.Buffer
	if err := s.FOSS.Encode(&buf, s.FOSS.Bill(c.UserContext())); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/vnd.cyclonedx+json")
	return c.Send(buf.Bytes())
}

// addFOSSAPI documents the FOSS registry's endpoints.
func addFOSSAPI(paths, schemas obj, std func(obj, ...string) obj) {
	schemas["FOSSComponent"] = props([]string{"name", "version", "licence", "kind", "purl", "url"}, obj{
		"name": str, "version": str,
		"licence": obj{"type": "string", "description": "SPDX expression; \"\" when no licence is recorded for the module"},
		"kind":    obj{"type": "string", "enum": []string{"stdlib", "module", "c-library", "asset"}},
		"purl":    obj{"type": "string", "description": "package URL (pkg:golang/...); \"\" for parts that are no Go module"},
		"url":     obj{"type": "string", "description": "where the source and its licence text are read"}, "replaced": str})
	paths["/api/v1/foss/components"] = obj{"get": obj{"summary": "Nexus (admin keys) only: the open-source components the running binary is built from (its build info), with licences",
		"responses": std(obj{"200": jsonResp("OK", props([]string{"data", "name", "version", "go_version"}, obj{
			"data": obj{"type": "array", "items": ref("FOSSComponent")}, "name": str, "version": str, "go_version": str}))})}}
	paths["/api/v1/foss/sbom"] = obj{"get": obj{"summary": "Nexus (admin keys) only: the binary's SBOM, CycloneDX 1.6 JSON",
		"responses": std(obj{"200": obj{"description": "CycloneDX 1.6 JSON (application/vnd.cyclonedx+json)", "content": obj{"application/vnd.cyclonedx+json": obj{"schema": props([]string{"bomFormat", "specVersion", "components"}, obj{
			"bomFormat": obj{"type": "string", "const": "CycloneDX"}, "specVersion": str, "components": obj{"type": "array", "items": obj{"type": "object"}}})}}}})}}
}

// The agency's register of the open-source tools it runs for clients
// (Nexus > FOSS registry > Open-source tools we run), for admin keys.

func (s *Handler) registerToolAPIRoutes(api fiber.Router) {
	if s.Tools == nil {
		return
	}
	api.Get("/foss/tools", s.handleAPITools)
	api.Post("/foss/tools", web.RequireWriteKey, s.handleAPIToolCreate)
	api.Get("/foss/tools/:id", s.handleAPITool)
	api.Patch("/foss/tools/:id", web.RequireWriteKey, s.handleAPIToolUpdate)
	api.Delete("/foss/tools/:id", web.RequireWriteKey, s.handleAPIToolDelete)
}

type apiTool struct {
	ID             int64     `json:"id"`
	Name           string    `json:"name"`
	Version        string    `json:"version"`
	Licence        string    `json:"licence"`
	URL            string    `json:"url"`
	Deployed       string    `json:"deployed"`
	TenantID       *int64    `json:"tenant_id"`
	TenantName     string    `json:"tenant_name"`
	UpdateDue      *string   `json:"update_due"`
	Status         string    `json:"status"`
	Notes          string    `json:"notes"`
	ReminderTaskID *int64    `json:"reminder_task_id"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

func toAPITool(t *platform.Tool, now time.Time) apiTool {
	out := apiTool{ID: t.ID, Name: t.Name, Version: t.Version, Licence: t.Licence, URL: t.URL, Deployed: t.Deployed, TenantName: t.TenantName,
		Status: t.Status(now), Notes: t.Notes, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
	if t.TenantID != 0 {
		out.TenantID = &t.TenantID
	}
	if t.UpdateDue != nil {
		d := t.UpdateDue.Format(time.DateOnly)
		out.UpdateDue = &d
	}
	if t.ReminderTaskID != 0 {
		out.ReminderTaskID = &t.ReminderTaskID
	}
	return out
}

// apiToolInput is a create's body, or a PATCH's (absent fields kept;
// tenant_id and update_due null clear them).
type apiToolInput struct {
	Name      *string         `json:"name"`
	Version   *string         `json:"version"`
	Licence   *string         `json:"licence"`
	URL       *string         `json:"url"`
	Deployed  *string         `json:"deployed"`
	Notes     *string         `json:"notes"`
	TenantID  json.RawMessage `json:"tenant_id"`
	UpdateDue json.RawMessage `json:"update_due"`
}

// apply sets the fields the input has on t. Returns EINVALID naming the
// field.
func (in *apiToolInput) apply(t *platform.Tool) error {
	for _, f := range []struct {
		in  *string
		out *string
	}{{in.Name, &t.Name}, {in.Version, &t.Version}, {in.Licence, &t.Licence}, {in.URL, &t.URL}, {in.Deployed, &t.Deployed}, {in.Notes, &t.Notes}} {
		if f.in != nil {
			*f.out = *f.in
		}
	}
	if len(in.TenantID) > 0 {
		var id *int64
		if err := json.Unmarshal(in.TenantID, &id); err != nil {
			return app.FieldErrorf("tenant_id", "tenant_id must be a tenant's ID (a number) or null.")
		}
		t.TenantID = 0
		if id != nil {
			t.TenantID = *id
		}
	}
	if len(in.UpdateDue) > 0 {
		var d *string
		if err := json.Unmarshal(in.UpdateDue, &d); err != nil {
			return app.FieldErrorf("update_due", "update_due must be a date (YYYY-MM-DD) or null.")
		}
		t.UpdateDue = nil
		if d != nil {
			day, err := time.Parse(time.DateOnly, *d)
			if err != nil {
				return app.FieldErrorf("update_due", "update_due must be a date (YYYY-MM-DD) or null.")
			}
			t.UpdateDue = &day
		}
	}
	return nil
}

func (s *Handler) handleAPITools(c *fiber.Ctx) error {
	ts, err := s.Tools.List(c.UserContext())
	if err != nil {
		return err
	}
	now := time.Now()
	out := make([]apiTool, 0, len(ts))
	for _, t := range ts {
		out = append(out, toAPITool(t, now))
	}
	return c.JSON(fiber.Map{"data": out})
}

func (s *Handler) handleAPITool(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	t, err := s.Tools.Get(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": toAPITool(t, time.Now())})
}

func (s *Handler) handleAPIToolCreate(c *fiber.Ctx) error {
	var in apiToolInput
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	t := &platform.Tool{}
	if err := in.apply(t); err != nil {
		return err
	}
	if err := s.Tools.Create(c.UserContext(), t); err != nil {
		return err
	}
	t, err := s.Tools.Get(c.UserContext(), t.ID) // with its client's name and reminder
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"data": toAPITool(t, time.Now())})
}

func (s *Handler) handleAPIToolUpdate(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	var in apiToolInput
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	t, err := s.Tools.Get(c.UserContext(), id)
	if err != nil {
		return err
	}
	if err := in.apply(t); err != nil {
		return err
	}
	if err := s.Tools.Update(c.UserContext(), t); err != nil {
		return err
	}
	if t, err = s.Tools.Get(c.UserContext(), id); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": toAPITool(t, time.Now())})
}

func (s *Handler) handleAPIToolDelete(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	if err := s.Tools.Delete(c.UserContext(), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// addToolAPI documents the tool register's endpoints.
func addToolAPI(paths, schemas obj, std func(obj, ...string) obj, idParam obj) {
	date := obj{"type": []string{"string", "null"}, "format": "date", "description": "YYYY-MM-DD; null: none planned"}
	schemas["FOSSTool"] = props([]string{"id", "name", "version", "licence", "url", "deployed", "tenant_id", "tenant_name", "update_due", "status", "notes", "reminder_task_id", "created_at", "updated_at"}, obj{
		"id": integ, "name": str, "version": str, "licence": obj{"type": "string", "description": "SPDX expression"}, "url": str,
		"deployed": obj{"type": "string", "description": "where it runs"}, "tenant_id": obj{"type": []string{"integer", "null"}, "description": "the client it runs for; null: the agency's own"},
		"tenant_name": str, "update_due": date,
		"status":           obj{"type": "string", "enum": []string{"", "ok", "due", "overdue"}, "description": "due: within 7 days (a reminder task is made); \"\": no date"},
		"notes":            str,
		"reminder_task_id": obj{"type": []string{"integer", "null"}, "description": "the house CRM task made as the last reminder"},
		"created_at":       tstamp, "updated_at": tstamp})
	input := props(nil, obj{"name": str, "version": str, "licence": str, "url": str, "deployed": str, "notes": str,
		"tenant_id": obj{"type": []string{"integer", "null"}}, "update_due": date})
	create := props([]string{"name"}, input["properties"].(obj))
	paths["/api/v1/foss/tools"] = obj{
		"get": obj{"summary": "Nexus (admin keys) only: the agency's register of the open-source tools it runs for clients, soonest update first",
			"responses": std(obj{"200": jsonResp("OK", dataOf(obj{"type": "array", "items": ref("FOSSTool")}))})},
		"post": obj{"summary": "Add a tool to the register (a reminder task is made at once if its update is due within 7 days)", "requestBody": jsonBody(create),
			"responses": std(obj{"201": jsonResp("Created", dataOf(ref("FOSSTool")))}, "400", "403")}}
	paths["/api/v1/foss/tools/{id}"] = obj{"parameters": []obj{idParam},
		"get":    obj{"summary": "One tool of the register", "responses": std(obj{"200": jsonResp("OK", dataOf(ref("FOSSTool")))}, "404")},
		"patch":  obj{"summary": "Change a tool (absent fields are kept; a new update_due gets its own reminder)", "requestBody": jsonBody(input), "responses": std(obj{"200": jsonResp("OK", dataOf(ref("FOSSTool")))}, "400", "403", "404")},
		"delete": obj{"summary": "Remove a tool (its reminder tasks stay)", "responses": std(obj{"204": obj{"description": "Removed"}}, "403", "404")}}
}
