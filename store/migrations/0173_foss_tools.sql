-- Developer platform (issue 20): the agency's register of the open-source
-- tools it runs for clients (the FOSS registry's second half). A tool
-- whose update falls due gets a reminder: a task in the house tenant's
-- CRM, made once per due date (reminded_for) in the same transaction
-- that records it.
CREATE TABLE foss_tools (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL,
	version TEXT NOT NULL DEFAULT '',
	licence TEXT NOT NULL DEFAULT '',
	url TEXT NOT NULL DEFAULT '',
	deployed TEXT NOT NULL DEFAULT '',
	tenant_id INTEGER REFERENCES tenants (id) ON DELETE SET NULL,
	update_due TEXT,
	notes TEXT NOT NULL DEFAULT '',
	reminded_for TEXT,
	reminder_task_id INTEGER,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE INDEX foss_tools_due ON foss_tools (update_due);
