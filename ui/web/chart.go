package web

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// Server-rendered SVG charts (the dashboards): no script, a title and a
// description for screen readers, a tooltip per bar and the numbers as a
// table beside the picture. Every text goes through template escaping.

// ChartSeries is one named series of a chart, a value per category.
type ChartSeries struct {
	Name   string
	Values []float64
	// Format writes this series' values in the table (default: the
	// chart's Format).
	Format func(float64) string
}

// Chart is a bar chart: Stacked draws a vertical bar per category with
// the series stacked (days), otherwise a horizontal bar per category of
// the first series (stages, outcomes, tenants).
type Chart struct {
	ID          string // unique in the page; the SVG's labels derive from it
	Title       string
	Description string // what the chart shows, for screen readers
	Link        string // the list behind the chart ("" when there is none)
	LinkLabel   string
	Categories  []string
	Series      []ChartSeries
	Stacked     bool
	// Format writes a value (default: an integer with thousands commas).
	Format func(float64) string
	// Empty is said instead of the chart when every value is zero.
	Empty string
}

// chartPalette colours series in order (Okabe-Ito: distinguishable with
// the common colour-vision deficiencies).
var chartPalette = []string{"#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"}

func (c *Chart) format(v float64) string {
	if c.Format != nil {
		return c.Format(v)
	}
	return Thousands(int64(math.Round(v)))
}

// Thousands writes n with thousands separators.
func Thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Money writes minor units (cents) as whole currency units.
func Money(cents float64) string { return Thousands(int64(math.Round(cents / 100))) }

func (c *Chart) total() float64 {
	var t float64
	series := c.Series
	if !c.Stacked && len(series) > 1 {
		series = series[:1] // a horizontal chart draws its first series
	}
	for _, s := range series {
		for _, v := range s.Values {
			t += v
		}
	}
	return t
}

// HTML renders the chart: a figure with the SVG, its legend, a link to
// the list behind it and the data table.
func (c *Chart) HTML() template.HTML {
	var b strings.Builder
	esc := template.HTMLEscapeString
	fmt.Fprintf(&b, `<figure class="chart" id="%s"><figcaption><h2>`, esc(c.ID))
	if c.Link != "" {
		fmt.Fprintf(&b, `<a href="%s">%s</a>`, esc(c.Link), esc(c.Title))
	} else {
		b.WriteString(esc(c.Title))
	}
	b.WriteString(`</h2></figcaption>`)
	if c.total() == 0 {
		fmt.Fprintf(&b, `<p class="muted chart-empty">%s</p>`, esc(c.Empty))
	} else {
		if c.Stacked {
			c.stacked(&b)
		} else {
			c.hbars(&b)
		}
		if c.Stacked && len(c.Series) > 1 {
			b.WriteString(`<ul class="chart-legend">`)
			for i, s := range c.Series {
				fmt.Fprintf(&b, `<li><span class="swatch" style="background:%s"></span>%s</li>`, chartPalette[i%len(chartPalette)], esc(s.Name))
			}
			b.WriteString(`</ul>`)
		}
		c.table(&b)
	}
	if c.Link != "" {
		label := c.LinkLabel
		if label == "" {
			label = "Open the list"
		}
		fmt.Fprintf(&b, `<p class="chart-link"><a href="%s">%s</a></p>`, esc(c.Link), esc(label))
	}
	b.WriteString(`</figure>`)
	return template.HTML(b.String()) // every text above is escaped
}

func (c *Chart) svgOpen(b *strings.Builder, w, h int) {
	esc := template.HTMLEscapeString
	fmt.Fprintf(b, `<svg class="chart-svg" viewBox="0 0 %d %d" role="img" aria-labelledby="%s-t %s-d" preserveAspectRatio="xMidYMid meet">`, w, h, esc(c.ID), esc(c.ID))
	fmt.Fprintf(b, `<title id="%s-t">%s</title><desc id="%s-d">%s</desc>`, esc(c.ID), esc(c.Title), esc(c.ID), esc(c.Description))
}

