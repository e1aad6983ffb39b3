package sites

import (
	"encoding/xml"
	"sort"
	"strings"
	"time"

	"orengen/app"
)

// Post marks a page as a blog post: its date and summary show in the
// site's blog index blocks and its RSS feed (/rss.xml).
type Post struct {
	Date    string `json:"date"` // YYYY-MM-DD
	Summary string `json:"summary,omitempty"`
}

// PathRSS is the published RSS feed of a site with blog posts.
const PathRSS = "/rss.xml"

// maxFeedItems is how many posts the feed and an index block list.
const maxFeedItems = 50

// validate checks a post's date and summary. EINVALID naming the field.
func (p *Post) validate() error {
	p.Date, p.Summary = strings.TrimSpace(p.Date), strings.TrimSpace(p.Summary)
	if _, err := time.Parse(time.DateOnly, p.Date); err != nil {
		return app.FieldErrorf("post_date", "A blog post needs a date like 2026-12-06.")
	}
	if len(p.Summary) > 500 {
		return app.FieldErrorf("post_summary", "A post's summary must be at most 500 characters.")
	}
	return nil
}

// Posts returns a site's blog posts, newest first (by date, then title),
// without split-test variants, at most maxFeedItems.
func Posts(s *Site, pages []*Page) []*Page {
	var out []*Page
	for _, p := range pages {
		if p.Post != nil && p.Slug != "404" && !s.isVariant(p.Slug) {
			out = append(out, p)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Post.Date != out[j].Post.Date {
			return out[i].Post.Date > out[j].Post.Date
		}
		return out[i].Title < out[j].Title
	})
	if len(out) > maxFeedItems {
		out = out[:maxFeedItems]
	}
	return out
}

// PostDate formats a post's date for readers ("6 December 2026").
func PostDate(d string) string {
	t, err := time.Parse(time.DateOnly, d)
	if err != nil {
		return d
	}
	return t.Format("2 January 2006")
}

// rss renders the site's RSS 2.0 feed of posts (newest first).
func rss(s *Snapshot, base string, posts []*Page) ([]byte, error) {
	type guid struct {
		IsPermaLink string `xml:"isPermaLink,attr"`
		Value       string `xml:",chardata"`
	}
	type item struct {
		Title       string `xml:"title"`
		Link        string `xml:"link"`
		GUID        guid   `xml:"guid"`
		PubDate     string `xml:"pubDate"`
		Description string `xml:"description,omitempty"`
	}
	type atomLink struct {
		Href string `xml:"href,attr"`
		Rel  string `xml:"rel,attr"`
		Type string `xml:"type,attr"`
	}
	type channel struct {
		Title       string    `xml:"title"`
		Link        string    `xml:"link"`
		Description string    `xml:"description"`
		Self        *atomLink `xml:"atom:link,omitempty"`
		LastBuild   string    `xml:"lastBuildDate,omitempty"`
		Items       []item    `xml:"item"`
	}
	var feed struct {
		XMLName xml.Name `xml:"rss"`
		Version string   `xml:"version,attr"`
		Atom    string   `xml:"xmlns:atom,attr"`
		Channel channel  `xml:"channel"`
	}
	base = strings.TrimRight(base, "/")
	feed.Version, feed.Atom = "2.0", "http://www.w3.org/2005/Atom"
	feed.Channel = channel{Title: s.Site.Name, Link: base + "/", Description: "Posts from " + s.Site.Name}
	if base != "" {
		feed.Channel.Self = &atomLink{Href: base + PathRSS, Rel: "self", Type: "application/rss+xml"}
	}
	for i, p := range posts {
		d, _ := time.Parse(time.DateOnly, p.Post.Date)
		pub := d.Format(time.RFC1123Z)
		if i == 0 {
			feed.Channel.LastBuild = pub
		}
		desc := p.Post.Summary
		if desc == "" {
			desc = p.SEO.Description
		}
		feed.Channel.Items = append(feed.Channel.Items, item{Title: p.Title, Link: base + p.Path(), GUID: guid{"true", base + p.Path()},
			PubDate: pub, Description: desc})
	}
	b, err := xml.MarshalIndent(feed, "", "  ")
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), append(b, '\n')...), nil
}
