package wiki

import (
	"bytes"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Pages are rendered in two layers: goldmark (GFM: tables, task lists,
// strikethrough, autolinks) without raw HTML, so markup in a page is
// shown as text; then bluemonday's allow-list, so whatever goldmark emits
// (or a bug in it would) can only be the elements and attributes listed
// in policy: no script, no event handler, no style, no javascript: URL.

// md parses with [[Page]] links; the renderer is goldmark's HTML renderer
// (unsafe off).
var md = goldmark.New(
	// GFM's parts, with table alignment as align attributes (the CSP
	// refuses inline styles).
	goldmark.WithExtensions(extension.Linkify, extension.Strikethrough, extension.TaskList,
		extension.NewTable(extension.WithTableCellAlignMethod(extension.TableCellAlignAttribute))),
	goldmark.WithParserOptions(parser.WithAutoHeadingID(), parser.WithInlineParsers(util.Prioritized(wikiLinkParser{}, 199))),
)

// policy is the allow-list of the rendered HTML.
var policy = sync.OnceValue(func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.AllowAttrs("class").Matching(bluemonday.SpaceSeparatedTokens()).OnElements("a", "code", "span", "li", "ul", "ol")
	p.AllowAttrs("id").Matching(bluemonday.Paragraph()).OnElements("h1", "h2", "h3", "h4", "h5", "h6")
	p.AllowAttrs("align").Matching(bluemonday.CellAlign()).OnElements("th", "td")
	// Task lists: goldmark renders disabled checkboxes.
	p.AllowAttrs("type").Matching(bluemonday.Paragraph()).OnElements("input")
	p.AllowAttrs("checked", "disabled").OnElements("input")
	p.AllowElements("input")
	p.AllowURLSchemes("http", "https", "mailto")
	p.RequireNoReferrerOnLinks(true)
	return p
})

// Resolver turns a page's references into URLs for where it is shown
// (Nexus, the portal, a public share). An empty URL renders the reference
// as plain text.
type Resolver struct {
	// Page returns the URL of the page a [[title]] link names (slug is
	// Slug(title)) and whether it exists.
	Page func(slug, title string) (url string, exists bool)
	// Attachment returns the URL of an attachment of the space.
	Attachment func(id int64) string
}

// WikiLinkKind is the AST kind of a [[Page]] link.
var WikiLinkKind = ast.NewNodeKind("WikiLink")

// WikiLink is a [[Target]] or [[Target|Label]] link to a page by title.
type WikiLink struct {
	ast.BaseInline
	Target string
	Label  string
}

// Kind implements ast.Node.
func (n *WikiLink) Kind() ast.NodeKind { return WikiLinkKind }

// Dump implements ast.Node.
func (n *WikiLink) Dump(source []byte, level int) {
	ast.DumpHelper(n, source, level, map[string]string{"Target": n.Target, "Label": n.Label}, nil)
}

type wikiLinkParser struct{}

func (wikiLinkParser) Trigger() []byte { return []byte{'['} }

// Parse reads [[Target]] or [[Target|Label]] on one line.
func (wikiLinkParser) Parse(parent ast.Node, block text.Reader, pc parser.Context) ast.Node {
	line, _ := block.PeekLine()
	if !bytes.HasPrefix(line, []byte("[[")) {
		return nil
	}
	end := bytes.Index(line[2:], []byte("]]"))
	if end <= 0 {
		return nil
	}
	inner := line[2 : 2+end]
	if bytes.ContainsAny(inner, "[]\n") {
		return nil
	}
	target, label, _ := strings.Cut(string(inner), "|")
	target, label = cleanTitle(target), cleanTitle(label)
	if target == "" {
		return nil
	}
	if label == "" {
		label = target
	}
	block.Advance(end + 4)
	return &WikiLink{Target: target, Label: label}
}

// parse parses a page body.
func parse(body string) (ast.Node, []byte) {
	src := []byte(body)
	return md.Parser().Parse(text.NewReader(src)), src
}

// attachmentRef reads "attachment:ID" (the form pages use for their
// files, whatever host shows them).
func attachmentRef(dest []byte) (int64, bool) {
	rest, ok := bytes.CutPrefix(dest, []byte("attachment:"))
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(string(rest), 10, 64)
	return id, err == nil && id > 0
}

// Render returns the sanitised HTML of a page body, with [[Page]] links
// and attachment:ID references resolved by r. Safe to put in a page as is.
func Render(body string, r Resolver) string {
	doc, src := parse(body)
	var wikiLinks []*WikiLink
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *WikiLink:
			wikiLinks = append(wikiLinks, n)
		case *ast.Link:
			if id, ok := attachmentRef(n.Destination); ok {
				n.Destination = []byte(resolveAttachment(r, id))
			}
		case *ast.Image:
			if id, ok := attachmentRef(n.Destination); ok {
				n.Destination = []byte(resolveAttachment(r, id))
			}
		}
		return ast.WalkContinue, nil
	})
	// Replace each [[link]] by a link or, when it resolves to nothing, by
	// its label as text.
	for _, wl := range wikiLinks {
		var repl ast.Node
		url, exists := "", false
		if r.Page != nil {
			url, exists = r.Page(Slug(wl.Target), wl.Target)
		}
		if url == "" {
			repl = ast.NewString([]byte(wl.Label))
		} else {
			l := ast.NewLink()
			l.Destination = []byte(url)
			cls := "wikilink"
			if !exists {
				cls += " missing"
				l.Title = []byte("No page yet: create " + wl.Target)
			}
			l.SetAttributeString("class", []byte(cls))
			l.AppendChild(l, ast.NewString([]byte(wl.Label)))
			repl = l
		}
		wl.Parent().ReplaceChild(wl.Parent(), wl, repl)
	}
	var buf bytes.Buffer
	if err := md.Renderer().Render(&buf, src, doc); err != nil {
		return "<p>" + policy().Sanitize(body) + "</p>"
	}
	return policy().Sanitize(buf.String())
}

