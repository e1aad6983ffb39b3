-- Community events (#24): an event of a space (a live session, a
-- meet-up) with a start and end (UTC, entered in the tenant's zone,
-- time_zone keeps which), a place and/or a video link, and a capacity (0:
-- no limit). calendar_id is the tenant's calendar it shows on (the
-- calendar views and the free slots read it beside the synced busy
-- times); going counts the members going, so a capacity check is one
-- conditional update. sequence counts changes (the .ics SEQUENCE).
CREATE TABLE community_events (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	space_id INTEGER NOT NULL REFERENCES community_spaces (id) ON DELETE CASCADE,
	calendar_id INTEGER REFERENCES calendars (id) ON DELETE SET NULL,
	uid TEXT NOT NULL,
	title TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	start_at TEXT NOT NULL,
	end_at TEXT NOT NULL,
	time_zone TEXT NOT NULL,
	location TEXT NOT NULL DEFAULT '',
	video_url TEXT NOT NULL DEFAULT '',
	capacity INTEGER NOT NULL DEFAULT 0 CHECK (capacity >= 0),
	going INTEGER NOT NULL DEFAULT 0 CHECK (going >= 0),
	sequence INTEGER NOT NULL DEFAULT 0,
	cancelled_at TEXT,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE INDEX community_events_space ON community_events (space_id, start_at);
CREATE INDEX community_events_tenant ON community_events (tenant_id, start_at);
CREATE INDEX community_events_calendar ON community_events (calendar_id, start_at, end_at) WHERE calendar_id IS NOT NULL AND cancelled_at IS NULL;

-- A member's answer to an event: going or not going.
CREATE TABLE community_event_rsvps (
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	event_id INTEGER NOT NULL REFERENCES community_events (id) ON DELETE CASCADE,
	member_id INTEGER NOT NULL REFERENCES course_members (id) ON DELETE CASCADE,
	status TEXT NOT NULL CHECK (status IN ('going', 'not_going')),
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	PRIMARY KEY (event_id, member_id)
) WITHOUT ROWID;
CREATE INDEX community_event_rsvps_member ON community_event_rsvps (member_id, status);
