package sheets

import (
	"context"
	"fmt"
	"html"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"orengen/app"
)

// Chart types and aggregates.
var (
	ChartTypes = []string{"bar", "line", "pie"}
	Aggs       = []string{"count", "sum", "avg", "min", "max"}
)

// MaxChartPoints is how many groups a chart shows (a pie shows the
// largest 8 and "Other").
const MaxChartPoints = 40

// Validate checks a chart against its table. Returns EINVALID.
func (c *Chart) Validate(t *Table) error {
	c.Title = strings.TrimSpace(c.Title)
	if !slices.Contains(ChartTypes, c.Type) {
		return app.FieldErrorf("type", "Chart type must be bar, line or pie.")
	}
	if c.Agg == "" {
		c.Agg = "count"
	}
	if !slices.Contains(Aggs, c.Agg) {
		return app.FieldErrorf("agg", "Aggregate must be count, sum, avg, min or max.")
	}
	x := t.ColumnByRef(c.X)
	if x == nil {
		return app.FieldErrorf("x", "Choose the column to group by.")
	}
	c.X = x.Key
	if c.Agg == "count" {
		c.Y = ""
	} else {
		y := t.ColumnByRef(c.Y)
		if y == nil || y.Type != TypeNumber && y.Type != TypeCurrency {
			return app.FieldErrorf("y", "%s needs a number or currency column.", c.Agg)
		}
		c.Y = y.Key
	}
	if c.Title == "" {
		c.Title = c.DefaultTitle(t)
	}
	if len(c.Title) > 120 {
		return app.FieldErrorf("title", "Chart title must be at most 120 characters.")
	}
	if c.ID == "" {
		c.ID = KeyOf(c.Type + "_" + c.X + "_" + c.Agg + "_" + c.Y)
	}
	if c.Where != "" {
		q, err := url.ParseQuery(c.Where)
		if err != nil {
			return app.FieldErrorf("where", "Chart filter is not a query string.")
		}
		f := FilterFromQuery(q)
		if err := f.Validate(t); err != nil {
			return err
		}
	}
	return nil
}

// DefaultTitle describes the chart: "Sum of Price by Service".
func (c *Chart) DefaultTitle(t *Table) string {
	x := c.X
	if col := t.Column(c.X); col != nil {
		x = col.Name
	}
	if c.Agg == "count" {
		return "Rows by " + x
	}
	y := c.Y
	if col := t.Column(c.Y); col != nil {
		y = col.Name
	}
	return map[string]string{"sum": "Sum", "avg": "Average", "min": "Minimum", "max": "Maximum"}[c.Agg] + " of " + y + " by " + x
}

// ChartData aggregates the table's rows for chart c.
func (s *Service) ChartData(ctx context.Context, t *Table, c *Chart) ([]Point, error) {
	if err := c.Validate(t); err != nil {
		return nil, err
	}
	var f Filter
	if c.Where != "" {
		q, _ := url.ParseQuery(c.Where)
		f = FilterFromQuery(q)
	}
	if err := f.Validate(t); err != nil {
		return nil, err
	}
	limit := MaxChartPoints
	if c.Type == "pie" {
		limit = 1000
	}
	pts, err := s.stores.Rows.Aggregate(ctx, t, f, c.X, c.Y, c.Agg, limit)
	if err != nil {
		return nil, err
	}
	if x := t.Column(c.X); x != nil && x.Type == TypeLink {
		var ids []int64
		for _, p := range pts {
			if id, err := strconv.ParseInt(p.Label, 10, 64); err == nil {
				ids = append(ids, id)
			}
		}
		names, err := s.stores.Links.LinkNames(ctx, x.Link, ids)
		if err != nil {
			return nil, err
		}
		for i := range pts {
			if id, err := strconv.ParseInt(pts[i].Label, 10, 64); err == nil && names[id] != "" {
				pts[i].Label = names[id]
			}
		}
	}
	if c.Type == "pie" && len(pts) > 9 {
		slices.SortStableFunc(pts, func(a, b Point) int { return -cmpFloat(a.Value, b.Value) })
		other := Point{Label: "Other"}
		for _, p := range pts[8:] {
			other.Value += p.Value
		}
		pts = append(pts[:8:8], other)
	}
	return pts, nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Chart size in SVG user units.
const (
	chartW = 640
	chartH = 320
)

// palette is the slices' and bars' colours (the brand colour is the
// first, through CSS: fill="currentColor" is not used so the SVG also
// reads well alone).
var palette = []string{"#4f46e5", "#0e7490", "#b45309", "#15803d", "#be123c", "#7c3aed", "#0369a1", "#a16207", "#4d7c0f"}

// SVG draws points as a bar, line or pie chart: a standalone SVG with a
// title and description (for screen readers), labels escaped.
func SVG(typ, title string, pts []Point, valueFmt func(float64) string) string {
	if valueFmt == nil {
		valueFmt = shortNumber
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-labelledby="ct cd" class="chart chart-%s" font-family="system-ui, sans-serif" font-size="12">`, chartW, chartH, html.EscapeString(typ))
	var desc []string
	for _, p := range pts {
		desc = append(desc, p.Label+": "+valueFmt(p.Value))
	}
	fmt.Fprintf(&b, `<title id="ct">%s</title><desc id="cd">%s</desc>`, html.EscapeString(title), html.EscapeString(strings.Join(desc, "; ")))
	if len(pts) == 0 {
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" fill="#555">No rows to chart.</text></svg>`, chartW/2, chartH/2)
		return b.String()
	}
	switch typ {
	case "pie":
		pieSVG(&b, pts, valueFmt)
	default:
		axesSVG(&b, typ, pts, valueFmt)
	}
	b.WriteString(`</svg>`)
	return b.String()
}

