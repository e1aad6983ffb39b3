package inbox

import (
	"context"
	"fmt"
	"time"

	"orengen/app"
)

// Quiet hours (issue #18): a window in the tenant's timezone in which
// automated outbound texts and calls (workflow steps) are held and sent
// when it ends; the engine asks QuietUntil before such a step and parks
// the run, in the database, until then. A person replying by hand from a
// thread is only warned (QuietNote).

// Quiet is a tenant's quiet window: from Start to End (HH:MM, the
// tenant's timezone; End before Start crosses midnight).
type Quiet struct {
	TenantID int64
	Enabled  bool
	Start    string
	End      string
}

// DefaultQuiet is a tenant's window before it sets one (off).
func DefaultQuiet(tenantID int64) *Quiet {
	return &Quiet{TenantID: tenantID, Start: "21:00", End: "08:00"}
}

// QuietStore keeps the tenants' quiet hours.
type QuietStore interface {
	// FindQuiet returns the tenant's quiet hours. ENOTFOUND.
	FindQuiet(ctx context.Context, tenantID int64) (*Quiet, error)
	SaveQuiet(ctx context.Context, q *Quiet) error
}

// Validate checks the window. Returns EINVALID naming start or end.
func (q *Quiet) Validate() error {
	s, ok := clock(q.Start)
	if !ok {
		return app.FieldErrorf("start", "Start like 21:00.")
	}
	e, ok := clock(q.End)
	if !ok {
		return app.FieldErrorf("end", "End like 08:00.")
	}
	if s == e {
		return app.FieldErrorf("end", "The window ends when it starts: give two different times.")
	}
	q.Start, q.End = fmt.Sprintf("%02d:%02d", s/60, s%60), fmt.Sprintf("%02d:%02d", e/60, e%60)
	return nil
}

// Until reports whether now falls in the window (in loc) and, if so,
// when the window ends.
func (q *Quiet) Until(now time.Time, loc *time.Location) (time.Time, bool) {
	if !q.Enabled {
		return time.Time{}, false
	}
	s, ok1 := clock(q.Start)
	e, ok2 := clock(q.End)
	if !ok1 || !ok2 || s == e {
		return time.Time{}, false
	}
	t := now.In(loc)
	m := t.Hour()*60 + t.Minute()
	day := 0
	switch {
	case s < e && m >= s && m < e:
	case s > e && m >= s:
		day = 1 // ends tomorrow morning
	case s > e && m < e:
	default:
		return time.Time{}, false
	}
	// time.Date normalises a local time a DST change skips.
	return time.Date(t.Year(), t.Month(), t.Day()+day, e/60, e%60, 0, 0, loc), true
}

// QuietUntil reports whether the tenant is in its quiet hours at now and
// when they end (the workflow engine's question before a text or call).
func (s *Service) QuietUntil(ctx context.Context, tenantID int64, now time.Time) (time.Time, bool) {
	if s.Quiet == nil {
		return time.Time{}, false
	}
	q, err := s.Quiet.FindQuiet(appliance(ctx), tenantID)
	if err != nil {
		if app.ErrorCode(err) != app.ENOTFOUND {
			s.logger().Warn("inbox: quiet hours", "tenant_id", tenantID, "err", err)
		}
		return time.Time{}, false
	}
	return q.Until(now, s.location(ctx, tenantID))
}

// QuietNote is the warning a person sees before replying by hand in the
// tenant's quiet hours ("" outside them).
func (s *Service) QuietNote(ctx context.Context, tenantID int64) string {
	until, quiet := s.QuietUntil(ctx, tenantID, s.now())
	if !quiet {
		return ""
	}
	return fmt.Sprintf("Quiet hours until %s: automated texts and calls are held until then. You may still send by hand.",
		until.In(s.location(ctx, tenantID)).Format("Mon 15:04 MST"))
}

// QuietSettings returns the caller's tenant's quiet hours (a Nexus
// admin's: of tenantID), the defaults (off) when none are saved.
func (s *Service) QuietSettings(ctx context.Context, tenantID int64) (*Quiet, error) {
	tid, err := broadcastTenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if s.Quiet == nil {
		return nil, app.Errorf(app.ENOTFOUND, "Quiet hours are not configured.")
	}
	q, err := s.Quiet.FindQuiet(ctx, tid)
	if app.ErrorCode(err) == app.ENOTFOUND {
		return DefaultQuiet(tid), nil
	}
	return q, err
}

// SaveQuiet stores the caller's tenant's quiet hours (a Nexus admin's:
// q.TenantID). Returns EINVALID naming start or end.
func (s *Service) SaveQuiet(ctx context.Context, q *Quiet) error {
	tid, err := broadcastTenant(ctx, q.TenantID)
	if err != nil {
		return err
	}
	q.TenantID = tid
	if s.Quiet == nil {
		return app.Errorf(app.EINVALID, "Quiet hours are not configured.")
	}
	if err := q.Validate(); err != nil {
		return err
	}
	return s.Quiet.SaveQuiet(ctx, q)
}
