package certpdf_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ledongthuc/pdf"

	"orengen/app/courses"
	"orengen/certpdf"
)

var data = courses.CertificateData{Brand: "Alpha Plumbing Academy", Color: "#0a7e3c", Member: "Zoë Brontë", Course: "Cold Calling 101",
	CompletedAt: time.Date(2027, 1, 9, 23, 0, 0, 0, time.UTC), Number: "2-7-11"}

func want(t *testing.T, text string) {
	t.Helper()
	flat := strings.Join(strings.Fields(text), " ")
	for _, w := range []string{"Alpha Plumbing Academy", "Certificate of completion", "Zoë Brontë", "Cold Calling 101", "Completed on 9 January 2027", "Certificate 2-7-11"} {
		if !strings.Contains(flat, w) {
			t.Errorf("certificate text lacks %q:\n%s", w, flat)
		}
	}
}

// The certificate is a PDF whose text a reader extracts: with the Go PDF
// reader always, with pdftotext (poppler-utils) when installed (required
// when ORENGEN_REQUIRE_REAL=1).
func TestWrite_Readable(t *testing.T) {
	b, err := certpdf.Write(data)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", b[:8])
	}
	r, err := pdf.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if r.NumPage() != 1 {
		t.Errorf("%d pages", r.NumPage())
	}
	var text strings.Builder
	rows, err := r.Page(1).GetTextByRow()
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rows {
		for _, w := range row.Content {
			text.WriteString(w.S)
		}
		text.WriteString("\n")
	}
	want(t, text.String())

	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("ORENGEN_REQUIRE_REAL") == "1" {
			t.Fatal("pdftotext (poppler-utils) is not installed")
		}
		t.Log("pdftotext not installed: checked with the Go reader only")
		return
	}
	f := filepath.Join(t.TempDir(), "c.pdf")
	if err := os.WriteFile(f, b, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-enc", "UTF-8", f, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	want(t, string(out))
}
