package sites

import (
	"context"
	"strings"
	"time"

	"orengen/app"
)

// Templates of whole pages and whole sites: plain data (blocks) a new
// page or site starts from, edited like any other afterwards. Blocks that
// name the tenant's things (a form, an event type to book) take them from
// a TemplateInput.

// TemplateInput is what a template's form and booking blocks use.
type TemplateInput struct {
	// FormID is the form of form blocks; 0: the tenant's first form, or a
	// new "Sign-up" form (name and email) when it has none.
	FormID int64 `json:"form_id,omitempty"`
	// EventType is the booking blocks' event type (slug); "": the
	// tenant's first enabled one.
	EventType string `json:"event_type,omitempty"`
	// Now dates countdowns (zero: the current time).
	Now time.Time `json:"-"`
}

// PageTemplate is a whole-page template.
type PageTemplate struct {
	Key         string `json:"key"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Slug        string `json:"slug"` // the suggested address
	// NeedsForm, NeedsBooking: the page has a form or a booking block.
	NeedsForm    bool `json:"needs_form"`
	NeedsBooking bool `json:"needs_booking"`
	blocks       func(in TemplateInput) []Block
	seo          SEO
}

// SiteTemplate is a whole-site template: its pages, menu and funnels.
type SiteTemplate struct {
	Key         string   `json:"key"`
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Pages       []string `json:"pages"` // the pages' addresses
	pages       []sitePage
	nav         []NavLink
	cta         *app.Link
	funnels     []Funnel
}

type sitePage struct {
	slug, title, template string
	blocks                func(in TemplateInput) []Block // instead of template
}

func link(label, url string) *app.Link { return &app.Link{Label: label, URL: url} }

// Page templates, in the editor's order.
var PageTemplates = []*PageTemplate{
	{Key: "landing", Name: "Landing page", Slug: "offer", NeedsForm: true,
		Description: "One offer, its benefits, proof and a sign-up form.",
		seo:         SEO{Description: "A clear offer, why it works and how to get it."},
		blocks: func(in TemplateInput) []Block {
			return []Block{
				{ID: "hero", Type: BlockHero, Heading: "Get more customers without more work", Subheading: "A short promise: what the visitor gets, and how soon.", CTA: link("Get started", "#signup")},
				{ID: "benefits", Type: BlockFeatures, Heading: "What you get", Items: []Item{
					{Title: "Results in weeks", Text: "Say what changes for the customer, in their words."},
					{Title: "Done for you", Text: "Explain what you take off their plate."},
					{Title: "No lock-in", Text: "Remove the risk: a guarantee, a trial, a cancel-any-time promise."}}},
				{ID: "proof", Type: BlockTestimonials, Heading: "What clients say", Items: []Item{
					{Title: "Sam Rivera", Text: "We booked twice as many calls in the first month.", Role: "Owner, Rivera Dental"}}},
				{ID: "signup", Type: BlockForm, FormID: in.FormID, Heading: "Get started today", Text: "Leave your details and we will be in touch within one working day.", CTA: link("Send", "#signup")},
				{ID: "faq", Type: BlockFAQ, Heading: "Questions", Items: []Item{
					{Title: "How long does it take?", Text: "Most clients see results within four weeks."},
					{Title: "What does it cost?", Text: "Tell us about your business and we will send a fixed price."}}},
			}
		}},
	{Key: "webinar", Name: "Webinar registration", Slug: "webinar", NeedsForm: true,
		Description: "A live session: its date with a countdown, what attendees learn and a registration form.",
		seo:         SEO{Description: "Register for the free live session."},
		blocks: func(in TemplateInput) []Block {
			return []Block{
				{ID: "hero", Type: BlockHero, Heading: "Free live webinar: grow your bookings in 30 days", Subheading: "A 45-minute session with questions answered live.", CTA: link("Save my seat", "#register")},
				{ID: "countdown", Type: BlockCountdown, Heading: "Starts in", Deadline: webinarStart(in.Now)},
				{ID: "learn", Type: BlockFeatures, Heading: "What you will learn", Items: []Item{
					{Title: "The three-step funnel", Text: "How visitors become booked calls."},
					{Title: "Follow-up that works", Text: "The messages that bring people back."},
					{Title: "Measure it", Text: "Which numbers to watch each week."}}},
				{ID: "register", Type: BlockForm, FormID: in.FormID, Heading: "Register (free)", Text: "We send the link and a reminder by email.", CTA: link("Register", "#register")},
				{ID: "faq", Type: BlockFAQ, Heading: "Questions", Items: []Item{
					{Title: "Is there a recording?", Text: "Yes: everyone who registers receives it."}}},
			}
		}},
	{Key: "lead-magnet", Name: "Lead magnet", Slug: "free-guide", NeedsForm: true,
		Description: "A free guide or checklist in exchange for an email address.",
		seo:         SEO{Description: "Download the free guide."},
		blocks: func(in TemplateInput) []Block {
			return []Block{
				{ID: "hero", Type: BlockHero, Heading: "The free guide: 10 ways to win back lost customers", Subheading: "A 12-page checklist you can use this week.", CTA: link("Send me the guide", "#get-it")},
				{ID: "inside", Type: BlockText, Heading: "What is inside", Text: "- The message that brings back one customer in five\n- When to follow up, and when to stop\n- A template for every step"},
				{ID: "get-it", Type: BlockForm, FormID: in.FormID, Heading: "Where should we send it?", Text: "One email with the guide. Unsubscribe any time.", CTA: link("Send me the guide", "#get-it")},
				{ID: "proof", Type: BlockTestimonials, Heading: "Readers say", Items: []Item{
					{Title: "Alex Chen", Text: "Short, practical, and it worked the first week.", Role: "Manager, Chen Auto"}}},
			}
		}},
	{Key: "service-home", Name: "Service business home", Slug: "",
		Description: "A local service business's home page: services, proof, questions and a call to action.",
		seo:         SEO{Description: "Trusted local service: fast, fair and friendly."},
		blocks: func(in TemplateInput) []Block {
			return []Block{
				{ID: "hero", Type: BlockHero, Heading: "Fast, fair, local service", Subheading: "Say what you do and where: the first thing visitors should read.", CTA: link("Get a quote", "/contact"), CTA2: link("Our services", "/services")},
				{ID: "services", Type: BlockFeatures, Heading: "What we do", Items: []Item{
					{Title: "Repairs", Text: "Same-day repairs, fixed prices."},
					{Title: "Installations", Text: "New equipment fitted and tested."},
					{Title: "Maintenance", Text: "Yearly checks that prevent breakdowns."}}},
				{ID: "proof", Type: BlockTestimonials, Heading: "What customers say", Items: []Item{
					{Title: "Jordan Lee", Text: "On time, tidy, and the price was the price.", Role: "Homeowner"}}},
				{ID: "faq", Type: BlockFAQ, Heading: "Questions", Items: []Item{
					{Title: "Which areas do you cover?", Text: "List your towns or postcodes here."},
					{Title: "Are you insured?", Text: "Yes: fully insured and certified."}}},
				{ID: "cta", Type: BlockCTA, Heading: "Ready when you are", Text: "Tell us what you need and we will reply today.", CTA: link("Get a quote", "/contact")},
			}
		}},
	{Key: "thank-you", Name: "Thank-you page", Slug: "thank-you",
		Description: "Shown after a form: confirms the sign-up and says what happens next.",
		seo:         SEO{NoIndex: true},
		blocks: func(in TemplateInput) []Block {
			return []Block{
				{ID: "hero", Type: BlockHero, Heading: "Thank you: you are in", Subheading: "Check your inbox: we have sent you an email with the next steps.", CTA: link("Back to the home page", "/")},
			}
		}},
}

// webinarStart is two weeks after now at 17:00 UTC.
func webinarStart(now time.Time) string {
	if now.IsZero() {
		now = time.Now()
	}
	d := now.UTC().AddDate(0, 0, 14)
	return time.Date(d.Year(), d.Month(), d.Day(), 17, 0, 0, 0, time.UTC).Format(time.RFC3339)
}

// SiteTemplates are the whole-site templates.
var SiteTemplates = []*SiteTemplate{
	{Key: "service-business", Name: "Service business", Description: "Home, About, Services and Contact (with a form), a menu and a header button.",
		nav: []NavLink{{Label: "About", URL: "/about"}, {Label: "Services", URL: "/services"}, {Label: "Contact", URL: "/contact"}},
		cta: link("Get a quote", "/contact"),
		pages: []sitePage{
			{slug: "", title: "Home", template: "service-home"},
			{slug: "about", title: "About", blocks: func(in TemplateInput) []Block {
				return []Block{
					{ID: "hero", Type: BlockHero, Heading: "About us", Subheading: "Who you are, since when, and why customers trust you."},
					{ID: "story", Type: BlockText, Text: "Tell your story in a few short paragraphs: how you started, what you care about, and the people customers will meet."},
					{ID: "proof", Type: BlockTestimonials, Heading: "What customers say", Items: []Item{{Title: "Morgan Patel", Text: "Friendly people who do what they say.", Role: "Customer since 2019"}}},
				}
			}},
			{slug: "services", title: "Services", blocks: func(in TemplateInput) []Block {
				return []Block{
					{ID: "hero", Type: BlockHero, Heading: "Services", Subheading: "Everything we do, with prices you know before we start."},
					{ID: "list", Type: BlockFeatures, Heading: "What we do", Items: []Item{
						{Title: "Repairs", Text: "Same-day repairs, fixed prices."},
						{Title: "Installations", Text: "New equipment fitted and tested."},
						{Title: "Maintenance", Text: "Yearly checks that prevent breakdowns."}}},
					{ID: "prices", Type: BlockPricing, Heading: "Prices", Items: []Item{
						{Title: "Call-out", Price: "$79", Period: "per visit", Features: []string{"First hour included"}},
						{Title: "Maintenance plan", Price: "$19", Period: "/month", Features: []string{"Yearly check", "Priority visits"}, Highlight: true}}},
					{ID: "cta", Type: BlockCTA, Heading: "Not sure what you need?", Text: "Describe the problem and we will tell you.", CTA: link("Contact us", "/contact")},
				}
			}},
			{slug: "contact", title: "Contact", blocks: func(in TemplateInput) []Block {
				return []Block{
					{ID: "contact", Type: BlockForm, FormID: in.FormID, Heading: "Contact us", Text: "We reply within one working day.", CTA: link("Send", "#contact")},
				}
			}},
		}},
	{Key: "funnel", Name: "Three-step funnel", Description: "Opt-in (the home page), thank you, then booking a call: the funnel's steps are set, so the form leads to the next step.",
		funnels: []Funnel{{Name: "Opt-in to booking", Steps: []string{"", "thank-you", "book-a-call"}}},
		pages: []sitePage{
			{slug: "", title: "Get the free guide", template: "lead-magnet"},
			{slug: "thank-you", title: "Thank you", blocks: func(in TemplateInput) []Block {
				return []Block{
					{ID: "hero", Type: BlockHero, Heading: "Thank you: the guide is on its way", Subheading: "While you wait: want us to look at your business with you? It is free and takes 20 minutes.", CTA: link("Book a free call", "/book-a-call")},
				}
			}},
			{slug: "book-a-call", title: "Book a call", blocks: func(in TemplateInput) []Block {
				return []Block{
					{ID: "book", Type: BlockBooking, EventType: in.EventType, Heading: "Book your free call", Text: "Choose a time that suits you."},
				}
			}},
		}},
}

func init() {
	for _, t := range SiteTemplates {
		for _, p := range t.pages {
			t.Pages = append(t.Pages, slugPath(p.slug))
		}
	}
}

// FindPageTemplate returns the page template with key, or EINVALID
// naming "template".
func FindPageTemplate(key string) (*PageTemplate, error) {
	for _, t := range PageTemplates {
		if t.Key == key {
			return t, nil
		}
	}
	return nil, app.FieldErrorf("template", "Choose one of the page templates (%s).", templateKeys(PageTemplates))
}

// FindSiteTemplate returns the site template with key, or EINVALID
// naming "template".
func FindSiteTemplate(key string) (*SiteTemplate, error) {
	for _, t := range SiteTemplates {
		if t.Key == key {
			return t, nil
		}
	}
	var keys []string
	for _, t := range SiteTemplates {
		keys = append(keys, t.Key)
	}
	return nil, app.FieldErrorf("template", "Choose one of the site templates (%s).", strings.Join(keys, ", "))
}

func templateKeys(ts []*PageTemplate) string {
	var keys []string
	for _, t := range ts {
		keys = append(keys, t.Key)
	}
	return strings.Join(keys, ", ")
}

// page builds the template's page.
func (t *PageTemplate) page(siteID int64, slug, title string, in TemplateInput) *Page {
	return &Page{SiteID: siteID, Slug: slug, Title: title, SEO: t.seo, Blocks: t.blocks(in)}
}

// needs reports whether the blocks have a form and a booking block.
func needs(bs []Block) (form, booking bool) {
	for _, b := range bs {
		form = form || b.Type == BlockForm
		booking = booking || b.Type == BlockBooking
	}
	return form, booking
}

func init() {
	for _, t := range PageTemplates {
		t.NeedsForm, t.NeedsBooking = needs(t.blocks(TemplateInput{}))
	}
}

// pages builds the site template's pages.
func (t *SiteTemplate) build(siteID int64, in TemplateInput) ([]*Page, error) {
	var out []*Page
	for i, sp := range t.pages {
		var p *Page
		if sp.template != "" {
			pt, err := FindPageTemplate(sp.template)
			if err != nil {
				return nil, err
			}
			p = pt.page(siteID, sp.slug, sp.title, in)
		} else {
			p = &Page{SiteID: siteID, Slug: sp.slug, Title: sp.title, Blocks: sp.blocks(in)}
		}
		p.Position = i
		out = append(out, p)
	}
	return out, nil
}

// EventTypes lists the tenant's enabled event types' slugs (calendar),
// for templates' booking blocks.
type EventTypes func(ctx context.Context) ([]string, error)

// resolveInput fills in's form and event type for blocks: the given ones
// checked to be the tenant's, else the tenant's first (a new sign-up form
// when it has no form). Returns EINVALID naming form_id or event_type.
func (s *Service) resolveInput(ctx context.Context, in *TemplateInput, form, booking bool) error {
	if in.Now.IsZero() {
		in.Now = time.Now()
	}
	if form {
		if s.Forms == nil {
			return app.FieldErrorf("form_id", "Forms are not available.")
		}
		if in.FormID > 0 {
			if _, err := s.Forms.FindForm(ctx, in.FormID); app.ErrorCode(err) == app.ENOTFOUND {
				return app.FieldErrorf("form_id", "Choose one of your forms.")
			} else if err != nil {
				return err
			}
		} else {
			fs, err := s.Forms.FindForms(ctx)
			if err != nil {
				return err
			}
			if len(fs) > 0 {
				in.FormID = fs[0].ID
			} else {
				f := &app.Form{Name: "Sign-up", SuccessMessage: "Thank you: we will be in touch.", Fields: []app.FormField{
					{Name: "name", Label: "Name", Type: app.FieldText, Required: true},
					{Name: "email", Label: "Email", Type: app.FieldEmail, Required: true}}}
				if err := f.Validate(); err != nil {
					return err
				}
				if err := s.Forms.SaveForm(ctx, f); err != nil {
					return err
				}
				in.FormID = f.ID
			}
		}
	}
	if booking {
		var ets []string
		if s.EventTypes != nil {
			var err error
			if ets, err = s.EventTypes(ctx); err != nil {
				return err
			}
		}
		switch {
		case in.EventType != "":
			found := false
			for _, e := range ets {
				found = found || e == in.EventType
			}
			if !found {
				return app.FieldErrorf("event_type", "Choose one of your event types for the booking step.")
			}
		case len(ets) > 0:
			in.EventType = ets[0]
		default:
			return app.FieldErrorf("event_type", "This template has a booking step: add an event type under Calendar first.")
		}
	}
	return nil
}

// CreatePageFromTemplate adds a page made from a page template to a
// site, at slug with title ("": the template's). Returns EINVALID naming
// template, slug, title, form_id or event_type; ECONFLICT (slug taken).
func (s *Service) CreatePageFromTemplate(ctx context.Context, siteID int64, key, slug, title string, in TemplateInput) (*Page, error) {
	t, err := FindPageTemplate(key)
	if err != nil {
		return nil, err
	}
	if _, err := s.store.FindSite(ctx, siteID); err != nil {
		return nil, err
	}
	if strings.TrimSpace(title) == "" {
		title = t.Name
	}
	// The page is checked before a form is made for it.
	if err := t.page(siteID, slug, title, TemplateInput{FormID: 1, EventType: "x"}).Validate(); err != nil {
		return nil, err
	}
	if err := s.resolveInput(ctx, &in, t.NeedsForm, t.NeedsBooking); err != nil {
		return nil, err
	}
	p := t.page(siteID, slug, title, in)
	if _, err := s.SavePage(ctx, p); err != nil {
		return nil, err
	}
	return p, nil
}

// CreateSiteFromTemplate creates site with a site template's pages,
// menu, header button and funnels. Nothing is kept when a page cannot
// be written. Returns EINVALID naming the field, ECONFLICT.
func (s *Service) CreateSiteFromTemplate(ctx context.Context, site *Site, key string, in TemplateInput) ([]*Page, error) {
	t, err := FindSiteTemplate(key)
	if err != nil {
		return nil, err
	}
	if len(site.Settings.Nav) == 0 {
		site.Settings.Nav = t.nav
	}
	if site.Settings.HeaderCTA == nil && t.cta != nil {
		l := *t.cta
		site.Settings.HeaderCTA = &l
	}
	site.Settings.Funnels = append(site.Settings.Funnels, t.funnels...)
	if err := site.Validate(); err != nil {
		return nil, err
	}
	if err := s.checkDomain(ctx, site); err != nil {
		return nil, err
	}
	if err := s.checkChatAgent(ctx, site); err != nil {
		return nil, err
	}
	probe, err := t.build(0, TemplateInput{FormID: 1, EventType: "x"})
	if err != nil {
		return nil, err
	}
	var allBlocks []Block
	slugs := map[string]bool{}
	for _, p := range probe {
		if err := p.Validate(); err != nil {
			return nil, err
		}
		allBlocks = append(allBlocks, p.Blocks...)
		slugs[p.Slug] = true
	}
	if err := site.Settings.checkPlan(slugs); err != nil {
		return nil, err
	}
	form, booking := needs(allBlocks)
	if err := s.resolveInput(ctx, &in, form, booking); err != nil {
		return nil, err
	}
	site.salt = newSalt()
	if err := s.store.CreateSite(ctx, site); err != nil {
		return nil, err
	}
	pages, err := t.build(site.ID, in)
	if err == nil {
		for _, p := range pages {
			if err = p.Validate(); err != nil {
				break
			}
			if err = s.store.CreatePage(ctx, p); err != nil {
				break
			}
		}
	}
	if err != nil {
		if derr := s.store.DeleteSite(ctx, site.ID); derr != nil {
			s.logger().Error("site from template: removing the half-made site", "site", site.ID, "err", derr)
		}
		return nil, err
	}
	return pages, nil
}
