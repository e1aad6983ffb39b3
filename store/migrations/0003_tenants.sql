-- Tenants: client sub-accounts. Row 1 is the house tenant (the agency
-- itself): marketing-site leads land there. At most one row has is_house.
CREATE TABLE tenants (
	id INTEGER PRIMARY KEY,
	slug TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
	is_house INTEGER NOT NULL DEFAULT 0 CHECK (is_house IN (0, 1)),
	display_name TEXT NOT NULL DEFAULT '',
	primary_color TEXT NOT NULL DEFAULT '#4f46e5',
	accent_color TEXT NOT NULL DEFAULT '#0e7490',
	support_email TEXT NOT NULL DEFAULT '',
	timezone TEXT NOT NULL DEFAULT 'UTC',
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX tenants_one_house ON tenants (is_house) WHERE is_house = 1;
INSERT INTO tenants (id, slug, name, is_house, display_name, created_at, updated_at)
VALUES (1, 'house', 'House', 1, 'House', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));

-- A tenant's logo (PNG or JPEG, size-capped by the app), kept apart from
-- the tenant row so listing tenants does not read image bytes.
CREATE TABLE tenant_logos (
	tenant_id INTEGER PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
	content_type TEXT NOT NULL CHECK (content_type IN ('image/png', 'image/jpeg')),
	data BLOB NOT NULL,
	hash TEXT NOT NULL,
	updated_at TEXT NOT NULL
);

-- Leads become tenant-owned; existing rows belong to the house tenant.
ALTER TABLE leads ADD COLUMN tenant_id INTEGER NOT NULL DEFAULT 1 REFERENCES tenants (id);
CREATE INDEX leads_tenant ON leads (tenant_id, id);

-- Tenant users (portal accounts). An email is unique across tenants, so on
-- app.DOMAIN the login alone chooses the tenant. totp_secret is sealed
-- with the vault's master key; '' means two-factor is off.
CREATE TABLE tenant_users (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	email TEXT NOT NULL UNIQUE COLLATE NOCASE,
	name TEXT NOT NULL DEFAULT '',
	role TEXT NOT NULL CHECK (role IN ('owner', 'member')),
	password_hash TEXT NOT NULL DEFAULT '',
	totp_secret BLOB,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	last_login_at TEXT
);
CREATE INDEX tenant_users_tenant ON tenant_users (tenant_id);

-- One-time links for tenant users: invitations and password resets. Only
-- the SHA-256 of the token is stored.
CREATE TABLE user_tokens (
	id INTEGER PRIMARY KEY,
	token_hash TEXT NOT NULL UNIQUE,
	purpose TEXT NOT NULL CHECK (purpose IN ('invite', 'reset')),
	user_id INTEGER NOT NULL REFERENCES tenant_users (id) ON DELETE CASCADE,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	expires_at TEXT NOT NULL,
	used_at TEXT,
	created_at TEXT NOT NULL
);

-- Nexus admins may enable two-factor too (sealed like tenant users').
ALTER TABLE admins ADD COLUMN totp_secret BLOB;

-- API keys: tenant keys (tenant_id set) and admin keys (tenant_id NULL).
-- Only the SHA-256 of the key is stored; prefix is shown to tell keys apart.
CREATE TABLE api_keys (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER REFERENCES tenants (id) ON DELETE CASCADE,
	name TEXT NOT NULL DEFAULT '',
	scope TEXT NOT NULL CHECK (scope IN ('read', 'write')),
	key_hash TEXT NOT NULL UNIQUE,
	prefix TEXT NOT NULL,
	created_by TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	last_used_at TEXT,
	revoked_at TEXT
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id);

-- Vault: secrets sealed with AES-256-GCM under the master key. tenant_id 0
-- is the global scope. key_id names the master key that sealed the row.
CREATE TABLE vault_secrets (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL DEFAULT 0,
	name TEXT NOT NULL,
	ciphertext BLOB NOT NULL,
	key_id TEXT NOT NULL,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	last_used_at TEXT,
	UNIQUE (tenant_id, name)
);

-- Audit log: who did what, when and from where. Pruned after a year.
CREATE TABLE audit_log (
	id INTEGER PRIMARY KEY,
	at TEXT NOT NULL,
	actor_kind TEXT NOT NULL,
	actor_id INTEGER NOT NULL DEFAULT 0,
	actor TEXT NOT NULL DEFAULT '',
	tenant_id INTEGER NOT NULL DEFAULT 0,
	action TEXT NOT NULL,
	target TEXT NOT NULL DEFAULT '',
	detail TEXT NOT NULL DEFAULT '',
	ip TEXT NOT NULL DEFAULT '',
	user_agent TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_action ON audit_log (action, at);

-- Outgoing email. Until SMTP exists the default mailer only records
-- messages here, where Nexus admins can read them.
CREATE TABLE outbox (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL DEFAULT 0,
	to_addr TEXT NOT NULL,
	from_name TEXT NOT NULL DEFAULT '',
	subject TEXT NOT NULL,
	body TEXT NOT NULL,
	status TEXT NOT NULL DEFAULT 'logged',
	created_at TEXT NOT NULL,
	sent_at TEXT
);
CREATE INDEX outbox_created ON outbox (created_at);
