// Package certpdf renders a course completion certificate (issue #24) as
// a one-page PDF in the tenant's brand: its name and primary colour. It
// implements courses.CertificateWriter with fpdf and the standard
// Helvetica font (text in Windows-1252; other characters print as "?").
//
// certpdf imports app/courses for the data type only.
package certpdf

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/go-pdf/fpdf"

	"orengen/app/courses"
)

var _ courses.CertificateWriter = Write

// Write renders the certificate. Uncompressed content streams keep the
// text extractable by simple readers as well as by pdftotext.
func Write(d courses.CertificateData) ([]byte, error) {
	pdf := fpdf.New("L", "pt", "A4", "")
	pdf.SetCompression(false)
	pdf.SetTitle("Certificate of completion: "+d.Course, true)
	pdf.SetAuthor(d.Brand, true)
	pdf.SetCreator(d.Brand, true)
	pdf.SetAutoPageBreak(false, 0)
	tr := pdf.UnicodeTranslatorFromDescriptor("")
	pdf.AddPage()
	w, h := pdf.GetPageSize()
	r, g, b := hexColor(d.Color)
	// A band of the brand colour at the top and a thin frame.
	pdf.SetFillColor(r, g, b)
	pdf.Rect(0, 0, w, 70, "F")
	pdf.SetDrawColor(r, g, b)
	pdf.SetLineWidth(3)
	pdf.Rect(24, 94, w-48, h-118, "D")
	pdf.SetTextColor(255, 255, 255)
	pdf.SetFont("Helvetica", "B", 22)
	pdf.SetXY(40, 22)
	pdf.CellFormat(w-80, 28, tr(d.Brand), "", 0, "L", false, 0, "")

	center := func(y, size float64, style, text string) {
		pdf.SetFont("Helvetica", style, size)
		pdf.SetXY(60, y)
		pdf.MultiCell(w-120, size+8, tr(text), "", "C", false)
	}
	pdf.SetTextColor(40, 40, 40)
	center(140, 30, "B", "Certificate of completion")
	center(200, 14, "", "This certifies that")
	pdf.SetTextColor(r, g, b)
	center(228, 28, "B", d.Member)
	pdf.SetTextColor(40, 40, 40)
	center(290, 14, "", "has completed the course")
	center(318, 22, "B", d.Course)
	center(390, 12, "", "Completed on "+d.CompletedAt.Format("2 January 2006"))
	pdf.SetTextColor(120, 120, 120)
	center(h-70, 9, "", "Certificate "+d.Number+" issued by "+d.Brand)
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("certificate pdf: %w", err)
	}
	return buf.Bytes(), nil
}

// hexColor parses #rrggbb (a bad value is a dark grey).
func hexColor(s string) (int, int, int) {
	s = strings.TrimPrefix(s, "#")
	if len(s) != 6 {
		return 60, 60, 60
	}
	v, err := strconv.ParseUint(s, 16, 32)
	if err != nil {
		return 60, 60, 60
	}
	return int(v >> 16 & 0xff), int(v >> 8 & 0xff), int(v & 0xff)
}