func resolveAttachment(r Resolver, id int64) string {
	if r.Attachment == nil {
		return ""
	}
	return r.Attachment(id)
}

// Links returns the slugs of the pages a body links to with [[...]], once
// each, in order.
func Links(body string) []string {
	doc, _ := parse(body)
	var out []string
	seen := map[string]bool{}
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if wl, ok := n.(*WikiLink); ok && entering {
			if s := Slug(wl.Target); !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
		return ast.WalkContinue, nil
	})
	return out
}

// AttachmentRefs returns the attachment IDs a body references.
func AttachmentRefs(body string) []int64 {
	doc, _ := parse(body)
	var out []int64
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		var dest []byte
		switch n := n.(type) {
		case *ast.Link:
			dest = n.Destination
		case *ast.Image:
			dest = n.Destination
		}
		if id, ok := attachmentRef(dest); ok {
			out = append(out, id)
		}
		return ast.WalkContinue, nil
	})
	return out
}

// block is a top-level block's plain text with the heading it falls under.
type block struct {
	heading bool
	level   int
	text    string
}

// plainBlocks returns the plain text of a body's blocks: what a reader
// sees, without markup or URLs (links keep their text, images their alt
// text, tables their cells joined by " | ", code its lines).
func plainBlocks(body string) []block {
	doc, src := parse(body)
	var out []block
	for n := doc.FirstChild(); n != nil; n = n.NextSibling() {
		var b strings.Builder
		writePlain(&b, n, src)
		t := strings.TrimSpace(b.String())
		if t == "" {
			continue
		}
		if h, ok := n.(*ast.Heading); ok {
			out = append(out, block{heading: true, level: h.Level, text: t})
			continue
		}
		out = append(out, block{text: t})
	}
	return out
}

// writePlain writes the text of n and its children.
func writePlain(b *strings.Builder, n ast.Node, src []byte) {
	switch n := n.(type) {
	case *ast.Text:
		b.Write(n.Segment.Value(src))
		if n.SoftLineBreak() || n.HardLineBreak() {
			b.WriteByte('\n')
		}
		return
	case *ast.String:
		b.Write(n.Value)
		return
	case *WikiLink:
		b.WriteString(n.Label)
		return
	case *ast.AutoLink:
		b.Write(n.Label(src))
		return
	case *ast.CodeBlock, *ast.FencedCodeBlock:
		lines := n.Lines()
		for i := 0; i < lines.Len(); i++ {
			seg := lines.At(i)
			b.Write(seg.Value(src))
		}
		b.WriteByte('\n')
		return
	case *ast.RawHTML, *ast.HTMLBlock:
		return
	}
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		writePlain(b, c, src)
		switch c.(type) {
		case *extast.TableCell:
			b.WriteString(" | ")
		}
	}
	switch n.(type) {
	case *ast.Paragraph, *ast.ListItem, *ast.TextBlock, *extast.TableRow, *extast.TableHeader:
		b.WriteByte('\n')
	}
}

