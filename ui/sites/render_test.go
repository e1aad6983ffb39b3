package sitesui

import (
	"testing"

	"orengen/app"
	"orengen/app/sites"
	"orengen/ui/web"
)

// pageData maps every page template of this package to its data. A
// template added without an entry here fails TestTemplates_EveryPage.
var pageData = map[string]func() any{
	"portal/websites": func() any {
		return &sitesPage{Sites: []*sites.Site{{ID: 1, Name: "S", Domain: "a.test", PublishedRev: 2}}, Domains: []string{"a.test"}, Errors: map[string]string{"name": "x"}}
	},
	"nexus/websites": func() any { return &sitesPage{} },
	"portal/website": func() any {
		return &sitePage{Site: &sites.Site{ID: 1, PublishedRev: 1}, Pages: []*sites.Page{{ID: 2, SiteID: 1, Title: "Home"}},
			Revisions: []*sites.Revision{{Number: 1}, {Number: 2}}, Fonts: []string{"sans"}, LiveURL: "https://a.test", Errors: map[string]string{"publish": "x"}}
	},
	"nexus/website": func() any { return &sitePage{Site: &sites.Site{}} },
	"portal/webpage": func() any {
		p := &pageEditPage{Site: &sites.Site{ID: 1}, Page: &sites.Page{ID: 2, SiteID: 1}, Types: sites.BlockTypes, Dirty: true, Errors: map[string]string{"slug": "x"}}
		forms := []*app.Form{{ID: 3, Name: "F"}}
		for i, t := range sites.BlockTypes {
			b := sites.NewBlock(t.Type)
			b.FormID = 3
			p.Blocks = append(p.Blocks, blockForm{Index: i, B: b, Label: t.Label, ItemFormat: sites.ItemFormat(t.Type), Forms: forms})
		}
		return p
	},
	"nexus/webpage": func() any { return &pageEditPage{Site: &sites.Site{}, Page: &sites.Page{}} },
	"portal/webanalytics": func() any {
		return &analyticsPage{Site: &sites.Site{ID: 1}, Report: &sites.Report{}, Days: 30,
			Funnels: []funnelView{{Name: "F", Steps: []sites.FunnelStep{{Slug: "a", Visitors: 3, Converters: 1, Rate: 0.33}}, Chart: &web.Chart{ID: "f"}}},
			Tests:   []testView{{Page: "a", Variants: []sites.VariantResult{{Slug: "a"}, {Slug: "b", Significant: true, P: 0.01}, {Slug: "c", P: 0.5}}}}}
	},
	"nexus/webanalytics": func() any { return &analyticsPage{Site: &sites.Site{}, Report: &sites.Report{}} },
}

func TestTemplates_EveryPage(t *testing.T) {
	for _, err := range web.CheckPages(Templates, pageData) {
		t.Error(err)
	}
}
