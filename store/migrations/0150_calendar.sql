-- Universal calendar: calendars (a user's, an admin's or the tenant's)
-- with availability as JSON (weekly hours, date overrides, holidays) in
-- their own time zone; event types (bookable meetings); bookings, with one
-- row per attending host calendar that the booking transaction checks for
-- overlap; and busy times synced from CalDAV calendars and ICS feeds.

CREATE TABLE calendars (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	owner_kind TEXT NOT NULL CHECK (owner_kind IN ('tenant', 'user', 'admin')),
	owner_id INTEGER NOT NULL DEFAULT 0,
	name TEXT NOT NULL,
	time_zone TEXT NOT NULL,
	availability TEXT NOT NULL,
	feed_token TEXT NOT NULL UNIQUE,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE INDEX calendars_tenant ON calendars (tenant_id, id);

CREATE TABLE calendar_event_types (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	slug TEXT NOT NULL,
	title TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	-- JSON: durations, questions and the settings below it.
	settings TEXT NOT NULL,
	enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	UNIQUE (tenant_id, slug)
);

CREATE TABLE calendar_event_type_hosts (
	event_type_id INTEGER NOT NULL REFERENCES calendar_event_types (id) ON DELETE CASCADE,
	calendar_id INTEGER NOT NULL REFERENCES calendars (id) ON DELETE CASCADE,
	PRIMARY KEY (event_type_id, calendar_id)
);

CREATE TABLE calendar_bookings (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	event_type_id INTEGER NOT NULL REFERENCES calendar_event_types (id),
	start_at TEXT NOT NULL,
	end_at TEXT NOT NULL,
	status TEXT NOT NULL CHECK (status IN ('confirmed', 'pending', 'cancelled')),
	title TEXT NOT NULL,
	name TEXT NOT NULL,
	email TEXT NOT NULL,
	phone TEXT NOT NULL DEFAULT '',
	time_zone TEXT NOT NULL,
	notes TEXT NOT NULL DEFAULT '',
	answers TEXT NOT NULL DEFAULT '{}',
	location TEXT NOT NULL DEFAULT '',
	person_id INTEGER,
	deal_id INTEGER,
	uid TEXT NOT NULL UNIQUE,
	sequence INTEGER NOT NULL DEFAULT 0,
	no_show INTEGER NOT NULL DEFAULT 0 CHECK (no_show IN (0, 1)),
	cancel_reason TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE INDEX calendar_bookings_tenant_start ON calendar_bookings (tenant_id, start_at);
CREATE INDEX calendar_bookings_person ON calendar_bookings (tenant_id, person_id) WHERE person_id IS NOT NULL;

-- One row per attending host: the booking transaction's overlap check
-- reads (calendar_id, start_at) ranges of active rows.
CREATE TABLE calendar_booking_hosts (
	booking_id INTEGER NOT NULL REFERENCES calendar_bookings (id) ON DELETE CASCADE,
	calendar_id INTEGER NOT NULL REFERENCES calendars (id) ON DELETE CASCADE,
	tenant_id INTEGER NOT NULL,
	event_type_id INTEGER NOT NULL,
	start_at TEXT NOT NULL,
	end_at TEXT NOT NULL,
	active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
	PRIMARY KEY (booking_id, calendar_id)
);
CREATE INDEX calendar_booking_hosts_busy ON calendar_booking_hosts (calendar_id, start_at) WHERE active = 1;

-- Busy times from outside (CalDAV events, ICS feed events), already
-- expanded (recurrences) and in UTC. source_id names the sync source.
CREATE TABLE calendar_busy (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL,
	calendar_id INTEGER NOT NULL REFERENCES calendars (id) ON DELETE CASCADE,
	source_id INTEGER NOT NULL DEFAULT 0,
	uid TEXT NOT NULL DEFAULT '',
	summary TEXT NOT NULL DEFAULT '',
	start_at TEXT NOT NULL,
	end_at TEXT NOT NULL
);
CREATE INDEX calendar_busy_range ON calendar_busy (calendar_id, start_at);
CREATE INDEX calendar_busy_source ON calendar_busy (source_id, uid);