// PlainText returns a body's text without markup (for previews and
// search).
func PlainText(body string) string {
	var parts []string
	for _, b := range plainBlocks(body) {
		parts = append(parts, b.text)
	}
	return strings.Join(parts, "\n\n")
}

// ChunkPage cuts a page body into retrieval chunks: a new chunk at every
// heading, blocks joined up to MaxChunkBytes, a longer block cut at a
// sentence or word end. Each chunk's heading is the path of headings it
// falls under ("Refunds › Exceptions").
func ChunkPage(body string) []Chunk {
	var out []Chunk
	var path []block // headings in force
	var cur strings.Builder
	heading := func() string {
		var hs []string
		for _, h := range path {
			hs = append(hs, h.text)
		}
		return strings.Join(hs, " › ")
	}
	flush := func() {
		if t := strings.TrimSpace(cur.String()); t != "" {
			out = append(out, Chunk{Seq: len(out), Heading: heading(), Text: t})
		}
		cur.Reset()
	}
	for _, b := range plainBlocks(body) {
		if b.heading {
			flush()
			for len(path) > 0 && path[len(path)-1].level >= b.level {
				path = path[:len(path)-1]
			}
			path = append(path, b)
			continue
		}
		for _, piece := range splitText(cleanText(b.text), MaxChunkBytes) {
			if cur.Len() > 0 && cur.Len()+len(piece)+2 > MaxChunkBytes {
				flush()
			}
			if cur.Len() > 0 {
				cur.WriteString("\n\n")
			}
			cur.WriteString(piece)
		}
	}
	flush()
	if len(out) == 0 && len(path) > 0 { // headings only
		out = append(out, Chunk{Heading: heading(), Text: path[len(path)-1].text})
	}
	return out
}

// ChunkText cuts extracted text (an attachment's) into chunks at
// paragraph breaks.
func ChunkText(s string) []Chunk {
	var out []Chunk
	var cur strings.Builder
	for _, para := range strings.Split(cleanText(s), "\n\n") {
		for _, piece := range splitText(strings.TrimSpace(para), MaxChunkBytes) {
			if piece == "" {
				continue
			}
			if cur.Len() > 0 && cur.Len()+len(piece)+2 > MaxChunkBytes {
				out = append(out, Chunk{Seq: len(out), Text: cur.String()})
				cur.Reset()
			}
			if cur.Len() > 0 {
				cur.WriteString("\n\n")
			}
			cur.WriteString(piece)
		}
	}
	if cur.Len() > 0 {
		out = append(out, Chunk{Seq: len(out), Text: cur.String()})
	}
	return out
}

// cleanText drops control characters (the snippet markers among them)
// except newlines and tabs, and invalid UTF-8.
func cleanText(s string) string {
	s = strings.ToValidUTF8(s, "")
	return strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

// splitText cuts s into pieces of at most max bytes, at a sentence end
// when there is one in the second half of the piece, else at a space,
// else anywhere (at a rune boundary).
func splitText(s string, max int) []string {
	var out []string
	for len(s) > max {
		cut := -1
		for _, sep := range []string{". ", "\n", "? ", "! ", " "} {
			if i := strings.LastIndex(s[:max], sep); i > max/2 {
				cut = i + len(sep)
				break
			}
		}
		if cut < 0 {
			cut = max
			for cut > 0 && !utf8.RuneStart(s[cut]) {
				cut--
			}
		}
		out = append(out, strings.TrimSpace(s[:cut]))
		s = s[cut:]
	}
	if s = strings.TrimSpace(s); s != "" {
		out = append(out, s)
	}
	return out
}
