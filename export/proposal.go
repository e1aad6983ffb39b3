// Package export writes documents for download: a federal proposal as
// a Word document (Office Open XML, written by hand: the few parts a
// document needs) or a PDF (github.com/go-pdf/fpdf), from its markdown
// sections (github.com/yuin/goldmark). It implements
// federal.ProposalWriter.
//
// export imports app/federal (the proposal it writes) and the
// document libraries.
package export

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"

	"orengen/app/federal"
)

// Proposals implements federal.ProposalWriter.
type Proposals struct{}

var _ federal.ProposalWriter = Proposals{}

// DOCX writes p as a Word document.
func (Proposals) DOCX(w io.Writer, p *federal.Proposal) error { return (*proposal)(p).WriteDOCX(w) }

// PDF writes p as a PDF.
func (Proposals) PDF(w io.Writer, p *federal.Proposal) error { return (*proposal)(p).WritePDF(w) }

// proposal carries the writers' methods.
type proposal federal.Proposal

// Block kinds of the document model both exporters share.
const (
	blockHeading   = "heading"
	blockParagraph = "paragraph"
	blockBullet    = "bullet"
	blockNumbered  = "numbered"
	blockCode      = "code"
)

// run is a stretch of text with one style.
type run struct {
	Text         string
	Bold, Italic bool
	Code         bool
}

// block is a heading, paragraph, list item or code block.
type block struct {
	Kind  string
	Level int // heading level (1 = section title), list depth (0 = top)
	Num   int // item number in a numbered list
	Runs  []run
}

var mdParser = goldmark.New(goldmark.WithExtensions(extension.GFM)).Parser()

// markdownBlocks turns markdown into the block model. Raw HTML is dropped
// (never interpreted), like the safe preview; images keep their alt text.
// Section headings inside a body are shifted one level down, under the
// section title.
func markdownBlocks(src string) []block {
	source := []byte(src)
	doc := mdParser.Parse(text.NewReader(source))
	var out []block
	var walk func(n ast.Node, depth int)
	var walkList func(v *ast.List, depth int)
	inline := func(n ast.Node) []run {
		var runs []run
		var rec func(n ast.Node, b, i, c bool)
		rec = func(n ast.Node, b, i, c bool) {
			for ch := n.FirstChild(); ch != nil; ch = ch.NextSibling() {
				switch v := ch.(type) {
				case *ast.Text:
					t := string(v.Segment.Value(source))
					if v.SoftLineBreak() || v.HardLineBreak() {
						t += " "
					}
					runs = append(runs, run{Text: t, Bold: b, Italic: i, Code: c})
				case *ast.String:
					runs = append(runs, run{Text: string(v.Value), Bold: b, Italic: i, Code: c})
				case *ast.CodeSpan:
					rec(v, b, i, true)
				case *ast.Emphasis:
					rec(v, b || v.Level >= 2, i || v.Level == 1, c)
				case *east.Strikethrough:
					rec(v, b, i, c)
				case *ast.Link:
					rec(v, b, i, c)
					if dest := string(v.Destination); dest != "" {
						runs = append(runs, run{Text: " (" + dest + ")", Bold: b, Italic: i})
					}
				case *ast.AutoLink:
					runs = append(runs, run{Text: string(v.URL(source)), Bold: b, Italic: i})
				case *ast.RawHTML:
					// dropped: never rendered as markup
				default:
					rec(ch, b, i, c)
				}
			}
		}
		rec(n, false, false, false)
		return mergeRuns(runs)
	}
	walk = func(n ast.Node, depth int) {
		for ch := n.FirstChild(); ch != nil; ch = ch.NextSibling() {
			switch v := ch.(type) {
			case *ast.Heading:
				lvl := v.Level + 1
				if lvl > 4 {
					lvl = 4
				}
				out = append(out, block{Kind: blockHeading, Level: lvl, Runs: inline(v)})
			case *ast.Paragraph, *ast.TextBlock:
				out = append(out, block{Kind: blockParagraph, Runs: inline(v)})
			case *ast.List:
				walkList(v, depth)
			case *ast.FencedCodeBlock, *ast.CodeBlock:
				var b strings.Builder
				lines := ch.Lines()
				for i := 0; i < lines.Len(); i++ {
					seg := lines.At(i)
					b.Write(seg.Value(source))
				}
				out = append(out, block{Kind: blockCode, Runs: []run{{Text: strings.TrimRight(b.String(), "\n"), Code: true}}})
			case *ast.Blockquote:
				walk(v, depth)
			case *ast.ThematicBreak, *ast.HTMLBlock:
				// a rule has no text; raw HTML blocks are dropped
			case *east.Table:
				for row := v.FirstChild(); row != nil; row = row.NextSibling() {
					var runs []run
					for cell := row.FirstChild(); cell != nil; cell = cell.NextSibling() {
						if len(runs) > 0 {
							runs = append(runs, run{Text: " | "})
						}
						cr := inline(cell)
						if _, head := row.(*east.TableHeader); head {
							for i := range cr {
								cr[i].Bold = true
							}
						}
						runs = append(runs, cr...)
					}
					out = append(out, block{Kind: blockParagraph, Runs: mergeRuns(runs)})
				}
			default:
				walk(ch, depth)
			}
		}
	}
	walkList = func(v *ast.List, depth int) {
		num := v.Start
		kind := blockBullet
		if v.IsOrdered() {
			kind = blockNumbered
		}
		for it := v.FirstChild(); it != nil; it = it.NextSibling() {
			first := true
			for part := it.FirstChild(); part != nil; part = part.NextSibling() {
				switch p := part.(type) {
				case *ast.Paragraph, *ast.TextBlock:
					if first {
						out = append(out, block{Kind: kind, Level: depth, Num: num, Runs: taskPrefix(p, inline(p))})
						first = false
					} else {
						out = append(out, block{Kind: blockParagraph, Level: depth + 1, Runs: inline(p)})
					}
				case *ast.List:
					walkList(p, depth+1)
				default:
					walk(part, depth+1)
				}
			}
			num++
		}
	}
	walk(doc, 0)
	return out
}

