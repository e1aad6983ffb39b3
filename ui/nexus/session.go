package nexus

import (
	"net/url"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/ui/web"
)

// sessionCookie holds a Nexus session ID (never the portal's).
const sessionCookie = "orengen_session"

// LoadSession resolves the session cookie to an admin, if any.
func (s *Handler) LoadSession(c *fiber.Ctx) error {
	id := c.Cookies(sessionCookie)
	if id == "" {
		return c.Next()
	}
	sess, a, err := s.Auth.Authenticate(c.UserContext(), utils.CopyString(id))
	if app.ErrorCode(err) == app.EUNAUTHORIZED {
		s.ClearCookie(c, sessionCookie)
		return c.Next()
	} else if err != nil {
		return err
	}
	web.SetAdmin(c, sess, a)
	c.SetUserContext(app.NewContextWithAdmin(c.UserContext(), a))
	return c.Next()
}

// requireAdmin sends anonymous visitors to the login page.
func (s *Handler) requireAdmin(c *fiber.Ctx) error {
	if web.Admin(c) == nil {
		if c.Method() == fiber.MethodGet {
			return c.Redirect("/login?next="+url.QueryEscape(web.RequestURI(c)), fiber.StatusSeeOther)
		}
		return app.Errorf(app.EUNAUTHORIZED, "Sign in to continue.")
	}
	return c.Next()
}
