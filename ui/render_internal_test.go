package ui

import (
	"testing"

	"orengen/app"
)

// pageData maps every page template to its data type. A template added
// without an entry here fails this test, so every page is rendered at
// least once with zero values.
var pageData = map[string]func() any{
	"site/page":        func() any { return &sitePage{Page: &app.Page{Blocks: allBlocks()}} },
	"site/error":       func() any { return &errorPage{} },
	"nexus/error":      func() any { return &errorPage{} },
	"portal/error":     func() any { return &errorPage{} },
	"nexus/login":      func() any { return &loginPage{} },
	"portal/login":     func() any { return &portalLoginPage{} },
	"nexus/setup":      func() any { return &setupPage{Token_: &app.AdminToken{}} },
	"nexus/dashboard":  func() any { return &dashboardPage{Leads: []*app.Lead{{}}, Layout: Layout{Admin: &app.Admin{}}} },
	"nexus/leads":      func() any { return &leadsPage{Leads: []*app.Lead{{Message: "m"}}} },
	"nexus/admins":     func() any { return &adminsPage{Admins: []*app.Admin{{}}, CanWrite: true, Link: "x"} },
	"nexus/site":       func() any { return &siteEditorPage{Pages: []*app.Page{{}}, Page: &app.Page{}} },
	"portal/token":     func() any { return &tokenPage{} },
	"portal/reset":     func() any { return &tokenPage{} },
	"portal/dashboard": func() any { return &portalDashboardPage{} },
	"portal/leads":     func() any { return &portalLeadsPage{} },
	"portal/lead":      func() any { return &portalLeadPage{} },
	"portal/account":   func() any { return &accountPage{} },
	"portal/totp":      func() any { return &totpPage{} },
	"portal/team":      func() any { return &teamPage{} },
	"portal/apikeys":   func() any { return &apiKeysPage{} },
	"nexus/tenants":    func() any { return &tenantsPage{} },
	"nexus/tenant":     func() any { return &tenantPage{} },
	"nexus/apikeys":    func() any { return &apiKeysPage{} },
	"nexus/vault":      func() any { return &vaultPage{} },
	"nexus/automations": func() any {
		w := app.LeadCaptureWorkflow()
		w.ID = 1
		return &workflowsPage{Workflows: []*app.Workflow{w}, Missing: map[int64][]string{1: {"Twilio"}}, Banner: []string{"b"}}
	},
	"nexus/workflow": func() any {
		return &workflowPage{Workflow: &app.Workflow{ID: 1}, Errors: map[string]string{"definition": "x"}}
	},
	"nexus/runs": func() any {
		return &runsPage{Runs: []*app.Run{{ID: 1, Status: "failed"}}, Statuses: []string{"failed"}}
	},
	"nexus/run": func() any {
		return &runPage{Run: &app.Run{ID: 1, Status: "failed", Payload: map[string]string{"a": "b"}, Steps: []*app.RunStep{{Error: "e"}}}}
	},
	"nexus/audit":   func() any { return &auditPage{} },
	"nexus/outbox":  func() any { return &outboxPage{} },
	"nexus/account": func() any { return &adminAccountPage{} },
	"nexus/backups": func() any {
		return &backupsPage{Configured: true, Overview: &app.BackupOverview{Replicas: []string{"local"}, Databases: []app.BackupDB{{Replicas: []app.BackupReplica{{}}}}}, Drills: []*app.BackupDrill{{Status: "ok"}}, Points: []*app.RestorePoint{{}}, CanWrite: true}
	},
	"nexus/domains": func() any {
		return &domainsPage{Rows: []domainRow{{}}, Custom: []domainRow{{ID: 1}}, CanWrite: true, NoIPsHint: true}
	},
}

func allBlocks() []app.Block {
	var out []app.Block
	for t := range app.BlockTypes {
		out = append(out, app.Block{Type: t, Items: []app.Item{{Features: []string{"f"}}}, CTA: &app.Link{}, CTA2: &app.Link{}})
	}
	return out
}

func TestRenderer_EveryPage(t *testing.T) {
	r, err := newRenderer()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range r.Names() {
		mk, ok := pageData[name]
		if !ok {
			t.Errorf("template %s has no entry in pageData", name)
			continue
		}
		if _, err := r.execute(name, mk()); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
