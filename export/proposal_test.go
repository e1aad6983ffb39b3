package export

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"

	"orengen/app/federal"
)

func testProposal() *proposal {
	return &proposal{Title: "Case Management Modernization", Subtitle: "W912-26-R-0001 · Army", Sections: []*federal.ProposalSection{
		{Title: "Technical Approach", Body: "We deliver **agile sprints** and *weekly demos*.\n\n## Staffing\n\n- Program manager\n- Two engineers\n  - nested lead\n\n1. Discover\n2. Build\n\n<script>alert(1)</script>\n"},
		{Title: "Past Performance", Body: "Three contracts & one <b>raw</b> tag."},
	}}
}

func TestMarkdownBlocks(t *testing.T) {
	bs := markdownBlocks("Intro **bold** and *it*.\n\n## Sub\n\n- a\n  - b\n\n1. one\n2. two\n\n<div>x</div>\n")
	var kinds []string
	for _, b := range bs {
		kinds = append(kinds, b.Kind)
	}
	if got, want := strings.Join(kinds, ","), "paragraph,heading,bullet,bullet,numbered,numbered"; got != want {
		t.Fatalf("kinds %s, want %s", got, want)
	}
	if r := bs[0].Runs; len(r) != 5 || !r[1].Bold || r[1].Text != "bold" || !r[3].Italic {
		t.Errorf("runs %+v", r)
	}
	if bs[1].Level != 3 || bs[3].Level != 1 || bs[5].Num != 2 {
		t.Errorf("levels: heading %d nested %d num %d", bs[1].Level, bs[3].Level, bs[5].Num)
	}
}

func TestProposal_WriteDOCX(t *testing.T) {
	var buf bytes.Buffer
	if err := testProposal().WriteDOCX(&buf); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatalf("not a zip: %v", err)
	}
	parts := map[string]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		parts[f.Name] = string(b)
	}
	for _, name := range []string{"[Content_Types].xml", "_rels/.rels", "word/document.xml", "word/styles.xml", "word/numbering.xml"} {
		if parts[name] == "" {
			t.Errorf("missing part %s", name)
		}
	}
	doc := parts["word/document.xml"]
	for _, want := range []string{`<w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t xml:space="preserve">Technical Approach</w:t>`,
		`<w:rPr><w:b/></w:rPr><w:t xml:space="preserve">agile sprints</w:t>`, `<w:rPr><w:i/></w:rPr><w:t xml:space="preserve">weekly demos</w:t>`,
		`<w:numId w:val="1"/>`, `<w:ilvl w:val="1"/><w:numId w:val="1"/>`, `Heading3`, "Three contracts &amp; one ", "Past Performance"} {
		if !strings.Contains(doc, want) {
			t.Errorf("document.xml lacks %s", want)
		}
	}
	if strings.Contains(doc, "<script>") || strings.Contains(doc, "alert(1)") || strings.Contains(doc, "<b>") {
		t.Error("raw HTML reached the document")
	}
	// Every part is well-formed XML (Word refuses a file that is not).
	for name, data := range parts {
		d := xml.NewDecoder(strings.NewReader(data))
		for {
			_, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
	}
}

func TestProposal_ExportOddText(t *testing.T) {
	// Characters outside Windows-1252, control characters and markup-like
	// text neither fail the export nor break the XML.
	p := &proposal{Title: "Título “quoted” — 日本 \x01", Sections: []*federal.ProposalSection{{Title: "<&>", Body: "Ctrl \x07 char, emoji 🚀.\n\n```\ncode <x>\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n- [x] done\n"}}}
	var d, f bytes.Buffer
	if err := p.WriteDOCX(&d); err != nil {
		t.Fatal(err)
	}
	if err := p.WritePDF(&f); err != nil || !bytes.HasPrefix(f.Bytes(), []byte("%PDF-")) {
		t.Fatalf("pdf: %v", err)
	}
	zr, _ := zip.NewReader(bytes.NewReader(d.Bytes()), int64(d.Len()))
	for _, zf := range zr.File {
		if zf.Name != "word/document.xml" {
			continue
		}
		rc, _ := zf.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		if err := xml.Unmarshal(b, new(struct{})); err != nil {
			t.Fatalf("document.xml: %v", err)
		}
		for _, want := range []string{"&lt;&amp;&gt;", "日本", "[x] done", "code &lt;x&gt;", "1 | 2"} {
			if !strings.Contains(string(b), want) {
				t.Errorf("document.xml lacks %q", want)
			}
		}
	}
}

func TestProposal_WritePDF(t *testing.T) {
	p := testProposal()
	p.Uncompressed = true
	var buf bytes.Buffer
	if err := p.WritePDF(&buf); err != nil {
		t.Fatal(err)
	}
	s := buf.String()
	if !strings.HasPrefix(s, "%PDF-") || !strings.Contains(s, "%%EOF") {
		t.Fatalf("not a PDF: %.40q", s)
	}
	for _, want := range []string{"(Technical Approach)", "(agile sprints)", "(Past Performance)", "(Program manager)", "(Discover)", "Page 1 of 1"} {
		if !strings.Contains(s, want) {
			t.Errorf("PDF lacks %s", want)
		}
	}
	if n := strings.Count(s, "/Type /Page\n"); n != 1 {
		t.Errorf("pages %d, want 1", n)
	}
	p.Uncompressed = false
	buf.Reset()
	if err := p.WritePDF(&buf); err != nil || !strings.Contains(buf.String(), "/FlateDecode") {
		t.Errorf("default PDF is not compressed: %v", err)
	}
}
