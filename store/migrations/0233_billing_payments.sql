-- Billing (issue #23): payments through Stripe. A tenant's customer at
-- the processor and the card it saved; each card setup asked for and
-- each attempt to charge an invoice (its id is the idempotency key of
-- the processor's write, so a retried request charges at most once);
-- and the processor's events applied, by event id, so a replayed event
-- changes nothing.

CREATE TABLE billing_customers (
	tenant_id INTEGER PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
	customer_ref TEXT NOT NULL UNIQUE,
	currency TEXT NOT NULL DEFAULT '',
	payment_method TEXT NOT NULL DEFAULT '',
	card_brand TEXT NOT NULL DEFAULT '',
	card_last4 TEXT NOT NULL DEFAULT '',
	-- card_at: the creation time of the event that saved the card; an
	-- older event delivered late never replaces a newer card.
	card_at TEXT,
	updated_at TEXT NOT NULL
);

CREATE TABLE billing_card_setups (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	session_ref TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL
);
CREATE INDEX billing_card_setups_tenant ON billing_card_setups (tenant_id, id);

CREATE TABLE billing_payments (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE RESTRICT,
	invoice_id INTEGER NOT NULL REFERENCES billing_invoices (id) ON DELETE RESTRICT,
	attempt INTEGER NOT NULL,
	intent_ref TEXT NOT NULL DEFAULT '',
	amount_micros INTEGER NOT NULL,
	currency TEXT NOT NULL,
	status TEXT NOT NULL CHECK (status IN ('pending', 'processing', 'succeeded', 'failed')),
	message TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	UNIQUE (invoice_id, attempt)
);
CREATE INDEX billing_payments_intent ON billing_payments (intent_ref) WHERE intent_ref != '';
CREATE INDEX billing_payments_tenant ON billing_payments (tenant_id, id);

CREATE TABLE billing_gateway_events (
	event_ref TEXT PRIMARY KEY,
	type TEXT NOT NULL,
	tenant_id INTEGER REFERENCES tenants (id) ON DELETE SET NULL,
	result TEXT NOT NULL,
	created_at TEXT NOT NULL,
	received_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX billing_gateway_events_received ON billing_gateway_events (received_at);
