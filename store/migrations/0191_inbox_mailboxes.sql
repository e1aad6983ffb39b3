-- Conversations over email (issue #18): one IMAP mailbox per tenant. The
-- password is in the vault (tenant scope, inbox_imap_password); the
-- fetch position is UIDVALIDITY and the last UID imported, so nothing is
-- fetched twice and a changed UIDVALIDITY refetches (Message-IDs dedupe).
CREATE TABLE inbox_mailboxes (
	tenant_id INTEGER PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
	host TEXT NOT NULL,
	port INTEGER NOT NULL,
	security TEXT NOT NULL CHECK (security IN ('tls', 'starttls', 'none')),
	username TEXT NOT NULL,
	address TEXT NOT NULL,
	enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
	uid_validity INTEGER NOT NULL DEFAULT 0,
	last_uid INTEGER NOT NULL DEFAULT 0,
	imported INTEGER NOT NULL DEFAULT 0,
	last_error TEXT NOT NULL DEFAULT '',
	last_poll_at TEXT,
	updated_at TEXT NOT NULL
);
