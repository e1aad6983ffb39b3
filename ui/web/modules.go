package web

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"orengen/app"
	"orengen/app/billing"
)

// modulePaths are the URL prefixes of each switchable module's portal
// pages and tenant API (billing.Modules: a plan's feature switches). The
// public pages a module serves to visitors (chat widgets, booking pages,
// published sites, press pages) are not listed: a switch hides the
// module from the client's staff, it does not take down what visitors
// already use.
var modulePaths = map[string][]string{
	"agents":   {"/agents", "/api/v1/agents", "/api/v1/agent-conversations", "/api/v1/agent-usage"},
	"inbox":    {"/inbox", "/api/v1/conversations", "/api/v1/inbox-hours", "/api/v1/inbox-inbound"},
	"courses":  {"/courses", "/community", "/learn", "/api/v1/courses", "/api/v1/course-members", "/api/v1/community"},
	"sites":    {"/sites", "/api/v1/sites", "/api/v1/site-templates"},
	"calendar": {"/calendar", "/api/v1/calendar"},
	"wiki":     {"/knowledge", "/api/v1/wiki"},
	"sheets":   {"/data", "/api/v1/tables"},
	"federal":  {"/federal"},
	"creators": {"/creators", "/api/v1/creators", "/api/v1/creator-campaigns", "/api/v1/creator-deliverables"},
	"brand":    {"/brand", "/api/v1/brand"},
}

// ModuleOfPath returns the switchable module a portal or tenant API path
// belongs to ("" for the portal's core).
func ModuleOfPath(path string) string {
	for m, prefixes := range modulePaths {
		for _, p := range prefixes {
			if path == p || strings.HasPrefix(path, p) && path[len(p)] == '/' {
				return m
			}
		}
	}
	return ""
}

var keyModulesOff = NewKey[map[string]bool]("modules off")

// modulesOff returns the modules the request's tenant's plan switches
// off (none without a tenant or without billing), read once per request.
func (k *Kit) modulesOff(c *fiber.Ctx) (map[string]bool, error) {
	if off, ok := keyModulesOff.Get(c); ok {
		return off, nil
	}
	t := app.TenantFromContext(c.UserContext())
	if k.ModulesOff == nil || t == nil {
		return nil, nil
	}
	off, err := k.ModulesOff(c.UserContext(), t.ID)
	if err != nil {
		return nil, err
	}
	keyModulesOff.Set(c, off)
	return off, nil
}

// ModuleGate refuses a portal page or tenant API call of a module the
// tenant's plan does not include: 403 naming the module. Mount it after
// the principal is known (a session or an API key); Nexus never mounts
// it.
func (k *Kit) ModuleGate(c *fiber.Ctx) error {
	m := ModuleOfPath(c.Path())
	if m == "" {
		return c.Next()
	}
	off, err := k.modulesOff(c)
	if err != nil {
		return err
	}
	if off[m] {
		return app.Errorf(app.EFORBIDDEN, "Your plan does not include %s. Ask your agency to add it to your plan.", billing.ModuleLabel(m))
	}
	return c.Next()
}

// FilterNav drops the navigation entries of modules the tenant's plan
// does not include, and sections left empty. On an error reading the
// plan it keeps the navigation: the pages themselves still refuse.
func (k *Kit) FilterNav(c *fiber.Ctx, nav []NavSection) []NavSection {
	off, err := k.modulesOff(c)
	if err != nil || len(off) == 0 {
		return nav
	}
	out := nav[:0]
	for _, sec := range nav {
		items := sec.Items[:0:0]
		for _, it := range sec.Items {
			if !off[ModuleOfPath(it.Path)] {
				items = append(items, it)
			}
		}
		if len(items) > 0 {
			sec.Items = items
			out = append(out, sec)
		}
	}
	return out
}
