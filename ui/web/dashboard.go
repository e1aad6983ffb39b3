package web

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"orengen/app"
)

// DashLinks are the lists behind a dashboard's charts on one host ("":
// the chart links nowhere, as when the viewer cannot open the list).
type DashLinks struct {
	Leads, Pipeline, Deals, Runs, Agents, Federal, Usage string
}

// DashView is what a dashboard page shows: the range picker and the
// charts.
type DashView struct {
	Range     app.DashRange
	From, To  string // the picker's values
	Presets   []DashPreset
	Charts    []Chart
	Deadlines []app.Deadline
	// DeadlineLink opens a pursued notice (a %s takes its notice ID).
	DeadlineLink string
	WinRate      int
}

// DashPreset is a quick range of the picker.
type DashPreset struct {
	Label, Query string
	Active       bool
}

// DashRangeFrom reads ?from and ?to (EINVALID naming the field).
func DashRangeFrom(c *fiber.Ctx, now time.Time) (app.DashRange, error) {
	return app.ParseDashRange(c.Query("from"), c.Query("to"), now)
}

// NewDashView builds the charts of d with links.
func NewDashView(d *app.Dashboard, links DashLinks, now time.Time) *DashView {
	r := d.Range
	v := &DashView{Range: r, From: r.From.Format(time.DateOnly), To: r.To.Format(time.DateOnly), Deadlines: d.Deadlines, WinRate: d.WinRate()}
	today := now.UTC().Truncate(24 * time.Hour)
	for _, days := range []int{7, 30, 90, 365} {
		from := today.AddDate(0, 0, -(days - 1))
		q := url.Values{"from": {from.Format(time.DateOnly)}, "to": {today.Format(time.DateOnly)}}
		v.Presets = append(v.Presets, DashPreset{Label: fmt.Sprintf("%d days", days), Query: q.Encode(), Active: r.From.Equal(from) && r.To.Equal(today)})
	}
	days := r.DayKeys()
	span := fmt.Sprintf("%s to %s", v.From, v.To)

	leads := dayChart(days, d.Leads)
	leads.ID, leads.Title, leads.Link, leads.LinkLabel = "chart-leads", "Leads per day by source", links.Leads, "All leads"
	leads.Description = fmt.Sprintf("Leads captured each day from %s, stacked by source; %s in all.", span, Thousands(int64(leads.total())))
	leads.Empty = "No leads in this range."

	pipe := kvChart(d.Pipeline, true)
	pipe.ID, pipe.Title, pipe.Link, pipe.LinkLabel = "chart-pipeline", "Pipeline value by stage", links.Pipeline, "Open the pipeline"
	pipe.Description = "Open deals' total amount in each stage (and currency), today."
	pipe.Format, pipe.Empty = Money, "No open deals."

	win := Chart{ID: "chart-winrate", Title: "Win rate", Link: links.Deals, LinkLabel: "All deals", Categories: []string{"Won", "Lost"},
		Series: []ChartSeries{{Name: "Deals", Values: []float64{float64(d.Won), float64(d.Lost)}}}, Empty: "No deal was won or lost in this range."}
	if v.WinRate >= 0 {
		win.Title = fmt.Sprintf("Win rate: %d%%", v.WinRate)
	}
	win.Description = fmt.Sprintf("Deals closed won and lost, last changed from %s: %d won, %d lost.", span, d.Won, d.Lost)

	runs := dayChart(days, d.Runs)
	// Succeeded first (the palette's blue), failed second (orange).
	sort.SliceStable(runs.Series, func(i, j int) bool { return runs.Series[i].Name == "succeeded" && runs.Series[j].Name != "succeeded" })
	runs.ID, runs.Title, runs.Link, runs.LinkLabel = "chart-runs", "Workflow runs: succeeded and failed", links.Runs, "Run log"
	runs.Description = fmt.Sprintf("Workflow runs started each day from %s that finished, by result.", span)
	runs.Empty = "No finished workflow runs in this range."

	agents := kvChart(d.Agents, false)
	agents.ID, agents.Title, agents.Link, agents.LinkLabel = "chart-agents", "Agent conversations by outcome", links.Agents, "Conversations"
	agents.Description = fmt.Sprintf("AI agent conversations started from %s, by outcome.", span)
	agents.Empty = "No agent conversations in this range."

	fed := kvChart(d.Federal, true)
	for i, k := range fed.Categories {
		fed.Categories[i] = strings.ReplaceAll(k, "_", " ")
	}
	fed.ID, fed.Title, fed.Link, fed.LinkLabel = "chart-federal", "Federal pipeline value by stage", links.Federal, "Bid pipeline"
	fed.Description = "Estimated value of pursued federal notices in each bid stage (USD), today."
	fed.Format, fed.Empty = Money, "No federal pursuits."

	usage := Chart{ID: "chart-usage", Title: "Usage per tenant", Link: links.Usage, LinkLabel: "Tenants",
		Empty: "No API requests, workflow runs or new contacts in this range."}
	usage.Series = []ChartSeries{{Name: "API requests"}, {Name: "Workflow runs"}, {Name: "New contacts"},
		{Name: "AI cost (USD)", Format: func(v float64) string { return fmt.Sprintf("%.2f", v) }}}
	for _, u := range d.Usage {
		usage.Categories = append(usage.Categories, u.Tenant)
		usage.Series[0].Values = append(usage.Series[0].Values, float64(u.APIRequests))
		usage.Series[1].Values = append(usage.Series[1].Values, float64(u.Runs))
		usage.Series[2].Values = append(usage.Series[2].Values, float64(u.People))
		usage.Series[3].Values = append(usage.Series[3].Values, float64(u.AgentCost)/1e6)
	}
	usage.Description = fmt.Sprintf("API requests per tenant from %s (the table adds workflow runs, new contacts and AI cost).", span)

	v.Charts = []Chart{leads, pipe, win, runs, agents, fed, usage}
	return v
}

// dayChart turns day counts into a stacked chart over days, a series
// per key.
func dayChart(days []string, counts []app.DayCount) Chart {
	idx := make(map[string]int, len(days))
	for i, d := range days {
		idx[d] = i
	}
	c := Chart{Categories: days, Stacked: true}
	series := map[string]int{}
	for _, dc := range counts {
		i, ok := idx[dc.Day]
		if !ok {
			continue
		}
		si, ok := series[dc.Key]
		if !ok {
			si = len(c.Series)
			series[dc.Key] = si
			c.Series = append(c.Series, ChartSeries{Name: dc.Key, Values: make([]float64, len(days))})
		}
		c.Series[si].Values[i] += float64(dc.N)
	}
	return c
}

// kvChart turns key values into a horizontal bar chart: the value (or
// the record count), with the count in the table.
func kvChart(kvs []app.KeyValue, value bool) Chart {
	count := func(v float64) string { return Thousands(int64(v)) }
	c := Chart{Series: []ChartSeries{{Name: "Value"}, {Name: "Records", Format: count}}}
	if !value {
		c.Series = c.Series[1:]
	}
	for _, kv := range kvs {
		c.Categories = append(c.Categories, kv.Key)
		if value {
			c.Series[0].Values = append(c.Series[0].Values, float64(kv.Value))
			c.Series[1].Values = append(c.Series[1].Values, float64(kv.N))
		} else {
			c.Series[0].Values = append(c.Series[0].Values, float64(kv.N))
		}
	}
	return c
}
