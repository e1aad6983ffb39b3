package sites

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"orengen/app"
)

// Store keeps sites, pages, revisions and the published files. Every
// method but the two marked "across tenants" works in the tenant of ctx
// (EUNAUTHORIZED without one); another tenant's rows are ENOTFOUND.
type Store interface {
	// CreateSite returns ECONFLICT when the domain serves another site.
	CreateSite(ctx context.Context, s *Site) error
	// UpdateSite writes name, domain and settings. ENOTFOUND, ECONFLICT.
	UpdateSite(ctx context.Context, s *Site) error
	DeleteSite(ctx context.Context, id int64) error
	FindSite(ctx context.Context, id int64) (*Site, error)
	FindSites(ctx context.Context) ([]*Site, error)

	// CreatePage returns ECONFLICT when the slug is taken in the site.
	CreatePage(ctx context.Context, p *Page) error
	// UpdatePage writes slug, title, SEO, blocks and position.
	UpdatePage(ctx context.Context, p *Page) error
	DeletePage(ctx context.Context, id int64) error
	FindPage(ctx context.Context, id int64) (*Page, error)
	// FindPages returns a site's pages by position.
	FindPages(ctx context.Context, siteID int64) ([]*Page, error)

	// Publish stores a revision with its snapshot and replaces the site's
	// files with files, in one transaction, and returns the revision.
	Publish(ctx context.Context, siteID int64, snapshot []byte, note string, files []File) (*Revision, error)
	FindRevisions(ctx context.Context, siteID int64) ([]*Revision, error)
	// FindRevision returns ENOTFOUND unless the site has the revision.
	FindRevision(ctx context.Context, siteID int64, number int) (*Revision, error)

	// FindSiteByDomain returns the site served on host, across tenants
	// (public serving). ENOTFOUND.
	FindSiteByDomain(ctx context.Context, host string) (*Site, error)
	// FindFiles returns a site's published files, across tenants, without
	// its uploaded images.
	FindFiles(ctx context.Context, siteID int64) ([]File, error)

	// SaveMedia stores an uploaded image (a file under MediaPrefix) unless
	// the site holds max images (EINVALID naming "file"). ENOTFOUND.
	SaveMedia(ctx context.Context, siteID int64, f File, max int) error
	// FindMedia lists a site's images. DeleteMedia removes one (ENOTFOUND).
	FindMedia(ctx context.Context, siteID int64) ([]Media, error)
	DeleteMedia(ctx context.Context, siteID int64, path string) error
	// FindMediaFile returns an image of a site, across tenants. ENOTFOUND.
	FindMediaFile(ctx context.Context, siteID int64, path string) (*File, error)
}

// TenantDomains reads the tenants' custom domains (app.DomainService).
type TenantDomains interface {
	// DomainsByTenant lists a tenant's custom domains.
	DomainsByTenant(ctx context.Context, tenantID int64) ([]string, error)
	// TenantIDByDomain returns the tenant that registered host as its
	// custom domain (ENOTFOUND: none).
	TenantIDByDomain(ctx context.Context, host string) (int64, error)
}

// Service is the builder's use cases: sites and pages edited as drafts,
// published as revisions, rolled back, and found by host for serving.
type Service struct {
	store    Store
	Forms    app.FormStore // form blocks' forms (nil: form blocks refused)
	Domains  TenantDomains // a site's domain must be one of its tenant's
	Renderer *Renderer
	// Context returns the render context of a site (its base URL, logo,
	// script); nil: an empty one.
	Context func(ctx context.Context, s *Site) RenderContext
	// Published is told after a site's live files changed (the server
	// drops its cache of the site).
	Published func(siteID int64, domain string)
	// HouseDomain is the marketing host: the house tenant's site may be
	// served there without it being a custom domain.
	HouseDomain string
	Logger      *slog.Logger
	// Analytics records page views and conversions (nil: none).
	Analytics *Recorder
	// ChatAgent checks that a chat button's agent (its public key) is one
	// of the tenant's enabled web-chat agents (agents.Service.WidgetAgent);
	// nil: only the key's form is checked.
	ChatAgent func(ctx context.Context, key string, tenantID int64) error
	// EventTypes lists the tenant's bookable event types for templates'
	// booking blocks (nil: templates with a booking step are refused).
	EventTypes EventTypes

	mu    sync.Mutex
	hosts map[string]hostEntry
}

