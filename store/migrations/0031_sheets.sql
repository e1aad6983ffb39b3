-- Data & Sheets: tables of typed columns and their rows. A table's
-- columns are JSON (key, name, type, options ...) each with a slot: the
-- column v1..v50 of sheet_rows holding its values, so filters and sorts
-- compare plain SQLite values (TEXT for text, select and dates as
-- YYYY-MM-DD; REAL for numbers; INTEGER for currency in minor units,
-- checkboxes and linked CRM record IDs) instead of parsing JSON per row.
-- Rows of a running import are written with table_id = -(job id),
-- invisible to every query of a table, and move into it in one UPDATE
-- when the import commits (a failed import deletes them).
CREATE TABLE sheet_tables (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	name TEXT NOT NULL COLLATE NOCASE,
	description TEXT NOT NULL DEFAULT '',
	columns TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(columns)),
	charts TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(charts)),
	row_count INTEGER NOT NULL DEFAULT 0,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	UNIQUE (tenant_id, name)
);

CREATE TABLE sheet_rows (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	table_id INTEGER NOT NULL,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	v1,
	v2,
	v3,
	v4,
	v5,
	v6,
	v7,
	v8,
	v9,
	v10,
	v11,
	v12,
	v13,
	v14,
	v15,
	v16,
	v17,
	v18,
	v19,
	v20,
	v21,
	v22,
	v23,
	v24,
	v25,
	v26,
	v27,
	v28,
	v29,
	v30,
	v31,
	v32,
	v33,
	v34,
	v35,
	v36,
	v37,
	v38,
	v39,
	v40,
	v41,
	v42,
	v43,
	v44,
	v45,
	v46,
	v47,
	v48,
	v49,
	v50
);
CREATE INDEX sheet_rows_table ON sheet_rows (table_id, id);

CREATE TABLE sheet_imports (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	table_id INTEGER NOT NULL REFERENCES sheet_tables (id) ON DELETE CASCADE,
	status TEXT NOT NULL CHECK (status IN ('ready', 'running', 'done', 'failed')),
	phase TEXT NOT NULL DEFAULT '',
	format TEXT NOT NULL CHECK (format IN ('csv', 'xlsx')),
	file_name TEXT NOT NULL DEFAULT '',
	path TEXT NOT NULL DEFAULT '',
	header TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(header)),
	mapping TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(mapping)),
	total INTEGER NOT NULL DEFAULT 0,
	checked INTEGER NOT NULL DEFAULT 0,
	written INTEGER NOT NULL DEFAULT 0,
	errors TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(errors)),
	error_count INTEGER NOT NULL DEFAULT 0,
	message TEXT NOT NULL DEFAULT '',
	created_by TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	finished_at TEXT
);
CREATE INDEX sheet_imports_table ON sheet_imports (table_id, id);
CREATE INDEX sheet_imports_running ON sheet_imports (status) WHERE status = 'running';
