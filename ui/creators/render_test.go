package creators

import (
	"testing"
	"time"

	"orengen/app"
	"orengen/app/creators"
	"orengen/ui/web"
)

// pageData maps every page template of this package to its data. A
// template added without an entry here fails TestTemplates_EveryPage.
var pageData = map[string]func() any{}

func init() {
	now := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
	p := &creators.Profile{ID: 1, PersonID: 2, PersonName: "Zoe", PersonEmail: "z@x.test", Handles: map[string]string{"tiktok": "@zoe"}, Audience: 5, RateCents: 25000,
		Niches: []string{"food"}, Samples: []string{"https://x.test/a"}}
	cp := &creators.Campaign{ID: 3, Name: "Launch", Brief: "**b**", Deliverables: 1, OwedCents: 100, PaidCents: 50}
	d := &creators.Deliverable{ID: 4, CampaignID: 3, CreatorID: 1, CreatorName: "Zoe", Kind: "video", Due: "2026-12-20", Status: creators.Drafted, AmountCents: 100, PaidCents: 50,
		UsageUntil: "2027-01-01", RemindedAt: &now, SubmissionURL: "https://x.test/v", FileName: "v.mp4", FileType: "video/mp4", HasFile: true, SubmittedAt: &now, LinkExpiresAt: now}
	cm := []*creators.Comment{{Author: creators.AuthorOwner, Body: "Shorter", CreatedAt: now}, {Author: creators.AuthorCreator, Body: "Done", CreatedAt: now}}
	errs := map[string]string{"person_id": "x", "handles": "x", "name": "x", "kind": "x", "comment": "x", "paid": "x", "url": "x", "file": "x", "form": "x"}
	board := &creators.Board{Campaign: cp}
	for _, st := range creators.Statuses {
		board.Columns = append(board.Columns, creators.Column{Status: st, Label: creators.StatusLabel(st), Cards: []*creators.Deliverable{d}})
	}
	idx := func() any {
		return &indexPage{Base: "/creators", Profiles: []*creators.Profile{p}, Campaigns: []*creators.Campaign{cp}, People: []*app.Person{{ID: 2, FirstName: "Zoe", Emails: []string{"z@x.test"}}},
			Platforms: creators.Platforms, CanEdit: true, Errors: errs}
	}
	bp := func() any {
		return &boardPage{Base: "/creators", Board: board, Brief: "<p>b</p>", Profiles: []*creators.Profile{p}, Statuses: creators.Statuses, CanEdit: true, Errors: errs}
	}
	dp := func() any {
		return &deliverablePage{Base: "/creators", D: d, Campaign: cp, Comments: cm, Statuses: creators.Statuses, PrivateLink: "http://app.x/c/t", CanEdit: true, Errors: errs}
	}
	pageData["portal/creators"], pageData["nexus/creators"] = idx, idx
	pageData["portal/creators_board"], pageData["nexus/creators_board"] = bp, bp
	pageData["portal/creators_deliverable"], pageData["nexus/creators_deliverable"] = dp, dp
	pageData["portal/creators_private"] = func() any {
		return &privatePage{Token: "t", D: d, Campaign: cp, Brief: "<p>b</p>", Comments: cm, Status: "Drafted", Errors: errs}
	}
	pageData["nexus/creators_index"] = func() any { return &nexusIndexPage{Tenants: []*app.Tenant{{ID: 1, Name: "House", House: true}}} }
}

func TestTemplates_EveryPage(t *testing.T) {
	for _, err := range web.CheckPages(Templates, pageData) {
		t.Error(err)
	}
}
