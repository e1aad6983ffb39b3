-- Website analytics rollups (issue 21): once a day is over, its raw
-- events (web_events) are summed per site, per page and per referrer,
-- source, device and form, and deleted. A visitor is the day's salted
-- hash, so a day's distinct visitors add up exactly across days: reports
-- read the rollups for past days and the raw events for today.

CREATE TABLE web_daily_sites (
	site_id INTEGER NOT NULL REFERENCES web_sites (id) ON DELETE CASCADE,
	day TEXT NOT NULL,
	views INTEGER NOT NULL,
	visitors INTEGER NOT NULL,
	conversions INTEGER NOT NULL,
	PRIMARY KEY (site_id, day)
) WITHOUT ROWID;

CREATE TABLE web_daily_pages (
	site_id INTEGER NOT NULL REFERENCES web_sites (id) ON DELETE CASCADE,
	day TEXT NOT NULL,
	path TEXT NOT NULL,
	views INTEGER NOT NULL,
	visitors INTEGER NOT NULL,
	conversions INTEGER NOT NULL,
	converters INTEGER NOT NULL,
	PRIMARY KEY (site_id, day, path)
) WITHOUT ROWID;

-- dim: the view's referrer, source or device. Conversions by form are in
-- web_daily_forms (form_id 0: a booking).
CREATE TABLE web_daily_names (
	site_id INTEGER NOT NULL REFERENCES web_sites (id) ON DELETE CASCADE,
	day TEXT NOT NULL,
	dim TEXT NOT NULL CHECK (dim IN ('referrer', 'source', 'device')),
	name TEXT NOT NULL,
	count INTEGER NOT NULL,
	PRIMARY KEY (site_id, day, dim, name)
) WITHOUT ROWID;

CREATE TABLE web_daily_forms (
	site_id INTEGER NOT NULL REFERENCES web_sites (id) ON DELETE CASCADE,
	day TEXT NOT NULL,
	form_id INTEGER NOT NULL,
	count INTEGER NOT NULL,
	PRIMARY KEY (site_id, day, form_id)
) WITHOUT ROWID;
