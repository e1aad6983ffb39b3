-- Calls in Conversations (issue #18): every call (inbound, outbound from
-- a workflow step, an AI agent's) is a message of the contact's call
-- thread, its provider_id the CallSid (so a retried Twilio callback never
-- adds it twice), with the call's details here: direction, Twilio's
-- status, duration, the recording (fetched through the account's Twilio
-- API by its RecordingSid, never by a URL a webhook names) and the
-- transcript Agent Studio kept of an AI call.
CREATE TABLE inbox_calls (
	message_id INTEGER PRIMARY KEY REFERENCES inbox_messages (id) ON DELETE CASCADE,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	conversation_id INTEGER NOT NULL REFERENCES inbox_conversations (id) ON DELETE CASCADE,
	call_sid TEXT NOT NULL,
	direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
	status TEXT NOT NULL DEFAULT '',
	duration INTEGER NOT NULL DEFAULT 0,
	recording_sid TEXT NOT NULL DEFAULT '',
	recording_duration INTEGER NOT NULL DEFAULT 0,
	transcript TEXT NOT NULL DEFAULT '',
	ai INTEGER NOT NULL DEFAULT 0 CHECK (ai IN (0, 1)),
	updated_at TEXT NOT NULL,
	UNIQUE (tenant_id, call_sid)
);
CREATE INDEX inbox_calls_conversation ON inbox_calls (conversation_id);
