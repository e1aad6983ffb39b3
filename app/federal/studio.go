package federal

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"orengen/app"
)

// requirePursued returns a *ValidationError when the notice is not in the
// bid pipeline: proposals are written for pursued opportunities only.
func (s *Service) requirePursued(ctx context.Context, noticeID string) error {
	if _, err := s.store.Pursuits.FindPipelineEntry(ctx, noticeID); err != nil {
		if s.notFound(err) {
			return invalid("notice", "pursue the opportunity first: proposals are written for notices in the bid pipeline")
		}
		return err
	}
	return nil
}

// notFound reports whether err is the store's not-found error (through
// NotFound; without it no error counts as not-found, so callers fail
// closed).
func (s *Service) notFound(err error) bool {
	return err != nil && s.NotFound != nil && s.NotFound(err)
}

// CreateSection normalizes, validates and stores a proposal section of a
// pursued notice, placed last unless a position is given. Returns a
// *ValidationError naming the field, or the store's ENOTFOUND/ECONFLICT.
func (s *Service) CreateSection(ctx context.Context, sec *ProposalSection) error {
	sec.Normalize()
	if err := sec.Validate(); err != nil {
		return err
	}
	if err := s.requirePursued(ctx, sec.NoticeID); err != nil {
		return err
	}
	if sec.Position == 0 {
		secs, err := s.store.Sections.FindSections(ctx, sec.NoticeID)
		if err != nil {
			return err
		}
		for _, x := range secs {
			sec.Position = max(sec.Position, x.Position)
		}
		sec.Position += 10
	}
	return s.store.Sections.CreateSection(ctx, sec)
}

// UpdateSection normalizes, validates and saves a section.
func (s *Service) UpdateSection(ctx context.Context, sec *ProposalSection) error {
	sec.Normalize()
	if err := sec.Validate(); err != nil {
		return err
	}
	return s.store.Sections.UpdateSection(ctx, sec)
}

// CreateSectionsFromMatrix adds one section per compliance-matrix
// requirement group the proposal lacks and points the group's unanswered
// rows at it. Returns how many sections were added; a *ValidationError
// when the notice is not pursued or its matrix is empty.
func (s *Service) CreateSectionsFromMatrix(ctx context.Context, noticeID string) (int, error) {
	if err := s.requirePursued(ctx, noticeID); err != nil {
		return 0, err
	}
	rows, err := s.store.Matrix.FindMatrix(ctx, noticeID)
	if err != nil {
		return 0, err
	}
	secs := SectionsFromMatrix(rows)
	if len(secs) == 0 {
		return 0, invalid("matrix", "the compliance matrix has no open requirements: extract requirements first")
	}
	existing, err := s.store.Sections.FindSections(ctx, noticeID)
	if err != nil {
		return 0, err
	}
	base := 0
	for _, x := range existing {
		base = max(base, x.Position)
	}
	for _, sec := range secs {
		sec.Position += base
	}
	return s.store.Sections.CreateSectionsFromMatrix(ctx, noticeID, secs)
}

// Proposal gathers a notice's sections for export. Returns a
// *ValidationError when there are none.
func (s *Service) Proposal(ctx context.Context, noticeID string) (*Proposal, error) {
	n, err := s.store.Notices.FindNotice(ctx, noticeID)
	if err != nil {
		return nil, err
	}
	secs, err := s.store.Sections.FindSections(ctx, noticeID)
	if err != nil {
		return nil, err
	}
	if len(secs) == 0 {
		return nil, invalid("sections", "the proposal has no sections yet")
	}
	p := &Proposal{Title: n.Title, Sections: secs}
	p.Subtitle = n.SolicitationNumber
	if n.FullParentPathName != "" {
		if p.Subtitle != "" {
			p.Subtitle += " · "
		}
		p.Subtitle += n.FullParentPathName
	}
	return p, nil
}

// PursueGrant puts a grant in the grant pipeline at Triage (no change if
// it is there already) and returns the entry.
func (s *Service) PursueGrant(ctx context.Context, grantID string) (*GrantPipelineEntry, error) {
	if e, err := s.store.Pursuits.FindGrantPipelineEntry(ctx, grantID); err == nil {
		return e, nil
	}
	e := &GrantPipelineEntry{GrantID: grantID, Stage: GrantTriage} // the store sets the tenant
	if err := s.store.Pursuits.SaveGrantPipelineEntry(ctx, e); err != nil {
		return nil, err
	}
	return s.store.Pursuits.FindGrantPipelineEntry(ctx, grantID)
}

// SaveGrantPipelineEntry validates and stores e.
func (s *Service) SaveGrantPipelineEntry(ctx context.Context, e *GrantPipelineEntry) error {
	if err := e.Validate(); err != nil {
		return err
	}
	return s.store.Pursuits.SaveGrantPipelineEntry(ctx, e)
}

