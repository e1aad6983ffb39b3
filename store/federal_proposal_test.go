package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"orengen/app"
	"orengen/app/federal"
	"orengen/store"
)

type recordingSink struct{ got []federal.FederalAlert }

func (r *recordingSink) Alert(_ context.Context, a federal.FederalAlert) error {
	r.got = append(r.got, a)
	if strings.Contains(a.Subject, "FAILME") {
		return errors.New("smtp down")
	}
	return nil
}

func newFedService(t *testing.T) (*federal.Service, *store.FederalStore, *recordingSink, *time.Time) {
	db := MustOpenDB(t)
	s := store.NewFederalStore(db)
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	sink := &recordingSink{}
	svc := federal.NewService(s.Stores())
	svc.Sink, svc.Now = sink, func() time.Time { return now }
	svc.NotFound = func(err error) bool { return app.ErrorCode(err) == app.ENOTFOUND }
	return svc, s, sink, &now
}

func TestFederalService_ProposalStudio(t *testing.T) {
	svc, s, _, _ := newFedService(t)
	ctx := context.Background()
	n := mustNotices(t, "sam_notice_a_v1.json")[0]
	if _, err := s.UpsertNotices(tenantCtx(ctx, app.HouseTenantID), []federal.Notice{n}, fedNow); err != nil {
		t.Fatal(err)
	}
	id := n.NoticeID
	sec := &federal.ProposalSection{TenantID: app.HouseTenantID, NoticeID: id, Title: "Executive Summary", Body: "We **win**."}
	var ve *federal.ValidationError
	if err := svc.CreateSection(tenantCtx(ctx, sec.TenantID), sec); !errors.As(err, &ve) || ve.Field != "notice" {
		t.Fatalf("section for a notice not pursued: %v", err)
	}
	if _, err := svc.Pursue(tenantCtx(ctx, app.HouseTenantID), id); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateSectionsFromMatrix(tenantCtx(ctx, app.HouseTenantID), id); !errors.As(err, &ve) || ve.Field != "matrix" {
		t.Fatalf("from an empty matrix: %v", err)
	}
	if err := svc.CreateSection(tenantCtx(ctx, sec.TenantID), sec); err != nil || sec.ID == 0 || sec.Position != 10 || sec.Status != "draft" {
		t.Fatalf("create: %v %+v", err, sec)
	}
	dup := &federal.ProposalSection{TenantID: app.HouseTenantID, NoticeID: id, Title: "Executive Summary"}
	if err := svc.CreateSection(tenantCtx(ctx, dup.TenantID), dup); app.ErrorCode(err) != app.ECONFLICT {
		t.Errorf("duplicate title: %v", err)
	}
	reqs := []federal.Requirement{{Section: "L.2", Text: "Offerors shall use Arial.", Kind: federal.KindShall},
		{Section: "L.2", Text: "Files must be PDF.", Kind: federal.KindMust}, {Section: "M.1", Text: "Technical approach is evaluated.", Kind: federal.KindEvaluation}}
	if _, err := s.AddMatrixRows(tenantCtx(ctx, app.HouseTenantID), id, reqs, fedNow); err != nil {
		t.Fatal(err)
	}
	if n, err := svc.CreateSectionsFromMatrix(tenantCtx(ctx, app.HouseTenantID), id); err != nil || n != 2 {
		t.Fatalf("from matrix: %d %v", n, err)
	}
	if n, err := svc.CreateSectionsFromMatrix(tenantCtx(ctx, app.HouseTenantID), id); err != nil || n != 0 {
		t.Fatalf("from matrix again: %d %v, want 0 added", n, err)
	}
	secs, err := s.FindSections(tenantCtx(ctx, app.HouseTenantID), id)
	if err != nil || len(secs) != 3 || secs[1].Title != "Response to L.2" || secs[1].Position != 20 || !strings.Contains(secs[1].Body, "- Files must be PDF.") {
		t.Fatalf("sections: %v %+v", err, secs)
	}
	rows, _ := s.FindMatrix(tenantCtx(ctx, app.HouseTenantID), id)
	if rows[0].AnsweredIn != "Response to L.2" || rows[2].AnsweredIn != "Response to M.1" {
		t.Errorf("matrix not pointed at sections: %q %q", rows[0].AnsweredIn, rows[2].AnsweredIn)
	}
	// Renaming a section moves the rows answered in it.
	l2 := secs[1]
	l2.Title = "Volume I: Instructions"
	if err := svc.UpdateSection(tenantCtx(ctx, l2.TenantID), l2); err != nil {
		t.Fatal(err)
	}
	rows, _ = s.FindMatrix(tenantCtx(ctx, app.HouseTenantID), id)
	if c := federal.Coverage(rows, []*federal.ProposalSection{secs[0], l2, secs[2]}); c.Mapped != 3 || rows[1].AnsweredIn != "Volume I: Instructions" {
		t.Errorf("after rename: %+v %q", c, rows[1].AnsweredIn)
	}
	// Tenant scoping: another tenant sees nothing and cannot edit.
	if _, err := s.FindSection(tenantCtx(ctx, 999), id, l2.ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("other tenant read: %v", err)
	}
	if err := s.DeleteSection(tenantCtx(ctx, 999), id, l2.ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("other tenant delete: %v", err)
	}
	p, err := svc.Proposal(tenantCtx(ctx, app.HouseTenantID), id)
	if err != nil || len(p.Sections) != 3 || p.Title != n.Title {
		t.Fatalf("proposal: %v", err)
	}
	if err := s.DeleteSection(tenantCtx(ctx, app.HouseTenantID), id, l2.ID); err != nil {
		t.Fatal(err)
	}
}

