-- A replayed signed Twilio request (the same MessageSid or CallSid with
-- the same parameters) is stored once: dedupe_key is a hash of the tenant's
-- event kind, SID and parameters (app.TwilioEvent.DedupeKey). Rows from
-- before this migration have none.
ALTER TABLE twilio_events ADD COLUMN dedupe_key TEXT;
CREATE UNIQUE INDEX twilio_events_dedupe ON twilio_events (tenant_id, dedupe_key) WHERE dedupe_key IS NOT NULL;
