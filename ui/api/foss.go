package api

import (
	"bytes"

	"github.com/gofiber/fiber/v2"
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
