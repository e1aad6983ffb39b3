-- Conversations (issue #18): each tenant's inbound address,
-- inbox+TOKEN@DOMAIN, for mail written, forwarded or BCC'd to the
-- appliance's own SMTP listener. The token routes the mail; rotating it
-- retires the old address.
CREATE TABLE inbox_inbound (
	tenant_id INTEGER PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
	token TEXT NOT NULL UNIQUE,
	enabled INTEGER NOT NULL DEFAULT 1,
	received INTEGER NOT NULL DEFAULT 0,
	last_at TEXT,
	created_at TEXT NOT NULL
);
