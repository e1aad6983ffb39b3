package wiki_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"orengen/app/wiki"
	"orengen/store"
)

// TestWiki_TitleIndexMigration: a database with pages written before
// migration 0281 (no title index) gets its chunks' titles indexed by it,
// and the index then follows every save and delete; a search with more
// matches than the rank window puts the titled pages first through it.
func TestWiki_TitleIndexMigration(t *testing.T) {
	e := newWikiEnv(t)
	ctx := context.Background()
	exec := func(q string) { t.Helper(); execSQL(t, e.DB, q) }
	// The schema before 0281.
	for _, q := range []string{`DROP TRIGGER wiki_chunks_title_ai`, `DROP TRIGGER wiki_chunks_title_ad`, `DROP TABLE wiki_title_fts`,
		`DELETE FROM schema_migrations WHERE name = '0281_wiki_title_fts.sql'`} {
		exec(q)
	}
	defer func(w int) { store.WikiRankWindow = w }(store.WikiRankWindow)
	store.WikiRankWindow = 3
	titled := e.page(t, e.A, e.SA.ID, 0, "Invoice rules", "How the papers are numbered.\n\n## Late invoice\n\nA reminder after 30 days.")
	other := e.page(t, e.B, e.SB.ID, 0, "Invoice B", "Bravo's invoice.")
	var notes []*wiki.Page
	for i := 0; i < 5; i++ {
		notes = append(notes, e.page(t, e.A, e.SA.ID, 0, fmt.Sprintf("Note %d", i), fmt.Sprintf("The invoice number %d went out.", i)))
	}
	if applied, err := e.DB.Migrate(ctx); err != nil || len(applied) != 1 || applied[0] != "0281_wiki_title_fts.sql" {
		t.Fatalf("migrate: %v %v", applied, err)
	}
	titles := func() map[int64]int {
		t.Helper()
		rows, err := e.DB.ReadDB().QueryContext(ctx, `SELECT c.page_id, count(*) FROM wiki_title_fts f JOIN wiki_chunks c ON c.id = f.rowid WHERE wiki_title_fts MATCH '{title} : invoice' GROUP BY c.page_id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		got := map[int64]int{}
		for rows.Next() {
			var page int64
			var n int
			if err := rows.Scan(&page, &n); err != nil {
				t.Fatal(err)
			}
			got[page] = n
		}
		return got
	}
	// Both chunks of the titled page (its title, then its title and
	// heading) and B's page; no note has the word in its title.
	if got := titles(); len(got) != 2 || got[titled.ID] != 2 || got[other.ID] != 1 {
		t.Fatalf("titles indexed by the migration: %v", got)
	}
	want := []int64{titled.ID, notes[4].ID, notes[3].ID, notes[2].ID}
	hits, err := e.Svc.SearchPages(e.A, e.SA.ID, "invoice", 4)
	if err != nil || len(hits) != len(want) {
		t.Fatalf("search: %v %+v", err, hits)
	}
	for i, h := range hits {
		if h.PageID != want[i] {
			t.Fatalf("hit %d: page %d, want %d (the titled page first, then the newest)", i, h.PageID, want[i])
		}
	}
	// Saved without the word in its title, deleted: the index follows.
	e.save(t, e.A, titled, "Billing rules", "How the papers are numbered, invoice by invoice.")
	e.save(t, e.A, notes[0], "Invoice note", "Nothing else.")
	if err := e.Svc.DeletePage(e.B, other.ID); err != nil {
		t.Fatal(err)
	}
	if got := titles(); len(got) != 1 || got[notes[0].ID] != 1 {
		t.Fatalf("titles after saves and a delete: %v", got)
	}
	if hits, err := e.Svc.SearchPages(e.A, e.SA.ID, "invoice", 1); err != nil || len(hits) != 1 || hits[0].PageID != notes[0].ID {
		t.Fatalf("search after the saves: %v %+v", err, hits)
	}
}

// TestWiki_SearchOnePerPage: a page whose chunks fill the first places
// is one hit, and the next pages follow, however many chunks it has (the
// candidates are loaded a batch at a time).
func TestWiki_SearchOnePerPage(t *testing.T) {
	e := newWikiEnv(t)
	var b strings.Builder
	for i := 0; i < 7; i++ {
		fmt.Fprintf(&b, "## Part %d\n\nPipes, pipes and more pipes: part %d of the pipes guide.\n\n", i, i)
	}
	long := e.page(t, e.A, e.SA.ID, 0, "Pipes", b.String())
	var others []*wiki.Page
	for i := 0; i < 3; i++ {
		others = append(others, e.page(t, e.A, e.SA.ID, 0, fmt.Sprintf("Note %d", i), fmt.Sprintf("Note %d: the van carries pipes among many other things for the week ahead.", i)))
	}
	for _, limit := range []int{2, 3, 4} {
		hits, err := e.Svc.SearchPages(e.A, e.SA.ID, "pipes", limit)
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) != limit || hits[0].PageID != long.ID {
			t.Fatalf("limit %d: %+v", limit, hits)
		}
		seen := map[int64]bool{}
		for _, h := range hits {
			if seen[h.PageID] {
				t.Fatalf("limit %d: page %d twice: %+v", limit, h.PageID, hits)
			}
			seen[h.PageID] = true
		}
		for _, o := range others[:limit-1] {
			if !seen[o.ID] {
				t.Fatalf("limit %d: note %d missing: %+v", limit, o.ID, hits)
			}
		}
	}
}