func TestFederalService_AlertsFireOnce(t *testing.T) {
	svc, s, sink, now := newFedService(t)
	ctx := context.Background()
	// No profile yet: no alerts, no error.
	if n, err := svc.RunAlerts(tenantCtx(ctx, app.HouseTenantID)); err != nil || n != 0 {
		t.Fatalf("no profile: %d %v", n, err)
	}
	prof := &federal.Profile{NAICSPrimary: "541511", SAMExpires: now.AddDate(0, 0, 85),
		Certifications: []federal.Certification{{Name: "8(a) FAILME", Expires: now.AddDate(0, 0, 5)}, {Name: "ISO", Expires: now.AddDate(0, 0, 200)}}}
	if err := s.SaveProfile(tenantCtx(ctx, app.HouseTenantID), prof, fedNow); err != nil {
		t.Fatal(err)
	}
	if n, err := svc.RunAlerts(tenantCtx(ctx, app.HouseTenantID)); err != nil || n != 2 {
		t.Fatalf("first run: %d %v, want 2", n, err)
	}
	if n, err := svc.RunAlerts(tenantCtx(ctx, app.HouseTenantID)); err != nil || n != 0 || len(sink.got) != 2 {
		t.Fatalf("second run: %d %v (sink %d), want nothing new", n, err, len(sink.got))
	}
	*now = now.AddDate(0, 0, 60) // SAM now 25 days out: the 30-day alert
	if n, err := svc.RunAlerts(tenantCtx(ctx, app.HouseTenantID)); err != nil || n != 1 {
		t.Fatalf("60 days later: %d %v, want 1", n, err)
	}
	as, err := s.FindAlerts(tenantCtx(ctx, app.HouseTenantID), federal.AlertFilter{})
	if err != nil || len(as) != 3 {
		t.Fatalf("alerts: %v %d", err, len(as))
	}
	if as[0].DaysBefore != 30 || as[0].DeliveredAt.IsZero() || as[2].DaysBefore != 90 {
		t.Errorf("alerts: %+v", as[0])
	}
	var failed *federal.FederalAlert
	for _, a := range as {
		if strings.Contains(a.Subject, "FAILME") {
			failed = a
		}
	}
	if failed == nil || failed.DaysBefore != 7 || !strings.Contains(failed.DeliveryError, "smtp down") || !failed.DeliveredAt.IsZero() {
		t.Errorf("failed delivery not recorded: %+v", failed)
	}
	if as, _ := s.FindAlerts(tenantCtx(ctx, 999), federal.AlertFilter{}); len(as) != 0 {
		t.Error("another tenant sees the alerts")
	}
}