// taskPrefix writes a GFM task checkbox as "[ ] " or "[x] ".
func taskPrefix(p ast.Node, runs []run) []run {
	if cb, ok := p.FirstChild().(*east.TaskCheckBox); ok {
		mark := "[ ] "
		if cb.IsChecked {
			mark = "[x] "
		}
		return mergeRuns(append([]run{{Text: mark}}, runs...))
	}
	return runs
}

// mergeRuns joins neighbouring runs of one style. goldmark splits text at
// candidate boundaries (linkify), and a phrase should stay one run.
func mergeRuns(runs []run) []run {
	var merged []run
	for _, r := range runs {
		if k := len(merged) - 1; k >= 0 && merged[k].Bold == r.Bold && merged[k].Italic == r.Italic && merged[k].Code == r.Code {
			merged[k].Text += r.Text
			continue
		}
		merged = append(merged, r)
	}
	return merged
}

// blocks is the whole proposal as the block model.
func (p *proposal) blocks() []block {
	var out []block
	for _, s := range p.Sections {
		out = append(out, block{Kind: blockHeading, Level: 1, Runs: []run{{Text: s.Title}}})
		out = append(out, markdownBlocks(s.Body)...)
	}
	return out
}

// WriteDOCX writes the proposal as a Word document (Office Open XML).
// It writes the few WordprocessingML parts a document needs with
// archive/zip and encoding/xml: headings use Word's built-in Heading
// styles (so Word's navigation pane and table of contents see them) and
// lists use a numbering definition.
func (p *proposal) WriteDOCX(w io.Writer) error {
	var body bytes.Buffer
	para := func(style string, numID, ilvl int, runs []run) {
		body.WriteString("<w:p>")
		if style != "" || numID != 0 {
			body.WriteString("<w:pPr>")
			if style != "" {
				body.WriteString(`<w:pStyle w:val="` + style + `"/>`)
			}
			if numID != 0 {
				fmt.Fprintf(&body, `<w:numPr><w:ilvl w:val="%d"/><w:numId w:val="%d"/></w:numPr>`, ilvl, numID)
			}
			body.WriteString("</w:pPr>")
		}
		for _, r := range runs {
			body.WriteString("<w:r>")
			if r.Bold || r.Italic || r.Code {
				body.WriteString("<w:rPr>")
				if r.Code {
					body.WriteString(`<w:rFonts w:ascii="Courier New" w:hAnsi="Courier New"/>`)
				}
				if r.Bold {
					body.WriteString("<w:b/>")
				}
				if r.Italic {
					body.WriteString("<w:i/>")
				}
				body.WriteString("</w:rPr>")
			}
			for i, line := range strings.Split(r.Text, "\n") {
				if i > 0 {
					body.WriteString("<w:br/>")
				}
				body.WriteString(`<w:t xml:space="preserve">`)
				xmlEscape(&body, line)
				body.WriteString("</w:t>")
			}
			body.WriteString("</w:r>")
		}
		body.WriteString("</w:p>")
	}
	para("Title", 0, 0, []run{{Text: p.Title}})
	if p.Subtitle != "" {
		para("Subtitle", 0, 0, []run{{Text: p.Subtitle}})
	}
	numbered := 1 // each numbered list restarts: one w:num per list
	var nums []int
	prevNumbered := false
	for _, b := range p.blocks() {
		lvl := min(b.Level, 8)
		switch b.Kind {
		case blockHeading:
			para("Heading"+strconv.Itoa(b.Level), 0, 0, b.Runs)
		case blockBullet:
			para("ListParagraph", 1, lvl, b.Runs)
		case blockNumbered:
			if !prevNumbered || (b.Level == 0 && b.Num == 1) {
				numbered++
				nums = append(nums, numbered)
			}
			para("ListParagraph", numbered, lvl, b.Runs)
		case blockCode:
			para("Code", 0, 0, b.Runs)
		default:
			para("", 0, 0, b.Runs)
		}
		prevNumbered = b.Kind == blockNumbered || (prevNumbered && b.Level > 0)
	}
	doc := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
		`<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><w:body>` +
		body.String() + `<w:sectPr><w:pgSz w:w="12240" w:h="15840"/><w:pgMar w:top="1440" w:right="1440" w:bottom="1440" w:left="1440" w:header="720" w:footer="720" w:gutter="0"/></w:sectPr></w:body></w:document>`

	zw := zip.NewWriter(w)
	files := []struct{ name, data string }{
		{"[Content_Types].xml", docxContentTypes},
		{"_rels/.rels", docxRels},
		{"word/_rels/document.xml.rels", docxDocRels},
		{"word/document.xml", doc},
		{"word/styles.xml", docxStyles},
		{"word/numbering.xml", docxNumbering(nums)},
		{"docProps/core.xml", docxCore(p.Title)},
	}
	for _, f := range files {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			return fmt.Errorf("write docx: %w", err)
		}
		if _, err := io.WriteString(fw, f.data); err != nil {
			return fmt.Errorf("write docx: %w", err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("write docx: %w", err)
	}
	return nil
}

func xmlEscape(b *bytes.Buffer, s string) {
	// Drop characters XML 1.0 cannot carry (control characters) rather
	// than produce a file Word refuses to open.
	s = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r != 0xFFFE && r != 0xFFFF {
			return r
		}
		return -1
	}, s)
	_ = xml.EscapeText(b, []byte(s))
}

