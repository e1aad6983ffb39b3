-- Billing (issue #23): active contacts. The daily meter marks each CRM
-- person active on a day (created or changed, a timeline entry, or a
-- message in or out in Conversations) once per calendar month (UTC), on
-- the day of the first activity; the day's usage event counts the people
-- marked that day, so a month's events add up to its distinct active
-- contacts and metering a day again counts nothing twice.
CREATE TABLE billing_active_contacts (
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	month TEXT NOT NULL, -- YYYY-MM
	person_id INTEGER NOT NULL,
	day TEXT NOT NULL, -- YYYY-MM-DD of the first activity in the month
	PRIMARY KEY (tenant_id, month, person_id)
) WITHOUT ROWID;
CREATE INDEX billing_active_contacts_day ON billing_active_contacts (tenant_id, day);
