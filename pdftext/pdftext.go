// Package pdftext reads the text layer of PDF files with
// github.com/ledongthuc/pdf (pure Go: no outside program), bounded in
// time and with the reader's panics recovered: a malformed upload must
// not hang or crash the appliance. The wiki's attachments and Agent
// Studio's knowledge documents use it through the function the wiring
// hands them (wiki.PDFReader).
//
// pdftext imports only the standard library and the PDF reader.
package pdftext

import (
	"bytes"
	"context"
	"strings"
	"time"

	"github.com/ledongthuc/pdf"
)

// Timeout bounds the extraction of one PDF.
const Timeout = 20 * time.Second

// Text returns a PDF's text page by page, stopping once it holds
// maxBytes; "" for a PDF it cannot read (encrypted, damaged, a scan
// without a text layer) or when ctx ends or Timeout passes first.
func Text(ctx context.Context, data []byte, maxBytes int) string {
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	done := make(chan string, 1)
	go func() {
		defer func() {
			if recover() != nil {
				done <- ""
			}
		}()
		r, err := pdf.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			done <- ""
			return
		}
		var b strings.Builder
		for i := 1; i <= r.NumPage() && b.Len() < maxBytes && ctx.Err() == nil; i++ {
			p := r.Page(i)
			if p.V.IsNull() {
				continue
			}
			t, err := p.GetPlainText(nil)
			if err != nil {
				continue
			}
			b.WriteString(strings.TrimSpace(t))
			b.WriteString("\n\n")
		}
		done <- b.String()
	}()
	select {
	case s := <-done:
		return s
	case <-ctx.Done():
		return ""
	}
}
