// Package forms serves the form editor, shared by the portal (a tenant
// owner's forms) and Nexus (the house tenant's): Mount with the host's
// web.Scope. The hosted forms people fill in are in ui/site.
//
// forms imports app and ui/web; never a store.
package forms

import (
	"orengen/app"
	"orengen/ui/web"
)

// Handler serves the form editor.
type Handler struct {
	*web.Kit
	Forms *app.FormService
}
