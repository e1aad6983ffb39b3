package wiki_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"orengen/app/wiki"
	"orengen/store"
)

// execSQL runs q in a write transaction of db.
func execSQL(tb testing.TB, db *store.DB, q string) {
	tb.Helper()
	ctx := context.Background()
	if err := db.Update(ctx, func(tx *store.Tx) error { _, err := tx.ExecContext(ctx, q); return err }); err != nil {
		tb.Fatalf("%s: %v", q, err)
	}
}

// TestWiki_ChunkRangeMigration: a database whose chunks have the ids of
// before 0282 (one sequence for every space, a stale scope token left by
// an import), closed and opened again as a restored replica would be,
// gets each space's chunks renumbered into its own range, in the same
// order, with both indexes rebuilt: every search then gives the same
// hits, scores and snippets through the rowid range as it gave before
// through the scope token, and new chunks take the next ids of their
// range.
func TestWiki_ChunkRangeMigration(t *testing.T) {
	e := newWikiEnv(t)
	ctx := context.Background()
	exec := func(db *store.DB, q string) { t.Helper(); execSQL(t, db, q) }
	// Pages of both spaces, interleaved, some with two chunks and one with
	// an attachment, one edited and one deleted.
	var pa []*wiki.Page
	for i := 0; i < 12; i++ {
		ctx, space, who := e.A, e.SA.ID, "Alpha"
		if i%3 == 1 {
			ctx, space, who = e.B, e.SB.ID, "Bravo"
		}
		p := e.page(t, ctx, space, 0, fmt.Sprintf("%s invoice %d", who, i), fmt.Sprintf("The invoice %d of %s, paid late.\n\n## Reminder\n\nA reminder about the invoice after %d days.", i, who, 10+i))
		if space == e.SA.ID {
			pa = append(pa, p)
		}
	}
	if _, err := e.Svc.Attach(e.A, pa[1].ID, "terms.txt", []byte("Every invoice is due in 30 days; a late invoice costs a fee.")); err != nil {
		t.Fatal(err)
	}
	e.save(t, e.A, pa[2], "Invoice rules", "Invoices are numbered by year.")
	if err := e.Svc.DeletePage(e.A, pa[3].ID); err != nil {
		t.Fatal(err)
	}
	// The schema and ids of before 0282: the chunks numbered 1, 2, ... in
	// the order they were written, whatever their space; one chunk's scope
	// left naming another space (an import kept the exporter's).
	for _, q := range []string{
		`CREATE TABLE wiki_chunks_old (id INTEGER PRIMARY KEY, tenant_id INTEGER NOT NULL, space_id INTEGER NOT NULL,
			page_id INTEGER NOT NULL REFERENCES wiki_pages (id) ON DELETE CASCADE, attachment_id INTEGER REFERENCES wiki_attachments (id) ON DELETE CASCADE,
			revision INTEGER NOT NULL DEFAULT 0, seq INTEGER NOT NULL, heading TEXT NOT NULL DEFAULT '', scope TEXT NOT NULL, title TEXT NOT NULL, body TEXT NOT NULL)`,
		`INSERT INTO wiki_chunks_old SELECT row_number() OVER (ORDER BY id & 4294967295, space_id), tenant_id, space_id, page_id, attachment_id, revision, seq, heading, scope, title, body FROM wiki_chunks`,
		`DROP TABLE wiki_chunks`,
		`ALTER TABLE wiki_chunks_old RENAME TO wiki_chunks`,
		`CREATE INDEX wiki_chunks_page ON wiki_chunks (page_id, attachment_id)`,
		`CREATE INDEX wiki_chunks_attachment ON wiki_chunks (attachment_id) WHERE attachment_id IS NOT NULL`,
		`CREATE TRIGGER wiki_chunks_ai AFTER INSERT ON wiki_chunks BEGIN INSERT INTO wiki_fts (rowid, scope, title, body) VALUES (new.id, new.scope, new.title, new.body); END`,
		`CREATE TRIGGER wiki_chunks_ad AFTER DELETE ON wiki_chunks BEGIN INSERT INTO wiki_fts (wiki_fts, rowid, scope, title, body) VALUES ('delete', old.id, old.scope, old.title, old.body); END`,
		`CREATE TRIGGER wiki_chunks_title_ai AFTER INSERT ON wiki_chunks BEGIN INSERT INTO wiki_title_fts (rowid, scope, title, body) VALUES (new.id, new.scope, new.title, new.body); END`,
		`CREATE TRIGGER wiki_chunks_title_ad AFTER DELETE ON wiki_chunks BEGIN INSERT INTO wiki_title_fts (wiki_title_fts, rowid, scope, title, body) VALUES ('delete', old.id, old.scope, old.title, old.body); END`,
		`INSERT INTO wiki_fts (wiki_fts) VALUES ('rebuild')`,
		`INSERT INTO wiki_title_fts (wiki_title_fts) VALUES ('rebuild')`,
		`DELETE FROM schema_migrations WHERE name = '0282_wiki_chunk_ranges.sql'`,
	} {
		exec(e.DB, q)
	}
	order := func(db *store.DB) map[int64][][3]int64 {
		t.Helper()
		rows, err := db.ReadDB().QueryContext(ctx, `SELECT id, space_id, page_id, coalesce(attachment_id, 0), seq FROM wiki_chunks ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		got := map[int64][][3]int64{}
		for rows.Next() {
			var id, space, page, att, seq int64
			if err := rows.Scan(&id, &space, &page, &att, &seq); err != nil {
				t.Fatal(err)
			}
			got[space] = append(got[space], [3]int64{page, att, seq})
		}
		return got
	}
	before := order(e.DB)
	if len(before[e.SA.ID]) < 10 || len(before[e.SB.ID]) < 6 {
		t.Fatalf("chunks before: %v", before)
	}
	// The searches before, through the scope token: by rank, and with too
	// many matches to rank (the titled, then the newest).
	type search struct {
		ctx    context.Context
		space  int64
		q      string
		window int
	}
	var searches []search
	for _, q := range []string{"invoice", "reminder days", `"late invoice"`, "paid", "invo", "terms"} {
		for _, w := range []int{2000, 3} {
			searches = append(searches, search{e.A, e.SA.ID, q, w}, search{e.B, e.SB.ID, q, w})
		}
	}
	defer func(w int) { store.WikiRankWindow, store.WikiScopeByToken = w, false }(store.WikiRankWindow)
	run := func(svc *wiki.Service) [][]wiki.SearchHit {
		t.Helper()
		var out [][]wiki.SearchHit
		for _, s := range searches {
			store.WikiRankWindow = s.window
			hits, err := svc.SearchPages(s.ctx, s.space, s.q, 8)
			if err != nil {
				t.Fatal(err)
			}
			var got []wiki.SearchHit
			for _, h := range hits {
				got = append(got, *h)
			}
			out = append(out, got)
		}
		return out
	}
	store.WikiScopeByToken = true
	want := run(e.Svc)
	// A stale scope on the chunks of B's newest page (an import kept the
	// exporter's space): B's search missed that page before 0282; the migration puts
	// it back in B's space.
	exec(e.DB, fmt.Sprintf(`UPDATE wiki_chunks SET scope = '%s' WHERE page_id = (SELECT page_id FROM wiki_chunks WHERE space_id = %d ORDER BY id DESC LIMIT 1)`, wiki.ScopeToken(e.SA.ID+100), e.SB.ID))
	exec(e.DB, `INSERT INTO wiki_fts (wiki_fts) VALUES ('rebuild')`)
	exec(e.DB, `INSERT INTO wiki_title_fts (wiki_title_fts) VALUES ('rebuild')`)
	if hits, err := e.Svc.SearchPages(e.B, e.SB.ID, "Bravo", 20); err != nil || len(hits) != 3 {
		t.Fatalf("B's pages with a stale scope: %v %+v", err, hits)
	}
	store.WikiScopeByToken = false
	if got := run(e.Svc); slices.ContainsFunc(got, func(h []wiki.SearchHit) bool { return len(h) > 0 }) {
		t.Fatalf("the rowid ranges found chunks before the migration: %v", got)
	}

	// The file opened again, as a replica restored from before 0282 is.
	e.DB.Close()
	db := store.NewDB(e.DB.Path)
	if err := db.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.ReadDB().QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE name = '0282_wiki_chunk_ranges.sql'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("0282 applied on open: %d %v", n, err)
	}
	svc := wiki.NewService(store.NewWikiStore(db).Stores())
	svc.Tenant = store.NewTenantStore(db).FindTenantByID
	var outside int
	if err := db.ReadDB().QueryRowContext(ctx, `SELECT count(*) FROM wiki_chunks WHERE id >> 32 <> space_id OR scope <> 's' || space_id`).Scan(&outside); err != nil || outside != 0 {
		t.Fatalf("%d chunks outside their space's range or scope (%v)", outside, err)
	}
	if after := order(db); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("order in each space changed:\n%v\nbefore:\n%v", after, before)
	}
	for _, fts := range []string{"wiki_fts", "wiki_title_fts"} {
		exec(db, `INSERT INTO `+fts+` (`+fts+`, rank) VALUES ('integrity-check', 1)`)
	}
	got := run(svc)
	for i, s := range searches {
		if fmt.Sprint(got[i]) != fmt.Sprint(want[i]) {
			t.Errorf("%q (window %d, space %d): %+v\nbefore, by the scope token: %+v", s.q, s.window, s.space, got[i], want[i])
		}
	}
	// B's page with the stale scope is B's again: found by B, not by A.
	if hits, err := svc.SearchPages(e.A, e.SA.ID, "Bravo", 20); err != nil || len(hits) != 0 {
		t.Fatalf("A finds B's pages: %v %+v", err, hits)
	}
	if hits, err := svc.SearchPages(e.B, e.SB.ID, "Bravo", 20); err != nil || len(hits) != 4 {
		t.Fatalf("B's pages: %v %+v", err, hits)
	}
	// New chunks: the next ids of their space's range, newest first in a
	// search with too many matches.
	p, err := svc.CreatePage(e.A, e.SA.ID, 0, "Invoice desk", "Who answers invoice questions.")
	if err != nil {
		t.Fatal(err)
	}
	var id, top int64
	if err := db.ReadDB().QueryRowContext(ctx, `SELECT max(id) FROM wiki_chunks WHERE page_id = ?`, p.ID).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if err := db.ReadDB().QueryRowContext(ctx, `SELECT max(id) FROM wiki_chunks WHERE space_id = ?`, e.SA.ID).Scan(&top); err != nil || id != top || id>>32 != e.SA.ID {
		t.Fatalf("new chunk %d, space %d's highest %d (%v)", id, e.SA.ID, top, err)
	}
	store.WikiRankWindow = 3
	if hits, err := svc.SearchPages(e.A, e.SA.ID, "questions", 1); err != nil || len(hits) != 1 || hits[0].PageID != p.ID {
		t.Fatalf("the new page: %v %+v", err, hits)
	}
	// A chunk written outside its space's range is refused.
	err = db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO wiki_chunks (id, tenant_id, space_id, page_id, seq, scope, title, body) VALUES (?, ?, ?, ?, 0, '', '', '')`,
			e.SB.ID<<32+999, e.TA.ID, e.SA.ID, p.ID)
		return err
	})
	if err == nil {
		t.Fatal("a chunk of space A took an id of B's range")
	}
}
