-- Free-slot computation reads a host calendar's busy times by
-- (calendar_id, start_at) and filters on end_at: with end_at in the
-- index the range is read from the index alone.

CREATE INDEX calendar_busy_cover ON calendar_busy (calendar_id, start_at, end_at);
DROP INDEX calendar_busy_range;
