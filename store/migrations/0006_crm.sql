-- CRM: people, companies, pipelines and stages, deals, notes, tasks and
-- the timeline, every row owned by a tenant. Times are UTC RFC 3339 text
-- (fixed width, so text order is time order). name_key is the lowercased
-- display name, the "name" sort key.
CREATE TABLE crm_companies (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	name_key TEXT NOT NULL,
	domain TEXT NOT NULL DEFAULT '',
	industry TEXT NOT NULL DEFAULT '',
	size TEXT NOT NULL DEFAULT '',
	address TEXT NOT NULL DEFAULT '',
	custom TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(custom)),
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE INDEX crm_companies_created ON crm_companies (tenant_id, created_at, id);
CREATE INDEX crm_companies_updated ON crm_companies (tenant_id, updated_at, id);
CREATE INDEX crm_companies_name ON crm_companies (tenant_id, name_key, id);
CREATE INDEX crm_companies_domain ON crm_companies (tenant_id, domain);

-- emails, phones and tags are JSON arrays (what the API shows);
-- crm_contact_points indexes emails and phones for filters and duplicates.
CREATE TABLE crm_people (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	first_name TEXT NOT NULL DEFAULT '',
	last_name TEXT NOT NULL DEFAULT '',
	name_key TEXT NOT NULL,
	emails TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(emails)),
	phones TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(phones)),
	company_id INTEGER REFERENCES crm_companies (id) ON DELETE SET NULL,
	title TEXT NOT NULL DEFAULT '',
	address TEXT NOT NULL DEFAULT '',
	source TEXT NOT NULL DEFAULT '',
	owner_id INTEGER REFERENCES tenant_users (id) ON DELETE SET NULL,
	tags TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(tags)),
	consent_email INTEGER NOT NULL DEFAULT 0,
	consent_sms INTEGER NOT NULL DEFAULT 0,
	consent_calls INTEGER NOT NULL DEFAULT 0,
	custom TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(custom)),
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE INDEX crm_people_created ON crm_people (tenant_id, created_at, id);
CREATE INDEX crm_people_updated ON crm_people (tenant_id, updated_at, id);
CREATE INDEX crm_people_name ON crm_people (tenant_id, name_key, id);
CREATE INDEX crm_people_company ON crm_people (company_id, created_at);

CREATE TABLE crm_contact_points (
	tenant_id INTEGER NOT NULL,
	person_id INTEGER NOT NULL REFERENCES crm_people (id) ON DELETE CASCADE,
	kind TEXT NOT NULL CHECK (kind IN ('email', 'phone')),
	value TEXT NOT NULL,
	PRIMARY KEY (person_id, kind, value)
) WITHOUT ROWID;
CREATE INDEX crm_contact_points_value ON crm_contact_points (value, kind);

CREATE TABLE crm_pipelines (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	position INTEGER NOT NULL DEFAULT 0,
	created_at TEXT NOT NULL,
	UNIQUE (tenant_id, name)
);