const docxContentTypes = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/><Override PartName="/word/numbering.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.numbering+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>`

const docxRels = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/></Relationships>`

const docxDocRels = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/numbering" Target="numbering.xml"/></Relationships>`

const docxStyles = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="Calibri" w:hAnsi="Calibri" w:eastAsia="Calibri" w:cs="Calibri"/><w:sz w:val="22"/></w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:after="120" w:line="264" w:lineRule="auto"/></w:pPr></w:pPrDefault></w:docDefaults>` +
	`<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style>` +
	`<w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/><w:basedOn w:val="Normal"/><w:rPr><w:b/><w:sz w:val="48"/></w:rPr></w:style>` +
	`<w:style w:type="paragraph" w:styleId="Subtitle"><w:name w:val="Subtitle"/><w:basedOn w:val="Normal"/><w:rPr><w:i/><w:sz w:val="26"/></w:rPr></w:style>` +
	`<w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:pPr><w:keepNext/><w:spacing w:before="360"/><w:outlineLvl w:val="0"/></w:pPr><w:rPr><w:b/><w:sz w:val="32"/></w:rPr></w:style>` +
	`<w:style w:type="paragraph" w:styleId="Heading2"><w:name w:val="heading 2"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:pPr><w:keepNext/><w:spacing w:before="240"/><w:outlineLvl w:val="1"/></w:pPr><w:rPr><w:b/><w:sz w:val="28"/></w:rPr></w:style>` +
	`<w:style w:type="paragraph" w:styleId="Heading3"><w:name w:val="heading 3"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:pPr><w:keepNext/><w:outlineLvl w:val="2"/></w:pPr><w:rPr><w:b/><w:sz w:val="24"/></w:rPr></w:style>` +
	`<w:style w:type="paragraph" w:styleId="Heading4"><w:name w:val="heading 4"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:pPr><w:keepNext/><w:outlineLvl w:val="3"/></w:pPr><w:rPr><w:b/><w:i/></w:rPr></w:style>` +
	`<w:style w:type="paragraph" w:styleId="ListParagraph"><w:name w:val="List Paragraph"/><w:basedOn w:val="Normal"/><w:pPr><w:spacing w:after="60"/><w:contextualSpacing/></w:pPr></w:style>` +
	`<w:style w:type="paragraph" w:styleId="Code"><w:name w:val="Code"/><w:basedOn w:val="Normal"/><w:rPr><w:rFonts w:ascii="Courier New" w:hAnsi="Courier New"/><w:sz w:val="20"/></w:rPr></w:style></w:styles>`

// docxNumbering defines bullets (numId 1) and one decimal list per
// numbered list in the document (numIds in nums), so each restarts at 1.
func docxNumbering(nums []int) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:numbering xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">`)
	abstract := func(id int, format, text func(int) string) {
		fmt.Fprintf(&b, `<w:abstractNum w:abstractNumId="%d"><w:multiLevelType w:val="hybridMultilevel"/>`, id)
		for l := 0; l < 9; l++ {
			fmt.Fprintf(&b, `<w:lvl w:ilvl="%d"><w:start w:val="1"/><w:numFmt w:val="%s"/><w:lvlText w:val="%s"/><w:lvlJc w:val="left"/><w:pPr><w:ind w:left="%d" w:hanging="360"/></w:pPr></w:lvl>`,
				l, format(l), text(l), 720*(l+1))
		}
		b.WriteString(`</w:abstractNum>`)
	}
	abstract(0, func(int) string { return "bullet" }, func(l int) string { return []string{"•", "◦", "▪"}[l%3] })
	abstract(1, func(l int) string { return []string{"decimal", "lowerLetter", "lowerRoman"}[l%3] }, func(l int) string { return "%" + strconv.Itoa(l+1) + "." })
	b.WriteString(`<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>`)
	for _, n := range nums {
		fmt.Fprintf(&b, `<w:num w:numId="%d"><w:abstractNumId w:val="1"/><w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride></w:num>`, n)
	}
	b.WriteString(`</w:numbering>`)
	return b.String()
}

