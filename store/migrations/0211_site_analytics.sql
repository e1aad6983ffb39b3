-- Website analytics without cookies (issue 21): one row per page view or
-- conversion (a form posted on a page). visitor is a hash of the day's
-- salt, the site, the address and the browser: the same visitor counts
-- once a day and cannot be followed from one day to the next once the
-- salt is gone (web_salts keeps two days).

CREATE TABLE web_events (
	id INTEGER PRIMARY KEY,
	site_id INTEGER NOT NULL REFERENCES web_sites (id) ON DELETE CASCADE,
	kind TEXT NOT NULL CHECK (kind IN ('view', 'conversion')),
	day TEXT NOT NULL,
	path TEXT NOT NULL,
	visitor TEXT NOT NULL,
	referrer TEXT NOT NULL DEFAULT '',
	source TEXT NOT NULL DEFAULT '',
	device TEXT NOT NULL DEFAULT '',
	form_id INTEGER NOT NULL DEFAULT 0,
	at TEXT NOT NULL
);
CREATE INDEX web_events_site ON web_events (site_id, day, kind, path);

CREATE TABLE web_salts (
	day TEXT PRIMARY KEY,
	salt TEXT NOT NULL
);