CREATE TABLE crm_stages (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	pipeline_id INTEGER NOT NULL REFERENCES crm_pipelines (id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	position INTEGER NOT NULL,
	probability INTEGER NOT NULL CHECK (probability BETWEEN 0 AND 100),
	won INTEGER NOT NULL DEFAULT 0,
	lost INTEGER NOT NULL DEFAULT 0,
	UNIQUE (pipeline_id, name)
);

CREATE TABLE crm_deals (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	name_key TEXT NOT NULL,
	amount INTEGER NOT NULL DEFAULT 0,
	currency TEXT NOT NULL DEFAULT 'USD',
	pipeline_id INTEGER NOT NULL REFERENCES crm_pipelines (id),
	stage_id INTEGER NOT NULL REFERENCES crm_stages (id),
	expected_close TEXT,
	probability INTEGER,
	owner_id INTEGER REFERENCES tenant_users (id) ON DELETE SET NULL,
	company_id INTEGER REFERENCES crm_companies (id) ON DELETE SET NULL,
	custom TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(custom)),
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE INDEX crm_deals_created ON crm_deals (tenant_id, created_at, id);
CREATE INDEX crm_deals_updated ON crm_deals (tenant_id, updated_at, id);
CREATE INDEX crm_deals_name ON crm_deals (tenant_id, name_key, id);
CREATE INDEX crm_deals_stage ON crm_deals (stage_id);
CREATE INDEX crm_deals_company ON crm_deals (company_id);

CREATE TABLE crm_deal_people (
	deal_id INTEGER NOT NULL REFERENCES crm_deals (id) ON DELETE CASCADE,
	person_id INTEGER NOT NULL REFERENCES crm_people (id) ON DELETE CASCADE,
	PRIMARY KEY (deal_id, person_id)
) WITHOUT ROWID;
CREATE INDEX crm_deal_people_person ON crm_deal_people (person_id);

CREATE TABLE crm_notes (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	record_type TEXT NOT NULL CHECK (record_type IN ('person', 'company', 'deal')),
	record_id INTEGER NOT NULL,
	body TEXT NOT NULL,
	author TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE INDEX crm_notes_created ON crm_notes (tenant_id, created_at, id);
CREATE INDEX crm_notes_updated ON crm_notes (tenant_id, updated_at, id);
CREATE INDEX crm_notes_record ON crm_notes (record_type, record_id);

CREATE TABLE crm_tasks (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	title TEXT NOT NULL,
	name_key TEXT NOT NULL,
	due TEXT,
	assignee_id INTEGER REFERENCES tenant_users (id) ON DELETE SET NULL,
	done INTEGER NOT NULL DEFAULT 0,
	done_at TEXT,
	record_type TEXT NOT NULL DEFAULT '' CHECK (record_type IN ('', 'person', 'company', 'deal')),
	record_id INTEGER NOT NULL DEFAULT 0,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE INDEX crm_tasks_created ON crm_tasks (tenant_id, created_at, id);
CREATE INDEX crm_tasks_updated ON crm_tasks (tenant_id, updated_at, id);
CREATE INDEX crm_tasks_name ON crm_tasks (tenant_id, name_key, id);
CREATE INDEX crm_tasks_record ON crm_tasks (record_type, record_id);

-- Custom fields a tenant defines per object; values live in each
-- record's custom JSON object, checked against these definitions.
CREATE TABLE crm_custom_fields (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	object TEXT NOT NULL CHECK (object IN ('person', 'company', 'deal')),
	key TEXT NOT NULL,
	label TEXT NOT NULL,
	type TEXT NOT NULL CHECK (type IN ('text', 'number', 'date', 'select', 'multi_select', 'checkbox', 'url')),
	options TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(options)),
	position INTEGER NOT NULL DEFAULT 0,
	created_at TEXT NOT NULL,
	UNIQUE (tenant_id, object, key)
);

-- The timeline of every record: created, field changes (field, old, new),
-- notes, tasks, and later forms, SMS, calls, emails. Written in the same
-- transaction as the change it records.
CREATE TABLE crm_timeline (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	record_type TEXT NOT NULL,
	record_id INTEGER NOT NULL,
	kind TEXT NOT NULL,
	actor TEXT NOT NULL DEFAULT '',
	field TEXT NOT NULL DEFAULT '',
	old TEXT NOT NULL DEFAULT '',
	new TEXT NOT NULL DEFAULT '',
	body TEXT NOT NULL DEFAULT '',
	ref_type TEXT NOT NULL DEFAULT '',
	ref_id INTEGER NOT NULL DEFAULT 0,
	created_at TEXT NOT NULL
);
CREATE INDEX crm_timeline_record ON crm_timeline (record_type, record_id, created_at, id);

-- Full-text index over names, emails, phones, company data, deal names,
-- notes and task titles. rowid = record id * 8 + type code (person 1,
-- company 2, deal 3, note 4, task 5), kept in step by the store in the
-- same transaction as each write.
CREATE VIRTUAL TABLE crm_fts USING fts5 (body, tokenize = 'unicode61 remove_diacritics 2');
