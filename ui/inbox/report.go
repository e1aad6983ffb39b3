package inbox

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/app/inbox"
	"orengen/ui/web"
)

// The inbox reports page (issue #18): first-response and resolution
// medians, volume by channel and by hour of day, per assignee, for a
// chosen period; the portal's own tenant, Nexus every tenant or one.

// reportPage is the reports page.
type reportPage struct {
	web.Layout
	Nexus      bool
	TenantList []*app.Tenant
	Tenant     string // Nexus's ?tenant= ("" every tenant)
	From, To   string // the form's dates
	Report     *inbox.Report
	Charts     []*web.Chart
	Error      string
}

// mountReportsAndCalls adds the reports page and calls' recordings.
func (s *Handler) mountReportsAndCalls(r fiber.Router, sc web.Scope) {
	r.Get("/inbox/reports", s.page(sc, s.handleReports))
	r.Get("/inbox/:id/recordings/:mid", s.page(sc, s.handleRecording))
}

// handleRecording plays (or downloads) a call's recording, fetched
// through the tenant's Twilio account; only an audio type is played
// inline, anything else is an inert download.
func (s *Handler) handleRecording(c *fiber.Ctx, sc web.Scope) error {
	id, mid, err := threadChild(c, "mid")
	if err != nil {
		return err
	}
	data, _, err := s.Inbox.Recording(c.UserContext(), id, mid)
	if err != nil {
		return err
	}
	ctype := web.InertType(data)
	return web.SendAttachment(c, fmt.Sprintf("call-%d.mp3", mid), ctype, strings.HasPrefix(ctype, "audio/"), data, "private, no-store")
}

// Duration writes seconds for people: "45 s", "12 min", "3 h 5 min",
// "2 d 4 h"; "–" for none.
func Duration(secs *float64) string {
	if secs == nil {
		return "–"
	}
	v := math.Round(*secs)
	switch {
	case v < 60:
		return fmt.Sprintf("%.0f s", v)
	case v < 3600:
		return fmt.Sprintf("%.0f min", math.Round(v/60))
	case v < 86400:
		h, m := int(v)/3600, int(math.Round(math.Mod(v, 3600)/60))
		if m == 60 {
			h, m = h+1, 0
		}
		if m == 0 {
			return fmt.Sprintf("%d h", h)
		}
		return fmt.Sprintf("%d h %d min", h, m)
	}
	d, h := int(v)/86400, int(math.Round(math.Mod(v, 86400)/3600))
	if h == 24 {
		d, h = d+1, 0
	}
	if h == 0 {
		return fmt.Sprintf("%d d", d)
	}
	return fmt.Sprintf("%d d %d h", d, h)
}

// Who names an assignee for the page ("user:ann@x.test" is ann@x.test).
func (reportPage) Who(a string) string {
	if a == "" {
		return "Unassigned"
	}
	return strings.TrimPrefix(a, "user:")
}

// Duration is Duration for the template.
func (reportPage) Duration(secs *float64) string { return Duration(secs) }

func (s *Handler) handleReports(c *fiber.Ctx, sc web.Scope) error {
	p := &reportPage{Nexus: sc.Nexus(), From: utils.CopyString(c.Query("from")), To: utils.CopyString(c.Query("to")), Tenant: utils.CopyString(c.Query("tenant"))}
	q := inbox.ReportQuery{From: p.From, To: p.To}
	if p.Nexus && p.Tenant != "" {
		id, err := strconv.ParseInt(p.Tenant, 10, 64)
		if err != nil || id <= 0 {
			return app.FieldErrorf("tenant", "Tenant must be a tenant ID.")
		}
		q.TenantID = id
	}
	if p.Nexus && s.Tenants != nil {
		ts, err := s.Tenants.ListTenants(c.UserContext())
		if err != nil {
			return err
		}
		p.TenantList = ts
	}
	r, err := s.Inbox.Report(c.UserContext(), q)
	switch {
	case app.ErrorCode(err) == app.EINVALID:
		// The period is shown again with what is wrong with it.
		c.Status(fiber.StatusBadRequest)
		p.Error = app.ErrorMessage(err)
	case err != nil:
		return err
	default:
		p.Report, p.From, p.To = r, r.From, r.To
		p.Charts = reportCharts(r)
	}
	p.Layout = s.Layout(c, sc.Host, "Conversation reports")
	return s.Render(c, sc.Page("inbox_reports"), p)
}

// reportCharts draws the report: conversations per channel, per hour of
// day, and each assignee's median first response.
func reportCharts(r *inbox.Report) []*web.Chart {
	where := "in " + r.Timezone
	if r.Timezone == "" {
		where = "in each tenant's timezone"
	}
	byChannel := &web.Chart{ID: "chart-channels", Title: "Conversations by channel", Empty: "No conversation opened in this period.",
		Description: fmt.Sprintf("Conversations opened or reopened from %s to %s, per channel.", r.From, r.To)}
	var vs []float64
	for _, ch := range r.Channels {
		byChannel.Categories = append(byChannel.Categories, ch.Channel)
		vs = append(vs, float64(ch.Conversations))
	}
	byChannel.Series = []web.ChartSeries{{Name: "Conversations", Values: vs}}

	byHour := &web.Chart{ID: "chart-hours", Title: "Conversations by hour of day", Stacked: true, Empty: "No conversation opened in this period.",
		Description: fmt.Sprintf("Conversations opened or reopened from %s to %s, per hour of the day %s.", r.From, r.To, where)}
	vs = nil
	for h, n := range r.Hours {
		byHour.Categories = append(byHour.Categories, fmt.Sprintf("%02d:00", h))
		vs = append(vs, float64(n))
	}
	byHour.Series = []web.ChartSeries{{Name: "Conversations", Values: vs}}

	first := &web.Chart{ID: "chart-first-response", Title: "Median first response by assignee", Empty: "No conversation answered in this period.",
		Description: "The median time from a customer's message to the first reply of a person or an agent, per assignee.",
		Format:      func(v float64) string { return Duration(&v) }}
	vs = nil
	for _, a := range r.Assignees {
		if a.MedianFirstResponse == nil {
			continue
		}
		first.Categories = append(first.Categories, reportPage{}.Who(a.Assignee))
		vs = append(vs, *a.MedianFirstResponse)
	}
	first.Series = []web.ChartSeries{{Name: "Median first response", Values: vs}}
	return []*web.Chart{byChannel, byHour, first}
}
