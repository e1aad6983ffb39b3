-- Snapshots (issue #22): a tenant's configuration (pipelines, custom
-- fields, forms, workflows, agents, event types, sites, sheets' structure)
-- captured as JSON to apply to other tenants. Agency-wide, not a tenant's
-- data: no tenant_id. Versions of one name count up.
CREATE TABLE tenant_snapshots (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL,
	version INTEGER NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	source_tenant_id INTEGER REFERENCES tenants (id) ON DELETE SET NULL,
	source_name TEXT NOT NULL DEFAULT '',
	schema_version TEXT NOT NULL,
	format INTEGER NOT NULL,
	data TEXT NOT NULL CHECK (json_valid(data)),
	items INTEGER NOT NULL DEFAULT 0,
	created_by TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	UNIQUE (name, version)
);
