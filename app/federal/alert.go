package federal

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"
)

// Alert kinds.
const (
	AlertExpiry   = "expiry"   // a registration or certification expires
	AlertDeadline = "deadline" // a pursued notice or grant is due
	AlertDigest   = "digest"   // the daily digest of new and changed notices
)

// AlertThresholds are the days before a date at which an alert fires.
var AlertThresholds = []int{90, 30, 7}

// FederalAlert is one recorded alert. Key identifies what it is about and
// which threshold it is for, so it fires once however often the daily job
// runs ("expiry:SAM registration:2027-03-31:30").
type FederalAlert struct {
	ID            int64
	TenantID      int64
	Key           string
	Kind          string
	Subject       string
	Body          string
	Due           time.Time // the expiry or deadline ("" for digests)
	DaysBefore    int       // the threshold crossed (90, 30, 7)
	Link          string    // Nexus path ("/federal/compliance")
	CreatedAt     time.Time
	DeliveredAt   time.Time // zero until a sink took it
	DeliveryError string
}

// AlertSink delivers alerts (email, SMS ...). The automation engine
// implements it; until then LogSink logs them and the Compliance page and
// the Nexus dashboard show them from the store.
type AlertSink interface {
	Alert(ctx context.Context, a FederalAlert) error
}

// LogSink writes each alert to a structured log.
type LogSink struct{ Logger *slog.Logger }

// Alert logs a.
func (s LogSink) Alert(ctx context.Context, a FederalAlert) error {
	l := s.Logger
	if l == nil {
		l = slog.Default()
	}
	l.InfoContext(ctx, "federal alert", "tenant", a.TenantID, "kind", a.Kind, "subject", a.Subject, "link", a.Link)
	return nil
}

// AlertFilter selects stored alerts, newest first.
type AlertFilter struct {
	Kind  string // "" for every kind
	Limit int
}

// daysUntil counts calendar days (UTC) from now to t.
func daysUntil(now, t time.Time) int {
	d := func(x time.Time) time.Time {
		y, m, dd := x.UTC().Date()
		return time.Date(y, m, dd, 0, 0, 0, 0, time.UTC)
	}
	return int(d(t).Sub(d(now)).Hours() / 24)
}

// threshold returns the smallest threshold days has reached (7 before 30
// before 90), or 0 when the date is past or further than 90 days. When the
// job first sees a date 5 days out it records only the 7-day alert, not
// three at once.
func threshold(days int) int {
	if days < 0 {
		return 0
	}
	best := 0
	for _, t := range AlertThresholds {
		if days <= t && (best == 0 || t < best) {
			best = t
		}
	}
	return best
}

// DueAlerts returns the alerts that should exist at now for the tenant's
// expiries (profile may be nil), open pursuits and open grant pursuits.
// Recording them is idempotent by Key.
func DueAlerts(tenantID int64, now time.Time, prof *Profile, pipeline []*PipelineEntry, grants []*GrantPipelineEntry) []FederalAlert {
	var out []FederalAlert
	add := func(kind, what, id string, due time.Time, link, subject string) {
		if due.IsZero() {
			return
		}
		days := daysUntil(now, due)
		t := threshold(days)
		if t == 0 {
			return
		}
		out = append(out, FederalAlert{TenantID: tenantID, Kind: kind, Due: due, DaysBefore: t, Link: link,
			Key:     fmt.Sprintf("%s:%s:%s:%d", kind, id, due.UTC().Format(time.DateOnly), t),
			Subject: fmt.Sprintf("%s %s in %d day(s), on %s", what, subject, days, due.UTC().Format(time.DateOnly)),
			Body:    fmt.Sprintf("%s %s on %s (%d-day reminder).", what, subject, due.UTC().Format("Monday 2 January 2006"), t)})
	}
	if prof != nil {
		add(AlertExpiry, "SAM registration", "sam", prof.SAMExpires, "/federal/compliance", "expires")
		for _, c := range prof.Certifications {
			add(AlertExpiry, c.Name, "cert:"+c.Name, c.Expires, "/federal/compliance", "expires")
		}
	}
	for _, e := range pipeline {
		switch e.Stage {
		case StageSubmitted, StageWon, StageLost, StageNoBid:
			continue
		}
		title := e.Title
		if title == "" {
			title = e.NoticeID
		}
		add(AlertDeadline, "“"+title+"”", "notice:"+e.NoticeID, e.ResponseDeadline, "/federal/opportunities/"+e.NoticeID, "responses are due")
	}
	for _, g := range grants {
		switch g.Stage {
		case GrantSubmitted, GrantAwarded, GrantDeclined:
			continue
		}
		title := g.Title
		if title == "" {
			title = g.GrantID
		}
		add(AlertDeadline, "Grant “"+title+"”", "grant:"+g.GrantID, g.CloseDate, "/federal/grants/"+g.GrantID, "closes")
	}
	return out
}

// Grant pipeline stages, in order.
const (
	GrantTriage      = "triage"
	GrantEligibility = "eligibility"
	GrantDrafting    = "drafting"
	GrantSubmitted   = "submitted"
	GrantAwarded     = "awarded"
	GrantDeclined    = "declined"
)

