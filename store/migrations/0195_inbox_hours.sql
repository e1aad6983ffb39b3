-- Conversations (issue #18): business hours per tenant and the reply a
-- text or email gets outside them (once per conversation in 12 hours).
-- days: the open weekdays, 0 Sunday .. 6 Saturday, comma-separated;
-- open_at and close_at: HH:MM in the tenant's timezone.
CREATE TABLE inbox_hours (
	tenant_id INTEGER PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
	enabled INTEGER NOT NULL DEFAULT 0 CHECK (enabled IN (0, 1)),
	days TEXT NOT NULL DEFAULT '1,2,3,4,5',
	open_at TEXT NOT NULL DEFAULT '09:00',
	close_at TEXT NOT NULL DEFAULT '17:00',
	away_text TEXT NOT NULL DEFAULT '',
	updated_at TEXT NOT NULL
);
