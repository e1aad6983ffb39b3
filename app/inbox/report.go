package inbox

import (
	"context"
	"slices"
	"strings"
	"time"

	"orengen/app"
)

// Reports (issue #18): first-response and resolution times, volume by
// channel and by hour of day, and the same per assignee, over a chosen
// period. They read episodes: an episode is one stretch of a
// conversation from its opening (a customer's message on a new or
// closed thread, or a person reopening it) to its closing. The store
// keeps them in the transactions that store messages and change status,
// so a report is one indexed range read, whatever the size of the inbox.

// Episode is one stretch of a conversation, opening to closing. Zero
// times are "not yet".
type Episode struct {
	TenantID       int64
	ConversationID int64
	Channel        string
	Assignee       string // the thread's, frozen when it closed
	OpenedAt       time.Time
	// CustomerAt is the episode's first customer message (zero when a
	// person reopened the thread and the customer has not written since).
	CustomerAt time.Time
	// FirstResponseAt is the first reply of a person or an agent after
	// CustomerAt (automatic replies do not count: Responds).
	FirstResponseAt time.Time
	ClosedAt        time.Time
}

// ReportStore reads the episodes behind the reports.
type ReportStore interface {
	// FindEpisodes returns the episodes opened in [from, to) of the
	// tenant (0: every tenant), oldest first.
	FindEpisodes(ctx context.Context, tenantID int64, from, to time.Time) ([]Episode, error)
}

// Responds reports whether an outbound message by author answers the
// customer for the reports: a person's or an agent's reply does, the
// appliance's automatic ones ("system", "system:out-of-hours", HELP) do
// not. The store applies the same rule when it keeps episodes.
func Responds(author string) bool {
	return author != app.ActorSystem && !strings.HasPrefix(author, app.ActorSystem+":")
}

// MaxReportDays is the longest period a report covers.
const MaxReportDays = 366

// ReportQuery chooses a report: a tenant (Nexus only; 0 every tenant)
// and a period of whole days From to To, both included, as YYYY-MM-DD in
// the tenant's timezone (UTC across every tenant). Empty dates are the
// last 30 days up to today.
type ReportQuery struct {
	TenantID int64
	From, To string
}

// Figures are the numbers of a set of episodes.
type Figures struct {
	// Conversations is how many episodes opened in the period (a thread
	// closed and reopened counts once per opening).
	Conversations int `json:"conversations"`
	// Responded counts those with a first response, Resolved those
	// closed (by now, even after the period).
	Responded int `json:"responded"`
	Resolved  int `json:"resolved"`
	// The medians in seconds (nil: no episode to measure).
	MedianFirstResponse *float64 `json:"median_first_response_seconds"`
	MedianResolution    *float64 `json:"median_resolution_seconds"`
}

// ChannelFigures are the figures of one channel.
type ChannelFigures struct {
	Channel string `json:"channel"`
	Figures
}

// AssigneeFigures are the figures of one assignee ("" unassigned);
// Conversations is what they handled.
type AssigneeFigures struct {
	Assignee string `json:"assignee"`
	Figures
}

// Report is the inbox report of a period.
type Report struct {
	TenantID int64  `json:"tenant_id"` // 0: every tenant
	From     string `json:"from"`
	To       string `json:"to"`
	// Timezone is the one the days and hours are in ("" across every
	// tenant: each tenant's hours in its own, the days in UTC).
	Timezone string    `json:"timezone"`
	Start    time.Time `json:"start"` // [Start, End) in UTC
	End      time.Time `json:"end"`
	Totals   Figures   `json:"totals"`
	// Channels lists every channel, in Channels' order.
	Channels []ChannelFigures `json:"channels"`
	// Hours counts the episodes opened in each hour of the day (0 is
	// midnight to one) in the tenant's timezone.
	Hours []int `json:"hours"`
	// Assignees, most conversations first; unassigned last.
	Assignees []AssigneeFigures `json:"assignees"`
}

// reportStore is the store's report reader.
func (s *Service) reportStore() (ReportStore, error) {
	if s.reports == nil {
		return nil, app.Errorf(app.EINTERNAL, "inbox reports: the store keeps no episodes")
	}
	return s.reports, nil
}

// location is a tenant's timezone (UTC when unknown).
func (s *Service) location(ctx context.Context, tenantID int64) *time.Location {
	if s.Tenants == nil || tenantID <= 0 {
		return time.UTC
	}
	t, err := s.Tenants.FindTenantByID(appliance(ctx), tenantID)
	if err != nil {
		return time.UTC
	}
	l, err := time.LoadLocation(t.Timezone)
	if err != nil {
		return time.UTC
	}
	return l
}

