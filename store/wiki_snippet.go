package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"orengen/app/wiki"
)

// wikiTokenize is wiki_fts's tokenizer (0030_wiki.sql). The hits' own
// index must split and stem words the same way, so a snippet marks the
// same words the search matched (TestWikiSnippets_SameAsTheIndex).
const wikiTokenize = "porter unicode61 remove_diacritics 2"

// WikiSnippetsFromIndex makes the snippets from wiki_fts itself, one
// statement per hit, as before the hits' index (a variable for the ratio
// in TestWikiFigures).
var WikiSnippetsFromIndex = false

// memPool is a pool of private in-memory SQLite databases, opened on first
// use: each connection is its own empty database.
type memPool struct {
	once sync.Once
	db   *sql.DB
	err  error
}

func (p *memPool) get() (*sql.DB, error) {
	p.once.Do(func() {
		// "file::memory:" without a shared cache: every connection has
		// a database of its own, so searches never see each other's rows.
		if p.db, p.err = sql.Open("sqlite3", "file::memory:"); p.err == nil {
			n := max(4, 2*runtime.NumCPU()) // as many as the read pool
			p.db.SetMaxOpenConns(n)
			p.db.SetMaxIdleConns(n)
		}
	})
	return p.db, p.err
}

func (p *memPool) close() error {
	var err error
	p.once.Do(func() {}) // none opened after close
	if p.db != nil {
		err = p.db.Close()
	}
	return err
}

// wikiSnippets sets each hit's Snippet: the body's words around the
// matches of expr, marked with wiki.SnippetStart and SnippetEnd, or the
// text's first words when only the title matched. ids are the hits'
// chunk rowids and titles their indexed titles.
//
// FTS5 makes a snippet from a row's position lists, and reading those by
// rowid from wiki_fts costs a seek into every term's doclist in every
// segment: 0.3 ms per hit for two common words over 30,000 chunks. So the
// hits (20 chunks at most) are indexed alone, in an in-memory FTS5 table
// with wiki_fts's tokenizer, inside a transaction that is rolled back:
// every doclist is then a few entries long (20 snippets: 6.3 ms of CPU
// through wiki_fts, 0.9 ms through the hits' table, the same text).
func (s *WikiStore) wikiSnippets(ctx context.Context, expr string, hits []*wiki.ChunkHit, ids []int64, titles []string) error {
	if len(hits) == 0 {
		return nil
	}
	if WikiSnippetsFromIndex {
		snip, err := s.db.read.PrepareContext(ctx, `SELECT snippet(wiki_fts, 2, ?, ?, '…', 24) FROM wiki_fts WHERE wiki_fts MATCH ? AND rowid = ?`)
		if err != nil {
			return err
		}
		defer snip.Close()
		return wikiSnippetsFrom(ctx, snip, expr, hits, ids, titles)
	}
	pool, err := s.db.mem.get()
	if err != nil {
		return err
	}
	conn, err := pool.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `CREATE VIRTUAL TABLE IF NOT EXISTS wiki_hits USING fts5 (title, body, tokenize = '`+wikiTokenize+`')`); err != nil {
		return fmt.Errorf("search snippet: %w", err)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() // the hits are never kept
	args := make([]any, 0, 3*len(hits))
	for i, h := range hits {
		args = append(args, ids[i], titles[i], h.Text)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO wiki_hits (rowid, title, body) VALUES `+strings.Repeat(`(?, ?, ?), `, len(hits)-1)+`(?, ?, ?)`, args...); err != nil {
		return fmt.Errorf("search snippet: %w", err)
	}
	if err := wikiSnippetsAtOnce(ctx, tx, expr, hits, ids); err != nil {
		return err
	}
	snip, err := tx.PrepareContext(ctx, `SELECT snippet(wiki_hits, 1, ?, ?, '…', 24) FROM wiki_hits WHERE wiki_hits MATCH ? AND rowid = ?`)
	if err != nil {
		return err
	}
	defer snip.Close()
	return wikiSnippetsFrom(ctx, snip, expr, hits, ids, titles)
}

// wikiSnippetsAtOnce sets the snippets of all the hits with one query
// over the hits' table, when expr has no prefix term: then each hit's
// snippet expression is expr itself (wiki.SnippetQuery), and a MATCH
// over the 20 rows costs less than 20 MATCHes of one row each (the
// expression parsed, the cursor opened and each doclist sought once
// instead of 20 times). A hit left without a snippet gets it from
// wikiSnippetsFrom.
func wikiSnippetsAtOnce(ctx context.Context, tx *sql.Tx, expr string, hits []*wiki.ChunkHit, ids []int64) error {
	if strings.Contains(expr, `"*`) {
		return nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT rowid, snippet(wiki_hits, 1, ?, ?, '…', 24) FROM wiki_hits WHERE wiki_hits MATCH ?`, wiki.SnippetStart, wiki.SnippetEnd, expr)
	if err != nil {
		return fmt.Errorf("search snippet: %w", err)
	}
	defer rows.Close()
	at := make(map[int64]*wiki.ChunkHit, len(hits))
	for i, h := range hits {
		at[ids[i]] = h
	}
	for rows.Next() {
		var id int64
		var snippet string
		if err := rows.Scan(&id, &snippet); err != nil {
			return fmt.Errorf("search snippet: %w", err)
		}
		if h := at[id]; h != nil {
			h.Snippet = wikiSnippetOrStart(h, snippet)
		}
	}
	return rows.Err()
}

// wikiSnippetOrStart is a hit's snippet: FTS5's, or the text's first
// words when it marks nothing (the title matched).
func wikiSnippetOrStart(h *wiki.ChunkHit, snippet string) string {
	if !strings.Contains(snippet, wiki.SnippetStart) {
		return wikiFirstWords(h.Text, 160)
	}
	return snippet
}

// wikiSnippetsFrom runs snip (snippet of the body column for a MATCH
// expression and a rowid) for each hit that has no snippet yet.
func wikiSnippetsFrom(ctx context.Context, snip *sql.Stmt, expr string, hits []*wiki.ChunkHit, ids []int64, titles []string) error {
	start, end := wiki.SnippetStart, wiki.SnippetEnd
	for i, h := range hits {
		if h.Snippet != "" {
			continue
		}
		// The rowid is known to match: the terms alone place the
		// highlights, without the space's scope, and the prefix term
		// becomes the chunk's own words (wiki.SnippetQuery).
		err := snip.QueryRowContext(ctx, start, end, wiki.SnippetQuery(expr, titles[i]+" "+h.Text), ids[i]).Scan(&h.Snippet)
		if errors.Is(err, sql.ErrNoRows) { // matched only through a stem: the prefix as typed
			err = snip.QueryRowContext(ctx, start, end, expr, ids[i]).Scan(&h.Snippet)
		}
		if err != nil {
			return fmt.Errorf("search snippet: %w", err)
		}
		h.Snippet = wikiSnippetOrStart(h, h.Snippet)
	}
	return nil
}
