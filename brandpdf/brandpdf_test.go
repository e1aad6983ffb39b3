package brandpdf_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"orengen/app"
	"orengen/app/brand"
	"orengen/brandpdf"
)

func logo(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 64, 64))
	for x := range 64 {
		for y := range 64 {
			img.Set(x, y, color.RGBA{uint8(x * 4), 40, 90, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// PDFText extracts a PDF's text with pdftotext (poppler-utils): the test
// fails when it is missing under ORENGEN_REQUIRE_REAL=1, else skips.
func PDFText(t *testing.T, b []byte) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("ORENGEN_REQUIRE_REAL") == "1" {
			t.Fatal("pdftotext (poppler-utils) is not installed")
		}
		t.Skip("pdftotext not installed")
	}
	f := filepath.Join(t.TempDir(), "one-pager.pdf")
	if err := os.WriteFile(f, b, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-enc", "UTF-8", f, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return strings.Join(strings.Fields(string(out)), " ")
}

// The one-pager carries the kit's name, tagline, boilerplate, people,
// colours, fonts and releases, readable by pdftotext, and is drawn in
// the tenant's primary colour.
func TestRender_OnePager(t *testing.T) {
	pub := time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)
	p := &brand.Press{
		Kit: &brand.Kit{TenantID: 2, Name: "Alpha Plumbing", PrimaryColor: "#0a7e3c", AccentColor: "#0e7490", TextColor: "#111827", BackgroundColor: "#ffffff",
			HeadingFont: "georgia", BodyFont: "helvetica", Tagline: "Pipes that never leak", Boilerplate: "**Alpha Plumbing** fixes pipes in Zürich since 1998."},
		Logo:     &app.Logo{ContentType: "image/png", Data: logo(t)},
		Founders: []*brand.Person{{Kind: brand.PersonFounder, Name: "Zoë Brontë", Title: "CEO", Bio: "Plumber for twenty years."}},
		Contacts: []*brand.Person{{Kind: brand.PersonContact, Name: "Press desk", Email: "press@alpha.test", Phone: "+1 555 0100"}},
		Releases: []*brand.Release{{Title: "Alpha opens a second shop", Slug: "second-shop", PublishedAt: &pub}},
	}
	b, err := brandpdf.Render(p, true)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", b[:8])
	}
	// The band's fill colour is the primary colour (0a7e3c = 10 126 60).
	if !bytes.Contains(b, []byte("0.039 0.494 0.235 rg")) {
		t.Errorf("the page is not drawn in the primary colour #0a7e3c")
	}
	if !bytes.Contains(b, []byte("/Subtype /Image")) {
		t.Errorf("the logo is not in the PDF")
	}
	text := PDFText(t, b)
	for _, w := range []string{"Alpha Plumbing", "Press kit", "Pipes that never leak", "Alpha Plumbing fixes pipes in Zürich since 1998.", "Zoë Brontë, CEO",
		"Plumber for twenty years.", "press@alpha.test", "#0a7e3c", "#0e7490", "Headings: Georgia", "Body: Helvetica / Arial", "Nov 3, 2026 Alpha opens a second shop"} {
		if !strings.Contains(text, w) {
			t.Errorf("one-pager lacks %q:\n%s", w, text)
		}
	}
}
