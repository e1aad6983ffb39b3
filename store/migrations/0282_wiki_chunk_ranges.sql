-- Wiki search: each space's chunks get ids of their own range, from
-- space_id << 32 up (CHECK), so a search is limited to its space by a
-- rowid range, which FTS5 seeks to, instead of the scope token in the
-- MATCH, whose doclist holds every chunk of the space and was most of
-- the ranking query's time (store/wiki_search.go). The store gives each
-- new chunk the next id of its space's range (insertWikiChunk); an
-- import moves them to the new space's range (store/tenant_export.go).
-- The scope column stays in the index: it is one token of every row's
-- length, part of the BM25 scores, which stay the same.
-- The existing chunks are renumbered, newest last as before, with their
-- scope set from their space (an import used to keep the old space's),
-- and both indexes rebuilt with the new rowids.
CREATE TABLE wiki_chunks_ranged (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL,
	space_id INTEGER NOT NULL,
	page_id INTEGER NOT NULL REFERENCES wiki_pages (id) ON DELETE CASCADE,
	attachment_id INTEGER REFERENCES wiki_attachments (id) ON DELETE CASCADE,
	revision INTEGER NOT NULL DEFAULT 0,
	seq INTEGER NOT NULL,
	heading TEXT NOT NULL DEFAULT '',
	scope TEXT NOT NULL,
	title TEXT NOT NULL,
	body TEXT NOT NULL,
	CHECK (id >> 32 = space_id)
);
INSERT INTO wiki_chunks_ranged (id, tenant_id, space_id, page_id, attachment_id, revision, seq, heading, scope, title, body)
	SELECT (space_id << 32) + row_number() OVER (PARTITION BY space_id ORDER BY id), tenant_id, space_id, page_id, attachment_id, revision, seq, heading, 's' || space_id, title, body
	FROM wiki_chunks ORDER BY id;
DROP TABLE wiki_chunks;
ALTER TABLE wiki_chunks_ranged RENAME TO wiki_chunks;
CREATE INDEX wiki_chunks_page ON wiki_chunks (page_id, attachment_id);
CREATE INDEX wiki_chunks_attachment ON wiki_chunks (attachment_id) WHERE attachment_id IS NOT NULL;
CREATE TRIGGER wiki_chunks_ai AFTER INSERT ON wiki_chunks BEGIN
	INSERT INTO wiki_fts (rowid, scope, title, body) VALUES (new.id, new.scope, new.title, new.body);
END;
CREATE TRIGGER wiki_chunks_ad AFTER DELETE ON wiki_chunks BEGIN
	INSERT INTO wiki_fts (wiki_fts, rowid, scope, title, body) VALUES ('delete', old.id, old.scope, old.title, old.body);
END;
CREATE TRIGGER wiki_chunks_title_ai AFTER INSERT ON wiki_chunks BEGIN
	INSERT INTO wiki_title_fts (rowid, scope, title, body) VALUES (new.id, new.scope, new.title, new.body);
END;
CREATE TRIGGER wiki_chunks_title_ad AFTER DELETE ON wiki_chunks BEGIN
	INSERT INTO wiki_title_fts (wiki_title_fts, rowid, scope, title, body) VALUES ('delete', old.id, old.scope, old.title, old.body);
END;
INSERT INTO wiki_fts (wiki_fts) VALUES ('rebuild');
INSERT INTO wiki_title_fts (wiki_title_fts) VALUES ('rebuild');
