package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"orengen/app"
	"orengen/app/wiki"
	"orengen/store"
)

// wikiTenant creates a tenant with a wiki space and pages titled
// "<slug> ledger N" (two chunks each) through the wiki store; returns the
// tenant's context and space.
func wikiTenant(tb testing.TB, db *store.DB, slug string, pages int) (context.Context, *wiki.Space) {
	tb.Helper()
	ctx := context.Background()
	t := &app.Tenant{Name: slug, Slug: slug}
	if err := store.NewTenantStore(db).CreateTenant(ctx, t); err != nil {
		tb.Fatal(err)
	}
	tctx := app.NewContextWithTenant(ctx, t)
	ws := store.NewWikiStore(db)
	space, err := ws.EnsureSpace(tctx, slug)
	if err != nil {
		tb.Fatal(err)
	}
	for i := 0; i < pages; i++ {
		p := &wiki.Page{SpaceID: space.ID, Title: fmt.Sprintf("%s ledger %d", slug, i), Slug: fmt.Sprintf("%s-ledger-%d", slug, i)}
		chunks := []wiki.Chunk{{Seq: 0, Text: "The ledger of " + slug + "."}, {Seq: 1, Heading: "Totals", Text: "The ledger's totals."}}
		if err := ws.CreatePage(tctx, p, nil, chunks); err != nil {
			tb.Fatal(err)
		}
	}
	return tctx, space
}

// wikiTitlesFound returns the titles of the pages a search for "ledger"
// finds in space, as the tenant of ctx.
func wikiTitlesFound(tb testing.TB, db *store.DB, ctx context.Context, space int64) []string {
	tb.Helper()
	hits, err := store.NewWikiStore(db).SearchChunks(ctx, []int64{space}, wiki.Query("ledger"), 20, true)
	if err != nil {
		tb.Fatal(err)
	}
	var titles []string
	for _, h := range hits {
		titles = append(titles, h.PageTitle)
	}
	slices.Sort(titles)
	return titles
}

// TestTenantTransfer_WikiSearch: an imported tenant's wiki chunks move to
// its new space's id range with a scope naming it, so its search finds
// its own pages and no resident's finds them, also from a file written
// before the ranges (0282), whose chunk ids are plain numbers and whose
// scope names the exporter's space, the id of a resident's space here.
func TestTenantTransfer_WikiSearch(t *testing.T) {
	ctx := context.Background()
	a := openApplianceDB(t)
	wikiTenant(t, a, "other", 2)
	_, acmeSpace := wikiTenant(t, a, "acme", 3)
	out := filepath.Join(t.TempDir(), "acme.sqlite")
	if _, err := store.NewTenantTransferStore(a).ExportTenant(ctx, acmeSpace.TenantID, out, nil); err != nil {
		t.Fatal(err)
	}
	// The same file as written before 0282.
	old := filepath.Join(t.TempDir(), "acme-old.sqlite")
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(old, data, 0o600); err != nil {
		t.Fatal(err)
	}
	x, err := sql.Open("sqlite3", "file:"+old)
	if err != nil {
		t.Fatal(err)
	}
	x.SetMaxOpenConns(1)
	for _, q := range []string{`PRAGMA ignore_check_constraints = ON`, `UPDATE wiki_chunks SET id = id - (space_id << 32) + 40`} {
		if _, err := x.Exec(q); err != nil {
			t.Fatal(q, err)
		}
	}
	var oldIDs, scoped int
	x.QueryRow(`SELECT count(*) FROM wiki_chunks WHERE id < 100`).Scan(&oldIDs)
	x.QueryRow(`SELECT count(*) FROM wiki_chunks WHERE scope = ?`, wiki.ScopeToken(acmeSpace.ID)).Scan(&scoped)
	x.Close()
	if oldIDs != 6 || scoped != 6 {
		t.Fatalf("the file before 0282: %d plain ids, %d chunks scoped to space %d", oldIDs, scoped, acmeSpace.ID)
	}

	// An appliance whose spaces have the ids the exporter's had.
	b := openApplianceDB(t)
	residents := map[string]context.Context{}
	spaces := map[string]int64{}
	for _, slug := range []string{"resident", "neighbour"} {
		c, s := wikiTenant(t, b, slug, 2)
		residents[slug], spaces[slug] = c, s.ID
	}
	if spaces["neighbour"] != acmeSpace.ID {
		t.Fatalf("the neighbour's space is %d, the exporter's %d", spaces["neighbour"], acmeSpace.ID)
	}
	tr := store.NewTenantTransferStore(b)
	for _, imp := range []struct{ file, slug string }{{out, "acme"}, {old, "acme-old"}} {
		sum, err := tr.ImportTenant(ctx, imp.file, app.ImportOptions{Slug: imp.slug})
		if err != nil {
			t.Fatal(imp.slug, err)
		}
		nt, err := store.NewTenantStore(b).FindTenantByID(ctx, sum.TenantID)
		if err != nil {
			t.Fatal(err)
		}
		space, err := store.NewWikiStore(b).EnsureSpace(app.NewContextWithTenant(ctx, nt), "x")
		if err != nil {
			t.Fatal(err)
		}
		var n, outside int
		if err := b.ReadDB().QueryRow(`SELECT count(*), count(*) FILTER (WHERE id >> 32 <> space_id OR scope <> 's' || space_id) FROM wiki_chunks WHERE tenant_id = ?`, nt.ID).Scan(&n, &outside); err != nil || n != 6 || outside != 0 {
			t.Fatalf("%s: %d chunks, %d outside their space's range or scope (%v)", imp.slug, n, outside, err)
		}
		want := []string{"acme ledger 0", "acme ledger 1", "acme ledger 2"}
		if got := wikiTitlesFound(t, b, app.NewContextWithTenant(ctx, nt), space.ID); !slices.Equal(got, want) {
			t.Fatalf("%s finds %v, want %v", imp.slug, got, want)
		}
	}
	for slug, c := range residents {
		want := []string{slug + " ledger 0", slug + " ledger 1"}
		if got := wikiTitlesFound(t, b, c, spaces[slug]); !slices.Equal(got, want) {
			t.Fatalf("%s finds %v, want %v", slug, got, want)
		}
	}
}
