package sites

import (
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/microcosm-cc/bluemonday"

	"orengen/app"
)

// Block types. The last group are the marketing site's own sections,
// kept so the agency's site renders in this model as it did before.
const (
	BlockHero         = "hero"
	BlockText         = "text" // Markdown
	BlockImage        = "image"
	BlockGallery      = "gallery"
	BlockVideo        = "video"
	BlockFeatures     = "features"
	BlockPricing      = "pricing"
	BlockTestimonials = "testimonials"
	BlockFAQ          = "faq"
	BlockCTA          = "cta"
	BlockForm         = "form"    // a form of the form builder
	BlockBooking      = "booking" // a calendar event type's booking page
	BlockChat         = "chat"    // an Agent Studio chat widget
	BlockCountdown    = "countdown"
	BlockHTML         = "html" // custom HTML, sanitised
	BlockBlog         = "blog" // the site's blog posts, newest first

	// The marketing site's sections.
	BlockDemo     = "demo"
	BlockCards    = "cards"
	BlockCases    = "cases"
	BlockSteps    = "steps"
	BlockBadges   = "badges"
	BlockContact  = "contact"
	BlockLeadForm = "leadform" // the marketing site's lead form (POST /leads)
)

// BlockTypes lists the block types in the editor's order, with a label.
var BlockTypes = []struct{ Type, Label string }{
	{BlockHero, "Hero"}, {BlockText, "Text (Markdown)"}, {BlockImage, "Image"}, {BlockGallery, "Gallery"},
	{BlockVideo, "Video"}, {BlockFeatures, "Features"}, {BlockPricing, "Pricing table"},
	{BlockTestimonials, "Testimonials"}, {BlockFAQ, "FAQ"}, {BlockCTA, "Call to action"},
	{BlockForm, "Form"}, {BlockBooking, "Booking"}, {BlockChat, "Chat widget"},
	{BlockCountdown, "Countdown"}, {BlockHTML, "Custom HTML"}, {BlockBlog, "Blog posts"},
}

var legacyBlocks = map[string]bool{BlockDemo: true, BlockCards: true, BlockCases: true, BlockSteps: true,
	BlockBadges: true, BlockContact: true, BlockLeadForm: true}

// KnownBlock reports whether t is a block type.
func KnownBlock(t string) bool {
	if legacyBlocks[t] {
		return true
	}
	for _, b := range BlockTypes {
		if b.Type == t {
			return true
		}
	}
	return false
}

// Block is a section of a page. Which fields matter depends on Type.
type Block struct {
	ID         string    `json:"id"`
	Type       string    `json:"type"`
	Heading    string    `json:"heading,omitempty"`
	Subheading string    `json:"subheading,omitempty"`
	Text       string    `json:"text,omitempty"` // Markdown for text; plain elsewhere
	Items      []Item    `json:"items,omitempty"`
	CTA        *app.Link `json:"cta,omitempty"`
	CTA2       *app.Link `json:"cta2,omitempty"`
	Image      string    `json:"image,omitempty"` // https:// or /path
	Alt        string    `json:"alt,omitempty"`
	VideoURL   string    `json:"video_url,omitempty"`
	FormID     int64     `json:"form_id,omitempty"`
	EventType  string    `json:"event_type,omitempty"` // booking: the event type's slug
	AgentKey   string    `json:"agent_key,omitempty"`  // chat: the agent's widget key
	Deadline   string    `json:"deadline,omitempty"`   // countdown: RFC 3339
	HTML       string    `json:"html,omitempty"`       // custom HTML, stored sanitised
}

// Item is a feature, plan, testimonial, question or image in a block.
type Item struct {
	Title     string   `json:"title,omitempty"` // FAQ: the question; testimonial: the person
	Text      string   `json:"text,omitempty"`  // FAQ: the answer; testimonial: the quote
	Price     string   `json:"price,omitempty"`
	Period    string   `json:"period,omitempty"`
	Features  []string `json:"features,omitempty"`
	Highlight bool     `json:"highlight,omitempty"`
	Image     string   `json:"image,omitempty"`
	Alt       string   `json:"alt,omitempty"`
	Role      string   `json:"role,omitempty"` // testimonial: role and company
	Metric    string   `json:"metric,omitempty"`
	Label     string   `json:"label,omitempty"`
	Icon      string   `json:"icon,omitempty"`
}

// Limits of block content.
const (
	maxItems    = 40
	maxText     = 20000
	maxHTML     = 50000
	maxHeading  = 200
	maxItemText = 2000
)

var (
	eventSlugRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`) })
	agentKeyRE  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_-]{4,80}$`) })
)

