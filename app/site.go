package app

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Page is one page of the marketing site. Its content is data (seeded on
// first start, editable in Nexus), rendered by the site templates block by
// block.
type Page struct {
	Slug        string    `json:"slug"` // "" is the home page
	Title       string    `json:"title"`
	Description string    `json:"description"`
	NavLabel    string    `json:"nav_label"` // empty: not in the navigation
	NavOrder    int       `json:"nav_order"`
	Blocks      []Block   `json:"blocks"`
	UpdatedAt   time.Time `json:"-"`
}

// Block types the site templates render.
var BlockTypes = map[string]bool{
	"hero": true, "demo": true, "cards": true, "pricing": true, "cases": true,
	"steps": true, "text": true, "badges": true, "form": true, "cta": true, "contact": true,
}

// Block is a section of a page.
type Block struct {
	Type       string `json:"type"`
	Heading    string `json:"heading,omitempty"`
	Subheading string `json:"subheading,omitempty"`
	Text       string `json:"text,omitempty"`
	Items      []Item `json:"items,omitempty"`
	CTA        *Link  `json:"cta,omitempty"`
	CTA2       *Link  `json:"cta2,omitempty"`
}

// Item is a card, plan, case study, step or badge inside a block.
type Item struct {
	Title     string   `json:"title,omitempty"`
	Text      string   `json:"text,omitempty"`
	Price     string   `json:"price,omitempty"`
	Period    string   `json:"period,omitempty"`
	Metric    string   `json:"metric,omitempty"`
	Label     string   `json:"label,omitempty"`
	Features  []string `json:"features,omitempty"`
	Highlight bool     `json:"highlight,omitempty"`
	Icon      string   `json:"icon,omitempty"`
}

// Link is a call to action.
type Link struct {
	Label string `json:"label"`
	URL   string `json:"url"`
}

var slugRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`) })

// Validate checks a page before it is stored.
func (p *Page) Validate() error {
	p.Slug = strings.TrimSpace(p.Slug)
	if p.Slug != "" && !slugRE().MatchString(p.Slug) {
		return FieldErrorf("slug", "Slug may contain lowercase letters, digits and single dashes.")
	}
	if strings.TrimSpace(p.Title) == "" {
		return FieldErrorf("title", "Title required.")
	}
	if len(p.Title) > 120 {
		return FieldErrorf("title", "Title must be at most 120 characters.")
	}
	if len(p.Description) > 300 {
		return FieldErrorf("description", "Description must be at most 300 characters.")
	}
	for i, b := range p.Blocks {
		if !BlockTypes[b.Type] {
			return FieldErrorf("blocks", "Block %d has unknown type %q.", i+1, b.Type)
		}
		for _, l := range []*Link{b.CTA, b.CTA2} {
			if l != nil && !safeURL(l.URL) {
				return FieldErrorf("blocks", "Block %d has a link that is not a relative path, https://, mailto: or tel: URL.", i+1)
			}
		}
	}
	return nil
}

func safeURL(u string) bool {
	return strings.HasPrefix(u, "/") && !strings.HasPrefix(u, "//") || strings.HasPrefix(u, "#") ||
		strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "mailto:") || strings.HasPrefix(u, "tel:")
}

// Path returns the page's URL path.
func (p *Page) Path() string {
	if p.Slug == "" {
		return "/"
	}
	return "/" + p.Slug
}

// SiteSettings is the site-wide content: brand, contact details, demo bar.
type SiteSettings struct {
	Name      string `json:"name"`
	Tagline   string `json:"tagline"`
	Email     string `json:"email"`
	Phone     string `json:"phone"`
	Address   string `json:"address"`
	DemoText  string `json:"demo_text"`
	DemoPhone string `json:"demo_phone"`
	Footer    string `json:"footer"`
}

// SiteStore persists the marketing site's content.
type SiteStore interface {
	// FindPages returns every page ordered by navigation order.
	FindPages(ctx context.Context) ([]*Page, error)
	// FindPageBySlug returns ENOTFOUND if there is no such page.
	FindPageBySlug(ctx context.Context, slug string) (*Page, error)
	// UpsertPage creates or replaces a page by slug.
	UpsertPage(ctx context.Context, p *Page) error
	// SiteSettings returns the site-wide content.
	SiteSettings(ctx context.Context) (*SiteSettings, error)
	// SaveSiteSettings replaces the site-wide content.
	SaveSiteSettings(ctx context.Context, s *SiteSettings) error
}

// SiteService serves and edits the marketing site's content.
type SiteService struct {
	store SiteStore
}

// NewSiteService returns the marketing site's service on its store. The
// store stays private: callers go through the service.
func NewSiteService(st SiteStore) *SiteService { return &SiteService{store: st} }

// ListPages returns every page ordered by navigation order.
func (s *SiteService) ListPages(ctx context.Context) ([]*Page, error) {
	return s.store.FindPages(ctx)
}

// PageBySlug returns ENOTFOUND if there is no such page.
func (s *SiteService) PageBySlug(ctx context.Context, slug string) (*Page, error) {
	return s.store.FindPageBySlug(ctx, slug)
}

// SavePage validates p and creates or replaces the page with its slug.
// Returns EINVALID naming the field.
func (s *SiteService) SavePage(ctx context.Context, p *Page) error {
	return s.store.UpsertPage(ctx, p)
}

// Settings returns the site-wide content.
func (s *SiteService) Settings(ctx context.Context) (*SiteSettings, error) {
	return s.store.SiteSettings(ctx)
}

// Lead is a submission of the marketing site's lead form.
type Lead struct {
	ID        int64
	TenantID  int64 // HouseTenantID for the marketing site's form
	FirstName string
	LastName  string
	Email     string
	Phone     string
	Company   string
	Message   string
	Source    string
	IP        string
	CreatedAt time.Time
}

var phoneRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\+?[0-9 ().-]{7,25}$`) })

