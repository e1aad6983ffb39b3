package crm

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
	"nexus/crm_tasks": func() any {
		due := time.Now()
		return &crmTasksPage{Rows: []crmTaskRow{{Task: &app.Task{Title: "t", Due: &due}, Link: "/x", About: "a"}, {Task: &app.Task{Done: true}, About: "b"}},
			Tenants: []*app.Tenant{{ID: 1}}, Tenant: "1", Done: true, NextURL: "/crm/tasks?cursor=x", TenantNames: map[int64]string{}}
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
	"nexus/crm_import": func() any {
		return &importPage{Jobs: []*app.ImportJob{{}}, Objects: importObjects, FormError: "x"}
	},
	"nexus/crm_import_job": func() any {
		return &importJobPage{Job: &app.ImportJob{Status: app.ImportDone}, Errors: []app.ImportRowError{{}}}
	},
	"portal/crm_kanban": func() any {
		return &kanbanPage{Board: fullBoard(false)}
	},
	"nexus/crm_kanban": func() any {
		return &nexusKanbanPage{Tenants: []*app.Tenant{{}}, Tenant: "1", Boards: []*kanbanBoard{fullBoard(true)}, More: 1}
	},
}

func TestTemplates_EveryPage(t *testing.T) {
	for _, err := range web.CheckPages(Templates, pageData) {
		t.Error(err)
	}
}

func allCustomFields() []*app.CustomField {
	var out []*app.CustomField
	for _, t := range app.CustomTypes {
		out = append(out, &app.CustomField{Key: t, Type: t, Options: []string{"a", "b"}})
	}
	return out
}

func crmListFull(nexus bool) *crmListPage {
	act, id := "", ""
	if nexus { // a tenant chosen: its saved views are drawn
		act, id = "?tenant=7", "7"
	}
	return &crmListPage{Act: act, ActTenant: id, CustomFields: allCustomFields(), Nexus: nexus, Kind: "people", People: []*app.Person{{Emails: []string{"a@b.test"}, Tags: []string{"t"}}}, NextURL: "/x",
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

func fullBoard(nexus bool) *kanbanBoard {
	st := &app.Stage{ID: 1, Name: "Lead"}
	return &kanbanBoard{Pipeline: &app.Pipeline{Stages: []*app.Stage{st}}, Pipelines: []*app.Pipeline{{}, {}}, Nexus: nexus, TenantName: "t",
		Columns: []kanbanColumn{{Stage: st, Deals: []*app.Deal{{}}, Totals: []string{"1.00 USD"}, More: 1}}}
}
