package sitesui

import (
	"fmt"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"orengen/app/sites"
	"orengen/ui/web"
)

type funnelView struct {
	Name  string
	Steps []sites.FunnelStep
	Chart *web.Chart
}

type testView struct {
	Page     string
	Variants []sites.VariantResult
}

type analyticsPage struct {
	web.Layout
	Site    *sites.Site
	Report  *sites.Report
	Days    int
	Charts  []*web.Chart
	Funnels []funnelView
	Tests   []testView
}

func pagePath(slug string) string { return "/" + slug }

// handleAnalytics shows a site's visits, pages, sources, devices and
// conversions, its funnels as charts and its split tests with their
// significance, for the last ?days (7, 30 or 90).
func (s *Handler) handleAnalytics(c *fiber.Ctx, sc web.Scope) error {
	site, err := s.loadSite(c)
	if err != nil {
		return err
	}
	days := 30
	switch c.Query("days") {
	case "7":
		days = 7
	case "90":
		days = 90
	}
	to := time.Now().UTC()
	from := to.AddDate(0, 0, -(days - 1))
	r, err := s.Sites.Report(c.UserContext(), site.ID, from.Format(time.DateOnly), to.Format(time.DateOnly))
	if err != nil {
		return err
	}
	p := &analyticsPage{Site: site, Report: r, Days: days}
	// Visitors per day, every day of the range (zero days included).
	byDay := map[string]sites.DayCount{}
	for _, d := range r.Days {
		byDay[d.Day] = d
	}
	daily := &web.Chart{ID: "visits", Title: "Unique visitors per day", Description: fmt.Sprintf("Unique visitors of %s on each of the last %d days.", site.Name, days),
		Stacked: true, Empty: "No visits yet."}
	var vis, views []float64
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		k := d.Format(time.DateOnly)
		daily.Categories = append(daily.Categories, d.Format("Jan 2"))
		vis = append(vis, float64(byDay[k].Visitors))
		views = append(views, float64(byDay[k].Views))
	}
	daily.Series = []web.ChartSeries{{Name: "Unique visitors", Values: vis}}
	pagesChart := &web.Chart{ID: "pages", Title: "Pages by unique visitors", Description: "Unique visitors per page.", Empty: "No visits yet."}
	conv := &web.Chart{ID: "conversions", Title: "Conversions per page", Description: "Form submissions per page.", Empty: "No conversions yet."}
	var pv, pc []float64
	for _, pg := range r.Pages {
		pagesChart.Categories = append(pagesChart.Categories, pagePath(pg.Path))
		pv = append(pv, float64(pg.Visitors))
		conv.Categories = append(conv.Categories, pagePath(pg.Path))
		pc = append(pc, float64(pg.Conversions))
	}
	pagesChart.Series = []web.ChartSeries{{Name: "Unique visitors", Values: pv}}
	conv.Series = []web.ChartSeries{{Name: "Conversions", Values: pc}}
	named := func(id, title, empty string, ns []sites.NameCount) *web.Chart {
		ch := &web.Chart{ID: id, Title: title, Description: title + ".", Empty: empty}
		var vs []float64
		for _, n := range ns {
			ch.Categories = append(ch.Categories, n.Name)
			vs = append(vs, float64(n.Count))
		}
		ch.Series = []web.ChartSeries{{Name: "Page views", Values: vs}}
		return ch
	}
	p.Charts = []*web.Chart{daily, pagesChart, conv,
		named("referrers", "Referring sites", "No visits from other sites yet.", r.Referrers),
		named("sources", "Campaign sources (utm_source)", "No visits with utm_source yet.", r.Sources),
		named("devices", "Devices", "No visits yet.", r.Devices)}
	_ = views
	for i, f := range site.Settings.Funnels {
		steps := r.Funnel(f)
		ch := &web.Chart{ID: "funnel-" + strconv.Itoa(i), Title: "Funnel: " + f.Name, Description: "Unique visitors at each step of the funnel " + f.Name + ".",
			Empty: "No visits of this funnel yet."}
		var vs []float64
		for _, st := range steps {
			ch.Categories = append(ch.Categories, pagePath(st.Slug))
			vs = append(vs, float64(st.Visitors))
		}
		ch.Series = []web.ChartSeries{{Name: "Unique visitors", Values: vs}}
		p.Funnels = append(p.Funnels, funnelView{Name: f.Name, Steps: steps, Chart: ch})
	}
	for _, t := range site.Settings.Tests {
		p.Tests = append(p.Tests, testView{Page: t.Page, Variants: r.SplitTest(t)})
	}
	p.Layout = s.Layout(c, sc.Host, "Analytics · "+site.Name)
	return s.Render(c, sc.Page("webanalytics"), p)
}
