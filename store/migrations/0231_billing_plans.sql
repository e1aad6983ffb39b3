-- Billing (issue #23): plans the agency sells its clients, the plan each
-- tenant is on (its current period), adjustments waiting for the next
-- invoice (proration of a plan change), and the prepaid wallet with its
-- ledger: the balance always equals the sum of the wallet's entries, and
-- a usage event is debited at most once (unique ref).

CREATE TABLE billing_plans (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE,
	interval TEXT NOT NULL CHECK (interval IN ('month', 'year')),
	price_micros INTEGER NOT NULL CHECK (price_micros >= 0),
	trial_days INTEGER NOT NULL DEFAULT 0 CHECK (trial_days >= 0),
	markup_pct INTEGER NOT NULL DEFAULT 0 CHECK (markup_pct >= 0),
	-- wallet: usage is paid from the prepaid wallet, and usage-heavy
	-- steps stop when it is empty.
	wallet INTEGER NOT NULL DEFAULT 0 CHECK (wallet IN (0, 1)),
	-- JSON objects by usage category: units included per period, and the
	-- overage price per unit in micros (absent: cost plus markup).
	included TEXT NOT NULL DEFAULT '{}',
	overage TEXT NOT NULL DEFAULT '{}',
	features TEXT NOT NULL DEFAULT '[]',
	active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);

CREATE TABLE billing_subscriptions (
	tenant_id INTEGER PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
	plan_id INTEGER NOT NULL REFERENCES billing_plans (id),
	status TEXT NOT NULL CHECK (status IN ('trialing', 'active', 'cancelled')),
	period_start TEXT NOT NULL,
	period_end TEXT NOT NULL,
	trial_end TEXT,
	tax_rate_bp INTEGER NOT NULL DEFAULT 0 CHECK (tax_rate_bp >= 0 AND tax_rate_bp <= 10000),
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);

CREATE TABLE billing_adjustments (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	amount_micros INTEGER NOT NULL,
	description TEXT NOT NULL,
	invoice_id INTEGER,
	created_at TEXT NOT NULL
);
CREATE INDEX billing_adjustments_open ON billing_adjustments (tenant_id) WHERE invoice_id IS NULL;

CREATE TABLE billing_wallets (
	tenant_id INTEGER PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
	balance_micros INTEGER NOT NULL DEFAULT 0,
	recharge_below_micros INTEGER NOT NULL DEFAULT 0 CHECK (recharge_below_micros >= 0),
	recharge_micros INTEGER NOT NULL DEFAULT 0 CHECK (recharge_micros >= 0),
	updated_at TEXT NOT NULL
);

CREATE TABLE billing_wallet_entries (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	kind TEXT NOT NULL CHECK (kind IN ('topup', 'usage', 'adjustment')),
	amount_micros INTEGER NOT NULL,
	balance_micros INTEGER NOT NULL,
	ref TEXT NOT NULL,
	note TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX billing_wallet_entries_ref ON billing_wallet_entries (tenant_id, kind, ref);
CREATE INDEX billing_wallet_entries_tenant ON billing_wallet_entries (tenant_id, id);
