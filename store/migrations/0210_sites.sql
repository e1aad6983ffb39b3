-- Websites and funnels (issue 21). A site belongs to a tenant and is
-- served on one host (a custom domain of the tenant); its pages hold
-- their blocks as JSON drafts. Publishing snapshots the site and its
-- pages as a revision and replaces the site's rendered files (HTML,
-- sitemap.xml, robots.txt, theme CSS) in the same transaction, so a
-- visitor sees the old site or the new one, never half of each.

CREATE TABLE web_sites (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	domain TEXT NOT NULL DEFAULT '',
	-- JSON: theme (fonts, colours, logo), navigation, header and footer.
	settings TEXT NOT NULL DEFAULT '{}',
	published_rev INTEGER NOT NULL DEFAULT 0,
	published_at TEXT,
	-- Per-site salt of the split-test assignment (never shown).
	salt TEXT NOT NULL,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE INDEX web_sites_tenant ON web_sites (tenant_id, id);
CREATE UNIQUE INDEX web_sites_domain ON web_sites (domain) WHERE domain <> '';

CREATE TABLE web_pages (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	site_id INTEGER NOT NULL REFERENCES web_sites (id) ON DELETE CASCADE,
	slug TEXT NOT NULL,
	title TEXT NOT NULL,
	-- JSON: SEO fields (title, description, Open Graph image, canonical,
	-- noindex) and navigation label.
	seo TEXT NOT NULL DEFAULT '{}',
	blocks TEXT NOT NULL DEFAULT '[]',
	position INTEGER NOT NULL DEFAULT 0,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX web_pages_slug ON web_pages (site_id, slug);
CREATE INDEX web_pages_tenant ON web_pages (tenant_id, site_id, position);

-- A published version of a site: the snapshot it was rendered from.
CREATE TABLE web_revisions (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	site_id INTEGER NOT NULL REFERENCES web_sites (id) ON DELETE CASCADE,
	number INTEGER NOT NULL,
	snapshot TEXT NOT NULL,
	note TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	UNIQUE (site_id, number)
);

-- The published site, rendered once: what the public host serves.
CREATE TABLE web_files (
	site_id INTEGER NOT NULL REFERENCES web_sites (id) ON DELETE CASCADE,
	path TEXT NOT NULL,
	content_type TEXT NOT NULL,
	body BLOB NOT NULL,
	PRIMARY KEY (site_id, path)
) WITHOUT ROWID;
