-- New-client wizard (issue #22): one guided run per new client (client,
-- owner invitation, brand, domain, snapshot). The run's state is stored
-- step by step so it resumes where it stopped after an interrupted
-- request or a restart: step is the next step to do ('done' at the end),
-- inputs and results are JSON objects keyed by step name. The tenant is
-- set in the same transaction that creates it.
CREATE TABLE tenant_wizards (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER REFERENCES tenants (id) ON DELETE SET NULL,
	step TEXT NOT NULL,
	inputs TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(inputs)),
	results TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(results)),
	created_by TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE INDEX tenant_wizards_tenant ON tenant_wizards (tenant_id);
