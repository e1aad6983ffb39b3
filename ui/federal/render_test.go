package federal

import (
	"testing"
	"time"

	"orengen/app"
	"orengen/app/federal"
	"orengen/ui/web"
)

// pageData maps every page template of this package to its data. A
// template added without an entry here fails TestTemplates_EveryPage, so
// every page is rendered at least once with zero values.
var pageData = map[string]func() any{
	"nexus/federal": func() any {
		return &federalListPage{Notices: []*federal.StoredNotice{{Fit: federal.FitScore{Reasons: []federal.Reason{{}}}}}, Next: "x", NextURL: "/federal?cursor=x",
			Status: federalStatus{KeyError: "k", LastRun: &federal.ScoutRun{Status: "config"}}}
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
}

func TestTemplates_EveryPage(t *testing.T) {
	for _, err := range web.CheckPages(Templates, pageData) {
		t.Error(err)
	}
}

// testPursuitWork fills every branch of the pursuit Tasks and Notes panel.
func testPursuitWork() *pursuitWork {
	due := time.Now()
	return &pursuitWork{Action: "/federal/opportunities/x", Tasks: []*app.Task{{Title: "t", Due: &due, AssigneeID: 1}, {Title: "d", Done: true}},
		Notes: []pursuitNote{{Note: &app.Note{Body: "b"}, HTML: "<p>b</p>"}}, Users: []*app.User{{ID: 1, Name: "Ann"}, {ID: 2, Email: "b@x"}},
		UserNames: map[int64]string{1: "Ann"}, TaskError: "t", NoteError: "n", Form: map[string]string{"assignee_id": "1"}}
}

// The portal's Federal pages take the Nexus pages' data.
func init() {
	for portal, nexus := range map[string]string{"federal": "federal", "federal_notice": "federal_notice", "federal_pipeline": "federal_pipeline",
		"federal_searches": "federal_searches", "federal_profile": "federal_settings"} {
		pageData["portal/"+portal] = pageData["nexus/"+nexus]
	}
}
