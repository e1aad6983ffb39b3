package nexus

import (
	"testing"

	"orengen/app"
	"orengen/app/federal"
	"orengen/ui/web"
)

// pageData maps every page template of this package to its data. A
// template added without an entry here fails TestTemplates_EveryPage, so
// every page is rendered at least once with zero values.
var pageData = map[string]func() any{
	"nexus/login": func() any { return &loginPage{} },
	"nexus/setup": func() any { return &setupPage{Token_: &app.AdminToken{}} },
	"nexus/dashboard": func() any {
		return &dashboardPage{Leads: []*app.Lead{{}}, Layout: web.Layout{Admin: &app.Admin{}}, FederalAlerts: []*federal.FederalAlert{{Link: "/federal/compliance"}}}
	},
	"nexus/leads":   func() any { return &leadsPage{Leads: []*app.Lead{{Message: "m"}}} },
	"nexus/admins":  func() any { return &adminsPage{Admins: []*app.Admin{{}}, CanWrite: true, Link: "x"} },
	"nexus/site":    func() any { return &siteEditorPage{Pages: []*app.Page{{}}, Page: &app.Page{}} },
	"nexus/tenants": func() any { return &tenantsPage{} },
	"nexus/tenant": func() any {
		return &tenantPage{T: &app.Tenant{Status: "active"}, FederalAvailable: true, FederalOn: true, ExportOn: true}
	},
	"nexus/vault": func() any { return &vaultPage{} },
	"nexus/snapshots": func() any {
		return &snapshotsPage{Snapshots: []*app.Snapshot{{}}, Tenants: []*app.Tenant{{}}}
	},
	"nexus/snapshot": func() any {
		return &snapshotPage{Snapshot: &app.Snapshot{Description: "d", CreatedBy: "x"}, Tenants: []*app.Tenant{{}},
			Preview: &app.SnapshotPreview{Snapshot: &app.Snapshot{}, Tenant: &app.Tenant{}, Changes: []app.SnapshotChange{{Action: "create"}, {Action: "exists"}}}}
	},
	"nexus/tenant_imports": func() any {
		return &tenantImportsPage{Error: "x", Jobs: []*app.TenantImportJob{{}, {Running: true}, {CheckErr: "x"}, {Summary: &app.TransferSummary{}}}}
	},
	"nexus/tenant_import": func() any {
		return &tenantImportPage{Job: &app.TenantImportJob{CheckErr: "x", Err: "y", Check: &app.TransferSummary{Counts: map[string]int64{"crm_people": 2}}}}
	},
	"nexus/wizards": func() any {
		return &wizardsPage{Wizards: []*app.Wizard{{Step: app.WizardDone}, {Step: app.WizardOwner}}}
	},
	"nexus/wizard": func() any {
		w := &app.Wizard{Step: app.WizardSnapshot, Results: map[string]map[string]string{"client": {"name": "n", "slug": "s"}, "brand": {"primary_color": "#000000", "logo": "x"}, "domain": {"skipped": "yes"}}}
		return &wizardPage{W: w, Steps: w.Progress(), Tenant: &app.Tenant{}, Domain: &app.CustomDomain{}, Records: []app.DNSRecord{{}}, DomainsOn: true,
			Snapshots: []*app.Snapshot{{}}, Preview: &app.SnapshotPreview{Snapshot: &app.Snapshot{}, Tenant: &app.Tenant{}, Changes: []app.SnapshotChange{{Action: "create"}, {Action: "exists"}}}}
	},
	"nexus/tenant_export": func() any {
		return &tenantExportPage{T: &app.Tenant{}, Running: true, Jobs: []*app.ExportJob{{}, {Summary: &app.TransferSummary{}}}}
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

func TestTemplates_EveryPage(t *testing.T) {
	for _, err := range web.CheckPages(Templates, pageData) {
		t.Error(err)
	}
}
