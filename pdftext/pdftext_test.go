package pdftext

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/go-pdf/fpdf"
)

func pdfOf(t *testing.T, pages ...string) []byte {
	t.Helper()
	p := fpdf.New("P", "mm", "A4", "")
	p.SetFont("Helvetica", "", 12)
	for _, s := range pages {
		p.AddPage()
		p.MultiCell(0, 6, s, "", "", false)
	}
	var b bytes.Buffer
	if err := p.Output(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestText: a PDF's pages come back in order; what is not a PDF, or is
// damaged, gives "" (never a panic); the reading stops near maxBytes;
// an ended context gives "".
func TestText(t *testing.T) {
	ctx := context.Background()
	data := pdfOf(t, "Cancellation requires thirty days notice.", "Prices rise in March.")
	got := Text(ctx, data, 1<<20)
	i, j := strings.Index(got, "thirty days"), strings.Index(got, "rise in March")
	if i < 0 || j < i {
		t.Fatalf("text %q: want both pages, in order", got)
	}
	if s := Text(ctx, data, 10); strings.Contains(s, "March") {
		t.Fatalf("read past maxBytes: %q", s)
	}
	for name, bad := range map[string][]byte{
		"not a PDF": []byte("<html>hello</html>"),
		"truncated": data[:len(data)/2],
		"garbage":   []byte("%PDF-1.4\n%garbage that is no PDF"),
		"empty":     nil,
	} {
		if s := Text(ctx, bad, 1<<20); s != "" {
			t.Errorf("%s: %q, want nothing", name, s)
		}
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	if s := Text(done, data, 1<<20); s != "" {
		t.Fatalf("read a PDF after its context ended: %q", s)
	}
}