// NewService returns the website builder on its store; the wiring sets
// the other fields. The store stays private: callers go through the
// service.
func NewService(st Store) *Service { return &Service{store: st} }

type hostEntry struct {
	site    *Site
	expires time.Time
}

// hostTTL is how long SiteByHost trusts a cached answer (changes made
// here drop it at once; the TTL bounds another process's changes).
const hostTTL = 30 * time.Second

func (s *Service) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.Default()
	}
	return s.Logger
}

func (s *Service) renderer() *Renderer {
	if s.Renderer == nil {
		s.Renderer = NewRenderer()
	}
	return s.Renderer
}

// checkDomain refuses a domain that is not the tenant's.
func (s *Service) checkDomain(ctx context.Context, site *Site) error {
	if site.Domain == "" {
		return nil
	}
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return err
	}
	if tid == app.HouseTenantID && site.Domain == s.HouseDomain && s.HouseDomain != "" {
		return nil
	}
	var ds []string
	if s.Domains != nil {
		var err error
		if ds, err = s.Domains.DomainsByTenant(ctx, tid); err != nil {
			return err
		}
	}
	if label, ok := strings.CutSuffix(site.Domain, "."+s.HouseDomain); ok && s.HouseDomain != "" && !slices.Contains(ds, site.Domain) {
		// A subdomain of the agency's domain, first come first served (the
		// store refuses one another site has), unless it is another
		// client's registered custom domain.
		if !subdomainRE().MatchString(label) || reservedSubdomains[label] {
			return app.FieldErrorf("domain", "%s cannot be a site's address: choose another name before .%s (letters, digits and dashes; not %s).",
				site.Domain, s.HouseDomain, "app, nexus, www, mail or api")
		}
		if s.Domains != nil {
			owner, err := s.Domains.TenantIDByDomain(ctx, site.Domain)
			if err == nil && owner != tid {
				return app.FieldErrorf("domain", "%s is taken: choose another name before .%s.", site.Domain, s.HouseDomain)
			} else if err != nil && app.ErrorCode(err) != app.ENOTFOUND {
				return err
			}
		}
		return nil
	}
	if s.Domains == nil {
		return app.FieldErrorf("domain", "Custom domains are not available.")
	}
	if !slices.Contains(ds, site.Domain) {
		return app.FieldErrorf("domain", "%s is not one of your domains: add it under Domains first (its DNS must point here).", site.Domain)
	}
	return nil
}

