-- Bookings written out remember which of the account's calendars they
-- were written to, so a change of the target moves them (deleted from
-- the old calendar, created in the new one). Rows written before are in
-- the target of the time.

ALTER TABLE calendar_exports ADD COLUMN remote TEXT NOT NULL DEFAULT '';
UPDATE calendar_exports SET remote = coalesce((SELECT json_extract(r.value, '$.path')
	FROM calendar_sources s, json_each(s.remotes) r
	WHERE s.id = calendar_exports.source_id AND json_extract(r.value, '$.target') = 1 LIMIT 1), '');
