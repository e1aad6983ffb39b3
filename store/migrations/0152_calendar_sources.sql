-- Calendar sync: outside calendars feeding a calendar. A CalDAV account
-- (URL, user; the password in the vault) whose discovered remote
-- calendars the owner marks as busy (read in) and as the target (bookings
-- written out), or a read-only ICS feed. Status columns say how the last
-- sync went; a source with last_error makes its calendar offer no slots.

CREATE TABLE calendar_sources (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	calendar_id INTEGER NOT NULL REFERENCES calendars (id) ON DELETE CASCADE,
	kind TEXT NOT NULL CHECK (kind IN ('caldav', 'ics')),
	url TEXT NOT NULL,
	username TEXT NOT NULL DEFAULT '',
	-- JSON: the discovered remote calendars, the owner's choices and each
	-- one's RFC 6578 sync token.
	remotes TEXT NOT NULL DEFAULT '[]',
	last_sync_at TEXT,
	last_ok_at TEXT,
	last_error TEXT NOT NULL DEFAULT '',
	next_sync_at TEXT NOT NULL,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE INDEX calendar_sources_calendar ON calendar_sources (tenant_id, calendar_id);
CREATE INDEX calendar_sources_due ON calendar_sources (next_sync_at);

-- Remote objects read in: one row per CalDAV resource (href) with its
-- ETag, so a delta sync replaces or removes exactly its busy rows.
ALTER TABLE calendar_busy ADD COLUMN href TEXT NOT NULL DEFAULT '';
CREATE INDEX calendar_busy_href ON calendar_busy (source_id, href);

-- Bookings written out to a source's target calendar: the resource and
-- the booking sequence it holds, so a reschedule is written again and a
-- cancellation deletes it.
CREATE TABLE calendar_exports (
	source_id INTEGER NOT NULL REFERENCES calendar_sources (id) ON DELETE CASCADE,
	booking_id INTEGER NOT NULL REFERENCES calendar_bookings (id) ON DELETE CASCADE,
	tenant_id INTEGER NOT NULL,
	href TEXT NOT NULL,
	etag TEXT NOT NULL DEFAULT '',
	sequence INTEGER NOT NULL,
	PRIMARY KEY (source_id, booking_id)
);
