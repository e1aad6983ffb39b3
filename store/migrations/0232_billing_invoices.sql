-- Billing (issue #23): invoices and credit notes. Numbers come from one
-- counter bumped in the transaction that issues the document, so they
-- have no gaps (a rolled-back issue rolls the counter back too). An
-- issued document never changes: triggers refuse any change to its
-- lines and amounts; only its payment state moves.

CREATE TABLE billing_counters (
	name TEXT PRIMARY KEY,
	next INTEGER NOT NULL
);
INSERT INTO billing_counters (name, next) VALUES ('invoice', 1);

CREATE TABLE billing_invoices (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE RESTRICT,
	number TEXT NOT NULL UNIQUE,
	kind TEXT NOT NULL CHECK (kind IN ('invoice', 'credit_note')),
	-- credit_of: the invoice a credit note credits.
	credit_of INTEGER REFERENCES billing_invoices (id),
	currency TEXT NOT NULL DEFAULT 'USD',
	period_start TEXT NOT NULL,
	period_end TEXT NOT NULL,
	plan_name TEXT NOT NULL DEFAULT '',
	subtotal_micros INTEGER NOT NULL,
	tax_rate_bp INTEGER NOT NULL DEFAULT 0,
	tax_micros INTEGER NOT NULL,
	total_micros INTEGER NOT NULL,
	status TEXT NOT NULL CHECK (status IN ('open', 'paid', 'void')),
	paid_at TEXT,
	issued_at TEXT NOT NULL
);
-- One invoice per tenant and period: month-end run twice invoices once.
CREATE UNIQUE INDEX billing_invoices_period ON billing_invoices (tenant_id, period_start) WHERE kind = 'invoice';
CREATE INDEX billing_invoices_tenant ON billing_invoices (tenant_id, id);

CREATE TABLE billing_invoice_lines (
	invoice_id INTEGER NOT NULL REFERENCES billing_invoices (id) ON DELETE RESTRICT,
	position INTEGER NOT NULL,
	description TEXT NOT NULL,
	category TEXT NOT NULL DEFAULT '',
	quantity INTEGER NOT NULL DEFAULT 1,
	amount_micros INTEGER NOT NULL,
	PRIMARY KEY (invoice_id, position)
) WITHOUT ROWID;

CREATE TRIGGER billing_invoice_lines_immutable BEFORE UPDATE ON billing_invoice_lines
BEGIN SELECT RAISE(ABORT, 'invoice lines are immutable'); END;
CREATE TRIGGER billing_invoice_lines_no_delete BEFORE DELETE ON billing_invoice_lines
BEGIN SELECT RAISE(ABORT, 'invoice lines are immutable'); END;
CREATE TRIGGER billing_invoices_immutable BEFORE UPDATE OF tenant_id, number, kind, credit_of, currency, period_start, period_end, plan_name,
	subtotal_micros, tax_rate_bp, tax_micros, total_micros, issued_at ON billing_invoices
BEGIN SELECT RAISE(ABORT, 'an issued invoice is immutable'); END;
CREATE TRIGGER billing_invoices_no_delete BEFORE DELETE ON billing_invoices
BEGIN SELECT RAISE(ABORT, 'an issued invoice is immutable'); END;
