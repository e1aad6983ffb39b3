package sites

import (
	"iter"
	"strings"

	"orengen/app"
)

// ItemFormat is the editor's one-line-per-item format of a block type's
// items, as "part | part | ...", or "" when the type has no items.
func ItemFormat(blockType string) string {
	switch blockType {
	case BlockFeatures, BlockCards, BlockSteps:
		return "Title | Text"
	case BlockPricing:
		return "Plan | Price | Period | Text | feature; feature | highlight"
	case BlockTestimonials:
		return "Name | Quote | Role and company"
	case BlockFAQ:
		return "Question | Answer"
	case BlockGallery:
		return "Image address | Alternative text | Caption"
	case BlockBadges:
		return "Label"
	case BlockCases:
		return "Metric | Label | Title | Text"
	}
	return ""
}

// ParseItems reads a block's items in the editor's format (ItemFormat):
// one item a line, parts split by "|". Blank lines are skipped. Returns
// EINVALID naming "items".
func ParseItems(blockType, src string) ([]Item, error) {
	format := ItemFormat(blockType)
	if format == "" {
		return nil, nil
	}
	max := len(strings.Split(format, "|"))
	var out []Item
	for n, line := range lines(src) {
		p := strings.Split(line, "|")
		if len(p) > max {
			return nil, app.FieldErrorf("items", "Line %d has %d parts; this block takes at most %d (%s).", n+1, len(p), max, format)
		}
		for i := range p {
			p[i] = strings.TrimSpace(p[i])
		}
		for len(p) < max {
			p = append(p, "")
		}
		var it Item
		switch blockType {
		case BlockFeatures, BlockCards, BlockSteps:
			it = Item{Title: p[0], Text: p[1]}
		case BlockPricing:
			it = Item{Title: p[0], Price: p[1], Period: p[2], Text: p[3]}
			for _, f := range strings.Split(p[4], ";") {
				if f = strings.TrimSpace(f); f != "" {
					it.Features = append(it.Features, f)
				}
			}
			switch strings.ToLower(p[5]) {
			case "", "no":
			case "highlight", "yes":
				it.Highlight = true
			default:
				return nil, app.FieldErrorf("items", "Line %d: the last part is \"highlight\" or empty, not %q.", n+1, p[5])
			}
		case BlockTestimonials:
			it = Item{Title: p[0], Text: p[1], Role: p[2]}
		case BlockFAQ:
			it = Item{Title: p[0], Text: p[1]}
		case BlockGallery:
			it = Item{Image: p[0], Alt: p[1], Text: p[2]}
		case BlockBadges:
			it = Item{Label: p[0]}
		case BlockCases:
			it = Item{Metric: p[0], Label: p[1], Title: p[2], Text: p[3]}
		}
		out = append(out, it)
	}
	return out, nil
}

// FormatItems is the inverse of ParseItems.
func FormatItems(blockType string, items []Item) string {
	var b strings.Builder
	for _, it := range items {
		var p []string
		switch blockType {
		case BlockFeatures, BlockCards, BlockSteps:
			p = []string{it.Title, it.Text}
		case BlockPricing:
			h := ""
			if it.Highlight {
				h = "highlight"
			}
			p = []string{it.Title, it.Price, it.Period, it.Text, strings.Join(it.Features, "; "), h}
		case BlockTestimonials:
			p = []string{it.Title, it.Text, it.Role}
		case BlockFAQ:
			p = []string{it.Title, it.Text}
		case BlockGallery:
			p = []string{it.Image, it.Alt, it.Text}
		case BlockBadges:
			p = []string{it.Label}
		case BlockCases:
			p = []string{it.Metric, it.Label, it.Title, it.Text}
		default:
			continue
		}
		for len(p) > 1 && p[len(p)-1] == "" {
			p = p[:len(p)-1]
		}
		b.WriteString(strings.Join(p, " | ") + "\n")
	}
	return b.String()
}

// NewBlock returns a block of type t with placeholder content, for the
// editor's "Add block".
func NewBlock(t string) Block {
	b := Block{Type: t}
	switch t {
	case BlockHero:
		b.Heading, b.Subheading = "A headline that says what you do", "One sentence on who it is for."
		b.CTA = &app.Link{Label: "Get started", URL: "#"}
	case BlockText:
		b.Text = "Write here. **Markdown** works: lists, links, headings."
	case BlockFeatures:
		b.Heading = "Why us"
		b.Items = []Item{{Title: "Fast", Text: "Same-day service."}, {Title: "Fair", Text: "Fixed prices."}, {Title: "Friendly", Text: "Local people."}}
	case BlockPricing:
		b.Heading = "Pricing"
		b.Items = []Item{{Title: "Basic", Price: "$49", Period: "/month", Features: []string{"One thing"}}, {Title: "Pro", Price: "$99", Period: "/month", Features: []string{"Everything"}, Highlight: true}}
	case BlockTestimonials:
		b.Heading = "What clients say"
		b.Items = []Item{{Title: "Jane Doe", Text: "They were great.", Role: "Owner, Doe Bakery"}}
	case BlockFAQ:
		b.Heading = "Questions"
		b.Items = []Item{{Title: "How soon can you start?", Text: "Usually this week."}}
	case BlockCTA:
		b.Heading, b.Text = "Ready?", "Talk to us today."
		b.CTA = &app.Link{Label: "Contact us", URL: "#"}
	case BlockCountdown:
		b.Heading = "Offer ends in"
	case BlockHTML:
		b.HTML = "<p>Your HTML here.</p>"
	case BlockBlog:
		b.Heading = "Latest posts"
	}
	return b
}