// Validate checks a lead: a name, and an email or a phone.
func (l *Lead) Validate() error {
	trim := func(s *string, n int) { *s = strings.TrimSpace(*s); *s = truncate(*s, n) }
	trim(&l.FirstName, 100)
	trim(&l.LastName, 100)
	trim(&l.Email, 254)
	trim(&l.Phone, 30)
	trim(&l.Company, 200)
	trim(&l.Source, 100)
	l.Email = strings.ToLower(l.Email)
	if len(l.Message) > 5000 {
		return FieldErrorf("message", "Message must be at most 5000 characters.")
	}
	if l.FirstName == "" {
		return FieldErrorf("first_name", "First name required.")
	}
	if l.Email == "" && l.Phone == "" {
		return FieldErrorf("email", "Enter an email or a phone number so we can reach you.")
	}
	if l.Email != "" {
		if err := ValidateEmail("email", l.Email); err != nil {
			return err
		}
	}
	if l.Phone != "" && !phoneRE().MatchString(l.Phone) {
		return FieldErrorf("phone", "Enter a phone number with digits only, like +1 512 555 0100.")
	}
	return nil
}

// truncate cuts s to at most n bytes, on a rune boundary so valid UTF-8
// stays valid (a cut "€" would be stored as broken bytes).
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// TenantLeadStore is the tenant-scoped view of leads: every method reads
// the tenant from ctx (EUNAUTHORIZED without one) and another tenant's
// lead is ENOTFOUND.
type TenantLeadStore interface {
	FindTenantLeads(ctx context.Context, limit int) ([]*Lead, int, error)
	// FindTenantLeadsBefore returns at most limit leads newest first, with
	// IDs below before (0: from the newest): the API's pages.
	FindTenantLeadsBefore(ctx context.Context, before int64, limit int) ([]*Lead, error)
	FindTenantLead(ctx context.Context, id int64) (*Lead, error)
	CreateTenantLead(ctx context.Context, l *Lead) error
	DeleteTenantLead(ctx context.Context, id int64) error
}

// LeadStore persists leads. FindLeads reads across tenants (Nexus).
type LeadStore interface {
	CreateLead(ctx context.Context, l *Lead) error
	// FindLeads returns the newest leads first, at most limit, and the total.
	FindLeads(ctx context.Context, limit int) ([]*Lead, int, error)
}
