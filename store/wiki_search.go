package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"orengen/app"
	"orengen/app/wiki"
)

// WikiRankWindow is how many chunks a search may match and still be
// ranked by BM25; past it, title matches come first, then the newest
// (a variable for the tests).
var WikiRankWindow = 2000

// wikiBM25 is wiki_fts's rank function as configured by 0030_wiki.sql:
// BM25 with the title column weighted 5 to the body's 1, the scope 0
// (TestWikiStore_BM25IsTheRank keeps the two the same). The ranking
// query calls it by name instead of ORDER BY rank, FTS5's own sorted
// path: that path prepares a statement of its own for every search and
// computes the rank of each match twice (once to sort, once for the rank
// column), 1.6 times the cost for the same order and scores.
const wikiBM25 = `bm25(wiki_fts, 0.0, 5.0, 1.0)`

// WikiScopeByToken limits a search to its space by the scope token in
// the MATCH, as before the chunks' id ranges, instead of by rowid (a
// variable for the ratio in TestWikiFigures).
var WikiScopeByToken = false

// wikiChunkRange is the first and last chunk id of a space
// (0282_wiki_chunk_ranges.sql): the space's id in the high 32 bits.
func wikiChunkRange(spaceID int64) (lo, hi int64) { return spaceID << 32, spaceID<<32 | math.MaxUint32 }

// wikiScoped is where a search looks: the chunks whose rowids are lo to
// hi that also match match + the search's expression (match is "",
// unless WikiScopeByToken).
type wikiScoped struct {
	lo, hi int64
	match  string
}

// wikiRanked is a matching chunk's rowid and its BM25 score (0 when the
// chunk was not ranked).
type wikiRanked struct {
	id   int64
	rank float64
}

// SearchChunks implements wiki.SearchStore in steps, so the costly parts run
// only for the results: the chunk id range of ctx's tenant's space among
// spaceIDs (wikiScope), the best chunk IDs in it (rankWikiChunks), their
// chunks and pages, one per page or attachment when onePerSource
// (wikiChunkHits), then a snippet for each (wikiSnippets). The last
// word typed is searched as a whole word when that finds the same
// (wikiWholeWord).
func (s *WikiStore) SearchChunks(ctx context.Context, spaceIDs []int64, expr string, limit int, onePerSource bool) ([]*wiki.ChunkHit, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	if len(spaceIDs) == 0 || expr == "" {
		return nil, nil
	}
	scope, ok, err := s.wikiScope(ctx, tid, spaceIDs)
	if err != nil || !ok {
		return nil, err
	}
	if expr, err = s.wikiWholeWord(ctx, expr); err != nil {
		return nil, err
	}
	candidates := limit
	if onePerSource { // a page's best chunks may fill the first places
		candidates = limit * 4
	}
	top, err := s.rankWikiChunks(ctx, scope, expr, candidates)
	if err != nil || len(top) == 0 {
		return nil, err
	}
	hits, ids, titles, err := s.wikiChunkHits(ctx, tid, top, limit, onePerSource)
	if err != nil {
		return nil, err
	}
	if err := s.wikiSnippets(ctx, expr, hits, ids, titles); err != nil {
		return nil, err
	}
	return hits, nil
}

// wikiScope returns the chunk id range of the space among spaceIDs that
// belongs to tenant tid, ok false when there is none: an ID of another
// tenant's space is left out here, before it reaches the index. FTS5
// seeks to a rowid range in each doclist; the scope token it replaces
// was a term of the MATCH whose doclist, every chunk of the space, FTS5
// walked for every search (0.57 ms without it against 3.46 for a
// two-word ranking query over 30,000 chunks). A tenant has one space
// (wiki_spaces.tenant_id is UNIQUE), so at most one is found.
func (s *WikiStore) wikiScope(ctx context.Context, tid int64, spaceIDs []int64) (wikiScoped, bool, error) {
	args := []any{tid}
	for _, id := range spaceIDs {
		args = append(args, id)
	}
	var id int64
	err := s.db.read.QueryRowContext(ctx, `SELECT id FROM wiki_spaces WHERE tenant_id = ? AND id IN (`+placeholders(len(spaceIDs))+`)`, args...).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return wikiScoped{}, false, nil
	} else if err != nil {
		return wikiScoped{}, false, err
	}
	if WikiScopeByToken {
		return wikiScoped{lo: math.MinInt64, hi: math.MaxInt64, match: `scope : ("` + wiki.ScopeToken(id) + `") AND `}, true, nil
	}
	lo, hi := wikiChunkRange(id)
	return wikiScoped{lo: lo, hi: hi}, true, nil
}

