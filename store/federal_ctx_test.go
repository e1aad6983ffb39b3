package store_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"orengen/app"
	"orengen/app/federal"
	"orengen/store"
)

// The federal store takes the tenant from the context (issue #14), as the
// CRM's does: a context without a tenant, or an admin's across-tenants
// context, is refused before any SQL runs, and never reads every tenant.
func TestFederalStore_TenantFromContext(t *testing.T) {
	e := newCRMEnv(t)
	fs := store.NewFederalStore(e.DB)
	n := mustNotices(t, "sam_notice_a_v1.json")[0]
	if _, err := fs.UpsertNotices(e.A, []federal.Notice{n}, fedNow); err != nil {
		t.Fatal(err)
	}
	id := n.NoticeID
	calls := map[string]func(ctx context.Context) error{
		"FindProfile":       func(ctx context.Context) error { _, err := fs.FindProfile(ctx); return err },
		"SaveProfile":       func(ctx context.Context) error { return fs.SaveProfile(ctx, &federal.Profile{}, fedNow) },
		"FindSavedSearches": func(ctx context.Context) error { _, err := fs.FindSavedSearches(ctx); return err },
		"FindSavedSearch":   func(ctx context.Context) error { _, err := fs.FindSavedSearch(ctx, 1); return err },
		"CreateSavedSearch": func(ctx context.Context) error {
			return fs.CreateSavedSearch(ctx, &federal.SavedSearch{TenantID: e.TA.ID, Kind: federal.SearchSAM, Name: "x", PostedDays: 30})
		},
		"DeleteSavedSearch": func(ctx context.Context) error { return fs.DeleteSavedSearch(ctx, 1) },
		"MarkSearchRun":     func(ctx context.Context) error { return fs.MarkSearchRun(ctx, 1, fedNow, "ok", "") },
		"UpsertNotices": func(ctx context.Context) error {
			_, err := fs.UpsertNotices(ctx, []federal.Notice{n}, fedNow)
			return err
		},
		"SetDescription": func(ctx context.Context) error { return fs.SetDescription(ctx, id, "text") },
		"FindNotices": func(ctx context.Context) error {
			_, _, err := fs.FindNotices(ctx, federal.NoticeFilter{})
			return err
		},
		"FindNotice":        func(ctx context.Context) error { _, err := fs.FindNotice(ctx, id); return err },
		"FindNoticeChanges": func(ctx context.Context) error { _, err := fs.FindNoticeChanges(ctx, id); return err },
		"RescoreNotices":    func(ctx context.Context) error { _, err := fs.RescoreNotices(ctx, fedNow); return err },
		"FindPipeline":      func(ctx context.Context) error { _, err := fs.FindPipeline(ctx); return err },
		"FindPipelineEntry": func(ctx context.Context) error { _, err := fs.FindPipelineEntry(ctx, id); return err },
		"SavePipelineEntry": func(ctx context.Context) error {
			return fs.SavePipelineEntry(ctx, &federal.PipelineEntry{TenantID: e.TA.ID, NoticeID: id, Stage: federal.StageTriage}, fedNow)
		},
		"FindMatrix": func(ctx context.Context) error { _, err := fs.FindMatrix(ctx, id); return err },
		"AddMatrixRows": func(ctx context.Context) error {
			_, err := fs.AddMatrixRows(ctx, id, []federal.Requirement{{Section: "L", Text: "t"}}, fedNow)
			return err
		},
		"UpdateMatrixRow": func(ctx context.Context) error {
			return fs.UpdateMatrixRow(ctx, &federal.MatrixRow{ID: 1, NoticeID: id, Status: "open"})
		},
		"RecordScoutRun": func(ctx context.Context) error {
			return fs.RecordScoutRun(ctx, &federal.ScoutRun{TenantID: e.TA.ID, Trigger: "cli", StartedAt: fedNow, FinishedAt: fedNow})
		},
		"FindScoutRuns": func(ctx context.Context) error { _, err := fs.FindScoutRuns(ctx, 5); return err },
		"UpsertGrants": func(ctx context.Context) error {
			_, err := fs.UpsertGrants(ctx, []federal.Grant{{ID: "1", Title: "g"}}, fedNow)
			return err
		},
		"FindGrants": func(ctx context.Context) error {
			_, _, err := fs.FindGrants(ctx, federal.GrantFilter{})
			return err
		},
		"FindGrant":      func(ctx context.Context) error { _, err := fs.FindGrant(ctx, "1"); return err },
		"SetGrantDetail": func(ctx context.Context) error { return fs.SetGrantDetail(ctx, "1", federal.Grant{}) },
		"FindNewGrants":  func(ctx context.Context) error { _, err := fs.FindNewGrants(ctx, fedNow, fedNow); return err },
		"FindSections":   func(ctx context.Context) error { _, err := fs.FindSections(ctx, id); return err },
		"FindSection":    func(ctx context.Context) error { _, err := fs.FindSection(ctx, id, 1); return err },
		"CreateSection": func(ctx context.Context) error {
			return fs.CreateSection(ctx, &federal.ProposalSection{TenantID: e.TA.ID, NoticeID: id, Title: "s", Status: "draft"})
		},
		"UpdateSection": func(ctx context.Context) error {
			return fs.UpdateSection(ctx, &federal.ProposalSection{ID: 1, TenantID: e.TA.ID, NoticeID: id, Title: "s", Status: "draft"})
		},
		"DeleteSection": func(ctx context.Context) error { return fs.DeleteSection(ctx, id, 1) },
		"CreateSectionsFromMatrix": func(ctx context.Context) error {
			_, err := fs.CreateSectionsFromMatrix(ctx, id, []*federal.ProposalSection{{Title: "s"}})
			return err
		},
		"FindGrantPipeline":      func(ctx context.Context) error { _, err := fs.FindGrantPipeline(ctx); return err },
		"FindGrantPipelineEntry": func(ctx context.Context) error { _, err := fs.FindGrantPipelineEntry(ctx, "1"); return err },
		"SaveGrantPipelineEntry": func(ctx context.Context) error {
			return fs.SaveGrantPipelineEntry(ctx, &federal.GrantPipelineEntry{TenantID: e.TA.ID, GrantID: "1", Stage: "triage"})
		},
		"PursuitKeys": func(ctx context.Context) error { _, err := fs.PursuitKeys(ctx, false, []int64{1}); return err },
		"RecordAlert": func(ctx context.Context) error {
			_, err := fs.RecordAlert(ctx, &federal.FederalAlert{TenantID: e.TA.ID, Key: "k", Kind: federal.AlertDigest, Subject: "s"})
			return err
		},
		"MarkAlertDelivered": func(ctx context.Context) error { return fs.MarkAlertDelivered(ctx, 1, fedNow, "") },
		"FindAlerts":         func(ctx context.Context) error { _, err := fs.FindAlerts(ctx, federal.AlertFilter{}); return err },
		"FindNoticeActivity": func(ctx context.Context) error { _, err := fs.FindNoticeActivity(ctx, fedNow, fedNow); return err },
	}
	// Every tenant-scoped method of the federal store is listed: it has
	// three more (FederalTenants, SetFederalEnabled, the admin's list and
	// switch of which tenants have federal work, and Stores).
	if got, want := len(calls)+3, reflect.TypeFor[*store.FederalStore]().NumMethod(); got != want {
		t.Fatalf("%d methods checked, store.FederalStore has %d: add the new one here", got, want)
	}
	admin := app.NewContextAcrossTenants(app.NewContextWithAdmin(context.Background(), &app.Admin{ID: 1}))
	for name, call := range calls {
		for ctxName, ctx := range map[string]context.Context{"NoTenant": context.Background(), "AdminAcrossTenants": admin} {
			if err := call(ctx); app.ErrorCode(err) != app.EUNAUTHORIZED || app.ErrorMessage(err) != "Sign in to continue." {
				t.Errorf("%s with %s: %v, want EUNAUTHORIZED %q", name, ctxName, err, "Sign in to continue.")
			}
		}
	}
	// Nothing was written by the refused calls.
	if ns, _, err := fs.FindNotices(e.A, federal.NoticeFilter{}); err != nil || len(ns) != 1 {
		t.Fatalf("tenant A's notices after refused calls: %d %v, want 1", len(ns), err)
	}
	if ss, err := fs.FindSavedSearches(e.A); err != nil || len(ss) != 0 {
		t.Errorf("saved searches after refused creates: %d %v, want 0", len(ss), err)
	}
}

