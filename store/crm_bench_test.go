package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"orengen/app"
	"orengen/store"
)

// BenchmarkCRM_1M measures the CRM with 1,000,000 people in one tenant
// (generated here with a batched insert, about a minute on 2 cores):
//
//	ORENGEN_BENCH_CRM=1 go test -tags sqlite_fts5 -run '^$' -bench CRM_1M -benchtime 1x ./store/
//
// It reports p50/p99 of filtered, sorted 50-row pages, p50/p99 of FTS
// search, batch-upsert records per second, and the Mission Control
// dashboard's p50/p99 with 100,000 workflow runs added (benchDashboard). ORENGEN_BENCH_CRM_N
// changes the row count.
func BenchmarkCRM_1M(b *testing.B) {
	if os.Getenv("ORENGEN_BENCH_CRM") == "" {
		b.Skip("set ORENGEN_BENCH_CRM=1 to build the 1M-person database (about a minute)")
	}
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("ORENGEN_BENCH_CRM_N")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	db := store.NewDB(filepath.Join(b.TempDir(), "orengen.db"))
	if err := db.Open(ctx); err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	t := &app.Tenant{Name: "Bench"}
	if err := store.NewTenantStore(db).CreateTenant(ctx, t); err != nil {
		b.Fatal(err)
	}
	tctx := app.NewContextWithTenant(ctx, t)
	crm := store.NewCRMStores(db)
	var companies []int64
	for i := range 1000 {
		c := &app.Company{Name: fmt.Sprintf("Company %04d", i)}
		if err := crm.Companies.CreateCompany(tctx, c); err != nil {
			b.Fatal(err)
		}
		companies = append(companies, c.ID)
	}
	t0 := time.Now()
	if err := benchFill(ctx, db, t.ID, n, companies); err != nil {
		b.Fatal(err)
	}
	b.Logf("inserted %d people (with contact points and FTS rows) in %s", n, time.Since(t0).Round(time.Millisecond))

	rng := rand.New(rand.NewPCG(1, 2))
	measure := func(name string, runs int, f func(i int) error) {
		var ds []time.Duration
		for i := range runs {
			s := time.Now()
			if err := f(i); err != nil {
				b.Fatalf("%s: %v", name, err)
			}
			ds = append(ds, time.Since(s))
		}
		slices.Sort(ds)
		p50, p99 := ds[len(ds)/2], ds[len(ds)*99/100]
		b.ReportMetric(float64(p50.Microseconds())/1000, name+"_p50_ms")
		b.ReportMetric(float64(p99.Microseconds())/1000, name+"_p99_ms")
		b.Logf("%-28s p50 %8s  p99 %8s  (%d runs)", name, p50.Round(10*time.Microsecond), p99.Round(10*time.Microsecond), runs)
	}
	b.ResetTimer()
	tag := "vip"
	measure("page_name_sorted", 200, func(i int) error {
		_, _, err := crm.People.FindPeople(tctx, app.PersonFilter{ListOptions: app.ListOptions{Limit: 50, Sort: "name"}})
		return err
	})
	measure("page_tag_filter_newest", 200, func(i int) error {
		ps, _, err := crm.People.FindPeople(tctx, app.PersonFilter{Tag: &tag, ListOptions: app.ListOptions{Limit: 50}})
		if err == nil && len(ps) != 50 {
			err = fmt.Errorf("got %d rows", len(ps))
		}
		return err
	})
	measure("page_company_filter", 200, func(i int) error {
		cid := companies[rng.IntN(len(companies))]
		_, _, err := crm.People.FindPeople(tctx, app.PersonFilter{CompanyID: &cid, ListOptions: app.ListOptions{Limit: 50, Sort: "name"}})
		return err
	})
	measure("page_email_filter", 200, func(i int) error {
		e := fmt.Sprintf("p%d@example.test", rng.IntN(n))
		ps, _, err := crm.People.FindPeople(tctx, app.PersonFilter{Email: &e})
		if err == nil && len(ps) != 1 {
			err = fmt.Errorf("email %s: %d rows", e, len(ps))
		}
		return err
	})
	// A deep page: the cursor sits half-way through the names.
	mid := app.Cursor{Sort: "name", Key: "m", ID: 1}.Encode()
	measure("page_deep_cursor", 200, func(i int) error {
		_, _, err := crm.People.FindPeople(tctx, app.PersonFilter{ListOptions: app.ListOptions{Limit: 50, Sort: "name", Cursor: mid}})
		return err
	})
	measure("fts_search_lastname", 100, func(i int) error {
		_, _, err := crm.People.FindPeople(tctx, app.PersonFilter{ListOptions: app.ListOptions{Limit: 50, Q: benchLast(rng.IntN(2000))}})
		return err
	})
	measure("fts_search_email", 100, func(i int) error {
		q := fmt.Sprintf("p%d@example.test", rng.IntN(n))
		ps, _, err := crm.People.FindPeople(tctx, app.PersonFilter{ListOptions: app.ListOptions{Limit: 50, Q: q}})
		if err == nil && len(ps) == 0 {
			err = fmt.Errorf("q %s: no rows", q)
		}
		return err
	})
	// Batch upsert: 5 batches of 1000 new people through the full path
	// (validation, E.164, contact points, FTS, timeline).
	var total time.Duration
	for k := range 5 {
		ps := make([]*app.Person, app.MaxBatch)
		for i := range ps {
			ps[i] = &app.Person{FirstName: "Batch", LastName: benchLast(i), Emails: []string{fmt.Sprintf("b%d.%d@batch.test", k, i)},
				Phones: []string{fmt.Sprintf("+1512%03d%04d", 200+k, i)}, Tags: []string{"batch"}}
		}
		s := time.Now()
		if err := crm.People.UpsertPeople(tctx, ps); err != nil {
			b.Fatal(err)
		}
		total += time.Since(s)
	}
	rps := float64(5*app.MaxBatch) / total.Seconds()
	b.ReportMetric(rps, "batch_upsert_records/s")
	b.Logf("batch upsert: %.0f records/s (5 x %d)", rps, app.MaxBatch)
	benchDashboard(b, ctx, db, t, measure) // dashboard_bench_test.go
}