// GrantStages lists the grant pipeline stages with their labels, in order.
var GrantStages = []struct{ Code, Label string }{
	{GrantTriage, "Triage"}, {GrantEligibility, "Eligibility"}, {GrantDrafting, "Drafting"},
	{GrantSubmitted, "Submitted"}, {GrantAwarded, "Awarded"}, {GrantDeclined, "Declined"},
}

// GrantStageLabel returns the display label of a grant stage code.
func GrantStageLabel(code string) string {
	for _, s := range GrantStages {
		if s.Code == code {
			return s.Label
		}
	}
	return code
}

// GrantPipelineEntry is a grant being pursued.
type GrantPipelineEntry struct {
	ID        int64 // the record ID tasks and notes link to (record_type "grant_pursuit")
	TenantID  int64
	GrantID   string
	Title     string    // from the grant (read only)
	Number    string    // from the grant (read only)
	CloseDate time.Time // from the grant (read only)
	Stage     string
	Owner     string
	Notes     string // before tasks and notes moved to the CRM; kept empty
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Validate checks the stage and the owner.
func (e *GrantPipelineEntry) Validate() error {
	ok := false
	for _, s := range GrantStages {
		ok = ok || s.Code == e.Stage
	}
	if !ok {
		return invalid("stage", "unknown grant stage %q", e.Stage)
	}
	if len(e.Owner) > 200 {
		return invalid("owner", "at most 200 characters")
	}
	if len(e.Notes) > 20000 {
		return invalid("notes", "at most 20000 characters")
	}
	return nil
}

// Digest is one day's new and changed notices and new grants for a tenant.
type Digest struct {
	Day     time.Time // 00:00 UTC of the day covered
	New     []*StoredNotice
	Changed []*StoredNotice
	Grants  []*StoredGrant
}

// Empty reports whether the day brought nothing.
func (d *Digest) Empty() bool { return len(d.New)+len(d.Changed)+len(d.Grants) == 0 }

// Text renders the digest as plain text (what a mail or SMS would carry).
func (d *Digest) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Federal digest for %s\n", d.Day.UTC().Format("Monday 2 January 2006"))
	if d.Empty() {
		b.WriteString("\nNo new or changed opportunities.\n")
		return b.String()
	}
	section := func(head string, ns []*StoredNotice) {
		if len(ns) == 0 {
			return
		}
		sort.SliceStable(ns, func(i, j int) bool { return ns[i].Fit.Score > ns[j].Fit.Score })
		fmt.Fprintf(&b, "\n%s (%d)\n", head, len(ns))
		for _, n := range ns {
			fmt.Fprintf(&b, "- [%d] %s", n.Fit.Score, n.Title)
			if n.SolicitationNumber != "" {
				fmt.Fprintf(&b, " (%s)", n.SolicitationNumber)
			}
			if !n.ResponseDeadline.IsZero() {
				fmt.Fprintf(&b, ", due %s", n.ResponseDeadline.UTC().Format(time.DateOnly))
			}
			fmt.Fprintf(&b, "\n  /federal/opportunities/%s\n", n.NoticeID)
		}
	}
	section("New opportunities", d.New)
	section("Amended opportunities", d.Changed)
	if len(d.Grants) > 0 {
		fmt.Fprintf(&b, "\nNew grants (%d)\n", len(d.Grants))
		for _, g := range d.Grants {
			fmt.Fprintf(&b, "- %s (%s)", g.Title, g.Number)
			if !g.CloseDate.IsZero() {
				fmt.Fprintf(&b, ", closes %s", g.CloseDate.UTC().Format(time.DateOnly))
			}
			fmt.Fprintf(&b, "\n  /federal/grants/%s\n", g.ID)
		}
	}
	return b.String()
}

// WorkflowSink hands alerts (the daily digest of new and changed
// opportunities, deadline and expiry reminders) to the automation engine
// as runs of the tenant's "federal_alert" workflows, so the admin chooses
// email or SMS in a workflow. With no workflow listening, the alert goes
// to Next (the log) and stays visible in Nexus.
type WorkflowSink struct {
	// Trigger queues a run of every enabled federal-alert workflow of the
	// tenant with payload as its trigger fields and returns how many it
	// queued (app.AutomationService.Trigger).
	Trigger func(ctx context.Context, tenantID int64, payload []byte) (int, error)
	Next    AlertSink
}

// Alert queues the workflows' runs, or passes a to Next when none listens.
func (s *WorkflowSink) Alert(ctx context.Context, a FederalAlert) error {
	fields := map[string]any{"kind": a.Kind, "subject": a.Subject, "body": a.Body, "link": a.Link, "days_before": a.DaysBefore}
	if !a.Due.IsZero() {
		fields["due"] = a.Due.UTC().Format("2006-01-02")
	}
	payload, err := json.Marshal(fields)
	if err != nil {
		return err
	}
	n, err := s.Trigger(ctx, a.TenantID, payload)
	if err != nil {
		return err
	}
	if n == 0 {
		return s.Next.Alert(ctx, a)
	}
	return nil
}
