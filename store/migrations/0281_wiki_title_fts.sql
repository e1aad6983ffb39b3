-- Wiki search: the chunks' titles (a page's title and the chunk's
-- headings, an attachment's file name) in an index of their own. When a
-- search matches too many chunks to rank (store/wiki_search.go), the
-- chunks whose title matches come first; in wiki_fts, finding them
-- walks every match's positions in the bodies too (3 ms for a phrase of
-- two common words over 30,000 chunks), here only the titles' (0.05 ms).
-- body is never indexed: it is there so the search's expression, which
-- names the title and body columns, is valid here too. Kept by triggers
-- like wiki_fts, and filled from the chunks there are.
CREATE VIRTUAL TABLE wiki_title_fts USING fts5 (
	scope, title, body UNINDEXED,
	content = 'wiki_chunks', content_rowid = 'id',
	tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER wiki_chunks_title_ai AFTER INSERT ON wiki_chunks BEGIN
	INSERT INTO wiki_title_fts (rowid, scope, title, body) VALUES (new.id, new.scope, new.title, new.body);
END;
CREATE TRIGGER wiki_chunks_title_ad AFTER DELETE ON wiki_chunks BEGIN
	INSERT INTO wiki_title_fts (wiki_title_fts, rowid, scope, title, body) VALUES ('delete', old.id, old.scope, old.title, old.body);
END;
INSERT INTO wiki_title_fts (wiki_title_fts) VALUES ('rebuild');
