-- Brand & press kit (issue #22): per tenant (the house tenant is the
-- agency). The primary and accent colours and the primary logo stay on
-- tenants / tenant_logos, the one source of the white-label theme; the
-- kit adds the rest. brand_kits: one row per tenant (text and background
-- colours, fonts from a fixed list, boilerplate). brand_assets: logo
-- variants, founders' photos and product screenshots (PNG or JPEG,
-- sniffed and capped before they get here). brand_people: founders (with
-- a bio and a photo) and press contacts. brand_releases: press releases
-- in markdown, public once published at /press/SLUG.
CREATE TABLE brand_kits (
	tenant_id INTEGER PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
	text_color TEXT NOT NULL DEFAULT '#111827',
	background_color TEXT NOT NULL DEFAULT '#ffffff',
	heading_font TEXT NOT NULL DEFAULT 'system',
	body_font TEXT NOT NULL DEFAULT 'system',
	tagline TEXT NOT NULL DEFAULT '',
	boilerplate TEXT NOT NULL DEFAULT '',
	updated_at TEXT NOT NULL
);

CREATE TABLE brand_assets (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	kind TEXT NOT NULL CHECK (kind IN ('logo_square', 'logo_dark', 'photo', 'screenshot')),
	caption TEXT NOT NULL DEFAULT '',
	content_type TEXT NOT NULL,
	data BLOB NOT NULL,
	hash TEXT NOT NULL,
	width INTEGER NOT NULL DEFAULT 0,
	height INTEGER NOT NULL DEFAULT 0,
	created_at TEXT NOT NULL
);
CREATE INDEX brand_assets_tenant ON brand_assets (tenant_id, kind);
-- One square and one dark-background logo per tenant.
CREATE UNIQUE INDEX brand_assets_logo ON brand_assets (tenant_id, kind) WHERE kind IN ('logo_square', 'logo_dark');

CREATE TABLE brand_people (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	kind TEXT NOT NULL CHECK (kind IN ('founder', 'contact')),
	name TEXT NOT NULL,
	title TEXT NOT NULL DEFAULT '',
	bio TEXT NOT NULL DEFAULT '',
	email TEXT NOT NULL DEFAULT '',
	phone TEXT NOT NULL DEFAULT '',
	photo_id INTEGER REFERENCES brand_assets (id) ON DELETE SET NULL,
	position INTEGER NOT NULL DEFAULT 0,
	created_at TEXT NOT NULL
);
CREATE INDEX brand_people_tenant ON brand_people (tenant_id, kind, position);

CREATE TABLE brand_releases (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	slug TEXT NOT NULL,
	title TEXT NOT NULL,
	summary TEXT NOT NULL DEFAULT '',
	body TEXT NOT NULL DEFAULT '',
	published_at TEXT,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	UNIQUE (tenant_id, slug)
);
CREATE INDEX brand_releases_public ON brand_releases (tenant_id, published_at);
