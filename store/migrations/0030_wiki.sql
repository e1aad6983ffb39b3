-- Knowledge Wiki: one space per tenant (the house tenant's is the
-- agency's internal space), pages in a tree with every revision kept,
-- [[links]] for backlinks, attachments (content in its own table, so
-- listings never read it; in this file, so Litestream replicates it),
-- public share links, and a search index of chunks (FTS5, external
-- content: the text lives once, in wiki_chunks).
CREATE TABLE wiki_spaces (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL UNIQUE REFERENCES tenants (id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	shared_with_agency INTEGER NOT NULL DEFAULT 1,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);

-- parent_id is kept consistent by the store (a deleted page's children
-- move up); revision is the number of the latest wiki_revisions row.
CREATE TABLE wiki_pages (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	space_id INTEGER NOT NULL REFERENCES wiki_spaces (id) ON DELETE CASCADE,
	parent_id INTEGER REFERENCES wiki_pages (id) ON DELETE SET NULL,
	position INTEGER NOT NULL DEFAULT 0,
	title TEXT NOT NULL,
	slug TEXT NOT NULL,
	body TEXT NOT NULL DEFAULT '',
	revision INTEGER NOT NULL DEFAULT 1,
	created_by TEXT NOT NULL DEFAULT '',
	updated_by TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	UNIQUE (space_id, slug)
);
CREATE INDEX wiki_pages_tree ON wiki_pages (space_id, parent_id, position);
CREATE INDEX wiki_pages_parent ON wiki_pages (parent_id);

CREATE TABLE wiki_revisions (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL,
	page_id INTEGER NOT NULL REFERENCES wiki_pages (id) ON DELETE CASCADE,
	number INTEGER NOT NULL,
	title TEXT NOT NULL,
	body TEXT NOT NULL,
	author TEXT NOT NULL DEFAULT '',
	note TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	UNIQUE (page_id, number)
);

-- One row per [[link]] target (a slug) of a page.
CREATE TABLE wiki_links (
	page_id INTEGER NOT NULL REFERENCES wiki_pages (id) ON DELETE CASCADE,
	space_id INTEGER NOT NULL,
	target_slug TEXT NOT NULL,
	PRIMARY KEY (page_id, target_slug)
) WITHOUT ROWID;
CREATE INDEX wiki_links_target ON wiki_links (space_id, target_slug);

CREATE TABLE wiki_attachments (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	space_id INTEGER NOT NULL REFERENCES wiki_spaces (id) ON DELETE CASCADE,
	page_id INTEGER NOT NULL REFERENCES wiki_pages (id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	content_type TEXT NOT NULL,
	size INTEGER NOT NULL,
	sha256 TEXT NOT NULL,
	text_bytes INTEGER NOT NULL DEFAULT 0,
	created_by TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL
);
CREATE INDEX wiki_attachments_page ON wiki_attachments (page_id);
CREATE INDEX wiki_attachments_space ON wiki_attachments (space_id);

CREATE TABLE wiki_attachment_data (
	attachment_id INTEGER PRIMARY KEY REFERENCES wiki_attachments (id) ON DELETE CASCADE,
	data BLOB NOT NULL
);

CREATE TABLE wiki_shares (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	page_id INTEGER NOT NULL REFERENCES wiki_pages (id) ON DELETE CASCADE,
	token TEXT NOT NULL UNIQUE,
	created_by TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	revoked_at TEXT
);
CREATE INDEX wiki_shares_page ON wiki_shares (page_id);

-- Search: a page's text (attachment_id NULL) and each attachment's
-- extracted text, cut into chunks. scope holds the space's token ("s12")
-- so a search is limited to spaces inside the index; title is the page's
-- title (an attachment's: its file name).
CREATE TABLE wiki_chunks (
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
	body TEXT NOT NULL
);
CREATE INDEX wiki_chunks_page ON wiki_chunks (page_id, attachment_id);
CREATE INDEX wiki_chunks_attachment ON wiki_chunks (attachment_id) WHERE attachment_id IS NOT NULL;

CREATE VIRTUAL TABLE wiki_fts USING fts5 (
	scope, title, body,
	content = 'wiki_chunks', content_rowid = 'id',
	tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER wiki_chunks_ai AFTER INSERT ON wiki_chunks BEGIN
	INSERT INTO wiki_fts (rowid, scope, title, body) VALUES (new.id, new.scope, new.title, new.body);
END;
CREATE TRIGGER wiki_chunks_ad AFTER DELETE ON wiki_chunks BEGIN
	INSERT INTO wiki_fts (wiki_fts, rowid, scope, title, body) VALUES ('delete', old.id, old.scope, old.title, old.body);
END;
-- Rank: BM25 with a title match (the page title and the chunk's
-- headings) worth five times a body match; scope never scores.
INSERT INTO wiki_fts (wiki_fts, rank) VALUES ('rank', 'bm25(0.0, 5.0, 1.0)');
