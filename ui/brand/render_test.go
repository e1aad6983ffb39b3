package brand

import (
	"testing"
	"time"

	"orengen/app"
	"orengen/app/brand"
	"orengen/ui/web"
)

// pageData maps every page template of this package to its data. A
// template added without an entry here fails TestTemplates_EveryPage.
var pageData = map[string]func() any{}

func init() {
	now := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
	k := &brand.Kit{TenantID: 2, Name: "Acme", PrimaryColor: "#4f46e5", AccentColor: "#0e7490", TextColor: "#111827", BackgroundColor: "#ffffff",
		HeadingFont: "georgia", BodyFont: "system", Tagline: "t", Boilerplate: "b", LogoHash: "abc"}
	shot := &brand.Asset{ID: 3, Kind: brand.KindScreenshot, Caption: "c", Width: 10, Height: 10, Hash: "h"}
	founder := &brand.Person{ID: 4, Kind: brand.PersonFounder, Name: "F", Title: "CEO", Bio: "b", PhotoID: 5}
	contact := &brand.Person{ID: 6, Kind: brand.PersonContact, Name: "C", Email: "c@x.test", Phone: "1"}
	rel := &brand.Release{ID: 7, Slug: "s", Title: "T", Summary: "s", Body: "**b**", PublishedAt: &now}
	kp := func() any {
		return &kitPage{Base: "/brand", Tenant: &app.Tenant{ID: 2, Name: "Acme"}, Kit: k, Fonts: brand.Fonts, Ratios: []ratioView{{"x", "4.48:1", false}},
			LogoURL: "/logo", LogoSquare: shot, LogoDark: shot, Screenshots: []*brand.Asset{shot}, Founders: []*brand.Person{founder},
			Contacts: []*brand.Person{contact}, Releases: []*brand.Release{rel}, PressURL: "http://x/press", CanEdit: true,
			Errors: map[string]string{"text_color": "x", "logo": "y", "founder_name": "z", "contact_email": "w", "file": "v"}}
	}
	rp := func() any {
		return &releasePage{Base: "/brand", Release: rel, Publish: true, Preview: "<b>b</b>", PressURL: "http://x/press/s", CanEdit: true, Errors: map[string]string{"slug": "x"}}
	}
	pp := func() any {
		return &pressPage{Press: &brand.Press{Kit: k, LogoSquare: shot, LogoDark: shot, Founders: []*brand.Person{founder}, Contacts: []*brand.Person{contact},
			Screenshots: []*brand.Asset{shot}, Releases: []*brand.Release{rel}}, CSSURL: "/press/kit.css", Boilerplate: "<p>b</p>", Release: rel, ReleaseHTML: "<p>b</p>"}
	}
	pageData["portal/brand_kit"], pageData["nexus/brand_kit"] = kp, kp
	pageData["portal/brand_release"], pageData["nexus/brand_release"] = rp, rp
	pageData["portal/press"], pageData["site/press"] = pp, pp
	pageData["nexus/brand_index"] = func() any { return &nexusIndexPage{Tenants: []*app.Tenant{{ID: 1, Name: "House", House: true}}} }
}

func TestTemplates_EveryPage(t *testing.T) {
	for _, err := range web.CheckPages(Templates, pageData) {
		t.Error(err)
	}
}