// Tenant A's context never sees tenant B's federal rows, also for the same
// notice and grant IDs, and a record handed in with another tenant's ID is
// written for the context's tenant.
func TestFederalStore_TenantIsolation(t *testing.T) {
	e := newCRMEnv(t)
	fs := store.NewFederalStore(e.DB)
	n := mustNotices(t, "sam_notice_a_v1.json")[0]
	id := n.NoticeID
	type seeded struct {
		search, section, alert int64
		pipeline, grantEntry   int64
	}
	seed := func(ctx context.Context, name string, other int64) seeded {
		t.Helper()
		var out seeded
		p := &federal.Profile{NAICSPrimary: "541511", Keywords: []string{name}}
		if err := fs.SaveProfile(ctx, p, fedNow); err != nil {
			t.Fatal(err)
		}
		nn := n
		nn.Title = name + " notice"
		nn.Raw = nil
		if _, err := fs.UpsertNotices(ctx, []federal.Notice{nn}, fedNow); err != nil {
			t.Fatal(err)
		}
		// The record says the other tenant; the context decides.
		ss := &federal.SavedSearch{TenantID: other, Kind: federal.SearchSAM, Name: name + " search", PostedDays: 30}
		if err := fs.CreateSavedSearch(ctx, ss); err != nil {
			t.Fatal(err)
		}
		out.search = ss.ID
		if err := fs.SavePipelineEntry(ctx, &federal.PipelineEntry{TenantID: other, NoticeID: id, Stage: federal.StageCapture, Notes: name}, fedNow); err != nil {
			t.Fatal(err)
		}
		pe, err := fs.FindPipelineEntry(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		out.pipeline = pe.ID
		if _, err := fs.AddMatrixRows(ctx, id, []federal.Requirement{{Section: "L.1", Text: name + " requirement"}}, fedNow); err != nil {
			t.Fatal(err)
		}
		sec := &federal.ProposalSection{TenantID: other, NoticeID: id, Title: name + " section", Position: 10, Status: "draft"}
		if err := fs.CreateSection(ctx, sec); err != nil {
			t.Fatal(err)
		}
		out.section = sec.ID
		if _, err := fs.UpsertGrants(ctx, []federal.Grant{{ID: "361874", Number: "G-1", Title: name + " grant"}}, fedNow); err != nil {
			t.Fatal(err)
		}
		if err := fs.SaveGrantPipelineEntry(ctx, &federal.GrantPipelineEntry{TenantID: other, GrantID: "361874", Stage: "triage", Notes: name}); err != nil {
			t.Fatal(err)
		}
		ge, err := fs.FindGrantPipelineEntry(ctx, "361874")
		if err != nil {
			t.Fatal(err)
		}
		out.grantEntry = ge.ID
		a := &federal.FederalAlert{TenantID: other, Key: "digest:" + name, Kind: federal.AlertDigest, Subject: name + " alert"}
		if ok, err := fs.RecordAlert(ctx, a); err != nil || !ok {
			t.Fatalf("record alert: %v %v", ok, err)
		}
		out.alert = a.ID
		if err := fs.RecordScoutRun(ctx, &federal.ScoutRun{TenantID: other, Trigger: name, StartedAt: fedNow, FinishedAt: fedNow, Status: "ok"}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	a := seed(e.A, "alpha", e.TB.ID)
	b := seed(e.B, "bravo", e.TA.ID)

	for _, tc := range []struct {
		name       string
		ctx        context.Context
		tid        int64
		own, other string
		theirs     seeded
	}{
		{"A", e.A, e.TA.ID, "alpha", "bravo", b},
		{"B", e.B, e.TB.ID, "bravo", "alpha", a},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := tc.ctx
			if p, err := fs.FindProfile(ctx); err != nil || len(p.Keywords) != 1 || p.Keywords[0] != tc.own {
				t.Errorf("profile: %+v %v, want keywords [%s]", p, err, tc.own)
			}
			ns, _, err := fs.FindNotices(ctx, federal.NoticeFilter{})
			if err != nil || len(ns) != 1 || ns[0].Title != tc.own+" notice" || ns[0].TenantID != tc.tid {
				t.Errorf("notices: %d %v, want only %s's", len(ns), err, tc.own)
			}
			if sn, err := fs.FindNotice(ctx, id); err != nil || sn.Title != tc.own+" notice" {
				t.Errorf("notice: %v %v, want %s's", sn, err, tc.own)
			}
			ss, err := fs.FindSavedSearches(ctx)
			if err != nil || len(ss) != 1 || ss[0].Name != tc.own+" search" || ss[0].TenantID != tc.tid {
				t.Errorf("saved searches: %+v %v, want only %s's", ss, err, tc.own)
			}
			if _, err := fs.FindSavedSearch(ctx, tc.theirs.search); app.ErrorCode(err) != app.ENOTFOUND {
				t.Errorf("other tenant's saved search: %v, want ENOTFOUND", err)
			}
			if err := fs.DeleteSavedSearch(ctx, tc.theirs.search); app.ErrorCode(err) != app.ENOTFOUND {
				t.Errorf("delete other tenant's saved search: %v, want ENOTFOUND", err)
			}
			pipe, err := fs.FindPipeline(ctx)
			if err != nil || len(pipe) != 1 || pipe[0].Notes != tc.own || pipe[0].TenantID != tc.tid {
				t.Errorf("pipeline: %+v %v, want only %s's", pipe, err, tc.own)
			}
			rows, err := fs.FindMatrix(ctx, id)
			if err != nil || len(rows) != 1 || rows[0].Text != tc.own+" requirement" {
				t.Errorf("matrix: %+v %v, want only %s's", rows, err, tc.own)
			}
			secs, err := fs.FindSections(ctx, id)
			if err != nil || len(secs) != 1 || secs[0].Title != tc.own+" section" || secs[0].TenantID != tc.tid {
				t.Errorf("sections: %+v %v, want only %s's", secs, err, tc.own)
			}
			if _, err := fs.FindSection(ctx, id, tc.theirs.section); app.ErrorCode(err) != app.ENOTFOUND {
				t.Errorf("other tenant's section: %v, want ENOTFOUND", err)
			}
			if err := fs.DeleteSection(ctx, id, tc.theirs.section); app.ErrorCode(err) != app.ENOTFOUND {
				t.Errorf("delete other tenant's section: %v, want ENOTFOUND", err)
			}
			gs, _, err := fs.FindGrants(ctx, federal.GrantFilter{})
			if err != nil || len(gs) != 1 || gs[0].Title != tc.own+" grant" {
				t.Errorf("grants: %+v %v, want only %s's", gs, err, tc.own)
			}
			gp, err := fs.FindGrantPipeline(ctx)
			if err != nil || len(gp) != 1 || gp[0].Notes != tc.own {
				t.Errorf("grant pipeline: %+v %v, want only %s's", gp, err, tc.own)
			}
			keys, err := fs.PursuitKeys(ctx, false, []int64{tc.theirs.pipeline})
			if err != nil || len(keys) != 0 {
				t.Errorf("other tenant's pursuit keys: %v %v, want none", keys, err)
			}
			if keys, err := fs.PursuitKeys(ctx, true, []int64{tc.theirs.grantEntry}); err != nil || len(keys) != 0 {
				t.Errorf("other tenant's grant pursuit keys: %v %v, want none", keys, err)
			}
			as, err := fs.FindAlerts(ctx, federal.AlertFilter{})
			if err != nil || len(as) != 1 || as[0].Subject != tc.own+" alert" || as[0].TenantID != tc.tid {
				t.Errorf("alerts: %+v %v, want only %s's", as, err, tc.own)
			}
			if err := fs.MarkAlertDelivered(ctx, tc.theirs.alert, fedNow, "x"); err != nil {
				t.Fatal(err)
			}
			runs, err := fs.FindScoutRuns(ctx, 10)
			if err != nil || len(runs) != 1 || runs[0].Trigger != tc.own || runs[0].TenantID != tc.tid {
				t.Errorf("scout runs: %+v %v, want only %s's", runs, err, tc.own)
			}
		})
	}
	// Marking the other tenant's alert delivered changed nothing.
	for _, ctx := range []context.Context{e.A, e.B} {
		if as, _ := fs.FindAlerts(ctx, federal.AlertFilter{}); len(as) != 1 || as[0].DeliveryError != "" {
			t.Errorf("alert after the other tenant marked it: %+v", as)
		}
	}
}

// The background jobs that run for every federal tenant scope each run to
// its tenant: the alert job records each tenant's expiry alert in that
// tenant, and a job or run started without a tenant is refused.
func TestFederalService_BackgroundTenantContext(t *testing.T) {
	e := newCRMEnv(t)
	fs := store.NewFederalStore(e.DB)
	now := fedNow
	sink := &recordingSink{}
	fst := fs.Stores()
	sc := federal.NewScout(fst.Searches, fst.Notices, fst.Grants, fst.Runs)
	svc := federal.NewService(fst)
	svc.Scout, svc.Sink, svc.Now = sc, sink, func() time.Time { return now }
	svc.NotFound = func(err error) bool { return app.ErrorCode(err) == app.ENOTFOUND }
	for _, ctx := range []context.Context{e.A, e.B} {
		if err := svc.SaveProfile(ctx, &federal.Profile{NAICSPrimary: "541511", SAMExpires: now.AddDate(0, 0, 20)}); err != nil {
			t.Fatal(err)
		}
	}
	bg := context.Background()
	if _, err := svc.RunAlerts(bg); app.ErrorCode(err) != app.EUNAUTHORIZED {
		t.Errorf("RunAlerts without a tenant: %v, want EUNAUTHORIZED", err)
	}
	if _, err := svc.RunDigest(bg); app.ErrorCode(err) != app.EUNAUTHORIZED {
		t.Errorf("RunDigest without a tenant: %v, want EUNAUTHORIZED", err)
	}
	if _, err := sc.Run(bg, "cli", 0); app.ErrorCode(err) != app.EUNAUTHORIZED {
		t.Errorf("Scout.Run without a tenant: %v, want EUNAUTHORIZED", err)
	}
	if started, err := svc.RunNow(bg, "ui"); started || app.ErrorCode(err) != app.EUNAUTHORIZED {
		t.Errorf("RunNow without a tenant: %v %v, want false, EUNAUTHORIZED", started, err)
	}
	if svc.Running(bg) {
		t.Error("Running without a tenant: true")
	}
	if len(sink.got) != 0 {
		t.Fatalf("alerts delivered by refused runs: %+v", sink.got)
	}

	ctx, cancel := context.WithCancel(bg)
	done := make(chan struct{})
	go func() {
		defer close(done)
		svc.RunAlertScheduler(ctx, time.Hour, func(context.Context) ([]int64, error) { return []int64{e.TA.ID, e.TB.ID}, nil })
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		a, _ := fs.FindAlerts(e.A, federal.AlertFilter{})
		b, _ := fs.FindAlerts(e.B, federal.AlertFilter{})
		if len(a) > 0 && len(b) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("alert job: %d alerts for A, %d for B, want one each", len(a), len(b))
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	for name, c := range map[string]struct {
		ctx context.Context
		tid int64
	}{"A": {e.A, e.TA.ID}, "B": {e.B, e.TB.ID}} {
		as, err := fs.FindAlerts(c.ctx, federal.AlertFilter{})
		if err != nil || len(as) != 1 || as[0].TenantID != c.tid || as[0].Kind != federal.AlertExpiry {
			t.Errorf("tenant %s alerts: %+v %v, want its one expiry alert", name, as, err)
		}
	}
	seen := map[int64]int{}
	for _, a := range sink.got {
		seen[a.TenantID]++
	}
	if len(sink.got) != 2 || seen[e.TA.ID] != 1 || seen[e.TB.ID] != 1 {
		t.Errorf("delivered: %+v, want one alert per tenant", sink.got)
	}
}