func docxCore(title string) string {
	var t bytes.Buffer
	xmlEscape(&t, title)
	return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>` +
		t.String() + `</dc:title><dc:creator>orengen</dc:creator></cp:coreProperties>`
}

// WritePDF writes the proposal as a Letter-size PDF with the standard
// Helvetica and Courier fonts. Text is converted to Windows-1252, the
// encoding of those fonts; characters outside it print as "?".
func (p *proposal) WritePDF(w io.Writer) error {
	pdf := fpdf.New("P", "pt", "Letter", "")
	pdf.SetCompression(!p.Uncompressed)
	pdf.SetTitle(p.Title, true)
	pdf.SetCreator("orengen", true)
	pdf.SetMargins(72, 72, 72)
	pdf.SetAutoPageBreak(true, 72)
	tr := pdf.UnicodeTranslatorFromDescriptor("")
	pdf.AliasNbPages("{nb}")
	pdf.SetFooterFunc(func() {
		pdf.SetY(-50)
		pdf.SetFont("Helvetica", "", 9)
		pdf.CellFormat(0, 10, fmt.Sprintf("Page %d of {nb}", pdf.PageNo()), "", 0, "C", false, 0, "")
	})
	pdf.AddPage()
	pdf.SetFont("Helvetica", "B", 22)
	pdf.MultiCell(0, 28, tr(p.Title), "", "L", false)
	if p.Subtitle != "" {
		pdf.SetFont("Helvetica", "I", 12)
		pdf.MultiCell(0, 16, tr(p.Subtitle), "", "L", false)
	}
	pdf.Ln(12)
	const size, lh = 11.0, 15.0
	writeRuns := func(runs []run, base float64) {
		for _, r := range runs {
			style := ""
			if r.Bold {
				style += "B"
			}
			if r.Italic {
				style += "I"
			}
			family := "Helvetica"
			if r.Code {
				family = "Courier"
			}
			pdf.SetFont(family, style, base)
			pdf.Write(lh, tr(r.Text))
		}
	}
	left := 72.0
	for _, b := range p.blocks() {
		switch b.Kind {
		case blockHeading:
			sizes := map[int]float64{1: 17, 2: 14, 3: 12.5, 4: 11.5}
			pdf.Ln(8)
			pdf.SetFont("Helvetica", "B", sizes[b.Level])
			var t strings.Builder
			for _, r := range b.Runs {
				t.WriteString(r.Text)
			}
			pdf.MultiCell(0, sizes[b.Level]+5, tr(t.String()), "", "L", false)
			pdf.Ln(2)
		case blockBullet, blockNumbered:
			indent := left + 18*float64(b.Level+1)
			pdf.SetFont("Helvetica", "", size)
			pdf.SetX(indent - 14)
			mark := "\u2022"
			if b.Kind == blockNumbered {
				mark = strconv.Itoa(b.Num) + "."
				pdf.SetX(indent - 18)
			}
			pdf.Write(lh, tr(mark)+" ")
			pdf.SetLeftMargin(indent)
			writeRuns(b.Runs, size)
			pdf.SetLeftMargin(left)
			pdf.Ln(lh + 2)
		case blockCode:
			pdf.SetFont("Courier", "", 9.5)
			pdf.MultiCell(0, 12, tr(b.Runs[0].Text), "", "L", false)
			pdf.Ln(4)
		default:
			indent := left + 18*float64(b.Level)
			pdf.SetLeftMargin(indent)
			pdf.SetX(indent)
			writeRuns(b.Runs, size)
			pdf.SetLeftMargin(left)
			pdf.Ln(lh + 5)
		}
	}
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("write pdf: %w", err)
	}
	return nil
}
