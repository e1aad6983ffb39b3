package api

import (
	"encoding/json"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/app/platform"
	"orengen/ui/web"
)

// The integrations hub's endpoints, on both hosts: a tenant key sees and
// tests its tenant's own configuration (Twilio, SMTP), an admin key the
// agency's (every integration).

func (s *Handler) registerIntegrationAPIRoutes(api fiber.Router) {
	if s.Integrations == nil {
		return
	}
	api.Get("/integrations", s.handleAPIIntegrations)
	api.Post("/integrations/:key/test", web.RequireWriteKey, s.handleAPIIntegrationTest)
	api.Put("/integrations/:key/settings", web.RequireWriteKey, s.handleAPIIntegrationSettings)
}

type apiField struct {
	Name  string `json:"name"`
	Label string `json:"label"`
	Help  string `json:"help"`
	Value string `json:"value"`
}

type apiSecretSource struct {
	Name     string `json:"name"`
	From     string `json:"from"`
	Set      bool   `json:"set"`
	Optional bool   `json:"optional"`
}

type apiIntegration struct {
	Key           string            `json:"key"`
	Name          string            `json:"name"`
	About         string            `json:"about"`
	Configured    bool              `json:"configured"`
	Testable      bool              `json:"testable"`
	Secrets       []apiSecretSource `json:"secrets"`
	Settings      map[string]string `json:"settings"`
	LastSuccessAt any               `json:"last_success_at"`
	LastDetail    string            `json:"last_detail"`
	LastError     string            `json:"last_error"`
	LastErrorAt   any               `json:"last_error_at"`
	Passed        bool              `json:"passed"`
	Fields        []apiField        `json:"fields,omitempty"`
}

func toAPIIntegration(st *platform.IntegrationStatus) apiIntegration {
	out := apiIntegration{Key: st.Key, Name: st.Name, About: st.About, Configured: st.Configured, Testable: st.Integration.Test != nil,
		Secrets: []apiSecretSource{}, Settings: map[string]string{}, LastDetail: st.LastDetail, LastError: st.LastError, Passed: st.Passed()}
	for _, src := range st.Sources {
		out.Secrets = append(out.Secrets, apiSecretSource{Name: src.Name, From: src.From, Set: src.Set, Optional: src.Optional})
	}
	for _, kv := range st.Settings {
		out.Settings[kv[0]] = kv[1]
	}
	for _, f := range st.Fields {
		out.Fields = append(out.Fields, apiField{Name: f.Name, Label: f.Label, Help: f.Help, Value: f.Value})
	}
	if st.LastSuccessAt != nil {
		out.LastSuccessAt = st.LastSuccessAt.UTC()
	}
	if st.LastErrorAt != nil {
		out.LastErrorAt = st.LastErrorAt.UTC()
	}
	return out
}

func (s *Handler) handleAPIIntegrations(c *fiber.Ctx) error {
	all, err := s.Integrations.List(c.UserContext())
	if err != nil {
		return err
	}
	out := make([]apiIntegration, 0, len(all))
	for _, st := range all {
		out = append(out, toAPIIntegration(st))
	}
	return c.JSON(fiber.Map{"data": out})
}

func (s *Handler) handleAPIIntegrationTest(c *fiber.Ctx) error {
	st, err := s.Integrations.Test(c.UserContext(), utils.CopyString(c.Params("key")))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": toAPIIntegration(st)})
}

// handleAPIIntegrationSettings changes an integration's editable settings
// (an admin key): the fields given, as strings; "" goes back to the flag.
func (s *Handler) handleAPIIntegrationSettings(c *fiber.Ctx) error {
	var raw map[string]json.RawMessage
	if err := web.DecodeJSON(c.Body(), &raw); err != nil {
		return err
	}
	values := map[string]string{}
	for name, v := range raw {
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return app.FieldErrorf(name, "%s must be a string.", name)
		}
		values[name] = s
	}
	st, err := s.Integrations.SaveSettings(c.UserContext(), utils.CopyString(c.Params("key")), values)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": toAPIIntegration(st)})
}

// addIntegrationAPI documents the integrations hub's endpoints.
func addIntegrationAPI(paths, schemas obj, std func(obj, ...string) obj) {
	schemas["Integration"] = props([]string{"key", "name", "configured", "testable", "secrets", "settings", "last_success_at", "last_error", "last_error_at", "passed"}, obj{
		"key": str, "name": str, "about": str, "configured": obj{"type": "boolean"}, "testable": obj{"type": "boolean"},
		"secrets": obj{"type": "array", "description": "where each credential comes from; never its value", "items": props([]string{"name", "from", "set"}, obj{
			"name": str, "from": obj{"type": "string", "description": "vault (this client's own), vault (the agency's, shared), vault (global), environment ORENGEN_..., or not set"},
			"set": obj{"type": "boolean"}, "optional": obj{"type": "boolean"}})},
		"settings":        obj{"type": "object", "additionalProperties": str, "description": "non-secret settings (base URL, model)"},
		"last_success_at": nTime, "last_detail": str, "last_error": str, "last_error_at": nTime,
		"passed": obj{"type": "boolean", "description": "the latest connection test passed"},
		"fields": obj{"type": "array", "description": "settings an admin key may change without a restart (PUT .../settings); an empty value means the server's flag", "items": props([]string{"name", "label", "help", "value"}, obj{
			"name": str, "label": str, "help": str, "value": str})}})
	paths["/api/v1/integrations"] = obj{"get": obj{"summary": "The integrations: configured or not, where each secret comes from, the latest connection tests (a tenant key: its own Twilio and SMTP; an admin key: every integration)",
		"responses": std(obj{"200": jsonResp("OK", dataOf(obj{"type": "array", "items": ref("Integration")}))})}}
	paths["/api/v1/integrations/{key}/test"] = obj{"parameters": []obj{{"name": "key", "in": "path", "required": true, "schema": str, "description": "twilio, smtp, model, sam, grants, replicas"}},
		"post": obj{"summary": "Test the connection with a harmless real call (nothing sent or billed); the outcome is recorded and returned (passed false: the test failed, last_error says why)",
			"responses": std(obj{"200": jsonResp("OK", dataOf(ref("Integration")))}, "400", "403", "404")}}
	paths["/api/v1/integrations/{key}/settings"] = obj{"parameters": []obj{{"name": "key", "in": "path", "required": true, "schema": str, "description": "twilio (base_url) or model (base_url, model)"}},
		"put": obj{"summary": "Change an integration's base URL or model (an admin key); applies from the next request, no restart. Only the fields given change; an empty string goes back to the server's flag",
			"requestBody": obj{"required": true, "content": obj{"application/json": obj{"schema": obj{"type": "object", "additionalProperties": str, "example": obj{"base_url": "https://api.openai.com/v1", "model": "gpt-4o-mini"}}}}},
			"responses":   std(obj{"200": jsonResp("OK", dataOf(ref("Integration")))}, "400", "403", "404")}}
}
