package store_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"orengen/app"
	"orengen/app/federal"
	"orengen/store"
)

var fedNow = time.Date(2026, 1, 20, 15, 0, 0, 0, time.UTC)

// mustNotices decodes the notices of a recorded SAM.gov page or notice.
func mustNotices(tb testing.TB, name string) []federal.Notice {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("..", "app", "federal", "testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	var page struct {
		Data []federal.Notice `json:"opportunitiesData"`
	}
	if err := json.Unmarshal(b, &page); err == nil && len(page.Data) > 0 {
		return page.Data
	}
	var n federal.Notice
	if err := json.Unmarshal(b, &n); err != nil {
		tb.Fatal(err)
	}
	return []federal.Notice{n}
}

func TestFederalStore_UpsertNotices(t *testing.T) {
	db := MustOpenDB(t)
	s := store.NewFederalStore(db)
	ctx := context.Background()
	prof := &federal.Profile{NAICSPrimary: "541511", SetAsides: []string{"SBA"}, Keywords: []string{"agile"}}
	if err := s.SaveProfile(tenantCtx(ctx, app.HouseTenantID), prof, fedNow); err != nil {
		t.Fatal(err)
	}
	page1 := mustNotices(t, "sam_search_page1.json")
	c, err := s.UpsertNotices(tenantCtx(ctx, app.HouseTenantID), page1, fedNow)
	if err != nil {
		t.Fatal(err)
	}
	if c.New != 3 || c.Updated != 0 {
		t.Fatalf("first upsert: %+v, want 3 new", c)
	}
	// The same page again changes nothing and records no amendment.
	if c, err = s.UpsertNotices(tenantCtx(ctx, app.HouseTenantID), page1, fedNow); err != nil || c.Unchanged != 3 {
		t.Fatalf("second upsert: %+v %v, want 3 unchanged", c, err)
	}
	t.Run("Amendment", func(t *testing.T) {
		v1, v2 := mustNotices(t, "sam_notice_a_v1.json"), mustNotices(t, "sam_notice_a_v2.json")
		if _, err := s.UpsertNotices(tenantCtx(ctx, app.HouseTenantID), v1, fedNow); err != nil {
			t.Fatal(err)
		}
		c, err := s.UpsertNotices(tenantCtx(ctx, app.HouseTenantID), v2, fedNow)
		if err != nil || c.Updated != 1 {
			t.Fatalf("amendment: %+v %v", c, err)
		}
		ch, err := s.FindNoticeChanges(tenantCtx(ctx, app.HouseTenantID), v2[0].NoticeID)
		if err != nil || len(ch) == 0 {
			t.Fatalf("changes: %v %v", ch, err)
		}
		fields := map[string]bool{}
		for _, f := range ch[0].Changes {
			fields[f.Field] = true
		}
		if !fields["responseDeadLine"] || !fields["resourceLinks"] {
			t.Errorf("change fields %v, want responseDeadLine and resourceLinks", fields)
		}
		n, err := s.FindNotice(tenantCtx(ctx, app.HouseTenantID), v2[0].NoticeID)
		if err != nil {
			t.Fatal(err)
		}
		if len(n.ResourceLinks) != len(v2[0].ResourceLinks) || len(v2[0].ResourceLinks) == len(v1[0].ResourceLinks) || n.Fit.Score == 0 || len(n.Fit.Reasons) == 0 {
			t.Errorf("stored notice: %d links, score %d, %d reasons", len(n.ResourceLinks), n.Fit.Score, len(n.Fit.Reasons))
		}
	})
	t.Run("TenantScoped", func(t *testing.T) {
		if _, err := s.FindNotice(tenantCtx(ctx, 999), page1[0].NoticeID); app.ErrorCode(err) != app.ENOTFOUND {
			t.Errorf("other tenant: %v, want ENOTFOUND", err)
		}
		ns, _, err := s.FindNotices(tenantCtx(ctx, 999), federal.NoticeFilter{})
		if err != nil || len(ns) != 0 {
			t.Errorf("other tenant list: %d %v", len(ns), err)
		}
	})
	t.Run("FullTextFindsDescriptionWord", func(t *testing.T) {
		id := page1[1].NoticeID
		if err := s.SetDescription(tenantCtx(ctx, app.HouseTenantID), id, "Support for the zebrafish laboratory network."); err != nil {
			t.Fatal(err)
		}
		ns, _, err := s.FindNotices(tenantCtx(ctx, app.HouseTenantID), federal.NoticeFilter{Query: "zebrafish"})
		if err != nil {
			t.Fatal(err)
		}
		if len(ns) != 1 || ns[0].NoticeID != id {
			t.Fatalf("fts: %d results", len(ns))
		}
		// FTS syntax in user input is only words.
		if _, _, err := s.FindNotices(tenantCtx(ctx, app.HouseTenantID), federal.NoticeFilter{Query: `"AND OR ( NEAR*`}); err != nil {
			t.Errorf("odd query: %v", err)
		}
		// A new version keeps the fetched description.
		if _, err := s.UpsertNotices(tenantCtx(ctx, app.HouseTenantID), page1[1:2], fedNow); err != nil {
			t.Fatal(err)
		}
		if ns, _, _ := s.FindNotices(tenantCtx(ctx, app.HouseTenantID), federal.NoticeFilter{Query: "zebrafish"}); len(ns) != 1 {
			t.Errorf("after re-upsert: %d results", len(ns))
		}
	})
	t.Run("CursorPages", func(t *testing.T) {
		if _, err := s.UpsertNotices(tenantCtx(ctx, app.HouseTenantID), mustNotices(t, "sam_search_page2.json"), fedNow); err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		cur, pages, last := "", 0, 1000
		for {
			ns, next, err := s.FindNotices(tenantCtx(ctx, app.HouseTenantID), federal.NoticeFilter{Limit: 2, Cursor: cur})
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range ns {
				if seen[n.NoticeID] {
					t.Errorf("notice %s on two pages", n.NoticeID)
				}
				if n.Fit.Score > last {
					t.Errorf("not sorted by score")
				}
				last = n.Fit.Score
				seen[n.NoticeID] = true
			}
			pages++
			if next == "" {
				break
			}
			cur = next
		}
		if len(seen) != 5 || pages != 3 {
			t.Errorf("%d notices on %d pages, want 5 on 3", len(seen), pages)
		}
		if _, _, err := s.FindNotices(tenantCtx(ctx, app.HouseTenantID), federal.NoticeFilter{Cursor: "!!"}); app.ErrorCode(err) != app.EINVALID {
			t.Errorf("bad cursor: %v", err)
		}
	})
	t.Run("ProfileRescores", func(t *testing.T) {
		before, _ := s.FindNotice(tenantCtx(ctx, app.HouseTenantID), page1[1].NoticeID)
		p2 := &federal.Profile{NAICSPrimary: page1[1].NAICSCode, SetAsides: []string{"SDVOSBC"}, Certifications: []federal.Certification{{Name: "ISO 9001", Expires: fedNow.AddDate(0, 0, 20)}}}
		if err := s.SaveProfile(tenantCtx(ctx, app.HouseTenantID), p2, fedNow); err != nil {
			t.Fatal(err)
		}
		after, _ := s.FindNotice(tenantCtx(ctx, app.HouseTenantID), page1[1].NoticeID)
		if after.Fit.Score <= before.Fit.Score {
			t.Errorf("score %d -> %d, want higher after matching NAICS and set-aside", before.Fit.Score, after.Fit.Score)
		}
		got, err := s.FindProfile(tenantCtx(ctx, app.HouseTenantID))
		if err != nil || len(got.Certifications) != 1 || !got.Certifications[0].Expires.Equal(fedNow.AddDate(0, 0, 20)) {
			t.Errorf("profile: %+v %v", got, err)
		}
	})
	t.Run("PipelineAndMatrix", func(t *testing.T) {
		id := page1[0].NoticeID
		e := &federal.PipelineEntry{TenantID: app.HouseTenantID, NoticeID: id, Stage: federal.StageCapture, EstimatedValueCents: 100000000, WinProbability: 30}
		if err := s.SavePipelineEntry(tenantCtx(ctx, e.TenantID), e, fedNow); err != nil {
			t.Fatal(err)
		}
		if err := s.SavePipelineEntry(tenantCtx(ctx, 999), &federal.PipelineEntry{TenantID: 999, NoticeID: id, Stage: federal.StageTriage}, fedNow); app.ErrorCode(err) != app.ENOTFOUND {
			t.Errorf("other tenant's pursuit: %v", err)
		}
		got, err := s.FindPipelineEntry(tenantCtx(ctx, app.HouseTenantID), id)
		if err != nil || got.ProbableValueCents() != 30000000 || got.Title == "" {
			t.Fatalf("entry: %+v %v", got, err)
		}
		ex := federal.ExtractRequirements("SECTION L\nThe offeror shall submit a technical volume. The offeror must be registered in SAM.")
		n, err := s.AddMatrixRows(tenantCtx(ctx, app.HouseTenantID), id, ex.Requirements, fedNow)
		if err != nil || n != 2 {
			t.Fatalf("matrix: %d %v", n, err)
		}
		if n, _ := s.AddMatrixRows(tenantCtx(ctx, app.HouseTenantID), id, ex.Requirements, fedNow); n != 0 {
			t.Errorf("re-extract added %d duplicates", n)
		}
		rows, _ := s.FindMatrix(tenantCtx(ctx, app.HouseTenantID), id)
		rows[0].Status, rows[0].AnsweredIn = "answered", "Vol I 2.1"
		if err := s.UpdateMatrixRow(tenantCtx(ctx, app.HouseTenantID), rows[0]); err != nil {
			t.Fatal(err)
		}
		if err := s.UpdateMatrixRow(tenantCtx(ctx, 999), rows[1]); app.ErrorCode(err) != app.ENOTFOUND {
			t.Errorf("other tenant's row: %v", err)
		}
		rows, _ = s.FindMatrix(tenantCtx(ctx, app.HouseTenantID), id)
		if federal.Completeness(rows) != 50 {
			t.Errorf("completeness %d, want 50", federal.Completeness(rows))
		}
	})
}

