package ui

import (
	"testing"
	"time"

	"orengen/app"
	"orengen/app/federal"
)

// pageData maps every page template to its data type. A template added
// without an entry here fails this test, so every page is rendered at
// least once with zero values.
var pageData = map[string]func() any{
	"site/page":    func() any { return &sitePage{Page: &app.Page{Blocks: allBlocks()}} },
	"site/error":   func() any { return &errorPage{} },
	"nexus/error":  func() any { return &errorPage{} },
	"portal/error": func() any { return &errorPage{} },
	"nexus/login":  func() any { return &loginPage{} },
	"portal/login": func() any { return &portalLoginPage{} },
	"nexus/setup":  func() any { return &setupPage{Token_: &app.AdminToken{}} },
	"nexus/dashboard": func() any {
		return &dashboardPage{Leads: []*app.Lead{{}}, Layout: Layout{Admin: &app.Admin{}}, FederalAlerts: []*federal.FederalAlert{{Link: "/federal/compliance"}}}
	},
	"nexus/leads":      func() any { return &leadsPage{Leads: []*app.Lead{{Message: "m"}}} },
	"nexus/admins":     func() any { return &adminsPage{Admins: []*app.Admin{{}}, CanWrite: true, Link: "x"} },
	"nexus/site":       func() any { return &siteEditorPage{Pages: []*app.Page{{}}, Page: &app.Page{}} },
	"portal/token":     func() any { return &tokenPage{} },
	"portal/reset":     func() any { return &tokenPage{} },
	"portal/dashboard": func() any { return &portalDashboardPage{Automations: []*app.TenantAutomation{fullTenantAutomation()}} },
	"portal/automations": func() any {
		r := fullTenantAutomation()
		return &portalAutomationsPage{Templates: app.AutomationTemplates, Template: "call-new-leads", Params: map[string]string{"forward_to": "x"},
			Errors: map[string]string{"forward_to": "bad"}, Automations: []*app.TenantAutomation{r,
				{Request: &app.AutomationRequest{Status: app.RequestRejected, Note: "n", Template: "gone"}}, {Request: &app.AutomationRequest{Status: app.RequestPending}}}}
	},
	"portal/automation": func() any { return &portalAutomationPage{Automation: fullTenantAutomation()} },
	"portal/leads":      func() any { return &portalLeadsPage{} },
	"portal/lead":       func() any { return &portalLeadPage{} },
	"portal/account":    func() any { return &accountPage{} },
	"portal/totp":       func() any { return &totpPage{} },
	"portal/team":       func() any { return &teamPage{} },
	"portal/apikeys":    func() any { return &apiKeysPage{} },
	"nexus/tenants":     func() any { return &tenantsPage{} },
	"nexus/tenant": func() any {
		return &tenantPage{T: &app.Tenant{Status: "active"}, FederalAvailable: true, FederalOn: true}
	},
	"nexus/apikeys": func() any { return &apiKeysPage{} },
	"nexus/vault":   func() any { return &vaultPage{} },
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
	"portal/forms": func() any { return &formsPage{Forms: []*app.Form{{ID: 1, Name: "F"}}, Counts: map[int64]int{1: 2}} },
	"nexus/forms":  func() any { return &formsPage{} },
	"portal/form": func() any {
		return &formEditPage{Form: &app.Form{ID: 1}, URL: "u", EmbedJS: "e", Errors: map[string]string{"fields": "x"}}
	},
	"nexus/form": func() any { return &formEditPage{Form: &app.Form{}} },
	"hosted/form": func() any {
		return &hostedFormPage{Form: &app.Form{Consent: "ok", Fields: []app.FormField{{Name: "a", Type: "text"}, {Name: "b", Type: "select", Options: []string{"x"}},
			{Name: "c", Type: "checkbox"}, {Name: "d", Type: "textarea"}, {Name: "e", Type: "email", Required: true}}}, Values: map[string]string{"utm_source": "s"}, Errors: map[string]string{"a": "x"}, Error: "y"}
	},
	"hosted/done":   func() any { return &hostedFormPage{Form: &app.Form{}, Message: "m"} },
	"nexus/audit":   func() any { return &auditPage{} },
	"nexus/outbox":  func() any { return &outboxPage{} },
	"nexus/account": func() any { return &adminAccountPage{} },
	"nexus/backups": func() any {
		return &backupsPage{Configured: true, Overview: &app.BackupOverview{Replicas: []string{"local"}, Databases: []app.BackupDB{{Replicas: []app.BackupReplica{{}}}}}, Drills: []*app.BackupDrill{{Status: "ok"}}, Points: []*app.RestorePoint{{}}, CanWrite: true}
	},
	"nexus/federal": func() any {
		return &federalListPage{Notices: []*federal.StoredNotice{{Fit: federal.FitScore{Reasons: []federal.Reason{{}}}}}, Next: "x", NextURL: "/federal?cursor=x",
			Status: federalStatus{KeyError: "k", LastRun: &federal.ScoutRun{Status: "config"}}}
	},
	"nexus/crm_tasks": func() any {
		due := time.Now()
		return &crmTasksPage{Rows: []crmTaskRow{{Task: &app.Task{Title: "t", Due: &due}, Link: "/x", About: "a"}, {Task: &app.Task{Done: true}, About: "b"}},
			Tenants: []*app.Tenant{{ID: 1}}, Tenant: "1", Done: true, NextURL: "/crm/tasks?cursor=x", TenantNames: map[int64]string{}}
	},
	"nexus/federal_notice": func() any {
		n := &federal.StoredNotice{}
		n.OfficeAddress, n.PlaceOfPerformance, n.Award = &federal.OfficeAddress{}, &federal.Place{}, &federal.Award{}
		n.PointsOfContact, n.ResourceLinks, n.DescriptionText = []federal.Contact{{Email: "a@b"}}, []string{"x"}, "d"
		return &federalNoticePage{Notice: n, Changes: []*federal.NoticeChange{{Changes: []federal.FieldChange{{}}}}, Pipeline: &federal.PipelineEntry{},
			Stages: federal.Stages, Matrix: []*federal.MatrixRow{{}}, Statuses: federal.RequirementStatuses, Work: testPursuitWork()}
	},
	"nexus/federal_pipeline": func() any {
		return &federalPipelinePage{Entries: []*federal.PipelineEntry{{}}, Stages: federal.Stages, ByStage: map[string]int{}}
	},
	"nexus/federal_searches": func() any {
		now := time.Now()
		return &federalSearchesPage{Searches: []*federal.SavedSearch{{LastRunAt: &now, LastError: "e"}}, Runs: []*federal.ScoutRun{{}}, SetAsides: federal.SetAsides}
	},
	"nexus/federal_settings": func() any {
		return &federalSettingsPage{SetAsides: federal.SetAsides, Form: federalProfileForm{SetAsides: map[string]bool{"SBA": true}}}
	},
	"nexus/federal_grants": func() any { return &federalGrantsPage{Grants: []*federal.StoredGrant{{}}, Next: "x"} },
	"nexus/federal_compliance": func() any {
		return &federalCompliancePage{Rows: []expiryRow{{Bucket: "7"}}, Deadlines: []*federal.PipelineEntry{{}}, Alerts: []*federal.FederalAlert{{Link: "/x"}, {DeliveryError: "e"}}}
	},
	"nexus/federal_proposal": func() any {
		sec := &federal.ProposalSection{Title: "T", Owner: "o", RequirementGroup: "L.2", Status: "final"}
		return &federalProposalPage{Notice: &federal.StoredNotice{}, Sections: []sectionView{{ProposalSection: sec, Preview: "<p>x</p>", Requirements: []*federal.MatrixRow{{}}}},
			Coverage: federal.ProposalCoverage{Requirements: 2, Unmapped: []*federal.MatrixRow{{AnsweredIn: "x"}}}, Matrix: 2, Statuses: federal.SectionStatuses, Errors: map[string]string{"matrix": "m", "section": "s"}}
	},
	"nexus/federal_section": func() any {
		return &federalSectionPage{Notice: &federal.StoredNotice{}, Section: &federal.ProposalSection{}, Statuses: federal.SectionStatuses, Errors: map[string]string{"section": "s"}}
	},
	"nexus/federal_grant": func() any {
		g := &federal.StoredGrant{}
		g.Detailed, g.ALNs, g.ApplicantTypes, g.ContactEmail = true, []string{"93.1"}, []federal.CodeName{{}}, "a@b"
		return &federalGrantPage{Grant: g, Pipeline: &federal.GrantPipelineEntry{}, Stages: federal.GrantStages, Description: "d", Errors: map[string]string{"pipeline": "p"}, Work: testPursuitWork()}
	},
	"nexus/federal_grant_pipeline": func() any {
		return &federalGrantPipelinePage{Entries: []*federal.GrantPipelineEntry{{}}, Stages: federal.GrantStages, ByStage: map[string]int{}}
	},
	"nexus/federal_digest": func() any {
		return &federalDigestPage{Digest: &federal.Digest{New: []*federal.StoredNotice{{}}, Changed: []*federal.StoredNotice{{}}, Grants: []*federal.StoredGrant{{}}},
			History: []*federal.FederalAlert{{Link: "/federal/digest?day=2026-11-24"}, {DeliveryError: "e"}}}
	},
	"portal/crm_list":   func() any { return crmListFull(false) },
	"nexus/crm_list":    func() any { return crmListFull(true) },
	"portal/crm_record": func() any { return crmRecordFull(false) },
	"nexus/crm_record":  func() any { return crmRecordFull(true) },
	"portal/crm_settings": func() any {
		return &crmSettingsPage{Fields: allCustomFields(), Pipelines: []*app.Pipeline{{Stages: []*app.Stage{{Won: true}, {Lost: true}}}}, CanWrite: true}
	},
	"portal/crm_tags": func() any {
		return &crmTagsPage{Tags: []app.TagCount{{Tag: "vip", People: 1, Companies: 2, Deals: 3}, {Tag: "x"}}, CanWrite: true, Form: map[string]string{"to": "y"}, Errors: map[string]string{"to": "e", "for": "x"}}
	},
	"portal/crm_import": func() any {
		return &importPage{Jobs: []*app.ImportJob{{}}, Objects: importObjects, FormError: "x"}
	},
	"portal/crm_import_job": func() any {
		return &importJobPage{Job: &app.ImportJob{Status: app.ImportMapping, Error: "x"}, Fields: app.ImportFields(app.RecordPerson, allCustomFields()),
			Columns: []importColumn{{Field: "emails"}}, Preview: []importPreviewRow{{Cells: []string{"a"}, Problem: "x"}, {}}, Errors: []app.ImportRowError{{}}, FormError: "x"}
	},
	"portal/crm_kanban": func() any {
		return &kanbanPage{Board: fullBoard(false)}
	},
	"nexus/crm_kanban": func() any {
		return &nexusKanbanPage{Tenants: []*app.Tenant{{}}, Tenant: "1", Boards: []*kanbanBoard{fullBoard(true)}, More: 1}
	},
	"portal/webhooks": func() any {
		now := time.Now()
		return &webhooksPage{Subscriptions: []*app.WebhookSubscription{{Events: []string{"person.created"}}}, Events: app.WebhookEvents, Secret: "s",
			Deliveries: []*app.WebhookDelivery{{Status: "succeeded", DeliveredAt: &now}, {Status: "failed"}, {Status: "pending"}}}
	},
	"nexus/domains": func() any {
		return &domainsPage{Rows: []domainRow{{}}, Custom: []domainRow{{ID: 1}}, CanWrite: true, NoIPsHint: true}
	},
}

