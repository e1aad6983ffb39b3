-- Nexus administrators. password_hash is empty until a one-time link is used.
CREATE TABLE admins (
	id INTEGER PRIMARY KEY,
	email TEXT NOT NULL UNIQUE COLLATE NOCASE,
	name TEXT NOT NULL DEFAULT '',
	role TEXT NOT NULL CHECK (role IN ('owner', 'staff')),
	password_hash TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	last_login_at TEXT
);

-- One-time links (first-owner setup, invitations, password resets); only
-- the SHA-256 of the token is stored.
CREATE TABLE admin_tokens (
	id INTEGER PRIMARY KEY,
	token_hash TEXT NOT NULL UNIQUE,
	purpose TEXT NOT NULL CHECK (purpose IN ('setup', 'reset')),
	admin_id INTEGER REFERENCES admins (id) ON DELETE CASCADE,
	email TEXT NOT NULL DEFAULT '',
	expires_at TEXT NOT NULL,
	used_at TEXT,
	created_at TEXT NOT NULL
);

-- Marketing site content: one row per page, its sections as JSON blocks.
CREATE TABLE site_pages (
	slug TEXT PRIMARY KEY,
	title TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	nav_label TEXT NOT NULL DEFAULT '',
	nav_order INTEGER NOT NULL DEFAULT 0,
	blocks TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(blocks)),
	updated_at TEXT NOT NULL
);

-- Site-wide settings as one JSON document per key.
CREATE TABLE site_settings (
	key TEXT PRIMARY KEY,
	value TEXT NOT NULL CHECK (json_valid(value)),
	updated_at TEXT NOT NULL
);

-- Lead form submissions from the marketing site.
CREATE TABLE leads (
	id INTEGER PRIMARY KEY,
	first_name TEXT NOT NULL,
	last_name TEXT NOT NULL DEFAULT '',
	email TEXT NOT NULL DEFAULT '',
	phone TEXT NOT NULL DEFAULT '',
	company TEXT NOT NULL DEFAULT '',
	message TEXT NOT NULL DEFAULT '',
	source TEXT NOT NULL DEFAULT '',
	ip TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL
);
CREATE INDEX leads_created_at ON leads (created_at);
