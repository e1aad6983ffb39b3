-- Conversations quiet hours (issue #18): per tenant, a window in the
-- tenant's timezone (start_at to end_at, HH:MM; it may cross midnight)
-- in which workflow texts and calls are held: the run waits at its step
-- (runs.status 'waiting', next_attempt_at the window's end), so a
-- restart keeps them held and sends them when the window ends.
CREATE TABLE inbox_quiet_hours (
	tenant_id INTEGER PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
	enabled INTEGER NOT NULL DEFAULT 0 CHECK (enabled IN (0, 1)),
	start_at TEXT NOT NULL DEFAULT '21:00',
	end_at TEXT NOT NULL DEFAULT '08:00',
	updated_at TEXT NOT NULL
);
