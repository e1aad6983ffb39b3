package agents

import (
	"bytes"
	"fmt"
	"io"

	"github.com/ledongthuc/pdf"
)

// pdfText reads a PDF's text layer, page by page (github.com/ledongthuc/pdf:
// pure Go, no poppler process). A malformed file is an error, never a
// panic.
func pdfText(data []byte) (text string, err error) {
	defer func() {
		if r := recover(); r != nil {
			text, err = "", fmt.Errorf("the file is damaged")
		}
	}()
	r, err := pdf.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return "", fmt.Errorf("not a readable PDF (%v)", err)
	}
	if r.NumPage() > 2000 {
		return "", fmt.Errorf("more than 2000 pages")
	}
	rd, err := r.GetPlainText()
	if err != nil {
		return "", fmt.Errorf("no text (%v)", err)
	}
	b, err := io.ReadAll(io.LimitReader(rd, MaxDocumentText+1))
	if err != nil {
		return "", err
	}
	return string(b), nil
}
