// Package api serves the JSON API at /api/v1 (tenant keys on the portal
// hosts, admin keys on Nexus: MountTenant, MountAdmin), its OpenAPI
// document, the pages that manage API keys, and the webhooks that come
// in: the public lead-capture API on the marketing host (MountCapture),
// Twilio's signed webhooks and workflows' incoming hooks on the portal
// hosts (MountTwilio). Errors are {"error":{"code","message","field"}}.
//
// api imports app, app/federal, ui/web and ui/federal (shared federal
// request parsing); never a store.
package api

import (
	"orengen/app"
	"orengen/app/agents"
	"orengen/app/billing"
	"orengen/app/brand"
	"orengen/app/calendar"
	"orengen/app/courses"
	"orengen/app/creators"
	"orengen/app/federal"
	"orengen/app/inbox"
	"orengen/app/platform"
	"orengen/app/sheets"
	"orengen/app/sites"
	"orengen/app/twenty"
	"orengen/app/wiki"
	fedui "orengen/ui/federal"
	"orengen/ui/web"
)

// Handler serves the API and the webhooks in.
type Handler struct {
	*web.Kit
	APIKeys      *app.APIKeyService
	Tenants      *app.TenantService
	Leads        *app.LeadService
	CRM          *app.CRMService
	Automations  *app.AutomationService // nil: no lead capture or Twilio webhooks
	Federal      *federal.Service       // nil: no federal endpoints
	FederalPages *fedui.Handler
	Audit        *app.AuditService
	LeadLimit    *web.LeadLimit
	Wiki         *wiki.Service              // nil: no wiki endpoints
	Calendar     *calendar.Service          // nil: no calendar endpoints
	Snapshots    *app.SnapshotService       // nil: no snapshot endpoints (issue #22)
	Wizards      *app.WizardService         // nil: no new-client wizard endpoints (issue #22)
	Transfer     *app.TenantTransferService // nil: no tenant import endpoints (issue #22)
	CalendarSync *calendar.Syncer           // nil: no calendar sync endpoints
	Sites        *sites.Service             // nil: no website endpoints
	Sheets       *sheets.Service            // nil: no table endpoints
	Agents       *agents.Service            // nil: no Agent Studio endpoints
	// Twenty serves the Twenty-compatible REST (/rest) and GraphQL
	// (/graphql) APIs (nil: neither).
	Twenty *twenty.Service
	// FOSS serves the FOSS registry's admin endpoints (nil: none).
	FOSS *platform.FOSS
	// Integrations serves the integrations hub's endpoints (nil: none).
	Integrations *platform.Hub
	// Tools serves the FOSS tool register's endpoints (nil: none).
	Tools *platform.Tools
	// Webhooks serves the outgoing-webhook delivery log (nil: none).
	Webhooks *app.WebhookService
	// Inbox serves the Conversations API (nil: none).
	Inbox *inbox.Service
	// Billing is plans, usage and wallets (nil: no billing API).
	Billing *billing.Service
	// Payments charges invoices through Stripe (nil: no payment API and
	// no /webhooks/stripe).
	Payments *billing.Payments
	// Courses serves the courses API (nil: none).
	Courses *courses.Service
	// CourseUploadDir holds lesson file uploads while their chunks
	// arrive.
	CourseUploadDir string
	// Brand serves the brand & press kit API (nil: none; issue #22).
	Brand *brand.Service
	// Creators serves the creators (UGC) API (nil: none; issue #22).
	Creators *creators.Service
}
