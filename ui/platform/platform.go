// Package platform serves the developer platform's Nexus and portal
// pages: the FOSS registry (the binary's open-source components, their
// licence notices and the CycloneDX SBOM), the agency's register of the
// open-source tools it runs for clients, and the integrations hub.
//
// It imports app, app/platform and ui/web; never a store.
package platform

import (
	"bytes"
	"embed"

	"github.com/gofiber/fiber/v2"

	"orengen/app"
	"orengen/app/platform"
	"orengen/ui/web"
)

// Templates are this package's pages, parsed with web's layouts at boot.
//
//go:embed templates
var Templates embed.FS

// Handler serves the pages. A nil service leaves its pages unmounted (and
// out of the navigation).
type Handler struct {
	*web.Kit
	FOSS *platform.FOSS
	Hub  *platform.Hub
	// Tools is the agency's register of the open-source tools it runs.
	Tools *platform.Tools
	// Tenants lists the clients a tool may run for.
	Tenants *app.TenantService
}

// NexusNav is what the handler adds to Nexus > Infrastructure.
func (s *Handler) NexusNav() []web.NavItem {
	var out []web.NavItem
	if s != nil && s.Hub != nil {
		out = append(out, web.NavItem{Label: "Integrations", Path: "/integrations"})
	}
	if s != nil && s.FOSS != nil {
		out = append(out, web.NavItem{Label: "FOSS registry", Path: "/foss"})
	}
	if s != nil && s.Tools != nil {
		out = append(out, web.NavItem{Label: "Open-source tools we run", Path: "/foss/tools"})
	}
	return out
}

// MountNexus serves the Nexus pages on the signed-in admin group.
func (s *Handler) MountNexus(r fiber.Router, csrf fiber.Handler) {
	if s == nil {
		return
	}
	if s.Hub != nil {
		s.mountNexusIntegrations(r, csrf)
	}
	if s.FOSS != nil {
		r.Get("/foss", s.handleFOSS)
		r.Get("/foss/notices", s.handleFOSSNotices)
		r.Get("/foss/sbom.json", s.handleFOSSSBOM)
	}
	if s.Tools != nil {
		s.mountNexusTools(r, csrf)
	}
}

type fossPage struct {
	web.Layout
	Bill       *platform.Bill
	Unrecorded int
	SBOM       bool
	Tools      bool // the tool register is served
}

func (s *Handler) handleFOSS(c *fiber.Ctx) error {
	p := &fossPage{Bill: s.FOSS.Bill(c.UserContext()), SBOM: s.FOSS.Encode != nil, Tools: s.Tools != nil}
	for _, comp := range p.Bill.Components {
		if comp.Licence == "" {
			p.Unrecorded++
		}
	}
	p.Layout = s.Layout(c, web.HostNexus, "FOSS registry")
	return s.Render(c, "nexus/foss", p)
}

type noticesPage struct {
	web.Layout
	Bill    *platform.Bill
	Notices []platform.Notice
}

func (s *Handler) handleFOSSNotices(c *fiber.Ctx) error {
	b := s.FOSS.Bill(c.UserContext())
	p := &noticesPage{Bill: b, Notices: platform.Notices(b)}
	p.Layout = s.Layout(c, web.HostNexus, "Licence notices")
	return s.Render(c, "nexus/foss_notices", p)
}

func (s *Handler) handleFOSSSBOM(c *fiber.Ctx) error {
	if s.FOSS.Encode == nil {
		return fiber.ErrNotFound
	}
	var buf bytes.Buffer
	if err := s.FOSS.Encode(&buf, s.FOSS.Bill(c.UserContext())); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/vnd.cyclonedx+json")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="orengen-sbom.cdx.json"`)
	return c.Send(buf.Bytes())
}
