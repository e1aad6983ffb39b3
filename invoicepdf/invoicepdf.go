// Package invoicepdf renders billing's invoices and credit notes as PDF
// (go-pdf/fpdf) in the brand of the agency that issues them: its name,
// colour and support address in the header, the client's name as the
// addressee. Text is converted to Windows-1252, the encoding of the
// standard Helvetica font.
package invoicepdf

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/go-pdf/fpdf"

	"orengen/app/billing"
)

// Render returns inv, addressed to client, as a PDF document.
// Uncompressed leaves the page streams readable (tests).
func Render(inv *billing.Invoice, b billing.Brand, client string, uncompressed bool) ([]byte, error) {
	pdf := fpdf.New("P", "pt", "Letter", "")
	pdf.SetCompression(!uncompressed)
	title := "Invoice " + inv.Number
	if inv.Kind == billing.KindCreditNote {
		title = "Credit note " + inv.Number
	}
	tr := pdf.UnicodeTranslatorFromDescriptor("")
	pdf.SetTitle(title, true)
	pdf.SetAuthor(b.Name, true)
	pdf.SetCreator("orengen", true)
	pdf.SetMargins(54, 54, 54)
	pdf.SetAutoPageBreak(true, 54)
	pdf.AddPage()
	r, g, bl := rgb(b.Color)
	pdf.SetFillColor(r, g, bl)
	pdf.Rect(0, 0, 612, 10, "F")
	pdf.SetTextColor(r, g, bl)
	pdf.SetFont("Helvetica", "B", 20)
	pdf.CellFormat(0, 26, tr(b.Name), "", 1, "L", false, 0, "")
	pdf.SetTextColor(0, 0, 0)
	pdf.SetFont("Helvetica", "", 10)
	if b.SupportEmail != "" {
		pdf.CellFormat(0, 14, tr(b.SupportEmail), "", 1, "L", false, 0, "")
	}
	pdf.Ln(14)
	pdf.SetFont("Helvetica", "B", 14)
	pdf.CellFormat(0, 20, tr(title), "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 10)
	for _, l := range []string{
		"Billed to: " + client,
		"Issued: " + inv.IssuedAt.Format("January 2, 2006"),
		"Period: " + inv.PeriodStart.Format("Jan 2, 2006") + " - " + inv.PeriodEnd.AddDate(0, 0, -1).Format("Jan 2, 2006"),
		"Status: " + inv.Status,
	} {
		pdf.CellFormat(0, 14, tr(l), "", 1, "L", false, 0, "")
	}
	pdf.Ln(12)
	pdf.SetFont("Helvetica", "B", 10)
	pdf.SetFillColor(240, 240, 240)
	pdf.CellFormat(360, 18, "Description", "B", 0, "L", true, 0, "")
	pdf.CellFormat(60, 18, "Qty", "B", 0, "R", true, 0, "")
	pdf.CellFormat(84, 18, "Amount", "B", 1, "R", true, 0, "")
	pdf.SetFont("Helvetica", "", 10)
	for _, l := range inv.Lines {
		pdf.CellFormat(360, 16, tr(truncate(l.Description, 80)), "", 0, "L", false, 0, "")
		pdf.CellFormat(60, 16, strconv.FormatInt(l.Quantity, 10), "", 0, "R", false, 0, "")
		pdf.CellFormat(84, 16, money(l.AmountMicros), "", 1, "R", false, 0, "")
	}
	pdf.Ln(6)
	rows := [][2]string{{"Subtotal", money(inv.SubtotalMicros)}}
	rows = append(rows, [2]string{fmt.Sprintf("Tax (%s%%)", strconv.FormatFloat(float64(inv.TaxRateBP)/100, 'f', -1, 64)), money(inv.TaxMicros)})
	rows = append(rows, [2]string{"Total " + inv.Currency, money(inv.TotalMicros)})
	for i, row := range rows {
		if i == len(rows)-1 {
			pdf.SetFont("Helvetica", "B", 11)
		}
		pdf.CellFormat(420, 16, row[0], "", 0, "R", false, 0, "")
		pdf.CellFormat(84, 16, row[1], "", 1, "R", false, 0, "")
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("invoice pdf: %w", err)
	}
	return buf.Bytes(), nil
}

// money shows micros as dollars and cents (an invoice's amounts are
// rounded to the cent for print; the totals are computed exactly).
func money(m int64) string {
	neg := m < 0
	if neg {
		m = -m
	}
	cents := (m + 5000) / 10000
	s := fmt.Sprintf("$%d.%02d", cents/100, cents%100)
	if neg {
		return "-" + s
	}
	return s
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func rgb(hex string) (int, int, int) {
	hex = strings.TrimPrefix(hex, "#")
	if len(hex) != 6 {
		return 79, 70, 229
	}
	v, err := strconv.ParseUint(hex, 16, 32)
	if err != nil {
		return 79, 70, 229
	}
	return int(v >> 16 & 255), int(v >> 8 & 255), int(v & 255)
}
