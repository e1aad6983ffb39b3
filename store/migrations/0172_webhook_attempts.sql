-- Developer platform (issue 20): the outgoing-webhook delivery log. One
-- row per attempt to send a delivery (retries and redeliveries alike):
-- what the receiver answered, how long it took, an excerpt of its answer
-- (secrets redacted before it is stored) and when the next try is due.
CREATE TABLE webhook_attempts (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
	attempt INTEGER NOT NULL,
	redelivery INTEGER NOT NULL DEFAULT 0,
	url TEXT NOT NULL,
	started_at TEXT NOT NULL,
	duration_ms INTEGER NOT NULL,
	status_code INTEGER NOT NULL DEFAULT 0,
	error TEXT NOT NULL DEFAULT '',
	response TEXT NOT NULL DEFAULT '',
	outcome TEXT NOT NULL CHECK (outcome IN ('succeeded', 'retry', 'failed')),
	next_attempt_at TEXT,
	UNIQUE (delivery_id, attempt)
);
CREATE INDEX webhook_attempts_tenant ON webhook_attempts (tenant_id, id);

