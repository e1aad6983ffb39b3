-- CRM CSV imports: one job per upload (mapping, dedupe policy, state and
-- counts updated in the same transaction as each batch) and its bad rows.
CREATE TABLE crm_import_jobs (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	object TEXT NOT NULL CHECK (object IN ('person', 'company', 'deal')),
	file_name TEXT NOT NULL DEFAULT '',
	path TEXT NOT NULL DEFAULT '',
	header TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(header)),
	mapping TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(mapping)),
	dedupe TEXT NOT NULL DEFAULT 'skip' CHECK (dedupe IN ('skip', 'update', 'create')),
	continue_bad INTEGER NOT NULL DEFAULT 0,
	status TEXT NOT NULL CHECK (status IN ('mapping', 'running', 'done', 'failed')),
	error TEXT NOT NULL DEFAULT '',
	rows INTEGER NOT NULL DEFAULT 0,
	created INTEGER NOT NULL DEFAULT 0,
	updated INTEGER NOT NULL DEFAULT 0,
	skipped INTEGER NOT NULL DEFAULT 0,
	invalid INTEGER NOT NULL DEFAULT 0,
	actor TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE INDEX crm_import_jobs_tenant ON crm_import_jobs (tenant_id, id);

CREATE TABLE crm_import_errors (
	job_id INTEGER NOT NULL REFERENCES crm_import_jobs (id) ON DELETE CASCADE,
	line INTEGER NOT NULL,
	field TEXT NOT NULL DEFAULT '',
	message TEXT NOT NULL,
	PRIMARY KEY (job_id, line)
) WITHOUT ROWID;


-- Saved views: a tenant's named table of people, companies or deals:
-- columns (JSON list of field keys), conditions (JSON {match, conditions})
-- and sort.
CREATE TABLE crm_views (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	object TEXT NOT NULL CHECK (object IN ('person', 'company', 'deal')),
	name TEXT NOT NULL,
	columns TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(columns)),
	filters TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(filters)),
	sort TEXT NOT NULL DEFAULT '-created_at',
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	UNIQUE (tenant_id, object, name)
);