// rankWikiChunks returns up to candidates chunks of scope that match
// expr, best first.
//
// A query of common words matches most chunks. Ranking them by BM25
// costs FTS5 a walk of each term's whole doclist for its IDF, then a
// column-size lookup per match: 5-10 ms for a word in 80% of 30,000
// chunks, with the machine idle. And such a word carries almost no
// weight: FTS5 floors the IDF of a term in over half the rows at 1e-6.
// So past WikiRankWindow matches nothing is ranked: the chunks whose
// title (the page title and headings) matches come first, then the
// newest matches, both found by walking the doclists in rowid order,
// which FTS5 does without scoring. At or under the window, every match
// is ranked. The first query reads the newest window and one more: all
// the matches, or the newest of too many.
func (s *WikiStore) rankWikiChunks(ctx context.Context, scope wikiScoped, expr string, candidates int) ([]wikiRanked, error) {
	newest, err := s.wikiMatchIDs(ctx, scope, expr, WikiRankWindow+1)
	if err != nil || len(newest) == 0 {
		return nil, err
	}
	if len(newest) > WikiRankWindow {
		return s.wikiTitledThenNewest(ctx, scope, expr, newest, candidates)
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT rowid, `+wikiBM25+` AS r FROM wiki_fts WHERE wiki_fts MATCH ? AND rowid BETWEEN ? AND ? ORDER BY r LIMIT ?`,
		scope.match+expr, newest[len(newest)-1], scope.hi, candidates)
	if err != nil {
		return nil, fmt.Errorf("search wiki: %w", err)
	}
	return scanAll(rows, func(r scanner) (wikiRanked, error) { var x wikiRanked; return x, r.Scan(&x.id, &x.rank) })
}

// wikiTitledThenNewest returns, unranked, up to candidates chunks among
// too many matches: those whose title matches expr, newest first, then
// the rest of newest (the newest matches, in rowid order descending).
// The titles are searched in their own index, wiki_title_fts
// (0281_wiki_title_fts.sql), with the same tokenizer and the same rowids.
func (s *WikiStore) wikiTitledThenNewest(ctx context.Context, scope wikiScoped, expr string, newest []int64, candidates int) ([]wikiRanked, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT rowid FROM wiki_title_fts WHERE wiki_title_fts MATCH ? AND rowid BETWEEN ? AND ? ORDER BY rowid DESC LIMIT ?`,
		scope.match+"{title} : ("+expr+")", scope.lo, scope.hi, candidates)
	if err != nil {
		return nil, fmt.Errorf("search wiki: %w", err)
	}
	titled, err := scanAll(rows, scanWikiID)
	if err != nil {
		return nil, err
	}
	var top []wikiRanked
	taken := map[int64]bool{}
	for _, id := range slices.Concat(titled, newest) {
		if len(top) == candidates {
			break
		}
		if !taken[id] {
			taken[id] = true
			top = append(top, wikiRanked{id: id}) // rank 0: not ranked
		}
	}
	return top, nil
}

// wikiMatchIDs returns the rowids of up to n chunks of scope that match
// expr, newest (highest rowid) first.
func (s *WikiStore) wikiMatchIDs(ctx context.Context, scope wikiScoped, expr string, n int) ([]int64, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT rowid FROM wiki_fts WHERE wiki_fts MATCH ? AND rowid BETWEEN ? AND ? ORDER BY rowid DESC LIMIT ?`,
		scope.match+expr, scope.lo, scope.hi, n)
	if err != nil {
		return nil, fmt.Errorf("search wiki: %w", err)
	}
	return scanAll(rows, scanWikiID)
}

func scanWikiID(r scanner) (int64, error) { var id int64; return id, r.Scan(&id) }

// wikiChunkHits loads the chunks of top with their pages, in top's order,
// at most limit, and only the first of each page or attachment when
// onePerSource. It returns them with their rowids and indexed titles
// (for the snippets).
//
// The candidates are loaded a batch at a time, the best first, until
// limit hits are found: when one per source, the search asks for four
// candidates per hit in case a page's chunks fill the first places, but
// the first limit and a half usually hold limit pages already, and each
// candidate costs a chunk row and a page row (16 µs; 80 candidates were
// 1.3 ms of a two-word search).
func (s *WikiStore) wikiChunkHits(ctx context.Context, tid int64, top []wikiRanked, limit int, onePerSource bool) ([]*wiki.ChunkHit, []int64, []string, error) {
	out := make([]*wiki.ChunkHit, 0, min(limit, len(top)))
	var ids []int64
	var titles []string
	seen := map[[2]int64]bool{}
	for batch := top[:0]; len(top) > 0 && len(out) < limit; top = top[len(batch):] {
		batch = top[:min(len(top), limit+limit/2)]
		byID, indexedTitle, err := s.wikiChunks(ctx, tid, batch)
		if err != nil {
			return nil, nil, nil, err
		}
		for _, t := range batch {
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
			ids = append(ids, t.id)
			titles = append(titles, indexedTitle[t.id])
		}
	}
	return out, ids, titles, nil
}

// wikiChunks loads the chunks of tenant tid among batch, with their
// pages, by rowid, with their indexed titles.
func (s *WikiStore) wikiChunks(ctx context.Context, tid int64, batch []wikiRanked) (map[int64]*wiki.ChunkHit, map[int64]string, error) {
	args := make([]any, 0, len(batch)+1)
	args = append(args, tid)
	for _, t := range batch {
		args = append(args, t.id)
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT c.id, c.space_id, c.page_id, p.title, p.slug, c.revision, coalesce(c.attachment_id, 0), coalesce(a.name, ''), c.seq, c.heading, c.body, c.title
		FROM wiki_chunks c JOIN wiki_pages p ON p.id = c.page_id LEFT JOIN wiki_attachments a ON a.id = c.attachment_id
		WHERE c.tenant_id = ? AND c.id IN (`+placeholders(len(batch))+`)`, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("search wiki: %w", err)
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
		return nil, nil, err
	}
	return byID, indexedTitle, nil
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
