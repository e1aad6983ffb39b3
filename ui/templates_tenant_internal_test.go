package ui

import (
	"testing"

	"orengen/app"
)

// Every page template added for tenants renders with zero-value data, so
// a missing field is a test failure, not a 500 for a user.
func TestTenantTemplates_ZeroData(t *testing.T) {
	r, err := newRenderer()
	if err != nil {
		t.Fatal(err)
	}
	pages := map[string]any{
		"portal/login": &portalLoginPage{}, "portal/token": &tokenPage{}, "portal/reset": &tokenPage{},
		"portal/dashboard": &portalDashboardPage{}, "portal/leads": &portalLeadsPage{}, "portal/lead": &portalLeadPage{},
		"portal/account": &accountPage{}, "portal/totp": &totpPage{}, "portal/team": &teamPage{}, "portal/apikeys": &apiKeysPage{},
		"portal/error":  &errorPage{},
		"nexus/tenants": &tenantsPage{}, "nexus/tenant": &tenantPage{}, "nexus/apikeys": &apiKeysPage{}, "nexus/vault": &vaultPage{},
		"nexus/audit": &auditPage{}, "nexus/outbox": &outboxPage{}, "nexus/account": &adminAccountPage{}, "nexus/login": &loginPage{},
	}
	for name, data := range pages {
		if _, err := r.execute(name, data); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	// And with a signed-in user and tenant (the portal's shell).
	u := &app.User{Email: "u@x.test", Role: app.UserRoleOwner}
	p := &accountPage{Layout: Layout{User: u, Tenant: &app.Tenant{Name: "X"}, Brand: tenantBrand(&app.Tenant{Name: "X"}), Nav: portalNav(u)}}
	if _, err := r.execute("portal/account", p); err != nil {
		t.Error(err)
	}
}