func TestFederalService_Digest(t *testing.T) {
	svc, s, sink, now := newFedService(t)
	ctx := context.Background()
	// The store stamps rows with db.Now (2026-11-24 12:00 UTC).
	ns := mustNotices(t, "sam_search_page1.json")
	if _, err := s.UpsertNotices(tenantCtx(ctx, app.HouseTenantID), ns, fedNow); err != nil {
		t.Fatal(err)
	}
	if ok, err := svc.RunDigest(tenantCtx(ctx, app.HouseTenantID)); err != nil || ok {
		t.Fatalf("digest of an empty yesterday: %v %v", ok, err)
	}
	dg, err := svc.Digest(tenantCtx(ctx, app.HouseTenantID), *now)
	if err != nil || len(dg.New) != len(ns) || len(dg.Changed) != 0 {
		t.Fatalf("today: %v %+v", err, dg)
	}
	if txt := dg.Text(); !strings.Contains(txt, "New opportunities (3)") || !strings.Contains(txt, "/federal/opportunities/"+ns[0].NoticeID) {
		t.Errorf("text:\n%s", txt)
	}
	*now = now.AddDate(0, 0, 1)
	if ok, err := svc.RunDigest(tenantCtx(ctx, app.HouseTenantID)); err != nil || !ok {
		t.Fatalf("next day: %v %v", ok, err)
	}
	if ok, _ := svc.RunDigest(tenantCtx(ctx, app.HouseTenantID)); ok || len(sink.got) != 1 || sink.got[0].Kind != federal.AlertDigest {
		t.Fatalf("digest fired twice or not delivered: %+v", sink.got)
	}
	if !strings.Contains(sink.got[0].Body, "Federal digest for Tuesday 24 November 2026") {
		t.Errorf("body %q", sink.got[0].Body)
	}
}

func TestFederalService_GrantPipeline(t *testing.T) {
	svc, s, _, _ := newFedService(t)
	ctx := context.Background()
	g := federal.Grant{ID: "361874", Number: "HHS-2026-1", Title: "Rural Health", CloseDate: time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC)}
	if _, err := s.UpsertGrants(tenantCtx(ctx, app.HouseTenantID), []federal.Grant{g}, fedNow); err != nil {
		t.Fatal(err)
	}
	e, err := svc.PursueGrant(tenantCtx(ctx, app.HouseTenantID), g.ID)
	if err != nil || e.Stage != federal.GrantTriage || e.Title != "Rural Health" {
		t.Fatalf("pursue: %v %+v", err, e)
	}
	e.Stage = "won"
	var ve *federal.ValidationError
	if err := svc.SaveGrantPipelineEntry(tenantCtx(ctx, e.TenantID), e); !errors.As(err, &ve) || ve.Field != "stage" {
		t.Errorf("bad stage: %v", err)
	}
	e.Stage = federal.GrantDrafting
	if err := svc.SaveGrantPipelineEntry(tenantCtx(ctx, e.TenantID), e); err != nil {
		t.Fatal(err)
	}
	d := g
	d.Description, d.EligibilityDesc, d.AwardCeiling = "<p>Funds clinics</p>", "Small businesses", federal.Amount{Cents: 50000000, Valid: true}
	if err := s.SetGrantDetail(tenantCtx(ctx, app.HouseTenantID), g.ID, d); err != nil {
		t.Fatal(err)
	}
	sg, err := s.FindGrant(tenantCtx(ctx, app.HouseTenantID), g.ID)
	if err != nil || !sg.Detailed || sg.Stage != federal.GrantDrafting || sg.EligibilityDesc != "Small businesses" || sg.AwardCeiling.Cents != 50000000 || sg.ID != g.ID {
		t.Fatalf("grant: %v %+v", err, sg)
	}
	// The close date 16 days out gives a 30-day deadline alert.
	if n, err := svc.RunAlerts(tenantCtx(ctx, app.HouseTenantID)); err != nil || n != 1 {
		t.Errorf("grant deadline alert: %d %v", n, err)
	}
	if _, err := svc.PursueGrant(tenantCtx(ctx, 999), g.ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("other tenant pursue: %v", err)
	}
}

// FederalOn is the one check the pages, the portal and MCP make before
// showing a client's federal work: the house tenant always, a client only
// while the admin has it on.
func TestFederalService_FederalOn(t *testing.T) {
	db := MustOpenDB(t)
	svc := federal.NewService(store.NewFederalStore(db).Stores())
	ctx := context.Background()
	c := &app.Tenant{Name: "Client"}
	if err := store.NewTenantStore(db).CreateTenant(ctx, c); err != nil {
		t.Fatal(err)
	}
	on := func(id int64) bool {
		t.Helper()
		got, err := svc.FederalOn(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if !on(app.HouseTenantID) || on(c.ID) {
		t.Fatalf("before: house %v, client %v; want true, false", on(app.HouseTenantID), on(c.ID))
	}
	if err := svc.SetFederalEnabled(ctx, c.ID, true); err != nil {
		t.Fatal(err)
	}
	if !on(c.ID) {
		t.Fatal("client still off after SetFederalEnabled(true)")
	}
	if err := svc.SetFederalEnabled(ctx, c.ID, false); err != nil {
		t.Fatal(err)
	}
	if on(c.ID) || !on(app.HouseTenantID) {
		t.Fatalf("after off: client %v, house %v", on(c.ID), on(app.HouseTenantID))
	}
}
