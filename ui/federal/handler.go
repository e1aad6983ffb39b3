// Package federal serves the federal contracting pages: the Opportunity
// Studio, bid and grant pipelines, saved searches, the compliance
// matrix, the proposal studio, the daily digest and settings. Nexus
// mounts Mount (the house tenant's federal work, or a client's it picks);
// the portal mounts MountPortal for tenants with federal work on. The
// pages are written once for both hosts (fedLayout, fedTemplate). The
// JSON API is in ui/api.
//
// This package imports app, app/federal (also named federal: importers
// name this one fedui) and ui/web; never a store.
package federal

import (
	"orengen/app"
	"orengen/app/federal"
	"orengen/ui/web"
)

// Handler serves the federal pages.
type Handler struct {
	*web.Kit
	Federal *federal.Service // nil: the pages answer 404
	CRM     *app.CRMService  // tasks and notes of pursuits
	Tenants *app.TenantService
	Users   *app.UserService
	Audit   *app.AuditService
}