// Validate checks a block. Custom HTML is sanitised in place (see
// SanitizeHTML); EINVALID otherwise.
func (b *Block) Validate() error {
	if !KnownBlock(b.Type) {
		return errf("unknown block type %q.", b.Type)
	}
	if len(b.Heading) > maxHeading || len(b.Subheading) > 500 {
		return errf("heading must be at most %d characters and subheading at most 500.", maxHeading)
	}
	if len(b.Text) > maxText {
		return errf("text must be at most %d characters.", maxText)
	}
	if len(b.Items) > maxItems {
		return errf("at most %d items.", maxItems)
	}
	if b.Type == BlockForm && b.CTA != nil {
		// A form's button has a label only (the editor asks for no address).
		if strings.TrimSpace(b.CTA.Label) == "" {
			b.CTA = nil
		} else if b.CTA.URL = "#form"; eventSlugRE().MatchString(b.ID) {
			b.CTA.URL = "#" + b.ID
		}
	}
	for _, l := range []*app.Link{b.CTA, b.CTA2} {
		if l != nil && (strings.TrimSpace(l.Label) == "" || !pageLink(l.URL)) {
			return errf("a button needs a label and a /path, #anchor, https://, mailto: or tel: address.")
		}
	}
	if b.Image != "" && !linkURL(b.Image) {
		return errf("image must be an https:// address or an uploaded image (/path).")
	}
	for i, it := range b.Items {
		if len(it.Title) > maxHeading || len(it.Text) > maxItemText {
			return errf("item %d: title at most %d characters, text at most %d.", i+1, maxHeading, maxItemText)
		}
		if it.Image != "" && !linkURL(it.Image) {
			return errf("item %d: image must be an https:// address or an uploaded image (/path).", i+1)
		}
	}
	switch b.Type {
	case BlockImage:
		if b.Image == "" {
			return errf("choose an image.")
		}
		if strings.TrimSpace(b.Alt) == "" {
			return errf("describe the image in its alternative text (for people who cannot see it).")
		}
	case BlockGallery:
		if len(b.Items) == 0 {
			return errf("add at least one image.")
		}
		for i, it := range b.Items {
			if it.Image == "" || strings.TrimSpace(it.Alt) == "" {
				return errf("image %d needs an address and an alternative text.", i+1)
			}
		}
	case BlockVideo:
		if _, err := VideoEmbedURL(b.VideoURL); err != nil {
			return err
		}
	case BlockForm:
		if b.FormID <= 0 {
			return errf("choose a form.")
		}
	case BlockBooking:
		if !eventSlugRE().MatchString(b.EventType) {
			return errf("choose an event type to book.")
		}
	case BlockChat:
		if !agentKeyRE().MatchString(b.AgentKey) {
			return errf("choose an agent's chat widget.")
		}
	case BlockCountdown:
		if _, err := time.Parse(time.RFC3339, b.Deadline); err != nil {
			return errf("deadline must be a date and time like 2026-12-31T17:00:00Z.")
		}
	case BlockHTML:
		if len(b.HTML) > maxHTML {
			return errf("custom HTML must be at most %d characters.", maxHTML)
		}
		b.HTML, _ = SanitizeHTML(b.HTML)
	}
	return nil
}

// htmlPolicy is what custom HTML keeps: bluemonday's user-content policy
// (no script, no event handlers, no style attributes, no javascript:
// URLs) plus classes and ids for the site's own CSS.
var htmlPolicy = sync.OnceValue(func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.AllowAttrs("class").Matching(bluemonday.SpaceSeparatedTokens()).Globally()
	p.AllowAttrs("id").Matching(regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,60}$`)).Globally()
	p.AllowElements("section", "article", "aside", "figure", "figcaption", "header", "footer", "span", "div")
	p.AllowURLSchemes("https", "mailto", "tel")
	p.RequireNoReferrerOnLinks(true)
	return p
})

// SanitizeHTML returns custom HTML with everything unsafe removed, and
// whether anything was removed (the editor then warns).
func SanitizeHTML(s string) (string, bool) {
	out := htmlPolicy().Sanitize(s)
	return out, strings.TrimSpace(out) != strings.TrimSpace(s)
}

var (
	youTubeIDRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_-]{11}$`) })
	vimeoIDRE   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9]{1,12}$`) })
)

// VideoEmbedURL turns a YouTube or Vimeo address into its embed player's
// address (YouTube's privacy-enhanced host). Returns EINVALID for any
// other address.
func VideoEmbedURL(s string) (string, error) {
	bad := errf("video must be a YouTube or Vimeo address, like https://www.youtube.com/watch?v=... or https://vimeo.com/123.")
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return "", bad
	}
	host := strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.")
	var id string
	switch host {
	case "youtube.com", "m.youtube.com", "youtube-nocookie.com":
		switch {
		case u.Path == "/watch":
			id = u.Query().Get("v")
		case strings.HasPrefix(u.Path, "/embed/"), strings.HasPrefix(u.Path, "/shorts/"):
			id = u.Path[strings.LastIndex(u.Path, "/")+1:]
		}
		if youTubeIDRE().MatchString(id) {
			return "https://www.youtube-nocookie.com/embed/" + id, nil
		}
	case "youtu.be":
		if id = strings.TrimPrefix(u.Path, "/"); youTubeIDRE().MatchString(id) {
			return "https://www.youtube-nocookie.com/embed/" + id, nil
		}
	case "vimeo.com", "player.vimeo.com":
		id = u.Path[strings.LastIndex(u.Path, "/")+1:]
		if vimeoIDRE().MatchString(id) {
			return "https://player.vimeo.com/video/" + id, nil
		}
	}
	return "", bad
}
