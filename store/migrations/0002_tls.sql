-- certmagic's storage (certificates, keys, ACME accounts) as key/value
-- rows, so Litestream replicates them with everything else and a restored
-- server serves its certificates without asking the CA again. Keys are
-- slash-separated paths; "directories" are implicit prefixes.
CREATE TABLE certmagic_data (
	key TEXT PRIMARY KEY,
	value BLOB NOT NULL,
	modified TEXT NOT NULL
);

-- certmagic's named locks. A lock whose expires_at has passed belongs to a
-- process that died (or stopped renewing it) and may be taken over.
CREATE TABLE certmagic_locks (
	name TEXT PRIMARY KEY,
	holder TEXT NOT NULL,
	expires_at TEXT NOT NULL
);

-- Tenants' own domains (on-demand TLS). tenant_id is a plain column until
-- the tenants table exists.
CREATE TABLE custom_domains (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER,
	name TEXT NOT NULL UNIQUE COLLATE NOCASE,
	status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'active', 'disabled')),
	verify_token TEXT NOT NULL,
	dns_checked_at TEXT,
	dns_ok INTEGER NOT NULL DEFAULT 0,
	dns_error TEXT NOT NULL DEFAULT '',
	cert_issuer TEXT NOT NULL DEFAULT '',
	cert_expiry TEXT,
	last_error TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL
);
