// Package portal serves the white-label client portal (app.DOMAIN and
// tenants' own domains): sign-in, invitations and password resets with
// two factors, the overview, leads, the account and team, outbound
// webhooks, and it mounts the feature pages it shares with Nexus (CRM,
// automations, forms, federal), the hosted forms and the tenant API. It
// never shows the agency's brand.
//
// portal imports app, ui/web and the feature packages under ui; never a
// store.
package portal

import (
	"github.com/gofiber/fiber/v2"
	agentsui "orengen/ui/agents"
	platui "orengen/ui/platform"

	"orengen/app"
	"orengen/ui/api"
	"orengen/ui/automation"
	"orengen/ui/crm"
	fedui "orengen/ui/federal"
	"orengen/ui/forms"
	sheetsui "orengen/ui/sheets"
	"orengen/ui/site"
	sitesui "orengen/ui/sites"
	"orengen/ui/web"
	wikiui "orengen/ui/wiki"
)

// Handler serves the portal.
type Handler struct {
	*web.Kit
	Users       *app.UserService
	Tenants     *app.TenantService
	Leads       *app.LeadService
	Automations *app.AutomationService
	Webhooks    *app.WebhookService // nil: no Webhooks page
	Audit       *app.AuditService
	Dashboard   *app.DashboardService // nil: the home shows no charts

	API          *api.Handler
	CRMPages     *crm.Handler
	Automation   *automation.Handler
	FormPages    *forms.Handler
	FederalPages *fedui.Handler
	SitePages    *site.Handler
	WikiPages    *wikiui.Handler
	// CoursePages is the members' area (/learn) and the staff's course
	// pages (nil or off: none).
	CoursePages interface {
		MountMembers(r fiber.Router, csrf fiber.Handler)
		CommunityOn() bool
		Mount(r fiber.Router, csrf fiber.Handler, sc web.Scope)
		On() bool
	}
	// CalendarPages are the public booking pages (a tenant's own domain).
	// and the calendar pages behind sign-in.
	// BillingPages is the client's billing (nil or off: none).
	BillingPages interface {
		Mount(r fiber.Router, csrf fiber.Handler, sc web.Scope)
		On() bool
	}
	// BrandPages is the brand & press kit and the public press page
	// (nil or off: none).
	BrandPages interface {
		Mount(r fiber.Router, csrf fiber.Handler, sc web.Scope)
		MountPublic(r fiber.Router, host string)
		On() bool
	}
	// CreatorPages is creator (UGC) management and the creators' private
	// pages (nil or off: none).
	CreatorPages interface {
		Mount(r fiber.Router, csrf fiber.Handler, sc web.Scope)
		MountPublic(r fiber.Router, csrf fiber.Handler)
		On() bool
	}
	// InboxPages is Conversations (nil or off: none).
	InboxPages interface {
		Mount(r fiber.Router, csrf fiber.Handler, sc web.Scope)
		MountPublic(r fiber.Router) // the unsubscribe page of broadcast emails
		On() bool
	}
	CalendarPages interface {
		MountPublic(r fiber.Router, host string)
		Mount(r fiber.Router, csrf fiber.Handler, sc web.Scope)
		On() bool
	}
	SheetPages *sheetsui.Handler
	AgentPages *agentsui.Handler
	// SiteBuilder is Websites & Funnels (owners).
	SiteBuilder *sitesui.Handler
	// PlatformPages: the client's integrations.
	PlatformPages *platui.Handler
}

// FillLayout completes a portal page's layout. The portal never shows
// the agency's brand (white label): the tenant's brand once known (signed
// in, or its custom domain), a neutral one before.
func (s *Handler) FillLayout(c *fiber.Ctx, l *web.Layout) {
	l.User = web.User(c)
	l.Tenant = web.Tenant(c)
	l.Brand = tenantBrand(l.Tenant)
	if l.User != nil {
		l.Nav = portalNav(l.User, s.WikiPages != nil && s.WikiPages.Wiki != nil, s.SheetPages != nil && s.SheetPages.Sheets != nil)
		if s.AgentPages.On() {
			l.Nav[0].Items = append(l.Nav[0].Items, agentsui.PortalNav)
		}
		if s.SiteBuilder.On() && l.User.Role == app.UserRoleOwner {
			l.Nav[0].Items = append(l.Nav[0].Items, sitesui.NavItem)
		}
		if s.CalendarPages != nil && s.CalendarPages.On() {
			l.Nav[0].Items = append(l.Nav[0].Items, web.NavItem{Label: "Calendar", Path: "/calendar"})
		}
		if s.CoursePages != nil && s.CoursePages.On() {
			l.Nav[0].Items = append(l.Nav[0].Items, web.NavItem{Label: "Courses", Path: "/courses"})
			if s.CoursePages.CommunityOn() {
				l.Nav[0].Items = append(l.Nav[0].Items, web.NavItem{Label: "Community", Path: "/community"})
			}
		}
		if s.InboxPages != nil && s.InboxPages.On() {
			l.Nav[0].Items = append(l.Nav[0].Items, web.NavItem{Label: "Conversations", Path: "/inbox"})
		}
		if s.CreatorPages != nil && s.CreatorPages.On() {
			l.Nav[0].Items = append(l.Nav[0].Items, web.NavItem{Label: "Creators", Path: "/creators"})
		}
		if s.BrandPages != nil && s.BrandPages.On() {
			l.Nav[0].Items = append(l.Nav[0].Items, web.NavItem{Label: "Brand & press kit", Path: "/brand"})
		}
		if s.BillingPages != nil && s.BillingPages.On() {
			l.Nav[2].Items = append(l.Nav[2].Items, web.NavItem{Label: "Billing", Path: "/billing"}) // Account
		}
		if l.User.Role == app.UserRoleOwner {
			l.Nav[2].Items = append(l.Nav[2].Items, s.PlatformPages.PortalNav()...) // Account
		}
		if on, _ := s.FederalPages.PortalOn(c); on {
			l.Nav = append(l.Nav[:2:2], append([]web.NavSection{fedui.PortalNav}, l.Nav[2:]...)...)
		}
		l.Nav = s.FilterNav(c, l.Nav) // the plan's feature switches
	}
}