// subdomainRE is a site's name under the agency's domain (one label).
var subdomainRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`) })

// reservedSubdomains are the agency domain's own hosts and names mail
// and DNS tools expect.
var reservedSubdomains = map[string]bool{"app": true, "nexus": true, "www": true, "mail": true, "smtp": true, "imap": true, "pop": true,
	"api": true, "admin": true, "ns1": true, "ns2": true, "autoconfig": true, "autodiscover": true, "status": true, "cdn": true}

// SubdomainFor is the address under the agency's domain a tenant's site
// may take without a custom domain ("": none).
func (s *Service) SubdomainFor(t *app.Tenant) string {
	if s.HouseDomain == "" || t == nil || t.ID == app.HouseTenantID || !subdomainRE().MatchString(t.Slug) || reservedSubdomains[t.Slug] {
		return ""
	}
	return t.Slug + "." + s.HouseDomain
}

// CreateSite validates and stores a new site with a home page. Returns
// EINVALID or ECONFLICT.
func (s *Service) CreateSite(ctx context.Context, site *Site) error {
	if err := site.Validate(); err != nil {
		return err
	}
	if err := s.checkDomain(ctx, site); err != nil {
		return err
	}
	if err := s.checkChatAgent(ctx, site); err != nil {
		return err
	}
	site.salt = newSalt()
	if err := s.store.CreateSite(ctx, site); err != nil {
		return err
	}
	home := &Page{SiteID: site.ID, Title: site.Name, Blocks: []Block{{ID: "b1", Type: BlockHero, Heading: site.Name}}}
	if err := home.Validate(); err != nil {
		return err
	}
	return s.store.CreatePage(ctx, home)
}

func newSalt() string {
	b := make([]byte, 16)
	rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// UpdateSite validates and writes a site's name, domain and settings.
func (s *Service) UpdateSite(ctx context.Context, site *Site) error {
	old, err := s.store.FindSite(ctx, site.ID)
	if err != nil {
		return err
	}
	if err := site.Validate(); err != nil {
		return err
	}
	if err := s.checkPlan(ctx, site); err != nil {
		return err
	}
	if err := s.checkDomain(ctx, site); err != nil {
		return err
	}
	if err := s.checkChatAgent(ctx, site); err != nil {
		return err
	}
	if err := s.store.UpdateSite(ctx, site); err != nil {
		return err
	}
	s.forgetHost(old.Domain)
	s.forgetHost(site.Domain)
	return nil
}

// SetRedirects replaces a site's redirects (published with the site's
// next publish). Returns EINVALID naming "redirects", ENOTFOUND.
func (s *Service) SetRedirects(ctx context.Context, siteID int64, rs []Redirect) (*Site, error) {
	site, err := s.store.FindSite(ctx, siteID)
	if err != nil {
		return nil, err
	}
	site.Settings.Redirects = rs
	if err := s.UpdateSite(ctx, site); err != nil {
		return nil, err
	}
	return site, nil
}

// checkChatAgent refuses a chat button whose agent is not one of the
// site's tenant's enabled web-chat agents: the page would show a button
// that never answers (the widget refuses another tenant's agent on the
// tenant's host).
func (s *Service) checkChatAgent(ctx context.Context, site *Site) error {
	if site.Settings.ChatAgent == "" || s.ChatAgent == nil {
		return nil
	}
	err := s.ChatAgent(ctx, site.Settings.ChatAgent, site.TenantID)
	if app.ErrorCode(err) == app.ENOTFOUND {
		return app.FieldErrorf("chat_agent", "Choose one of your agents that answer web chat for the chat button (Agent Studio: enabled, with web chat on).")
	}
	return err
}

// checkPlan checks the funnels and split tests name pages of the site.
func (s *Service) checkPlan(ctx context.Context, site *Site) error {
	if len(site.Settings.Funnels) == 0 && len(site.Settings.Tests) == 0 && len(site.Settings.Redirects) == 0 {
		return nil
	}
	pages, err := s.store.FindPages(ctx, site.ID)
	if err != nil {
		return err
	}
	slugs := map[string]bool{}
	for _, p := range pages {
		slugs[p.Slug] = true
	}
	return site.Settings.checkPlan(slugs)
}

// DeleteSite removes a site, its pages, revisions and files.
func (s *Service) DeleteSite(ctx context.Context, id int64) error {
	site, err := s.store.FindSite(ctx, id)
	if err != nil {
		return err
	}
	if err := s.store.DeleteSite(ctx, id); err != nil {
		return err
	}
	s.forgetHost(site.Domain)
	if s.Published != nil {
		s.Published(id, site.Domain)
	}
	return nil
}

// SavePage validates and stores a page (new when ID is 0). It returns
// warnings for what was changed to make it safe (custom HTML with
// script). Returns EINVALID, ENOTFOUND or ECONFLICT (slug taken).
func (s *Service) SavePage(ctx context.Context, p *Page) ([]string, error) {
	site, err := s.store.FindSite(ctx, p.SiteID)
	if err != nil {
		return nil, err
	}
	var warn []string
	for i, b := range p.Blocks {
		if b.Type == BlockHTML {
			if _, changed := SanitizeHTML(b.HTML); changed {
				warn = append(warn, fmt.Sprintf("Block %d (custom HTML): scripts, event handlers, styles and unsafe links were removed.", i+1))
			}
		}
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if to, ok := site.Settings.RedirectFor(p.Path(), ""); ok && p.Slug != "" {
		return nil, app.FieldErrorf("slug", "%s is redirected to %s; remove that redirect in the site's settings first.", p.Path(), to)
	}
	if err := s.checkForms(ctx, p); err != nil {
		return nil, err
	}
	if p.ID == 0 {
		return warn, s.store.CreatePage(ctx, p)
	}
	old, err := s.store.FindPage(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	if old.SiteID != p.SiteID {
		return nil, app.Errorf(app.ENOTFOUND, "Page not found.")
	}
	return warn, s.store.UpdatePage(ctx, p)
}

// checkForms refuses a form block whose form is not the tenant's.
func (s *Service) checkForms(ctx context.Context, p *Page) error {
	for i, b := range p.Blocks {
		if b.Type != BlockForm {
			continue
		}
		if s.Forms == nil {
			return app.FieldErrorf("blocks", "Block %d (form): forms are not available.", i+1)
		}
		if _, err := s.Forms.FindForm(ctx, b.FormID); app.ErrorCode(err) == app.ENOTFOUND {
			return app.FieldErrorf("blocks", "Block %d (form): choose one of your forms.", i+1)
		} else if err != nil {
			return err
		}
	}
	return nil
}

// DeletePage removes a draft page (the live site keeps it until the next
// publish).
func (s *Service) DeletePage(ctx context.Context, id int64) error {
	return s.store.DeletePage(ctx, id)
}

// renderContext is the site's render context with the forms its pages
// use.
func (s *Service) renderContext(ctx context.Context, site *Site, pages []*Page) (*RenderContext, error) {
	rc := RenderContext{}
	if s.Context != nil {
		rc = s.Context(ctx, site)
	}
	if rc.BaseURL == "" && site.Domain != "" {
		rc.BaseURL = "https://" + site.Domain
	}
	rc.Forms = map[int64]*app.Form{}
	for _, p := range pages {
		for _, b := range p.Blocks {
			if b.Type != BlockForm || rc.Forms[b.FormID] != nil || s.Forms == nil {
				continue
			}
			f, err := s.Forms.FindForm(ctx, b.FormID)
			if app.ErrorCode(err) == app.ENOTFOUND {
				continue // rendered as "no longer available"
			} else if err != nil {
				return nil, err
			}
			rc.Forms[b.FormID] = f
		}
	}
	return &rc, nil
}

// Preview renders a page as it would be published, from the editor's
// unsaved state; themeURL is where the draft theme's CSS is served.
// Returns EINVALID when the page does not validate.
func (s *Service) Preview(ctx context.Context, siteID int64, p *Page, themeURL, mediaBase string) ([]byte, error) {
	site, err := s.store.FindSite(ctx, siteID)
	if err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if err := s.checkForms(ctx, p); err != nil {
		return nil, err
	}
	pages, err := s.store.FindPages(ctx, site.ID)
	if err != nil {
		return nil, err
	}
	rc, err := s.renderContext(ctx, site, append(pages, p))
	if err != nil {
		return nil, err
	}
	rc.ThemeURL, rc.MediaBase = themeURL, mediaBase
	return s.renderer().Page(site, p, pages, rc)
}

// ThemeCSS renders the stylesheet of a site's saved theme (for previews).
func (s *Service) ThemeCSS(ctx context.Context, siteID int64) ([]byte, error) {
	site, err := s.store.FindSite(ctx, siteID)
	if err != nil {
		return nil, err
	}
	return s.renderer().ThemeCSS(&site.Settings.Theme)
}

// Publish renders the site's drafts and makes them live as a new
// revision: the revision and every file are written in one transaction,
// so the site is never half published. Returns EINVALID when the site
// has no home page or a draft no longer validates.
func (s *Service) Publish(ctx context.Context, siteID int64, note string) (*Revision, error) {
	site, err := s.store.FindSite(ctx, siteID)
	if err != nil {
		return nil, err
	}
	pages, err := s.store.FindPages(ctx, siteID)
	if err != nil {
		return nil, err
	}
	home := false
	slugs := map[string]bool{}
	for _, p := range pages {
		if err := p.Validate(); err != nil {
			return nil, app.FieldErrorf(app.ErrorField(err), "Page %s: %s", p.Path(), app.ErrorMessage(err))
		}
		home = home || p.Slug == ""
		slugs[p.Slug] = true
	}
	if !home {
		return nil, app.FieldErrorf("pages", "Add a home page (an empty slug) before publishing.")
	}
	if err := site.Settings.checkPlan(slugs); err != nil {
		return nil, err
	}
	return s.publish(ctx, &Snapshot{Site: *site, Pages: pages}, strings.TrimSpace(note))
}

func (s *Service) publish(ctx context.Context, snap *Snapshot, note string) (*Revision, error) {
	rc, err := s.renderContext(ctx, &snap.Site, snap.Pages)
	if err != nil {
		return nil, err
	}
	files, err := s.renderer().Site(snap, rc)
	if err != nil {
		return nil, err
	}
	js, err := json.Marshal(snap)
	if err != nil {
		return nil, err
	}
	if len(note) > 200 {
		note = note[:200]
	}
	rev, err := s.store.Publish(ctx, snap.Site.ID, js, note, files)
	if err != nil {
		return nil, err
	}
	s.forgetHost(snap.Site.Domain)
	if s.Published != nil {
		s.Published(snap.Site.ID, snap.Site.Domain)
	}
	return rev, nil
}

// Rollback makes revision number live again, as a new revision rendered
// from its snapshot (the drafts stay as they are). Returns ENOTFOUND.
func (s *Service) Rollback(ctx context.Context, siteID int64, number int) (*Revision, error) {
	site, err := s.store.FindSite(ctx, siteID)
	if err != nil {
		return nil, err
	}
	r, err := s.store.FindRevision(ctx, siteID, number)
	if err != nil {
		return nil, err
	}
	var snap Snapshot
	if err := json.Unmarshal(r.Snapshot, &snap); err != nil {
		return nil, fmt.Errorf("revision %d snapshot: %w", number, err)
	}
	// The live host and salt are today's, not the old revision's.
	snap.Site.ID, snap.Site.Domain, snap.Site.salt = site.ID, site.Domain, site.salt
	return s.publish(ctx, &snap, fmt.Sprintf("Rollback to revision %d", number))
}

// LiveSnapshot returns the snapshot of the site's live revision.
// Returns ENOTFOUND when the site was never published.
func (s *Service) LiveSnapshot(ctx context.Context, site *Site) (*Snapshot, error) {
	if site.PublishedRev == 0 {
		return nil, app.Errorf(app.ENOTFOUND, "The site is not published.")
	}
	r, err := s.store.FindRevision(ctx, site.ID, site.PublishedRev)
	if err != nil {
		return nil, err
	}
	var snap Snapshot
	if err := json.Unmarshal(r.Snapshot, &snap); err != nil {
		return nil, fmt.Errorf("revision %d snapshot: %w", r.Number, err)
	}
	return &snap, nil
}

// SiteByHost returns the published site served on host, across tenants,
// caching answers for a short time. Returns ENOTFOUND.
func (s *Service) SiteByHost(ctx context.Context, host string) (*Site, error) {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	now := time.Now()
	s.mu.Lock()
	e, ok := s.hosts[host]
	s.mu.Unlock()
	if !ok || now.After(e.expires) {
		site, err := s.store.FindSiteByDomain(ctx, host)
		if err != nil && app.ErrorCode(err) != app.ENOTFOUND {
			return nil, err
		}
		if site != nil && site.PublishedRev == 0 {
			site = nil
		}
		e = hostEntry{site: site, expires: now.Add(hostTTL)}
		s.mu.Lock()
		if s.hosts == nil || len(s.hosts) > 10000 {
			s.hosts = map[string]hostEntry{}
		}
		s.hosts[host] = e
		s.mu.Unlock()
	}
	if e.site == nil {
		return nil, app.Errorf(app.ENOTFOUND, "Unknown site.")
	}
	return e.site, nil
}

func (s *Service) forgetHost(host string) {
	if host == "" {
		return
	}
	s.mu.Lock()
	delete(s.hosts, host)
	s.mu.Unlock()
}

// Files returns a published site's files, across tenants.
func (s *Service) Files(ctx context.Context, siteID int64) ([]File, error) {
	return s.store.FindFiles(ctx, siteID)
}

// checkPlan checks funnels and split tests against the site's slugs.
func (st *Settings) checkPlan(slugs map[string]bool) error {
	if len(st.Funnels) > 20 || len(st.Tests) > 20 {
		return app.FieldErrorf("funnels", "At most 20 funnels and 20 split tests.")
	}
	for i, f := range st.Funnels {
		if strings.TrimSpace(f.Name) == "" || len(f.Name) > 100 {
			return app.FieldErrorf("funnels", "Funnel %d needs a name of at most 100 characters.", i+1)
		}
		if len(f.Steps) < 2 || len(f.Steps) > 10 {
			return app.FieldErrorf("funnels", "Funnel %q needs 2 to 10 steps.", f.Name)
		}
		seen := map[string]bool{}
		for _, sl := range f.Steps {
			if !slugs[sl] {
				return app.FieldErrorf("funnels", "Funnel %q: no page has the slug %q.", f.Name, sl)
			}
			if seen[sl] {
				return app.FieldErrorf("funnels", "Funnel %q lists %q twice.", f.Name, sl)
			}
			seen[sl] = true
		}
	}
	tested := map[string]bool{}
	for _, t := range st.Tests {
		if !slugs[t.Page] {
			return app.FieldErrorf("tests", "Split test: no page has the slug %q.", t.Page)
		}
		if tested[t.Page] {
			return app.FieldErrorf("tests", "Page %q has two split tests.", t.Page)
		}
		tested[t.Page] = true
		if len(t.Variants) < 2 || len(t.Variants) > 5 {
			return app.FieldErrorf("tests", "Split test of %q needs 2 to 5 variants.", t.Page)
		}
		seen := map[string]bool{}
		total := 0
		for _, v := range t.Variants {
			if !slugs[v.Slug] || seen[v.Slug] {
				return app.FieldErrorf("tests", "Split test of %q: variant %q is not a page, or is listed twice.", t.Page, v.Slug)
			}
			seen[v.Slug] = true
			if v.Weight < 1 || v.Weight > 100 {
				return app.FieldErrorf("tests", "Split test of %q: weights are 1 to 100.", t.Page)
			}
			total += v.Weight
		}
		_ = total
	}
	return st.checkRedirects(slugs)
}

// RenderNotice renders a live page with a message above its blocks (a
// form post that was refused), in the tenant of ctx.
func (s *Service) RenderNotice(ctx context.Context, snap *Snapshot, page *Page, msg string) ([]byte, error) {
	rc, err := s.renderContext(ctx, &snap.Site, snap.Pages)
	if err != nil {
		return nil, err
	}
	return s.renderer().Notice(&snap.Site, page, snap.Pages, rc, msg)
}

// Report returns a site's analytics for the days [from, to] (YYYY-MM-DD).
func (s *Service) Report(ctx context.Context, siteID int64, from, to string) (*Report, error) {
	if s.Analytics == nil {
		return nil, app.Errorf(app.ENOTFOUND, "Analytics are not available.")
	}
	if s.Analytics.store == nil {
		return nil, app.Errorf(app.ENOTFOUND, "Analytics are not available.")
	}
	for _, d := range []struct{ name, v string }{{"from", from}, {"to", to}} {
		if _, err := time.Parse(time.DateOnly, d.v); err != nil {
			return nil, app.FieldErrorf(d.name, "%s must be a date like 2026-12-05.", d.name)
		}
	}
	if from > to {
		return nil, app.FieldErrorf("from", "from must not be after to.")
	}
	return s.Analytics.store.Report(ctx, siteID, from, to)
}
