package wiki_test

import (
	"strings"
	"testing"

	"golang.org/x/net/html"

	"orengen/app/wiki"
)

var resolver = wiki.Resolver{
	Page:       func(slug, _ string) (string, bool) { return "/wiki/p/" + slug, slug == "known" },
	Attachment: func(id int64) string { return "/wiki/files/7" },
}

func TestRender_Features(t *testing.T) {
	src := "# Title\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n\n- [x] done\n- [ ] open\n\n```go\nfmt.Println(\"<hi>\")\n```\n\n" +
		"[[Known]] [[Other|label]] ![pic](attachment:7) [file](attachment:7) ~~old~~ https://example.com\n"
	got := wiki.Render(src, resolver)
	for _, want := range []string{
		`<h1 id="title">Title</h1>`,
		`<th align="left">a</th>`, `<td align="right">2</td>`,
		`<input checked="" disabled="" type="checkbox"`, `<input disabled="" type="checkbox"`,
		`<code class="language-go">fmt.Println(&#34;&lt;hi&gt;&#34;)`,
		`<a href="/wiki/p/known" class="wikilink" rel="nofollow noreferrer">Known</a>`,
		`class="wikilink missing"`, `>label</a>`,
		`<img src="/wiki/files/7" alt="pic">`, `<a href="/wiki/files/7" rel="nofollow noreferrer">file</a>`,
		`<del>old</del>`, `<a href="https://example.com" rel="nofollow noreferrer">https://example.com</a>`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %s in\n%s", want, got)
		}
	}
}

// XSS payloads come out as inert text or not at all: no element or
// attribute that runs script survives either layer.
func TestRender_XSS(t *testing.T) {
	payloads := []string{
		`<script>alert(1)</script>`,
		`<img src=x onerror=alert(1)>`,
		`[click](javascript:alert(1))`,
		`[click](JaVaScRiPt:alert(1))`,
		`[click](  javascript:alert(1))`,
		`![x](javascript:alert(1))`,
		`[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)`,
		`<a href="javascript:alert(1)">x</a>`,
		`<iframe src="https://evil.test"></iframe>`,
		`<svg onload=alert(1)>`,
		`<div style="background:url(javascript:alert(1))">x</div>`,
		"```\n</code><script>alert(1)</script>\n```",
		`[[<script>alert(1)</script>]]`,
		`[[x" onmouseover="alert(1)]]`,
		`<details open ontoggle=alert(1)>`,
		`[x](vbscript:msgbox(1))`,
		`<form action=https://evil.test><input type=submit></form>`,
		`<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>`,
	}
	// The checker itself catches what it must.
	for _, raw := range []string{`<script>x</script>`, `<a href="javascript:x">`, `<a href=" JAVASCRIPT:x">`, `<p onclick="x">`, `<img src="data:image/svg+xml,x">`, `<p style="x">`} {
		if unsafeHTML(raw) == "" {
			t.Fatalf("unsafeHTML misses %s", raw)
		}
	}
	for _, p := range payloads {
		got := wiki.Render(p, resolver)
		if bad := unsafeHTML(got); bad != "" {
			t.Errorf("payload %q rendered %q: %s", p, got, bad)
		}
	}
}

// allowedTags are the elements a rendered page may contain.
var allowedTags = map[string]bool{"p": true, "a": true, "img": true, "h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
	"ul": true, "ol": true, "li": true, "input": true, "pre": true, "code": true, "em": true, "strong": true, "del": true, "table": true,
	"thead": true, "tbody": true, "tr": true, "th": true, "td": true, "blockquote": true, "hr": true, "br": true}

// unsafeHTML parses s as a browser would and names the first element or
// attribute that could run script or restyle the page; "" if none.
func unsafeHTML(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			if !allowedTags[tok.Data] {
				return "element " + tok.Data
			}
			for _, a := range tok.Attr {
				k, v := strings.ToLower(a.Key), strings.ToLower(strings.TrimSpace(a.Val))
				switch {
				case strings.HasPrefix(k, "on"), k == "style", k == "srcdoc", k == "formaction":
					return "attribute " + k
				case k == "href" || k == "src":
					if i := strings.Index(v, ":"); i >= 0 && !strings.Contains(v[:i], "/") && !strings.HasPrefix(v, "http:") && !strings.HasPrefix(v, "https:") && !strings.HasPrefix(v, "mailto:") {
						return "URL " + v
					}
				case tok.Data == "input" && k == "type" && v != "checkbox":
					return "input type " + v
				}
			}
		}
	}
}

func TestLinksAndPlainText(t *testing.T) {
	body := "See [[Price List]], [[price list|again]] and [[Über uns]].\n\n`[[not a link]]`\n\n```\n[[nor this]]\n```\n"
	got := wiki.Links(body)
	if strings.Join(got, ",") != "price-list,über-uns" {
		t.Fatalf("links: %q", got)
	}
	pt := wiki.PlainText("# Head\n\nSome **bold** [link](https://x.test) and ![alt text](attachment:3).\n\n| a | b |\n|---|---|\n| c | d |\n")
	for _, want := range []string{"Head", "Some bold link and alt text.", "a | b |", "c | d |"} {
		if !strings.Contains(pt, want) {
			t.Errorf("plain text %q lacks %q", pt, want)
		}
	}
	if strings.Contains(pt, "https://") || strings.Contains(pt, "attachment:") {
		t.Errorf("plain text keeps URLs: %q", pt)
	}
}

// TestSnippetQuery: the prefix term of a search becomes the chunk's own
// words that start with it (found by rowid, not by merging the prefix's
// doclist), other terms stay; with no such word nothing changes.
func TestSnippetQuery(t *testing.T) {
	for _, c := range []struct{ q, text, want string }{
		{"alpha bet", "Betting on better BETS, alphabet alpha.", `{title body} : ("alpha" AND ("betting" OR "better" OR "bets"))`},
		{"refund -gift", "Refunds and the refund desk", `{title body} : (("refunds" OR "refund") NOT ("gift"))`},
		{`refund "sale items"`, "refund sale items", `{title body} : ("refund" AND "sale items")`},
		{"walk", "She walked home", `{title body} : (("walked"))`},
		{"walk", "nothing here", `{title body} : ("walk"*)`},
	} {
		if got := wiki.SnippetQuery(wiki.Query(c.q), c.text); got != c.want {
			t.Errorf("SnippetQuery(%q, %q) = %s, want %s", c.q, c.text, got, c.want)
		}
	}
}

func TestQuery(t *testing.T) {
	for in, want := range map[string]string{
		"refund policy":       `{title body} : ("refund" AND "policy"*)`,
		`"sale items" refund`: `{title body} : ("sale items" AND "refund"*)`,
		`refund "sale items"`: `{title body} : ("refund" AND "sale items")`,
		"refund -gift":        `{title body} : ("refund"* NOT ("gift"))`,
		`title:x OR (y*`:      `{title body} : ("title" AND "x" AND "OR" AND "y"*)`,
		"  ":                  "",
		"-only":               "",
	} {
		if got := wiki.Query(in); got != want {
			t.Errorf("Query(%q) = %s, want %s", in, got, want)
		}
	}
}
