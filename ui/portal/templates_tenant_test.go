package portal

import (
	"testing"

	"orengen/app"
	"orengen/ui/web"
)

// The portal shell renders for a signed-in user and tenant (every page
// renders with zero values in TestTemplates_EveryPage).
func TestTenantTemplates_SignedInShell(t *testing.T) {
	r, err := web.NewRenderer(Templates)
	if err != nil {
		t.Fatal(err)
	}
	// And with a signed-in user and tenant (the portal's shell).
	u := &app.User{Email: "u@x.test", Role: app.UserRoleOwner}
	p := &accountPage{Layout: web.Layout{User: u, Tenant: &app.Tenant{Name: "X"}, Brand: tenantBrand(&app.Tenant{Name: "X"}), Nav: portalNav(u, true, true)}}
	if _, err := r.Execute("portal/account", p); err != nil {
		t.Error(err)
	}
}
