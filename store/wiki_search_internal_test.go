package store

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"orengen/app"
	"orengen/app/wiki"
)

// TestWikiStore_BM25IsTheRank fails when the ranking query's BM25 call
// (wikiBM25) and wiki_fts's configured rank function (0030_wiki.sql) part:
// both must give the same scores, in the same order.
func TestWikiStore_BM25IsTheRank(t *testing.T) {
	ctx := context.Background()
	db := NewDB(filepath.Join(t.TempDir(), "orengen.db"))
	if err := db.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rank string
	if err := db.read.QueryRowContext(ctx, `SELECT v FROM wiki_fts_config WHERE k = 'rank'`).Scan(&rank); err != nil {
		t.Fatal(err)
	}
	if want := strings.Replace(wikiBM25, "wiki_fts, ", "", 1); rank != want {
		t.Fatalf("wiki_fts ranks by %q, the search query by %q", rank, wikiBM25)
	}

	tenant := &app.Tenant{Name: "Alpha"}
	if err := NewTenantStore(db).CreateTenant(ctx, tenant); err != nil {
		t.Fatal(err)
	}
	ctx = app.NewContextWithTenant(ctx, tenant)
	ws := NewWikiStore(db)
	space, err := ws.EnsureSpace(ctx, "Alpha")
	if err != nil {
		t.Fatal(err)
	}
	// Titles and bodies that mention the words a different number of
	// times, so the title's weight and the text's length both count.
	words := []string{"invoice", "warranty", "claim", "desk", "paper"}
	for i := 0; i < 40; i++ {
		var body []string
		for j := 0; j <= i%7; j++ {
			body = append(body, words[(i+j)%len(words)], "the", "note", fmt.Sprint(j))
		}
		p := &wiki.Page{SpaceID: space.ID, Title: fmt.Sprintf("Page %d %s", i, words[i%3]), Slug: fmt.Sprintf("page-%d", i)}
		if err := ws.CreatePage(ctx, p, nil, []wiki.Chunk{{Text: strings.Join(body, " ")}}); err != nil {
			t.Fatal(err)
		}
	}
	// The search is scoped by its space's rowid range; the rank path here
	// by the scope token, as before 0282: the same chunks and scores.
	ranged, ok, err := ws.wikiScope(ctx, tenant.ID, []int64{space.ID})
	if err != nil || !ok || ranged.match != "" {
		t.Fatalf("scope: %+v %v %v", ranged, ok, err)
	}
	scope := `scope : ("` + wiki.ScopeToken(space.ID) + `") AND `
	for _, q := range []string{"invoice", "warranty claim", "pap", `"the note"`, "desk -paper"} {
		match := scope + wiki.Query(q)
		rows, err := db.read.QueryContext(ctx, `SELECT rowid, rank FROM wiki_fts WHERE wiki_fts MATCH ? ORDER BY rank`, match)
		if err != nil {
			t.Fatal(err)
		}
		want, err := scanAll(rows, func(r scanner) (wikiRanked, error) { var x wikiRanked; return x, r.Scan(&x.id, &x.rank) })
		if err != nil {
			t.Fatal(err)
		}
		// All of them, and the first few (a top-N sort), ties included.
		for _, n := range []int{100, 5} {
			got, err := ws.rankWikiChunks(ctx, ranged, wiki.Query(q), n)
			if err != nil {
				t.Fatal(err)
			}
			if len(want) < 2 || !slices.Equal(got, want[:min(n, len(want))]) {
				t.Errorf("%q, %d: ranked %v, by wiki_fts's rank %v", q, n, got, want)
			}
		}
	}
}
