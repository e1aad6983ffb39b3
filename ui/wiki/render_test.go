package wiki

import (
	"testing"
	"time"

	"orengen/app/wiki"
	"orengen/ui/web"
)

func testLayout() spaceLayout {
	return spaceLayout{Base: "/knowledge", SpaceName: "Knowledge", Space: &wiki.Space{ID: 1, SharedWithAgency: true},
		Tree: []treeNode{{Page: &wiki.Page{ID: 1, Title: "A", Slug: "a"}, Current: true, HasChildren: true, Open: true, URL: "/knowledge/p/a"}}}
}

var page = &wiki.Page{ID: 1, Title: "A", Slug: "a", Revision: 3, UpdatedAt: time.Now()}

// pageData maps every page template of this package to its data. A
// template added without an entry here fails TestTemplates_EveryPage.
var pageData = map[string]func() any{
	"nexus/wiki_spaces": func() any {
		now := time.Now()
		return &spacesPage{Spaces: []*wiki.SpaceSummary{{TenantID: 1, SpaceID: 1, Pages: 3, UpdatedAt: &now}, {TenantID: 2, TenantName: "B"}, {TenantID: 3, SpaceID: 4}}}
	},
	"help/wiki_shared": func() any {
		return &sharedPage{Page: page, Contents: []sharedLink{{Title: "A", URL: "/share/x", Current: true}, {Title: "B", URL: "/share/y"}}}
	},
}

func init() {
	for _, host := range []string{"portal", "nexus"} {
		pageData[host+"/wiki_home"] = func() any {
			return &homePage{spaceLayout: testLayout(), Recent: []*wiki.Page{page}, Templates: wiki.Templates, Shared: []wiki.SharedLink{{Title: "A", Token: "t"}},
				CanOwn: true, ImportErr: "bad", Report: &wiki.ImportReport{Pages: 1, Skipped: []string{"x"}}}
		}
		pageData[host+"/wiki_search"] = func() any {
			return &searchPage{spaceLayout: testLayout(), Hits: []searchHit{{SearchHit: &wiki.SearchHit{Title: "A", AttachName: "f.pdf"}, URL: "/x", Snippet: "a <mark>b</mark>"}}}
		}
		pageData[host+"/wiki_page"] = func() any {
			now := time.Now()
			return &viewPage{spaceLayout: testLayout(), Page: page, Crumbs: []*wiki.Page{page}, Backlinks: []*wiki.Page{page},
				Attachments: []*wiki.Attachment{{ID: 1, Name: "a.png", ContentType: "image/png", Size: 10}},
				Shares:      []*wiki.Share{{ID: 1, Token: "t"}, {ID: 2, Token: "u", RevokedAt: &now}}, Move: moveForm{Choices: []parentChoice{{ID: 2, Label: "— B"}}}}
		}
		pageData[host+"/wiki_edit"] = func() any {
			return &editPage{spaceLayout: testLayout(), Page: page, Title: "A", Body: "b", Errors: map[string]string{"title": "x", "body": "y"},
				Conflict:    &conflictView{Message: "m", Current: page, Lines: []wiki.DiffLine{{Kind: wiki.DiffAdd, New: 1, Text: "x"}, {Kind: wiki.DiffSkip, Count: 3}}},
				Attachments: []*wiki.Attachment{{ID: 1, Name: "a.png", ContentType: "image/png"}}}
		}
		pageData[host+"/wiki_history"] = func() any {
			return &historyPage{spaceLayout: testLayout(), Page: page, Revisions: []*wiki.Revision{{Number: 3, Title: "A"}, {Number: 2, Title: "Old", Note: "Restored revision 1"}}}
		}
		pageData[host+"/wiki_diff"] = func() any {
			return &diffPage{spaceLayout: testLayout(), Page: page, Diff: &wiki.DiffResult{From: &wiki.Revision{Number: 1, Title: "x"}, To: &wiki.Revision{Number: 2, Title: "y"}, TitleChanged: true,
				Lines: []wiki.DiffLine{{Kind: wiki.DiffDel, Old: 1, Text: "a"}}, Removed: 1}}
		}
		pageData[host+"/wiki_revision"] = func() any {
			return &revisionPage{spaceLayout: testLayout(), Page: page, Revision: &wiki.Revision{Number: 1, Title: "A"}}
		}
	}
}

func TestTemplates_EveryPage(t *testing.T) {
	for _, err := range web.CheckPages(Templates, pageData) {
		t.Error(err)
	}
	// The new-page editor too (no page yet).
	pageData["portal/wiki_edit"] = func() any {
		return &editPage{spaceLayout: testLayout(), Templates: wiki.Templates, Parents: []parentChoice{{ID: 1, Label: "A"}}}
	}
	for _, err := range web.CheckPages(Templates, pageData) {
		t.Error(err)
	}
}
