// Package automation serves the workflow pages shared by the portal and
// Nexus (the editor, a run's log, test runs: MountWorkflows with the
// host's web.Scope), the Nexus workflow list with clients' automation
// requests (MountNexus), and the portal's automation catalogue
// (MountPortalRequests). Webhooks that start workflows are in ui/api.
//
// automation imports app and ui/web; never a store.
package automation

import (
	"orengen/app"
	"orengen/ui/web"
)

// Handler serves the automation pages.
type Handler struct {
	*web.Kit
	Automations *app.AutomationService
	Tenants     *app.TenantService
	// Sources feed the workflow builder's dropdowns.
	Sources BuilderSources
}
