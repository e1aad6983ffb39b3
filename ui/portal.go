package ui

import (
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
)

// registerPortalRoutes serves the client portal. Tenants and their users
// arrive in a later issue; until then the sign-in page is real but no
// account can pass it, and it says so honestly.
func (s *Server) registerPortalRoutes(r fiber.Router) {
	r.Get("/", func(c *fiber.Ctx) error { return c.Redirect("/login", fiber.StatusSeeOther) })
	r.Get("/login", s.handleLoginView(HostPortal))
	r.Post("/login", s.csrfProtect(HostPortal), s.handlePortalLogin)
}

func (s *Server) handlePortalLogin(c *fiber.Ctx) error {
	p := &loginPage{Email: utils.CopyString(c.FormValue("email")), Error: "Wrong email or password."}
	p.Layout = s.layout(c, HostPortal, "Sign in")
	c.Status(fiber.StatusUnauthorized)
	return s.render(c, "portal/login", p)
}