// FetchGrantDetail calls Grants.gov fetchOpportunity for a stored grant
// and keeps the answer for its detail page.
func (s *Service) FetchGrantDetail(ctx context.Context, grantID string) error {
	if _, err := s.store.Grants.FindGrant(ctx, grantID); err != nil {
		return err
	}
	if s.Scout == nil || s.Scout.Grants == nil {
		return invalid("grant", "Grants.gov is not configured on this server")
	}
	d, err := s.Scout.Grants.Fetch(ctx, grantID)
	if err != nil {
		return fmt.Errorf("fetch grant %s: %w", grantID, err)
	}
	return s.store.Grants.SetGrantDetail(ctx, grantID, d)
}

func (s *Service) sink() AlertSink {
	if s.Sink != nil {
		return s.Sink
	}
	var l *slog.Logger
	if s.Scout != nil {
		l = s.Scout.logger()
	}
	return LogSink{Logger: l}
}

// deliver records a once and, when it is new, hands it to the sink and
// records the delivery. A sink error is kept on the alert (shown in
// Nexus), not returned: the alert exists either way.
func (s *Service) deliver(ctx context.Context, a *FederalAlert) (bool, error) {
	created, err := s.store.Alerts.RecordAlert(ctx, a)
	if err != nil || !created {
		return false, err
	}
	msg := ""
	if err := s.sink().Alert(ctx, *a); err != nil {
		msg = "delivery failed: " + err.Error()
	}
	return true, s.store.Alerts.MarkAlertDelivered(ctx, a.ID, s.now(), msg)
}

// RunAlerts records (once each) the 90/30/7-day alerts due now for the
// tenant's registration and certification expiries and open pursuit
// deadlines, delivers the new ones to the sink and returns how many fired.
func (s *Service) RunAlerts(ctx context.Context) (int, error) {
	tenantID, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return 0, err
	}
	now := s.now()
	prof, err := s.store.Profiles.FindProfile(ctx)
	if s.notFound(err) {
		prof, err = nil, nil
	}
	if err != nil {
		return 0, err
	}
	pipe, err := s.store.Pursuits.FindPipeline(ctx)
	if err != nil {
		return 0, err
	}
	grants, err := s.store.Pursuits.FindGrantPipeline(ctx)
	if err != nil {
		return 0, err
	}
	fired := 0
	for _, a := range DueAlerts(tenantID, now, prof, pipe, grants) {
		ok, err := s.deliver(ctx, &a)
		if err != nil {
			return fired, err
		}
		if ok {
			fired++
		}
	}
	return fired, nil
}

// Digest returns the digest of the UTC day containing day: notices first
// seen or amended that day (the saved searches found them) and new grants.
func (s *Service) Digest(ctx context.Context, day time.Time) (*Digest, error) {
	y, m, d := day.UTC().Date()
	from := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(0, 0, 1)
	ns, err := s.store.Notices.FindNoticeActivity(ctx, from, to)
	if err != nil {
		return nil, err
	}
	dg := &Digest{Day: from}
	for _, n := range ns {
		if !n.FirstSeenAt.Before(from) && n.FirstSeenAt.Before(to) {
			dg.New = append(dg.New, n)
		} else {
			dg.Changed = append(dg.Changed, n)
		}
	}
	if dg.Grants, err = s.store.Grants.FindNewGrants(ctx, from, to); err != nil {
		return nil, err
	}
	return dg, nil
}

// RunDigest records and delivers yesterday's digest (UTC) once, when it
// is not empty, and reports whether it fired.
func (s *Service) RunDigest(ctx context.Context) (bool, error) {
	day := s.now().UTC().AddDate(0, 0, -1)
	dg, err := s.Digest(ctx, day)
	if err != nil || dg.Empty() {
		return false, err
	}
	key := dg.Day.Format(time.DateOnly)
	// The store records the alert for the context's tenant.
	a := &FederalAlert{Kind: AlertDigest, Key: "digest:" + key, Link: "/federal/digest?day=" + key,
		Subject: fmt.Sprintf("Federal digest %s: %d new, %d amended, %d new grant(s)", key, len(dg.New), len(dg.Changed), len(dg.Grants)),
		Body:    dg.Text()}
	return s.deliver(ctx, a)
}

// DefaultAlertInterval is how often the alert job looks for due alerts;
// keys make every run after the first of a day a no-op.
const DefaultAlertInterval = time.Hour

// RunAlertScheduler runs RunAlerts and RunDigest for every federal tenant
// now and then every interval (DefaultAlertInterval when 0) until ctx is
// done. Errors are logged; the next run retries.
func (s *Service) RunAlertScheduler(ctx context.Context, interval time.Duration, tenants func(context.Context) ([]int64, error)) {
	if interval <= 0 {
		interval = DefaultAlertInterval
	}
	log := slog.Default()
	if s.Scout != nil {
		log = s.Scout.logger()
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		ids, err := tenants(ctx)
		if err != nil && ctx.Err() == nil {
			log.Error("federal alerts: tenants", "err", err)
		}
		for _, id := range ids {
			tctx := tenantContext(ctx, id)
			if _, err := s.RunAlerts(tctx); err != nil && ctx.Err() == nil {
				log.Error("federal alerts", "tenant", id, "err", err)
			}
			if _, err := s.RunDigest(tctx); err != nil && ctx.Err() == nil {
				log.Error("federal digest", "tenant", id, "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
