-- Outbound webhooks: per-tenant subscriptions to CRM events, fanned out
-- from crm_timeline (written in the same transaction as each change, so
-- the timeline is the outbox) and delivered with retries.
CREATE TABLE webhook_subscriptions (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	url TEXT NOT NULL,
	events TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(events)),
	active INTEGER NOT NULL DEFAULT 1,
	created_at TEXT NOT NULL
);
CREATE INDEX webhook_subscriptions_tenant ON webhook_subscriptions (tenant_id);

CREATE TABLE webhook_deliveries (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	subscription_id INTEGER NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
	event TEXT NOT NULL,
	event_id TEXT NOT NULL,
	payload TEXT NOT NULL,
	status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'succeeded', 'failed')),
	attempts INTEGER NOT NULL DEFAULT 0,
	next_attempt_at TEXT NOT NULL,
	last_status_code INTEGER NOT NULL DEFAULT 0,
	last_error TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	delivered_at TEXT,
	UNIQUE (subscription_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_tenant ON webhook_deliveries (tenant_id, id);

-- How far the fan-out has read crm_timeline.
CREATE TABLE webhook_cursor (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	timeline_id INTEGER NOT NULL
);
INSERT INTO webhook_cursor (id, timeline_id) SELECT 1, coalesce(max(id), 0) FROM crm_timeline;