// stacked draws a vertical bar per category, the series stacked.
func (c *Chart) stacked(b *strings.Builder) {
	esc := template.HTMLEscapeString
	const w, h, left, bottom, top = 640, 220, 48, 28, 10
	n := len(c.Categories)
	var max float64
	for i := range c.Categories {
		var sum float64
		for _, s := range c.Series {
			sum += s.Values[i]
		}
		max = math.Max(max, sum)
	}
	max = niceMax(max)
	c.svgOpen(b, w, h)
	plotH := float64(h - bottom - top)
	// Grid lines at 0, half and max.
	for _, f := range []float64{0, 0.5, 1} {
		y := float64(top) + plotH*(1-f)
		fmt.Fprintf(b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/><text x="%d" y="%.1f" font-size="10" text-anchor="end" fill="#555">%s</text>`,
			left, w, y, y, left-4, y+3, esc(c.format(max*f)))
	}
	slot := float64(w-left) / float64(max1(n))
	bw := math.Max(1, slot*0.8)
	for i, cat := range c.Categories {
		x := float64(left) + slot*float64(i) + (slot-bw)/2
		y := float64(top) + plotH
		for si, s := range c.Series {
			v := s.Values[i]
			if v <= 0 {
				continue
			}
			bh := plotH * v / max
			y -= bh
			fmt.Fprintf(b, `<rect class="bar" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s, %s: %s</title></rect>`,
				x, y, bw, bh, chartPalette[si%len(chartPalette)], esc(cat), esc(s.Name), esc(c.format(v)))
		}
		// Label the first, last and every seventh category.
		if i == 0 || i == n-1 || (n > 14 && i%7 == 0) || n <= 14 {
			fmt.Fprintf(b, `<text x="%.1f" y="%d" font-size="10" text-anchor="middle" fill="#555">%s</text>`, x+bw/2, h-bottom+14, esc(shortLabel(cat)))
		}
	}
	b.WriteString(`</svg>`)
}

// hbars draws a horizontal bar per category (the first series).
func (c *Chart) hbars(b *strings.Builder) {
	esc := template.HTMLEscapeString
	const w, row, label, right = 640, 26, 180, 90
	n := len(c.Categories)
	h := row*max1(n) + 8
	var max float64
	for _, v := range c.Series[0].Values {
		max = math.Max(max, v)
	}
	if max == 0 {
		max = 1
	}
	c.svgOpen(b, w, h)
	for i, cat := range c.Categories {
		v := c.Series[0].Values[i]
		y := 4 + row*i
		bw := float64(w-label-right) * v / max
		fmt.Fprintf(b, `<text x="%d" y="%d" font-size="12" text-anchor="end" fill="#333">%s</text>`, label-6, y+16, esc(truncate(cat, 28)))
		fmt.Fprintf(b, `<rect class="bar" x="%d" y="%d" width="%.1f" height="%d" fill="%s"><title>%s: %s</title></rect>`,
			label, y+3, math.Max(bw, 1), row-8, chartPalette[i%len(chartPalette)], esc(cat), esc(c.format(v)))
		fmt.Fprintf(b, `<text x="%.1f" y="%d" font-size="12" fill="#333">%s</text>`, float64(label)+math.Max(bw, 1)+6, y+16, esc(c.format(v)))
	}
	b.WriteString(`</svg>`)
}

// table writes the chart's numbers (the accessible fallback), folded.
func (c *Chart) table(b *strings.Builder) {
	esc := template.HTMLEscapeString
	fmt.Fprintf(b, `<details class="chart-data"><summary>Data table</summary><table><caption>%s</caption><thead><tr><th scope="col"></th>`, esc(c.Title))
	for _, s := range c.Series {
		fmt.Fprintf(b, `<th scope="col">%s</th>`, esc(s.Name))
	}
	b.WriteString(`</tr></thead><tbody>`)
	for i, cat := range c.Categories {
		fmt.Fprintf(b, `<tr><th scope="row">%s</th>`, esc(cat))
		for _, s := range c.Series {
			f := c.format
			if s.Format != nil {
				f = s.Format
			}
			fmt.Fprintf(b, `<td>%s</td>`, esc(f(s.Values[i])))
		}
		b.WriteString(`</tr>`)
	}
	b.WriteString(`</tbody></table></details>`)
}

// niceMax rounds a chart's top up to 1, 2 or 5 times a power of ten.
func niceMax(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func max1(n int) int {
	if n < 1 {
		return 1
	}
	return n
}

// shortLabel shortens a YYYY-MM-DD day to MM-DD.
func shortLabel(s string) string {
	if len(s) == 10 && s[4] == '-' && s[7] == '-' {
		return s[5:]
	}
	return s
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