// ParseNav reads the menu: one "Label | /address" a line.
func ParseNav(src string) ([]NavLink, error) {
	var out []NavLink
	err := eachPair(src, "|", func(n int, label, u string, ok bool) error {
		if !ok {
			return app.FieldErrorf("nav", "Menu line %d: write \"Label | /address\".", n)
		}
		out = append(out, NavLink{Label: label, URL: u})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// eachPair calls fn with each line of src cut at sep, both sides trimmed
// (ok false: the line has no sep), numbering lines from 1.
func eachPair(src, sep string, fn func(n int, left, right string, ok bool) error) error {
	for n, line := range lines(src) {
		l, r, ok := strings.Cut(line, sep)
		if err := fn(n+1, strings.TrimSpace(l), strings.TrimSpace(r), ok); err != nil {
			return err
		}
	}
	return nil
}

// FormatNav is the inverse of ParseNav.
func FormatNav(nav []NavLink) string {
	var b strings.Builder
	for _, l := range nav {
		b.WriteString(l.Label + " | " + l.URL + "\n")
	}
	return b.String()
}

// pathSlug turns "/about" (or "about", or "/" for home) into a slug.
func pathSlug(p string) string { return strings.Trim(strings.TrimSpace(p), "/") }

func slugPath(s string) string { return "/" + s }

// ParseFunnels reads funnels: one "Name | /step, /step, /step" a line.
func ParseFunnels(src string) ([]Funnel, error) {
	var out []Funnel
	for n, line := range lines(src) {
		name, steps, ok := strings.Cut(line, "|")
		if !ok {
			return nil, app.FieldErrorf("funnels", "Funnel line %d: write \"Name | /first-step, /second-step\".", n+1)
		}
		f := Funnel{Name: strings.TrimSpace(name)}
		for _, s := range strings.Split(steps, ",") {
			if strings.TrimSpace(s) != "" {
				f.Steps = append(f.Steps, pathSlug(s))
			}
		}
		out = append(out, f)
	}
	return out, nil
}

// FormatFunnels is the inverse of ParseFunnels.
func FormatFunnels(fs []Funnel) string {
	var b strings.Builder
	for _, f := range fs {
		var steps []string
		for _, s := range f.Steps {
			steps = append(steps, slugPath(s))
		}
		b.WriteString(f.Name + " | " + strings.Join(steps, ", ") + "\n")
	}
	return b.String()
}

// ParseTests reads split tests: one "/page | /variant 50, /other 50" a
// line (the weight after each variant, 1 to 100).
func ParseTests(src string) ([]SplitTest, error) {
	var out []SplitTest
	for n, line := range lines(src) {
		page, vs, ok := strings.Cut(line, "|")
		if !ok {
			return nil, app.FieldErrorf("tests", "Split test line %d: write \"/page | /page 50, /page-b 50\".", n+1)
		}
		t := SplitTest{Page: pathSlug(page)}
		for _, v := range strings.Split(vs, ",") {
			f := strings.Fields(v)
			if len(f) == 0 {
				continue
			}
			w := 1
			if len(f) == 2 {
				var err error
				if w, err = atoiStrict(f[1]); err != nil {
					return nil, app.FieldErrorf("tests", "Split test line %d: %q is not a weight (1 to 100).", n+1, f[1])
				}
			} else if len(f) > 2 {
				return nil, app.FieldErrorf("tests", "Split test line %d: write each variant as \"/path weight\".", n+1)
			}
			t.Variants = append(t.Variants, Variant{Slug: pathSlug(f[0]), Weight: w})
		}
		out = append(out, t)
	}
	return out, nil
}

// FormatTests is the inverse of ParseTests.
func FormatTests(ts []SplitTest) string {
	var b strings.Builder
	for _, t := range ts {
		var vs []string
		for _, v := range t.Variants {
			vs = append(vs, slugPath(v.Slug)+" "+itoa(v.Weight))
		}
		b.WriteString(slugPath(t.Page) + " | " + strings.Join(vs, ", ") + "\n")
	}
	return b.String()
}

// lines yields the non-blank lines of src, trimmed, with their index (the
// editor's one-thing-a-line fields).
func lines(src string) iter.Seq2[int, string] {
	return func(yield func(int, string) bool) {
		for n, l := range strings.Split(src, "\n") {
			if l = strings.TrimSpace(l); l != "" && !yield(n, l) {
				return
			}
		}
	}
}