func allCustomFields() []*app.CustomField {
	var out []*app.CustomField
	for _, t := range app.CustomTypes {
		out = append(out, &app.CustomField{Key: t, Type: t, Options: []string{"a", "b"}})
	}
	return out
}

func crmListFull(nexus bool) *crmListPage {
	return &crmListPage{CustomFields: allCustomFields(), Nexus: nexus, Kind: "people", People: []*app.Person{{Emails: []string{"a@b.test"}, Tags: []string{"t"}}}, NextURL: "/x",
		Tenants: []*app.Tenant{{}}, CompanyChoices: []*app.Company{{}}, Pipelines: []*app.Pipeline{{Stages: []*app.Stage{{}}}},
		Table: &viewTable{Headers: []string{"a"}, Rows: []viewRow{{Cells: []string{"x", "y"}}}},
		ViewForm: viewForm{Fields: app.ViewFields(app.RecordPerson, nil), Ops: app.ConditionOps, Views: []*app.View{{}}, Error: "x",
			Current: &app.View{Columns: []string{"name"}, Where: app.Where{Match: "or", Conditions: []app.Condition{{Field: "name"}}}}, Conditions: []app.Condition{{Field: "name"}}}}
}

func crmRecordFull(nexus bool) *crmRecordPage {
	d := &app.Deal{PersonIDs: []int64{1}, CompanyID: 1, Custom: map[string]any{"region": "north"}}
	return &crmRecordPage{CustomFields: allCustomFields(), CustomValues: map[string]any{"text": "x", "number": 2.5, "select": "a", "multi_select": []any{"a"}, "checkbox": true},
		Nexus: nexus, Kind: "deals", Person: &app.Person{CompanyID: 1, Custom: map[string]any{"n": 1.5}}, Company: &app.Company{Custom: map[string]any{"b": true}}, Deal: d,
		People: []*app.Person{{}}, Deals: []*app.Deal{d}, Duplicates: []*app.Person{{Emails: []string{"x@y.test"}}}, Tasks: []*app.Task{{Done: true}, {}},
		Timeline:  []timelineRow{{TimelineEntry: &app.TimelineEntry{Kind: "note"}, HTML: "<p>x</p>"}, {TimelineEntry: &app.TimelineEntry{Kind: "updated", Old: "a"}}, {TimelineEntry: &app.TimelineEntry{Kind: "sms"}}},
		NoteError: "x", TaskError: "y", Errors: map[string]string{"name": "bad"}}
}

