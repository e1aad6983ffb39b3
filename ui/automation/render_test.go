package automation

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
	"portal/automations": func() any {
		r := fullTenantAutomation()
		return &portalAutomationsPage{Templates: app.AutomationTemplates, Template: "call-new-leads", Params: map[string]string{"forward_to": "x"},
			Errors: map[string]string{"forward_to": "bad"}, Automations: []*app.TenantAutomation{r,
				{Request: &app.AutomationRequest{Status: app.RequestRejected, Note: "n", Template: "gone"}}, {Request: &app.AutomationRequest{Status: app.RequestPending}}}}
	},
	"portal/automation": func() any { return &portalAutomationPage{Automation: fullTenantAutomation()} },
	"nexus/automations": func() any {
		w := app.LeadCaptureWorkflow()
		w.ID = 1
		now := time.Now()
		return &workflowsPage{Workflows: []*app.Workflow{w}, Missing: map[int64][]string{1: {"Twilio"}}, Banner: []string{"b"}, Requests: []requestRow{
			{AutomationRequest: &app.AutomationRequest{ID: 1, Status: app.RequestPending, Template: "call-new-leads", Params: map[string]string{"a": "b"}}, Missing: []string{"Twilio"}},
			{AutomationRequest: &app.AutomationRequest{ID: 2, Status: app.RequestApproved, WorkflowID: 1, DecidedAt: &now}},
			{AutomationRequest: &app.AutomationRequest{ID: 3, Status: app.RequestRejected, Note: "n"}}}}
	},
	"nexus/workflow": func() any {
		return &workflowPage{Workflow: &app.Workflow{ID: 1, Trigger: app.TriggerWebhook}, HookURL: "https://app.x/hooks/wh_1", Errors: map[string]string{"definition": "x", "when": "y"},
			Steps: []stepView{{N: 1, ID: "a", Type: "if", Then: "b", Else: "end"}}}
	},
	"portal/workflow": func() any { return &workflowPage{Workflow: &app.Workflow{}, Base: "/automations/workflows"} },
	"portal/runs": func() any {
		return &runsPage{Runs: []*app.Run{{ID: 1, Status: "succeeded", ContactID: 2}}, Statuses: []string{"failed"}}
	},
	"portal/run": func() any {
		return &runPage{Run: &app.Run{ID: 1, Status: "succeeded", DealID: 3}}
	},
	"nexus/runs": func() any {
		return &runsPage{Runs: []*app.Run{{ID: 1, Status: "failed"}}, Statuses: []string{"failed"}}
	},
	"nexus/run": func() any {
		return &runPage{Run: &app.Run{ID: 1, Status: "failed", Payload: map[string]string{"a": "b"}, Steps: []*app.RunStep{{Error: "e"}}}}
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
