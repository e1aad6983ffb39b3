-- Who found each compliance matrix row: the extraction rules or the
-- model (an optional OpenAI-compatible endpoint).
ALTER TABLE federal_requirements ADD COLUMN origin TEXT NOT NULL DEFAULT 'rules' CHECK (origin IN ('rules', 'llm'));

-- CRM tasks and notes on pursuits: a task or note may be linked to a
-- pursued notice (record_type 'pursuit', keyed by federal_pipeline.id) or
-- a pursued grant ('grant_pursuit', keyed by federal_grant_pipeline.id).
--
-- The two pipeline tables get an explicit INTEGER PRIMARY KEY (a bare
-- rowid may change on VACUUM, and notes and tasks point at it); the old
-- rowid becomes the id. crm_notes and crm_tasks are rebuilt to widen their
-- record_type CHECK, keeping their ids so crm_fts rowids stay valid. All
-- four use SQLite's documented table-rebuild sequence; no table refers to
-- them by foreign key.

CREATE TABLE federal_pipeline_new (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	notice_id TEXT NOT NULL,
	stage TEXT NOT NULL CHECK (stage IN ('triage', 'bid_decision', 'capture', 'proposal', 'submitted', 'won', 'lost', 'no_bid')),
	estimated_value_cents INTEGER NOT NULL DEFAULT 0 CHECK (estimated_value_cents >= 0),
	win_probability INTEGER NOT NULL DEFAULT 0 CHECK (win_probability BETWEEN 0 AND 100),
	owner TEXT NOT NULL DEFAULT '',
	notes TEXT NOT NULL DEFAULT '', -- moved to crm_notes below; kept empty
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	UNIQUE (tenant_id, notice_id)
);
INSERT INTO federal_pipeline_new (id, tenant_id, notice_id, stage, estimated_value_cents, win_probability, owner, notes, created_at, updated_at)
	SELECT rowid, tenant_id, notice_id, stage, estimated_value_cents, win_probability, owner, notes, created_at, updated_at FROM federal_pipeline;
DROP TABLE federal_pipeline;
ALTER TABLE federal_pipeline_new RENAME TO federal_pipeline;

CREATE TABLE federal_grant_pipeline_new (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	grant_id TEXT NOT NULL,
	stage TEXT NOT NULL CHECK (stage IN ('triage', 'eligibility', 'drafting', 'submitted', 'awarded', 'declined')),
	owner TEXT NOT NULL DEFAULT '',
	notes TEXT NOT NULL DEFAULT '', -- moved to crm_notes below; kept empty
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	UNIQUE (tenant_id, grant_id)
);
INSERT INTO federal_grant_pipeline_new (id, tenant_id, grant_id, stage, owner, notes, created_at, updated_at)
	SELECT rowid, tenant_id, grant_id, stage, owner, notes, created_at, updated_at FROM federal_grant_pipeline;
DROP TABLE federal_grant_pipeline;
ALTER TABLE federal_grant_pipeline_new RENAME TO federal_grant_pipeline;

CREATE TABLE crm_notes_new (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	record_type TEXT NOT NULL CHECK (record_type IN ('person', 'company', 'deal', 'pursuit', 'grant_pursuit')),
	record_id INTEGER NOT NULL,
	body TEXT NOT NULL,
	author TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
INSERT INTO crm_notes_new (id, tenant_id, record_type, record_id, body, author, created_at, updated_at)
	SELECT id, tenant_id, record_type, record_id, body, author, created_at, updated_at FROM crm_notes;
DROP TABLE crm_notes;
ALTER TABLE crm_notes_new RENAME TO crm_notes;
CREATE INDEX crm_notes_created ON crm_notes (tenant_id, created_at, id);
CREATE INDEX crm_notes_updated ON crm_notes (tenant_id, updated_at, id);
CREATE INDEX crm_notes_record ON crm_notes (record_type, record_id);

CREATE TABLE crm_tasks_new (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	title TEXT NOT NULL,
	name_key TEXT NOT NULL,
	due TEXT,
	assignee_id INTEGER REFERENCES tenant_users (id) ON DELETE SET NULL,
	done INTEGER NOT NULL DEFAULT 0,
	done_at TEXT,
	record_type TEXT NOT NULL DEFAULT '' CHECK (record_type IN ('', 'person', 'company', 'deal', 'pursuit', 'grant_pursuit')),
	record_id INTEGER NOT NULL DEFAULT 0,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
INSERT INTO crm_tasks_new (id, tenant_id, title, name_key, due, assignee_id, done, done_at, record_type, record_id, created_at, updated_at)
	SELECT id, tenant_id, title, name_key, due, assignee_id, done, done_at, record_type, record_id, created_at, updated_at FROM crm_tasks;
DROP TABLE crm_tasks;
ALTER TABLE crm_tasks_new RENAME TO crm_tasks;
CREATE INDEX crm_tasks_created ON crm_tasks (tenant_id, created_at, id);
CREATE INDEX crm_tasks_updated ON crm_tasks (tenant_id, updated_at, id);
CREATE INDEX crm_tasks_name ON crm_tasks (tenant_id, name_key, id);
CREATE INDEX crm_tasks_record ON crm_tasks (record_type, record_id);

-- The free-text notes of pursuits become CRM notes (searchable, markdown),
-- authored by "system" at the pursuit's last change. No timeline entry is
-- written: the text is not new activity and must not fire note.created
-- webhooks on upgrade.
INSERT INTO crm_notes (tenant_id, record_type, record_id, body, author, created_at, updated_at)
	SELECT tenant_id, 'pursuit', id, trim(notes), 'system', updated_at, updated_at FROM federal_pipeline WHERE trim(notes) <> '' ORDER BY id;
INSERT INTO crm_notes (tenant_id, record_type, record_id, body, author, created_at, updated_at)
	SELECT tenant_id, 'grant_pursuit', id, trim(notes), 'system', updated_at, updated_at FROM federal_grant_pipeline WHERE trim(notes) <> '' ORDER BY id;
INSERT INTO crm_fts (rowid, body) SELECT id * 8 + 4, body FROM crm_notes
	WHERE record_type IN ('pursuit', 'grant_pursuit') AND id * 8 + 4 NOT IN (SELECT rowid FROM crm_fts);
UPDATE federal_pipeline SET notes = '' WHERE notes <> '';
UPDATE federal_grant_pipeline SET notes = '' WHERE notes <> '';
