// Package brandpdf renders a brand kit's one-pager (issue #22) as PDF
// (go-pdf/fpdf, as invoicepdf and certpdf): a band in the tenant's
// primary colour with its name and logo, the tagline in the accent
// colour, the boilerplate, founders, press contacts, the colour swatches
// and fonts, and the latest press releases. Text is converted to
// Windows-1252, the encoding of the standard fonts (no font is fetched
// or embedded).
package brandpdf

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	_ "image/jpeg" // logos may be JPEG
	"image/png"
	"strconv"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"

	"orengen/app"
	"orengen/app/brand"
)

// Render returns the one-pager of p. Uncompressed leaves the page
// streams readable (tests).
func Render(p *brand.Press, uncompressed bool) ([]byte, error) {
	k := p.Kit
	pdf := fpdf.New("P", "pt", "Letter", "")
	pdf.SetCompression(!uncompressed)
	tr := pdf.UnicodeTranslatorFromDescriptor("")
	pdf.SetTitle(k.Name+" press kit", true)
	pdf.SetAuthor(k.Name, true)
	pdf.SetCreator("orengen", true)
	pdf.SetMargins(54, 54, 54)
	pdf.SetAutoPageBreak(true, 54)
	pdf.AddPage()
	head, body := brand.FontByKey(k.HeadingFont).PDF, brand.FontByKey(k.BodyFont).PDF

	// The band: white text on the primary colour (the kit refuses a
	// primary colour white text is not readable on).
	r, g, b := rgb(k.PrimaryColor)
	pdf.SetFillColor(r, g, b)
	pdf.Rect(0, 0, 612, 96, "F")
	if p.Logo != nil {
		if name, ok := registerImage(pdf, "logo", p.Logo.Data); ok {
			pdf.ImageOptions(name, 612-54-64, 16, 0, 64, false, fpdf.ImageOptions{}, 0, "")
		}
	}
	pdf.SetTextColor(255, 255, 255)
	pdf.SetFont(head, "B", 24)
	pdf.SetXY(54, 30)
	pdf.CellFormat(420, 30, tr(truncate(k.Name, 40)), "", 1, "L", false, 0, "")
	pdf.SetFont(body, "", 10)
	pdf.SetX(54)
	pdf.CellFormat(420, 14, "Press kit", "", 1, "L", false, 0, "")
	pdf.SetY(114)

	text := func() {
		tr, tg, tb := rgb(k.TextColor)
		if c, err := app.ContrastRatio(k.TextColor, "#ffffff"); err != nil || c < app.MinContrast {
			tr, tg, tb = 17, 24, 39 // the kit's text is for its background; paper is white
		}
		pdf.SetTextColor(tr, tg, tb)
	}
	heading := func(s string) {
		pdf.Ln(6)
		pdf.SetFont(head, "B", 13)
		r, g, b := rgb(k.PrimaryColor)
		pdf.SetTextColor(r, g, b)
		pdf.CellFormat(0, 18, tr(s), "", 1, "L", false, 0, "")
		text()
		pdf.SetFont(body, "", 10)
	}
	if k.Tagline != "" {
		r, g, b := rgb(k.AccentColor)
		pdf.SetTextColor(r, g, b)
		pdf.SetFont(head, "I", 13)
		pdf.MultiCell(0, 17, tr(k.Tagline), "", "L", false)
	}
	text()
	if k.Boilerplate != "" {
		heading("About " + k.Name)
		pdf.MultiCell(0, 13, tr(plain(k.Boilerplate, 1400)), "", "L", false)
	}
	if len(p.Founders) > 0 {
		heading("Founders")
		for _, f := range p.Founders {
			pdf.SetFont(body, "B", 10)
			line := f.Name
			if f.Title != "" {
				line += ", " + f.Title
			}
			pdf.CellFormat(0, 14, tr(line), "", 1, "L", false, 0, "")
			pdf.SetFont(body, "", 9)
			if f.Bio != "" {
				pdf.MultiCell(0, 12, tr(plain(f.Bio, 360)), "", "L", false)
			}
		}
	}
	if len(p.Contacts) > 0 {
		heading("Press contacts")
		for _, c := range p.Contacts {
			parts := []string{c.Name}
			for _, v := range []string{c.Title, c.Email, c.Phone} {
				if v != "" {
					parts = append(parts, v)
				}
			}
			pdf.CellFormat(0, 14, tr(strings.Join(parts, "  |  ")), "", 1, "L", false, 0, "")
		}
	}
	heading("Colours and fonts")
	y := pdf.GetY() + 2
	for i, c := range []struct{ label, hex string }{{"Primary", k.PrimaryColor}, {"Accent", k.AccentColor}, {"Text", k.TextColor}, {"Background", k.BackgroundColor}} {
		x := 54 + float64(i)*126
		r, g, b := rgb(c.hex)
		pdf.SetFillColor(r, g, b)
		pdf.SetDrawColor(200, 200, 200)
		pdf.Rect(x, y, 24, 24, "FD")
		pdf.SetXY(x+30, y+1)
		pdf.CellFormat(90, 11, c.label, "", 2, "L", false, 0, "")
		pdf.SetX(x + 30)
		pdf.CellFormat(90, 11, c.hex, "", 0, "L", false, 0, "")
	}
	pdf.SetXY(54, y+32)
	pdf.CellFormat(0, 14, tr(fmt.Sprintf("Headings: %s    Body: %s", brand.FontByKey(k.HeadingFont).Name, brand.FontByKey(k.BodyFont).Name)), "", 1, "L", false, 0, "")
	if len(p.Releases) > 0 {
		heading("Latest press releases")
		for i, rel := range p.Releases {
			if i == 5 {
				break
			}
			date := ""
			if rel.PublishedAt != nil {
				date = rel.PublishedAt.Format("Jan 2, 2006") + "  "
			}
			pdf.CellFormat(0, 14, tr(date+truncate(rel.Title, 90)), "", 1, "L", false, 0, "")
		}
	}
	pdf.SetY(-48)
	pdf.SetFont(body, "", 8)
	pdf.SetTextColor(90, 90, 90)
	pdf.CellFormat(0, 10, tr(k.Name+" press kit, "+time.Now().UTC().Format("January 2, 2006")), "", 0, "L", false, 0, "")
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("brand one-pager: %w", err)
	}
	return buf.Bytes(), nil
}

// registerImage adds an image re-encoded as an 8-bit PNG (fpdf reads
// neither interlaced nor 16-bit PNGs); a logo it cannot decode is left
// out rather than failing the document.
func registerImage(pdf *fpdf.Fpdf, name string, data []byte) (string, bool) {
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return "", false
	}
	n := image.NewNRGBA(img.Bounds())
	draw.Draw(n, n.Bounds(), img, img.Bounds().Min, draw.Src)
	var buf bytes.Buffer
	if err := png.Encode(&buf, n); err != nil {
		return "", false
	}
	pdf.RegisterImageOptionsReader(name, fpdf.ImageOptions{ImageType: "PNG"}, &buf)
	if pdf.Err() {
		pdf.ClearError()
		return "", false
	}
	return name, true
}

// plain is markdown as plain text for print: markup characters dropped,
// at most n characters.
func plain(md string, n int) string {
	r := strings.NewReplacer("**", "", "__", "", "`", "", "# ", "", "#", "")
	return truncate(strings.TrimSpace(r.Replace(md)), n)
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