func benchLast(i int) string {
	syl := []string{"ka", "lo", "mi", "ren", "tu", "sa", "vo", "qui", "ber", "dan", "el", "fo", "gra", "hul", "ix", "jor", "zed", "wy", "no", "pa"}
	return syl[i%20] + syl[(i/20)%20] + syl[(i/400)%5+10]
}

// benchFill inserts n people with contact points and FTS rows through
// prepared statements, 50,000 per transaction.
func benchFill(ctx context.Context, db *store.DB, tid int64, n int, companies []int64) error {
	firsts := []string{"Ann", "Bob", "Cara", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jill", "Kai", "Lena", "Milo", "Nia", "Omar", "Pia"}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for start := 0; start < n; start += 50_000 {
		tx, err := db.BeginTx(ctx)
		if err != nil {
			return err
		}
		p, err := tx.PrepareContext(ctx, `INSERT INTO crm_people (id, tenant_id, first_name, last_name, name_key, emails, phones, company_id, tags, source, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'bench', ?, ?)`)
		if err != nil {
			return err
		}
		cp, err := tx.PrepareContext(ctx, `INSERT INTO crm_contact_points (tenant_id, person_id, kind, value) VALUES (?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		fts, err := tx.PrepareContext(ctx, `INSERT INTO crm_fts (rowid, body) VALUES (?, ?)`)
		if err != nil {
			return err
		}
		for i := start; i < min(start+50_000, n); i++ {
			id := int64(i + 1)
			first, last := firsts[i%len(firsts)], benchLast(i%2000)
			email := fmt.Sprintf("p%d@example.test", i)
			phone := fmt.Sprintf("+1%03d%07d", 201+i/10_000_000, i%10_000_000)
			tags := `[]`
			if i%10 == 0 {
				tags = `["vip"]`
			}
			ts := store.FormatTime(now.Add(time.Duration(i) * time.Second))
			if _, err := p.ExecContext(ctx, id, tid, first, last, first+" "+last, `["`+email+`"]`, `["`+phone+`"]`, companies[i%len(companies)], tags, ts, ts); err != nil {
				return err
			}
			if _, err := cp.ExecContext(ctx, tid, id, "email", email); err != nil {
				return err
			}
			if _, err := cp.ExecContext(ctx, tid, id, "phone", phone); err != nil {
				return err
			}
			if _, err := fts.ExecContext(ctx, id*8+1, first+" "+last+" "+email+" "+phone[1:]); err != nil {
				return err
			}
		}
		p.Close()
		cp.Close()
		fts.Close()
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}
