// Package nexus serves the admin host (nexus.DOMAIN): sign-in with two
// factors, the dashboard, leads, admins, site content, tenants, domains,
// backups, the vault, the audit log and the outbox, and it mounts the
// feature pages it shares with the portal (CRM, automations, forms,
// federal) and the admin JSON API.
//
// nexus imports app, app/federal, assets, ui/web and the feature packages
// under ui; never a store.
package nexus

import (
	"github.com/gofiber/fiber/v2"
	agentsui "orengen/ui/agents"

	"orengen/app"
	"orengen/app/federal"
	"orengen/assets"
	"orengen/ui/api"
	"orengen/ui/automation"
	"orengen/ui/crm"
	fedui "orengen/ui/federal"
	"orengen/ui/forms"
	platui "orengen/ui/platform"
	sheetsui "orengen/ui/sheets"
	"orengen/ui/site"
	sitesui "orengen/ui/sites"
	"orengen/ui/web"
	wikiui "orengen/ui/wiki"
)

// Certs is the certificate manager as the Domains page sees it.
type Certs interface {
	// Enabled is false when TLS is off (no certificates to show).
	Enabled() bool
	Status(name string) app.CertStatus
	Evict(name string)
}

// Handler serves the Nexus pages.
type Handler struct {
	*web.Kit
	Auth          *app.AuthService
	AdminTOTP     *app.AdminTOTPService // nil: Nexus without two-factor
	AdminSessions app.AdminSessionLister
	Site          *app.SiteService
	Leads         *app.LeadService
	Domains       *app.DomainService
	Certs         Certs
	Backups       *app.BackupService // nil: no replica configured
	Tenants       *app.TenantService
	Users         *app.UserService
	APIKeys       *app.APIKeyService
	Vault         *app.VaultService
	Audit         *app.AuditService
	Outbox        *app.OutboxService
	Federal       *federal.Service           // nil: no Federal section
	Dashboard     *app.DashboardService      // nil: Mission Control shows no charts
	Onboarding    *app.OnboardingService     // nil: no first-run checklist
	Transfer      *app.TenantTransferService // nil: no tenant export
	Snapshots     *app.SnapshotService       // nil: no snapshots
	Wizards       *app.WizardService         // nil: no new-client wizard
	// NexusNav adds navigation entries for features mounted by others.
	NexusNav []web.NavSection

	API          *api.Handler
	CRMPages     *crm.Handler
	Automation   *automation.Handler
	FormPages    *forms.Handler
	FederalPages *fedui.Handler
	SitePages    *site.Handler // its page cache is dropped when content changes
	WikiPages    *wikiui.Handler
	SheetPages   *sheetsui.Handler
	AgentPages   *agentsui.Handler
	SiteBuilder  *sitesui.Handler // Websites & Funnels of the house tenant
	// PlatformPages: the FOSS registry, tools register and integrations.
	PlatformPages *platui.Handler
	// CalendarPages is the universal calendar (nil or off: none).
	// BillingPages is billing (nil or off: none).
	BillingPages interface {
		Mount(r fiber.Router, csrf fiber.Handler, sc web.Scope)
		On() bool
	}
	// BrandPages is the brand & press kits (nil or off: none).
	BrandPages interface {
		Mount(r fiber.Router, csrf fiber.Handler, sc web.Scope)
		On() bool
	}
	// CoursePages is every client's courses and their engagement (nil
	// or off: none).
	CoursePages interface {
		Mount(r fiber.Router, csrf fiber.Handler, sc web.Scope)
		On() bool
	}
	// CreatorPages is creator (UGC) management (nil or off: none).
	CreatorPages interface {
		Mount(r fiber.Router, csrf fiber.Handler, sc web.Scope)
		On() bool
	}
	// InboxPages is Conversations (nil or off: none).
	InboxPages interface {
		Mount(r fiber.Router, csrf fiber.Handler, sc web.Scope)
		On() bool
	}
	CalendarPages interface {
		Mount(r fiber.Router, csrf fiber.Handler, sc web.Scope)
		On() bool
	}
}

// FillLayout completes a Nexus page's layout: the agency's brand and,
// for a signed-in admin, the navigation.
func (s *Handler) FillLayout(c *fiber.Ctx, l *web.Layout) {
	l.Admin = web.Admin(c)
	l.Brand = web.Brand{Name: "OrenGen Nexus", LogoURL: assets.URL("img/logo.svg")}
	if l.Admin != nil {
		l.Nav = s.nexusNav()
	}
}
