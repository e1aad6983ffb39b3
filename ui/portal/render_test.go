package portal

import (
	"testing"
	"time"

	"orengen/app"
	"orengen/ui/web"
)

// pageData maps every page template of this package to its data. A
// template added without an entry here fails TestTemplates_EveryPage, so
// every page is rendered at least once with zero values.
var pageData = map[string]func() any{
	"portal/login":     func() any { return &portalLoginPage{} },
	"portal/token":     func() any { return &tokenPage{} },
	"portal/reset":     func() any { return &tokenPage{} },
	"portal/dashboard": func() any { return &portalDashboardPage{Automations: []*app.TenantAutomation{fullTenantAutomation()}} },
	"portal/leads":     func() any { return &portalLeadsPage{} },
	"portal/lead":      func() any { return &portalLeadPage{} },
	"portal/account":   func() any { return &accountPage{} },
	"portal/totp":      func() any { return &totpPage{} },
	"portal/team":      func() any { return &teamPage{} },
	"portal/webhooks": func() any {
		now := time.Now()
		return &webhooksPage{Subscriptions: []*app.WebhookSubscription{{Events: []string{"person.created"}}}, Events: app.WebhookEvents, Secret: "s",
			Deliveries: []*app.WebhookDelivery{{Status: "succeeded", DeliveredAt: &now}, {Status: "failed"}, {Status: "pending"}}}
	},
}

func TestTemplates_EveryPage(t *testing.T) {
	for _, err := range web.CheckPages(Templates, pageData) {
		t.Error(err)
	}
}

// fullTenantAutomation is an approved request with its workflow and runs.
func fullTenantAutomation() *app.TenantAutomation {
	now := time.Now()
	w := app.LeadCaptureWorkflow()
	w.ID, w.Enabled = 1, true
	return &app.TenantAutomation{
		Request:  &app.AutomationRequest{ID: 1, Template: "email-new-leads", Status: app.RequestApproved, Note: "ok", Params: map[string]string{"notify_email": "a@b.test"}, WorkflowID: 1, DecidedAt: &now},
		Workflow: w,
		Runs:     []*app.Run{{ID: 1, Status: app.RunSucceeded}, {ID: 2, Status: app.RunFailed, Error: "e"}, {ID: 3, Status: app.RunQueued}},
	}
}
