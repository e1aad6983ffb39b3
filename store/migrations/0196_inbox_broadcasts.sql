-- Conversations broadcasts (issue #18): a text or an email to a saved
-- CRM view of people. Every recipient is a row written when the
-- broadcast is created (queued, or skipped with the reason: no phone, no
-- consent, opted out...). The background sender marks a row "sending"
-- with its thread message in one transaction before it hands the message
-- to the provider, and "sent" or "failed" after, so a restart resumes
-- with the queued rows and never sends twice (a row left "sending" by a
-- crash is marked failed, not sent again). Delivery, replies and opt-outs
-- are read from the thread message and the person.
CREATE TABLE inbox_broadcasts (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	-- The saved view it went to (its name is kept when the view goes).
	view_id INTEGER REFERENCES crm_views (id) ON DELETE SET NULL,
	view_name TEXT NOT NULL DEFAULT '',
	channel TEXT NOT NULL CHECK (channel IN ('sms', 'email')),
	subject TEXT NOT NULL DEFAULT '',
	body TEXT NOT NULL,
	-- Messages per second (the provider's rate for the tenant's number
	-- or mail server).
	rate REAL NOT NULL CHECK (rate > 0),
	status TEXT NOT NULL DEFAULT 'sending' CHECK (status IN ('sending', 'done', 'cancelled')),
	created_by TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	finished_at TEXT
);
CREATE INDEX inbox_broadcasts_tenant ON inbox_broadcasts (tenant_id, id DESC);
CREATE INDEX inbox_broadcasts_active ON inbox_broadcasts (status) WHERE status = 'sending';

CREATE TABLE inbox_broadcast_recipients (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	broadcast_id INTEGER NOT NULL REFERENCES inbox_broadcasts (id) ON DELETE CASCADE,
	person_id INTEGER REFERENCES crm_people (id) ON DELETE SET NULL,
	name TEXT NOT NULL DEFAULT '',
	address TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'skipped', 'cancelled')),
	reason TEXT NOT NULL DEFAULT '',
	conversation_id INTEGER REFERENCES inbox_conversations (id) ON DELETE SET NULL,
	message_id INTEGER REFERENCES inbox_messages (id) ON DELETE SET NULL,
	sent_at TEXT,
	updated_at TEXT NOT NULL,
	UNIQUE (broadcast_id, person_id)
);
CREATE INDEX inbox_broadcast_recipients_next ON inbox_broadcast_recipients (broadcast_id, status, id);
