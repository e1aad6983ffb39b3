-- Billing (issue #23): wallet auto-recharge. When a usage debit takes a
-- tenant's wallet under its threshold (billing_wallets.recharge_below_micros)
-- the card on file is charged recharge_micros off-session; each attempt is
-- a row here (its id is the idempotency key of the processor's write), at
-- most one in flight per tenant (the partial unique index), and the
-- wallet is credited once per row (wallet entry ref "recharge:<id>"),
-- by the synchronous answer or the processor's event, whichever comes
-- first. recharge_set_at: when the settings were last saved (a failed
-- recharge is not retried automatically until the card or the settings
-- change, or a day has passed).

ALTER TABLE billing_wallets ADD COLUMN recharge_set_at TEXT;

CREATE TABLE billing_recharges (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	amount_micros INTEGER NOT NULL CHECK (amount_micros > 0),
	currency TEXT NOT NULL,
	status TEXT NOT NULL CHECK (status IN ('pending', 'processing', 'succeeded', 'failed')),
	intent_ref TEXT NOT NULL DEFAULT '',
	message TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX billing_recharges_in_flight ON billing_recharges (tenant_id) WHERE status IN ('pending', 'processing');
CREATE INDEX billing_recharges_tenant ON billing_recharges (tenant_id, id);
CREATE INDEX billing_recharges_intent ON billing_recharges (intent_ref) WHERE intent_ref != '';
