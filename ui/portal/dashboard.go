package portal

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"orengen/app"
	"orengen/ui/web"
)

// tenantDashboard charts the signed-in user's tenant over the requested
// range (?from, ?to); each chart links to the list behind it when the
// user may open it (owners: the run log and API keys).
func (s *Handler) tenantDashboard(c *fiber.Ctx) (*web.DashView, error) {
	now := time.Now()
	r, err := web.DashRangeFrom(c, now)
	if err != nil {
		return nil, err
	}
	d, err := s.Dashboard.TenantDashboard(c.UserContext(), r)
	if err != nil {
		return nil, err
	}
	links := web.DashLinks{Leads: "/leads"}
	if s.CRMPages != nil {
		links.Pipeline, links.Deals = "/crm/pipeline", "/crm/deals"
	}
	if web.User(c).Role == app.UserRoleOwner {
		links.Usage = "/apikeys"
		if s.Automations != nil {
			links.Runs = "/automations/runs"
		}
	}
	if s.FederalPages != nil {
		if on, err := s.FederalPages.PortalOn(c); err != nil {
			return nil, err
		} else if on {
			links.Federal = "/federal/pipeline"
		}
	}
	v := web.NewDashView(d, links, now)
	if links.Federal != "" {
		v.DeadlineLink = "/federal/opportunities/%s"
	}
	return v, nil
}
