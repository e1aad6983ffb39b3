package sites_test

import (
	"context"
	"strings"
	"testing"

	"orengen/app"
	"orengen/app/sites"
)

// Every page template makes a valid page, and makes a sign-up form for a
// tenant that has none (once: the next template uses it).
func TestTemplates_Pages(t *testing.T) {
	e := newSiteEnv(t)
	s := e.site(t, e.A, "")
	forms, _ := e.Forms.FindForms(e.A)
	if len(forms) != 0 {
		t.Fatalf("fixture has %d forms", len(forms))
	}
	for _, pt := range sites.PageTemplates {
		slug := pt.Slug
		if slug == "" {
			slug = "home-2"
		}
		p, err := e.Svc.CreatePageFromTemplate(e.A, s.ID, pt.Key, slug, "", sites.TemplateInput{})
		if err != nil {
			t.Fatalf("%s: %v", pt.Key, err)
		}
		if p.Title != pt.Name || len(p.Blocks) == 0 {
			t.Errorf("%s: %+v", pt.Key, p)
		}
	}
	forms, _ = e.Forms.FindForms(e.A)
	if len(forms) != 1 || forms[0].Name != "Sign-up" {
		t.Fatalf("forms after the templates: %d", len(forms))
	}
	if _, err := e.Svc.Publish(e.A, s.ID, ""); err != nil {
		t.Fatalf("publish the templated pages: %v", err)
	}
	// Bad input names the field; nothing is written.
	if _, err := e.Svc.CreatePageFromTemplate(e.A, s.ID, "nope", "x", "", sites.TemplateInput{}); app.ErrorField(err) != "template" {
		t.Errorf("unknown template: %v", err)
	}
	if _, err := e.Svc.CreatePageFromTemplate(e.A, s.ID, "landing", "offer", "", sites.TemplateInput{}); app.ErrorCode(err) != app.ECONFLICT {
		t.Errorf("slug taken: %v", err)
	}
	if _, err := e.Svc.CreatePageFromTemplate(e.A, s.ID, "landing", "Bad Slug", "", sites.TemplateInput{}); app.ErrorField(err) != "slug" {
		t.Errorf("bad slug: %v", err)
	}
	if _, err := e.Svc.CreatePageFromTemplate(e.A, s.ID, "landing", "other", "", sites.TemplateInput{FormID: 99999}); app.ErrorField(err) != "form_id" {
		t.Errorf("another tenant's or no form: %v", err)
	}
	// B cannot add a page to A's site.
	if _, err := e.Svc.CreatePageFromTemplate(e.B, s.ID, "thank-you", "thanks", "", sites.TemplateInput{}); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("B on A's site: %v", err)
	}
}

func TestTemplates_Sites(t *testing.T) {
	e := newSiteEnv(t)
	e.Svc.EventTypes = func(ctx context.Context) ([]string, error) {
		if tid, _ := app.TenantIDFromContext(ctx); tid == mustTenant(e.A) {
			return []string{"discovery-call"}, nil
		}
		return nil, nil
	}
	site := &sites.Site{Name: "Funnel"}
	pages, err := e.Svc.CreateSiteFromTemplate(e.A, site, "funnel", sites.TemplateInput{})
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, p := range pages {
		paths = append(paths, p.Path())
	}
	if strings.Join(paths, " ") != "/ /thank-you /book-a-call" || len(site.Settings.Funnels) != 1 {
		t.Fatalf("funnel site: %v %+v", paths, site.Settings.Funnels)
	}
	if next, ok := site.Settings.NextStep(""); !ok || next != "thank-you" {
		t.Errorf("next step of the opt-in: %q", next)
	}
	if pages[2].Blocks[0].EventType != "discovery-call" {
		t.Errorf("booking block: %+v", pages[2].Blocks[0])
	}
	if _, err := e.Svc.Publish(e.A, site.ID, ""); err != nil {
		t.Fatal(err)
	}
	// B has no event type: refused naming event_type, and no site is left.
	before, _ := e.Svc.ListSites(e.B)
	if _, err := e.Svc.CreateSiteFromTemplate(e.B, &sites.Site{Name: "B funnel"}, "funnel", sites.TemplateInput{}); app.ErrorField(err) != "event_type" {
		t.Errorf("funnel without an event type: %v", err)
	}
	if after, _ := e.Svc.ListSites(e.B); len(after) != len(before) {
		t.Error("a refused template left a site")
	}
	sb := &sites.Site{Name: "Service"}
	pages, err = e.Svc.CreateSiteFromTemplate(e.B, sb, "service-business", sites.TemplateInput{})
	if err != nil || len(pages) != 4 || len(sb.Settings.Nav) != 3 || sb.Settings.HeaderCTA == nil {
		t.Fatalf("service site: %v %d %+v", err, len(pages), sb.Settings)
	}
	if _, err := e.Svc.Publish(e.B, sb.ID, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Svc.CreateSiteFromTemplate(e.B, &sites.Site{Name: "x"}, "nope", sites.TemplateInput{}); app.ErrorField(err) != "template" {
		t.Errorf("unknown site template: %v", err)
	}
}

func mustTenant(ctx context.Context) int64 {
	id, _ := app.TenantIDFromContext(ctx)
	return id
}