func label(s string, n int) string {
	if s == "" {
		s = "(empty)"
	}
	r := []rune(s)
	if len(r) > n {
		s = string(r[:n-1]) + "…"
	}
	return html.EscapeString(s)
}

// shortNumber formats 1234567 as 1.23M.
func shortNumber(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e9:
		return strconv.FormatFloat(v/1e9, 'f', 2, 64) + "B"
	case a >= 1e6:
		return strconv.FormatFloat(v/1e6, 'f', 2, 64) + "M"
	case a >= 1e4:
		return strconv.FormatFloat(v/1e3, 'f', 1, 64) + "k"
	case a == math.Trunc(a):
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// niceMax rounds a maximum up to 1, 2 or 5 times a power of ten.
func niceMax(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func axesSVG(b *strings.Builder, typ string, pts []Point, valueFmt func(float64) string) {
	const left, right, top, bottom = 56, 16, 16, 64
	w, h := float64(chartW-left-right), float64(chartH-top-bottom)
	lo, hi := 0.0, 0.0
	for _, p := range pts {
		lo, hi = math.Min(lo, p.Value), math.Max(hi, p.Value)
	}
	hi = niceMax(hi)
	if lo < 0 {
		lo = -niceMax(-lo)
	}
	y := func(v float64) float64 { return top + h - (v-lo)/(hi-lo)*h }
	// Grid and scale.
	for i := 0; i <= 4; i++ {
		v := lo + (hi-lo)*float64(i)/4
		fmt.Fprintf(b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#e5e7eb"/><text x="%d" y="%.1f" text-anchor="end" fill="#555">%s</text>`,
			left, chartW-right, y(v), y(v), left-6, y(v)+4, html.EscapeString(valueFmt(v)))
	}
	step := w / float64(len(pts))
	every := max(1, len(pts)/12) // label at most about 12 categories
	for i, p := range pts {
		cx := float64(left) + step*(float64(i)+0.5)
		if i%every == 0 {
			fmt.Fprintf(b, `<text x="%.1f" y="%d" text-anchor="end" transform="rotate(-35 %.1f %d)" fill="#333">%s</text>`, cx, chartH-bottom+14, cx, chartH-bottom+14, label(p.Label, 18))
		}
	}
	if typ == "line" {
		var path strings.Builder
		for i, p := range pts {
			cx := float64(left) + step*(float64(i)+0.5)
			if i == 0 {
				fmt.Fprintf(&path, "M%.1f %.1f", cx, y(p.Value))
			} else {
				fmt.Fprintf(&path, " L%.1f %.1f", cx, y(p.Value))
			}
		}
		fmt.Fprintf(b, `<path d="%s" fill="none" stroke="%s" stroke-width="2"/>`, path.String(), palette[0])
		for i, p := range pts {
			cx := float64(left) + step*(float64(i)+0.5)
			fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"><title>%s: %s</title></circle>`, cx, y(p.Value), palette[0], label(p.Label, 60), html.EscapeString(valueFmt(p.Value)))
		}
		return
	}
	bw := math.Max(step*0.7, 1)
	for i, p := range pts {
		x := float64(left) + step*float64(i) + (step-bw)/2
		y0, y1 := y(0), y(p.Value)
		if y1 > y0 {
			y0, y1 = y1, y0
		}
		fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s: %s</title></rect>`, x, y1, bw, math.Max(y0-y1, 0.5), palette[0], label(p.Label, 60), html.EscapeString(valueFmt(p.Value)))
	}
}

func pieSVG(b *strings.Builder, pts []Point, valueFmt func(float64) string) {
	total := 0.0
	for _, p := range pts {
		if p.Value > 0 {
			total += p.Value
		}
	}
	cx, cy, r := 160.0, float64(chartH)/2, 130.0
	if total <= 0 {
		fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="middle" fill="#555">Nothing to show: every value is zero or negative.</text>`, chartW/2, chartH/2)
		return
	}
	a := -math.Pi / 2
	for i, p := range pts {
		if p.Value <= 0 {
			continue
		}
		frac := p.Value / total
		col := palette[i%len(palette)]
		tip := fmt.Sprintf("<title>%s: %s (%.1f%%)</title>", label(p.Label, 60), html.EscapeString(valueFmt(p.Value)), frac*100)
		if frac >= 0.9999 {
			fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="%.1f" fill="%s">%s</circle>`, cx, cy, r, col, tip)
		} else {
			a2 := a + frac*2*math.Pi
			large := 0
			if frac > 0.5 {
				large = 1
			}
			fmt.Fprintf(b, `<path d="M%.1f %.1f L%.2f %.2f A%.1f %.1f 0 %d 1 %.2f %.2f Z" fill="%s" stroke="#fff">%s</path>`,
				cx, cy, cx+r*math.Cos(a), cy+r*math.Sin(a), r, r, large, cx+r*math.Cos(a2), cy+r*math.Sin(a2), col, tip)
			a = a2
		}
		ly := 30 + float64(i)*26
		fmt.Fprintf(b, `<rect x="320" y="%.1f" width="14" height="14" fill="%s"/><text x="342" y="%.1f" fill="#333">%s: %s (%.0f%%)</text>`, ly, col, ly+12, label(p.Label, 28), html.EscapeString(valueFmt(p.Value)), frac*100)
	}
}
