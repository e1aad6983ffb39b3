-- Billing (issue #23): dunning. The agency's settings (retry schedule in
-- days after the first failed charge, emails, suspension after N days),
-- the emails sent (one per invoice and step, so a run repeated sends
-- nothing twice), and the tenants whose usage-heavy steps are suspended
-- for an unpaid invoice (lifted in the transaction that records its
-- payment).

CREATE TABLE billing_dunning_settings (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	retry_days TEXT NOT NULL,
	email INTEGER NOT NULL CHECK (email IN (0, 1)),
	suspend_after_days INTEGER NOT NULL CHECK (suspend_after_days >= 0),
	updated_at TEXT NOT NULL
);

CREATE TABLE billing_dunning_notices (
	invoice_id INTEGER NOT NULL REFERENCES billing_invoices (id) ON DELETE RESTRICT,
	step TEXT NOT NULL,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	sent_at TEXT NOT NULL,
	PRIMARY KEY (invoice_id, step)
) WITHOUT ROWID;

CREATE TABLE billing_suspensions (
	tenant_id INTEGER PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
	invoice_id INTEGER NOT NULL REFERENCES billing_invoices (id) ON DELETE RESTRICT,
	since TEXT NOT NULL
);