// Report computes the caller's tenant's report (a Nexus admin's: of
// q.TenantID, 0 every tenant). Returns EINVALID naming "from" or "to"
// for a bad period.
func (s *Service) Report(ctx context.Context, q ReportQuery) (*Report, error) {
	tid, all, err := scope(ctx)
	if err != nil {
		return nil, err
	}
	if all {
		tid = q.TenantID
	}
	if tid < 0 {
		return nil, app.FieldErrorf("tenant", "Tenant must be a tenant ID.")
	}
	rs, err := s.reportStore()
	if err != nil {
		return nil, err
	}
	loc := time.UTC
	if tid != 0 {
		loc = s.location(ctx, tid)
	}
	start, end, err := reportPeriod(q, s.now().In(loc), loc)
	if err != nil {
		return nil, err
	}
	eps, err := rs.FindEpisodes(ctx, tid, start, end)
	if err != nil {
		return nil, err
	}
	r := &Report{TenantID: tid, From: start.Format(time.DateOnly), To: end.AddDate(0, 0, -1).Format(time.DateOnly), Start: start.UTC(), End: end.UTC()}
	if tid != 0 {
		r.Timezone = loc.String()
	}
	// Each tenant's hours in its own timezone.
	locs := map[int64]*time.Location{tid: loc}
	tz := func(t int64) *time.Location {
		l, ok := locs[t]
		if !ok {
			l = s.location(ctx, t)
			locs[t] = l
		}
		return l
	}
	summarize(r, eps, tz)
	return r, nil
}

// reportPeriod is q's period as [start, end) in loc: whole days, To
// included. Returns EINVALID naming "from" or "to".
func reportPeriod(q ReportQuery, now time.Time, loc *time.Location) (time.Time, time.Time, error) {
	day := func(field, v string, def time.Time) (time.Time, error) {
		v = strings.TrimSpace(v)
		if v == "" {
			return def, nil
		}
		d, err := time.ParseInLocation(time.DateOnly, v, loc)
		if err != nil {
			return time.Time{}, app.FieldErrorf(field, "%s must be a date like 2027-01-31.", field)
		}
		return d, nil
	}
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	to, err := day("to", q.To, today)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	from, err := day("from", q.From, to.AddDate(0, 0, -29))
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	if from.After(to) {
		return time.Time{}, time.Time{}, app.FieldErrorf("from", "from must be on or before to.")
	}
	end := to.AddDate(0, 0, 1)
	if end.After(from.AddDate(0, 0, MaxReportDays)) {
		return time.Time{}, time.Time{}, app.FieldErrorf("from", "A report covers at most %d days.", MaxReportDays)
	}
	return from, end, nil
}

// figures accumulates durations for one row of a report.
type figures struct {
	Figures
	first, resolve []float64
}

func (f *figures) add(e *Episode) {
	f.Conversations++
	if !e.FirstResponseAt.IsZero() && !e.CustomerAt.IsZero() {
		f.Responded++
		f.first = append(f.first, e.FirstResponseAt.Sub(e.CustomerAt).Seconds())
	}
	if !e.ClosedAt.IsZero() {
		f.Resolved++
		f.resolve = append(f.resolve, e.ClosedAt.Sub(e.OpenedAt).Seconds())
	}
}

func (f *figures) done() Figures {
	f.MedianFirstResponse, f.MedianResolution = median(f.first), median(f.resolve)
	return f.Figures
}

// median is the middle value (the mean of the two middle ones for an
// even count); nil for none. It sorts vs.
func median(vs []float64) *float64 {
	if len(vs) == 0 {
		return nil
	}
	slices.Sort(vs)
	m := vs[len(vs)/2]
	if len(vs)%2 == 0 {
		m = (vs[len(vs)/2-1] + m) / 2
	}
	return &m
}

// summarize fills r's figures from eps; tz gives each tenant's timezone
// (the hour of day of an opening is the tenant's).
func summarize(r *Report, eps []Episode, tz func(tenantID int64) *time.Location) {
	var total figures
	chans := map[string]*figures{}
	for _, ch := range Channels {
		chans[ch] = &figures{}
	}
	people := map[string]*figures{}
	r.Hours = make([]int, 24)
	for i := range eps {
		e := &eps[i]
		total.add(e)
		if f := chans[e.Channel]; f != nil {
			f.add(e)
		}
		p := people[e.Assignee]
		if p == nil {
			p = &figures{}
			people[e.Assignee] = p
		}
		p.add(e)
		r.Hours[e.OpenedAt.In(tz(e.TenantID)).Hour()]++
	}
	r.Totals = total.done()
	r.Channels = make([]ChannelFigures, 0, len(Channels))
	for _, ch := range Channels {
		r.Channels = append(r.Channels, ChannelFigures{Channel: ch, Figures: chans[ch].done()})
	}
	r.Assignees = make([]AssigneeFigures, 0, len(people))
	for who, f := range people {
		r.Assignees = append(r.Assignees, AssigneeFigures{Assignee: who, Figures: f.done()})
	}
	slices.SortFunc(r.Assignees, func(a, b AssigneeFigures) int {
		switch {
		case (a.Assignee == "") != (b.Assignee == ""):
			if a.Assignee == "" {
				return 1
			}
			return -1
		case a.Conversations != b.Conversations:
			return b.Conversations - a.Conversations
		}
		return strings.Compare(a.Assignee, b.Assignee)
	})
}
