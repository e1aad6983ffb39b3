package store

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"orengen/app"
	"orengen/app/wiki"
)

// WikiRankWindow is how many chunks a search may match and still be
// ranked by BM25; past it, title matches come first, then the newest
// (a variable for the tests).
var WikiRankWindow = 2000

// SearchChunks implements wiki.Store in three steps, so the costly parts
// run only for the results: the best chunk IDs by rank (FTS5's top-N
// path: the spaces are limited inside the match expression by their
// scope tokens), a snippet for each of them, then their pages. Ranked by
// BM25 with the title column weighted 5 to the body's 1 (0030_wiki.sql).
func (s *WikiStore) SearchChunks(ctx context.Context, spaceIDs []int64, expr string, limit int, onePerSource bool) ([]*wiki.ChunkHit, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	if len(spaceIDs) == 0 || expr == "" {
		return nil, nil
	}
	// Only the tenant's spaces: an ID of another tenant's space is left
	// out here, before it reaches the index.
	args := []any{tid}
	for _, id := range spaceIDs {
		args = append(args, id)
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT id FROM wiki_spaces WHERE tenant_id = ? AND id IN (`+placeholders(len(spaceIDs))+`)`, args...)
	if err != nil {
		return nil, err
	}
	own, err := scanAll(rows, func(r scanner) (int64, error) { var id int64; return id, r.Scan(&id) })
	if err != nil || len(own) == 0 {
		return nil, err
	}
	var scope []string
	for _, id := range own {
		scope = append(scope, `"`+wiki.ScopeToken(id)+`"`)
	}
	match := "scope : (" + strings.Join(scope, " OR ") + ") AND " + expr
	type ranked struct {
		id   int64
		rank float64
	}
	candidates := limit
	if onePerSource { // a page's best chunks may fill the first places
		candidates = limit * 4
	}
	// A query of common words matches most chunks. Ranking them by BM25
	// costs FTS5 a walk of each term's whole doclist for its IDF, then a
	// column-size lookup per match: 5-10 ms for a word in 80% of 30,000
	// chunks, with the machine idle. And such a word carries almost no
	// weight: FTS5 floors the IDF of a term in over half the rows at
	// 1e-6. So past WikiRankWindow matches nothing is ranked: the chunks
	// whose title (the page title and headings) matches come first, then
	// the newest matches, both found by walking the doclists in rowid
	// order, which FTS5 does without scoring. At or under the window,
	// every match is ranked. The first query reads the newest window
	// and one more: all the matches, or the newest of too many.
	rows, err = s.db.read.QueryContext(ctx, `SELECT rowid FROM wiki_fts WHERE wiki_fts MATCH ? ORDER BY rowid DESC LIMIT ?`, match, WikiRankWindow+1)
	if err != nil {
		return nil, fmt.Errorf("search wiki: %w", err)
	}
	newest, err := scanAll(rows, func(r scanner) (int64, error) { var id int64; return id, r.Scan(&id) })
	if err != nil || len(newest) == 0 {
		return nil, err
	}
	var top []ranked
	if len(newest) > WikiRankWindow {
		rows, err = s.db.read.QueryContext(ctx, `SELECT rowid FROM wiki_fts WHERE wiki_fts MATCH ? ORDER BY rowid DESC LIMIT ?`,
			"scope : ("+strings.Join(scope, " OR ")+") AND {title} : ("+expr+")", candidates)
		if err != nil {
			return nil, fmt.Errorf("search wiki: %w", err)
		}
		titled, err := scanAll(rows, func(r scanner) (int64, error) { var id int64; return id, r.Scan(&id) })
		if err != nil {
			return nil, err
		}
		taken := map[int64]bool{}
		for _, id := range slices.Concat(titled, newest) {
			if len(top) == candidates {
				break
			}
			if !taken[id] {
				taken[id] = true
				top = append(top, ranked{id: id}) // rank 0: not ranked
			}
		}
	} else {
		rows, err = s.db.read.QueryContext(ctx, `SELECT rowid, rank FROM wiki_fts WHERE wiki_fts MATCH ? AND rowid >= ? ORDER BY rank LIMIT ?`, match, newest[len(newest)-1], candidates)
		if err != nil {
			return nil, fmt.Errorf("search wiki: %w", err)
		}
		if top, err = scanAll(rows, func(r scanner) (ranked, error) { var x ranked; return x, r.Scan(&x.id, &x.rank) }); err != nil || len(top) == 0 {
			return nil, err
		}
	}
	ids := make([]any, 0, len(top)+1)
	ids = append(ids, tid)
	for _, t := range top {
		ids = append(ids, t.id)
	}
	rows, err = s.db.read.QueryContext(ctx, `SELECT c.id, c.space_id, c.page_id, p.title, p.slug, c.revision, coalesce(c.attachment_id, 0), coalesce(a.name, ''), c.seq, c.heading, c.body, c.title
		FROM wiki_chunks c JOIN wiki_pages p ON p.id = c.page_id LEFT JOIN wiki_attachments a ON a.id = c.attachment_id
		WHERE c.tenant_id = ? AND c.id IN (`+placeholders(len(top))+`)`, ids...)
	if err != nil {
		return nil, fmt.Errorf("search wiki: %w", err)
	}
	byID := map[int64]*wiki.ChunkHit{}
	indexedTitle := map[int64]string{}
	if _, err := scanAll(rows, func(r scanner) (*wiki.ChunkHit, error) {
		var h wiki.ChunkHit
		var id int64
		var title string
		if err := r.Scan(&id, &h.SpaceID, &h.PageID, &h.PageTitle, &h.PageSlug, &h.Revision, &h.AttachmentID, &h.AttachName, &h.Seq, &h.Heading, &h.Text, &title); err != nil {
			return nil, err
		}
		byID[id] = &h
		indexedTitle[id] = title
		return &h, nil
	}); err != nil {
		return nil, err
	}
	out := make([]*wiki.ChunkHit, 0, len(top))
	var outIDs []int64
	var outTitles []string
	seen := map[[2]int64]bool{}
	for _, t := range top {
		h := byID[t.id]
		if h == nil || len(out) == limit {
			continue
		}
		if onePerSource {
			key := [2]int64{h.PageID, h.AttachmentID}
			if seen[key] {
				continue
			}
			seen[key] = true
		}
		h.Score = t.rank
		out = append(out, h)
		outIDs = append(outIDs, t.id)
		outTitles = append(outTitles, indexedTitle[t.id])
	}
	if err := s.wikiSnippets(ctx, expr, out, outIDs, outTitles); err != nil {
		return nil, err
	}
	return out, nil
}

// wikiFirstWords returns about n bytes of s, cut at a space.
func wikiFirstWords(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := strings.LastIndex(s[:n], " ")
	if cut < n/2 {
		cut = n
		for cut > 0 && s[cut]&0xc0 == 0x80 {
			cut--
		}
	}
	return s[:cut] + " …"
}