func TestFederalStore_SavedSearches(t *testing.T) {
	db := MustOpenDB(t)
	s := store.NewFederalStore(db)
	ctx := context.Background()
	ss := &federal.SavedSearch{TenantID: app.HouseTenantID, Kind: "sam", Name: "IT", NAICS: []string{"541511", "541512"}, PSC: []string{"D302"},
		SetAsides: []string{"SBA", "8A"}, PostedDays: 30, ProcurementTypes: []string{"o"}}
	if err := s.CreateSavedSearch(tenantCtx(ctx, ss.TenantID), ss); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateSavedSearch(tenantCtx(ctx, app.HouseTenantID), &federal.SavedSearch{TenantID: app.HouseTenantID, Kind: "sam", Name: "IT", PostedDays: 30}); app.ErrorCode(err) != app.ECONFLICT {
		t.Errorf("duplicate name: %v", err)
	}
	if err := s.DeleteSavedSearch(tenantCtx(ctx, 999), ss.ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("other tenant's delete: %v", err)
	}
	got, err := s.FindSavedSearch(tenantCtx(ctx, app.HouseTenantID), ss.ID)
	if err != nil || strings.Join(got.NAICS, " ") != "541511 541512" || strings.Join(got.PSC, " ") != "D302" ||
		strings.Join(got.SetAsides, " ") != "SBA 8A" || len(got.ProcurementTypes) != 1 {
		t.Fatalf("%+v %v", got, err)
	}
	// A search saved when a search held one code of each reads as lists
	// of one (the columns are the same).
	if err := db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO federal_searches (tenant_id, kind, name, naics, psc, set_aside, created_at)
			VALUES (1, 'sam', 'Old', '541330', '', 'SDVOSBC', '2026-01-01T00:00:00Z')`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	all, err := s.FindSavedSearches(tenantCtx(ctx, app.HouseTenantID))
	if err != nil || len(all) != 2 || all[1].Name != "Old" || strings.Join(all[1].NAICS, ",") != "541330" || all[1].PSC != nil || strings.Join(all[1].SetAsides, ",") != "SDVOSBC" {
		t.Fatalf("old-style row: %+v %v", all, err)
	}
	if err := s.DeleteSavedSearch(tenantCtx(ctx, app.HouseTenantID), ss.ID); err != nil {
		t.Fatal(err)
	}
}

func TestSAMQuota_SurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "redka.db")
	kv := store.NewKV(path)
	if err := kv.Open(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	day := federal.QuotaDay(time.Now())
	q := store.NewSAMQuota(kv)
	for i := 1; i <= 3; i++ {
		if n, err := q.Take(ctx, federal.KeyPersonal, day); err != nil || n != i {
			t.Fatalf("take %d: %d %v", i, n, err)
		}
	}
	exp, err := q.Expiry(ctx, federal.KeyPersonal, day)
	if err != nil || !exp.Equal(federal.QuotaResetAt(time.Now())) {
		t.Errorf("expiry %v %v, want next 00:00 UTC", exp, err)
	}
	kv.Close()
	kv = store.NewKV(path)
	if err := kv.Open(); err != nil {
		t.Fatal(err)
	}
	defer kv.Close()
	if n, err := store.NewSAMQuota(kv).Used(ctx, federal.KeyPersonal, day); err != nil || n != 3 {
		t.Errorf("after reopen: %d %v, want 3", n, err)
	}
	if n, _ := store.NewSAMQuota(kv).Used(ctx, federal.KeySystem, day); n != 0 {
		t.Errorf("other key type: %d", n)
	}
}

// tenantCtx scopes ctx to a tenant: federal store methods take it from
// the context.
func tenantCtx(ctx context.Context, id int64) context.Context {
	return app.NewContextWithTenant(ctx, &app.Tenant{ID: id})
}
