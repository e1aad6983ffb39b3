package app

import (
	"context"
	"strings"
	"time"
)

// Mission Control (the Nexus home) and the tenant dashboard (the portal
// home) chart the business over a date range: leads per day by source,
// pipeline value by stage, win rate, workflow runs, agent conversations,
// federal pipeline and deadlines, usage per tenant; Nexus adds
// replication lag and backup age. The numbers are aggregates the store
// computes in SQL for the tenant in ctx, or across tenants for an admin
// (CRMReadScope).

// DashRange is a dashboard's date range: whole UTC days From..To
// (inclusive).
type DashRange struct {
	From, To time.Time // midnight UTC
}

// DefaultDashDays is the range a dashboard opens with.
const DefaultDashDays = 30

// MaxDashDays is the longest range a dashboard shows.
const MaxDashDays = 366

// Days is the number of days in the range.
func (r DashRange) Days() int { return int(r.To.Sub(r.From)/(24*time.Hour)) + 1 }

// End is the first instant past the range.
func (r DashRange) End() time.Time { return r.To.AddDate(0, 0, 1) }

// DayKeys lists the range's days as YYYY-MM-DD.
func (r DashRange) DayKeys() []string {
	out := make([]string, 0, r.Days())
	for d := r.From; !d.After(r.To); d = d.AddDate(0, 0, 1) {
		out = append(out, d.Format(time.DateOnly))
	}
	return out
}

// ParseDashRange reads from and to (YYYY-MM-DD; either may be empty:
// the range then ends today and spans DefaultDashDays). Returns EINVALID
// naming from or to.
func ParseDashRange(from, to string, now time.Time) (DashRange, error) {
	today := now.UTC().Truncate(24 * time.Hour)
	r := DashRange{To: today}
	if to = strings.TrimSpace(to); to != "" {
		t, err := time.Parse(time.DateOnly, to)
		if err != nil {
			return r, FieldErrorf("to", "to must be a date (YYYY-MM-DD).")
		}
		r.To = t
	}
	r.From = r.To.AddDate(0, 0, -(DefaultDashDays - 1))
	if from = strings.TrimSpace(from); from != "" {
		f, err := time.Parse(time.DateOnly, from)
		if err != nil {
			return r, FieldErrorf("from", "from must be a date (YYYY-MM-DD).")
		}
		r.From = f
	}
	if r.From.After(r.To) {
		return r, FieldErrorf("from", "from must be on or before to.")
	}
	if r.Days() > MaxDashDays {
		return r, FieldErrorf("from", "A dashboard shows at most %d days.", MaxDashDays)
	}
	return r, nil
}

// DayCount is a count for one day and one key (a source, a status).
type DayCount struct {
	Day string // YYYY-MM-DD
	Key string
	N   int64
}

// KeyValue is a value for a key (a stage, an outcome, a tenant), with
// the number of records behind it.
type KeyValue struct {
	Key   string
	Value int64 // amount in minor units, or a count
	N     int64
}

// Deadline is a pursued federal notice's response deadline.
type Deadline struct {
	TenantID int64
	NoticeID string
	Title    string
	Stage    string
	Due      time.Time
	Value    int64 // estimated value, cents
}

// TenantUsage is one tenant's use of the platform over a range.
type TenantUsage struct {
	TenantID    int64
	Tenant      string
	APIRequests int64
	Runs        int64
	AgentCost   int64 // millionths of a dollar
	People      int64 // CRM people created in the range
}

// Dashboard is everything a dashboard charts.
type Dashboard struct {
	Range       DashRange
	Leads       []DayCount // key: source
	Pipeline    []KeyValue // key: "Stage (CUR)", value: open amount
	Won, Lost   int64      // deals closed won or lost, updated in the range
	Runs        []DayCount // key: succeeded or failed
	Agents      []KeyValue // key: outcome (or "open")
	Federal     []KeyValue // key: bid pipeline stage, value: estimated cents
	Deadlines   []Deadline // pursued notices due from the range's start on
	Usage       []TenantUsage
	GeneratedAt time.Time
}

// WinRate is won / (won + lost) in percent, or -1 with no closed deal.
func (d *Dashboard) WinRate() int {
	if d.Won+d.Lost == 0 {
		return -1
	}
	return int(d.Won * 100 / (d.Won + d.Lost))
}

// DashboardStore computes a dashboard's aggregates for the tenant in
// ctx, or for every tenant (CRMReadScope). Returns EUNAUTHORIZED
// without either.
type DashboardStore interface {
	Dashboard(ctx context.Context, r DashRange) (*Dashboard, error)
}

// DashboardService charts the business: Mission Control across every
// tenant, and each tenant's portal home.
type DashboardService struct {
	store DashboardStore
}

// NewDashboardService returns the service of dashboards on its store.
// The store stays private: callers go through the service.
func NewDashboardService(st DashboardStore) *DashboardService { return &DashboardService{store: st} }

// TenantDashboard is the dashboard of the tenant in ctx. Returns
// EUNAUTHORIZED without one.
func (s *DashboardService) TenantDashboard(ctx context.Context, r DashRange) (*Dashboard, error) {
	return s.store.Dashboard(ctx, r)
}

// MissionControl is the dashboard of every tenant together (Nexus home).
func (s *DashboardService) MissionControl(ctx context.Context, r DashRange) (*Dashboard, error) {
	return s.store.Dashboard(NewContextAcrossTenants(ctx), r)
}

// MaxDeadlines is how many upcoming federal deadlines a dashboard lists.
const MaxDeadlines = 10