func allBlocks() []app.Block {
	var out []app.Block
	for t := range app.BlockTypes {
		out = append(out, app.Block{Type: t, Items: []app.Item{{Features: []string{"f"}}}, CTA: &app.Link{}, CTA2: &app.Link{}})
	}
	return out
}

// The portal's Federal pages take the Nexus pages' data.
func init() {
	for portal, nexus := range map[string]string{"federal": "federal", "federal_notice": "federal_notice", "federal_pipeline": "federal_pipeline",
		"federal_searches": "federal_searches", "federal_profile": "federal_settings"} {
		pageData["portal/"+portal] = pageData["nexus/"+nexus]
	}
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

func fullBoard(nexus bool) *kanbanBoard {
	st := &app.Stage{ID: 1, Name: "Lead"}
	return &kanbanBoard{Pipeline: &app.Pipeline{Stages: []*app.Stage{st}}, Pipelines: []*app.Pipeline{{}, {}}, Nexus: nexus, TenantName: "t",
		Columns: []kanbanColumn{{Stage: st, Deals: []*app.Deal{{}}, Totals: []string{"1.00 USD"}, More: 1}}}
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

// testPursuitWork fills every branch of the pursuit Tasks and Notes panel.
func testPursuitWork() *pursuitWork {
	due := time.Now()
	return &pursuitWork{Action: "/federal/opportunities/x", Tasks: []*app.Task{{Title: "t", Due: &due, AssigneeID: 1}, {Title: "d", Done: true}},
		Notes: []pursuitNote{{Note: &app.Note{Body: "b"}, HTML: "<p>b</p>"}}, Users: []*app.User{{ID: 1, Name: "Ann"}, {ID: 2, Email: "b@x"}},
		UserNames: map[int64]string{1: "Ann"}, TaskError: "t", NoteError: "n", Form: map[string]string{"assignee_id": "1"}}
}
