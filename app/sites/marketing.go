package sites

import (
	"context"
	"sort"

	"orengen/app"
)

// FromMarketing turns the marketing site's content (the pages Nexus >
// Site content edited before the builder existed) into a site of the
// house tenant on domain: the same slugs, titles, descriptions and
// sections, the navigation from the pages' menu labels, and the header's
// "Free audit" button.
func FromMarketing(st *app.SiteSettings, pages []*app.Page, domain string) (*Site, []*Page) {
	name := "OrenGen"
	if st != nil && st.Name != "" {
		name = st.Name
	}
	site := &Site{Name: name, Domain: domain, Settings: Settings{HeaderCTA: &app.Link{Label: "Free audit", URL: "/contact"}}}
	sorted := append([]*app.Page(nil), pages...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].NavOrder < sorted[j].NavOrder })
	var out []*Page
	for i, p := range sorted {
		if p.NavLabel != "" && p.Slug != "" {
			site.Settings.Nav = append(site.Settings.Nav, NavLink{Label: p.NavLabel, URL: p.Path()})
		}
		np := &Page{Slug: p.Slug, Title: p.Title, SEO: SEO{Description: p.Description}, Position: i + 1}
		for _, b := range p.Blocks {
			nb := Block{Type: b.Type, Heading: b.Heading, Subheading: b.Subheading, Text: b.Text, CTA: b.CTA, CTA2: b.CTA2}
			if b.Type == "form" {
				nb.Type = BlockLeadForm // the marketing site's own lead form
			}
			for _, it := range b.Items {
				nb.Items = append(nb.Items, Item{Title: it.Title, Text: it.Text, Price: it.Price, Period: it.Period, Features: it.Features,
					Highlight: it.Highlight, Metric: it.Metric, Label: it.Label, Icon: it.Icon})
			}
			np.Blocks = append(np.Blocks, nb)
		}
		out = append(out, np)
	}
	return site, out
}

// Import stores a whole site with its pages and publishes it as its
// first revision (the marketing site's migration). Returns EINVALID or
// ECONFLICT (the domain serves another site).
func (s *Service) Import(ctx context.Context, site *Site, pages []*Page, note string) (*Revision, error) {
	if err := site.Validate(); err != nil {
		return nil, err
	}
	if err := s.checkDomain(ctx, site); err != nil {
		return nil, err
	}
	for _, p := range pages {
		if err := p.Validate(); err != nil {
			return nil, app.FieldErrorf(app.ErrorField(err), "Page %s: %s", p.Path(), app.ErrorMessage(err))
		}
	}
	site.salt = newSalt()
	if err := s.store.CreateSite(ctx, site); err != nil {
		return nil, err
	}
	for _, p := range pages {
		p.SiteID = site.ID
		if err := s.store.CreatePage(ctx, p); err != nil {
			return nil, err
		}
	}
	return s.Publish(ctx, site.ID, note)
}
