-- Billing (issue #23), the usage ledger: every billable event of a tenant
-- (a text, a call's minutes, AI tokens, an email...) recorded once with
-- the id its source gives it, so a retried Twilio callback or a replayed
-- send never counts twice; its cost is the provider's where it reported
-- one, else the price table's. The daily rollup is written in the same
-- transaction as each event, so it always equals the sum of the events.

CREATE TABLE billing_usage_events (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	category TEXT NOT NULL CHECK (category IN ('sms', 'mms', 'voice_minutes', 'ai_tokens', 'email', 'storage', 'contacts')),
	-- source names who reported it (twilio, smtp, agents, snapshot) and
	-- source_id its own id there (a MessageSid, a CallSid...).
	source TEXT NOT NULL,
	source_id TEXT NOT NULL,
	detail TEXT NOT NULL DEFAULT '',
	quantity INTEGER NOT NULL CHECK (quantity >= 0),
	-- cost_micros is in millionths of a US dollar; cost_source says
	-- where it came from.
	cost_micros INTEGER NOT NULL CHECK (cost_micros >= 0),
	cost_source TEXT NOT NULL CHECK (cost_source IN ('provider', 'price_table')),
	day TEXT NOT NULL,
	created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX billing_usage_events_source ON billing_usage_events (tenant_id, source, source_id);
CREATE INDEX billing_usage_events_day ON billing_usage_events (tenant_id, day);

CREATE TABLE billing_usage_daily (
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	day TEXT NOT NULL,
	category TEXT NOT NULL,
	quantity INTEGER NOT NULL DEFAULT 0,
	cost_micros INTEGER NOT NULL DEFAULT 0,
	events INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (tenant_id, day, category)
) WITHOUT ROWID;

-- The price table: what a unit costs the agency when the provider does
-- not say (unit_micros per `per` units, e.g. AI tokens per 1,000).
CREATE TABLE billing_prices (
	category TEXT PRIMARY KEY,
	unit_micros INTEGER NOT NULL CHECK (unit_micros >= 0),
	per INTEGER NOT NULL DEFAULT 1 CHECK (per > 0),
	updated_at TEXT NOT NULL
);
INSERT INTO billing_prices (category, unit_micros, per, updated_at) VALUES
	('sms', 7900, 1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	('mms', 20000, 1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	('voice_minutes', 14000, 1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	('ai_tokens', 2000, 1000, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	('email', 100, 1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	('storage', 100000, 1000, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	('contacts', 10000, 1000, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
