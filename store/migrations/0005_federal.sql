-- Federal contracting: SAM.gov opportunities, Grants.gov grants, the bid
-- pipeline and compliance matrices. Every row belongs to a tenant: the
-- house tenant (1) unless the admin enables federal work for a client.

-- The company profile the scout scores notices against. List columns hold
-- JSON arrays of strings.
CREATE TABLE federal_profiles (
	tenant_id INTEGER PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
	enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
	uei TEXT NOT NULL DEFAULT '',
	cage TEXT NOT NULL DEFAULT '',
	naics_primary TEXT NOT NULL DEFAULT '',
	naics_other TEXT NOT NULL DEFAULT '[]',
	psc_codes TEXT NOT NULL DEFAULT '[]',
	set_asides TEXT NOT NULL DEFAULT '[]',
	keywords TEXT NOT NULL DEFAULT '[]',
	states TEXT NOT NULL DEFAULT '[]',
	sam_expires TEXT,
	updated_at TEXT NOT NULL
);

CREATE TABLE federal_certifications (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	number TEXT NOT NULL DEFAULT '',
	expires TEXT,
	created_at TEXT NOT NULL
);
CREATE INDEX federal_certifications_tenant ON federal_certifications (tenant_id, expires);

-- Saved searches. kind 'sam' runs against SAM.gov Get Opportunities,
-- 'grants' against Grants.gov search2. posted_days is the posted-date
-- window ending today (at most 365: SAM.gov refuses longer windows).
CREATE TABLE federal_searches (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	kind TEXT NOT NULL DEFAULT 'sam' CHECK (kind IN ('sam', 'grants')),
	name TEXT NOT NULL,
	naics TEXT NOT NULL DEFAULT '',
	psc TEXT NOT NULL DEFAULT '',
	set_aside TEXT NOT NULL DEFAULT '',
	state TEXT NOT NULL DEFAULT '',
	title TEXT NOT NULL DEFAULT '',
	ptypes TEXT NOT NULL DEFAULT '[]',
	posted_days INTEGER NOT NULL DEFAULT 30 CHECK (posted_days BETWEEN 1 AND 365),
	fetch_descriptions INTEGER NOT NULL DEFAULT 0 CHECK (fetch_descriptions IN (0, 1)),
	last_run_at TEXT,
	last_status TEXT NOT NULL DEFAULT '',
	last_error TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	UNIQUE (tenant_id, name)
);

-- One row per notice ID per tenant: the latest version, its raw JSON, the
-- fetched description text and the fit score against the profile.
CREATE TABLE federal_notices (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	notice_id TEXT NOT NULL,
	title TEXT NOT NULL DEFAULT '',
	solicitation_number TEXT NOT NULL DEFAULT '',
	agency TEXT NOT NULL DEFAULT '',
	type TEXT NOT NULL DEFAULT '',
	set_aside TEXT NOT NULL DEFAULT '',
	naics TEXT NOT NULL DEFAULT '',
	psc TEXT NOT NULL DEFAULT '',
	state TEXT NOT NULL DEFAULT '',
	active INTEGER NOT NULL DEFAULT 1,
	posted_date TEXT NOT NULL DEFAULT '',
	response_deadline TEXT NOT NULL DEFAULT '',
	raw TEXT NOT NULL,
	description_text TEXT NOT NULL DEFAULT '',
	score INTEGER NOT NULL DEFAULT 0,
	versions INTEGER NOT NULL DEFAULT 1,
	first_seen_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	UNIQUE (tenant_id, notice_id)
);
CREATE INDEX federal_notices_score ON federal_notices (tenant_id, score DESC, notice_id);
CREATE INDEX federal_notices_posted ON federal_notices (tenant_id, posted_date DESC, notice_id);

-- Full-text index over titles and description text (external content:
-- triggers keep it in step with federal_notices).
CREATE VIRTUAL TABLE federal_notices_fts USING fts5 (
	title, description_text, content='federal_notices', content_rowid='id', tokenize='porter unicode61'
);
CREATE TRIGGER federal_notices_ai AFTER INSERT ON federal_notices BEGIN
	INSERT INTO federal_notices_fts (rowid, title, description_text) VALUES (new.id, new.title, new.description_text);
END;
CREATE TRIGGER federal_notices_ad AFTER DELETE ON federal_notices BEGIN
	INSERT INTO federal_notices_fts (federal_notices_fts, rowid, title, description_text) VALUES ('delete', old.id, old.title, old.description_text);
END;
CREATE TRIGGER federal_notices_au AFTER UPDATE OF title, description_text ON federal_notices BEGIN
	INSERT INTO federal_notices_fts (federal_notices_fts, rowid, title, description_text) VALUES ('delete', old.id, old.title, old.description_text);
	INSERT INTO federal_notices_fts (rowid, title, description_text) VALUES (new.id, new.title, new.description_text);
END;

-- Amendment history: one row per stored version that changed fields
-- (changes is a JSON array of {field, old, new}).
CREATE TABLE federal_notice_changes (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	notice_id TEXT NOT NULL,
	changed_at TEXT NOT NULL,
	changes TEXT NOT NULL
);
CREATE INDEX federal_notice_changes_notice ON federal_notice_changes (tenant_id, notice_id, id);

-- Why a notice scored what it did (reasons is a JSON array).
CREATE TABLE federal_fit_scores (
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	notice_id TEXT NOT NULL,
	score INTEGER NOT NULL,
	reasons TEXT NOT NULL,
	scored_at TEXT NOT NULL,
	PRIMARY KEY (tenant_id, notice_id)
);

CREATE TABLE federal_pipeline (
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	notice_id TEXT NOT NULL,
	stage TEXT NOT NULL CHECK (stage IN ('triage', 'bid_decision', 'capture', 'proposal', 'submitted', 'won', 'lost', 'no_bid')),
	estimated_value_cents INTEGER NOT NULL DEFAULT 0 CHECK (estimated_value_cents >= 0),
	win_probability INTEGER NOT NULL DEFAULT 0 CHECK (win_probability BETWEEN 0 AND 100),
	owner TEXT NOT NULL DEFAULT '',
	notes TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	PRIMARY KEY (tenant_id, notice_id)
);

-- Compliance matrix rows, extracted from the description and pasted RFP
-- text, then assigned and tracked by hand.
CREATE TABLE federal_requirements (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	notice_id TEXT NOT NULL,
	section TEXT NOT NULL DEFAULT '',
	text TEXT NOT NULL,
	kind TEXT NOT NULL DEFAULT '',
	owner TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'drafted', 'answered', 'na')),
	answered_in TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	UNIQUE (tenant_id, notice_id, section, text)
);

CREATE TABLE federal_scout_runs (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	trigger TEXT NOT NULL,
	started_at TEXT NOT NULL,
	finished_at TEXT NOT NULL,
	status TEXT NOT NULL,
	searches INTEGER NOT NULL DEFAULT 0,
	requests INTEGER NOT NULL DEFAULT 0,
	new_notices INTEGER NOT NULL DEFAULT 0,
	updated_notices INTEGER NOT NULL DEFAULT 0,
	error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX federal_scout_runs_tenant ON federal_scout_runs (tenant_id, id DESC);

CREATE TABLE federal_grants (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	grant_id TEXT NOT NULL,
	number TEXT NOT NULL DEFAULT '',
	title TEXT NOT NULL DEFAULT '',
	agency_code TEXT NOT NULL DEFAULT '',
	agency_name TEXT NOT NULL DEFAULT '',
	open_date TEXT NOT NULL DEFAULT '',
	close_date TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL DEFAULT '',
	doc_type TEXT NOT NULL DEFAULT '',
	alns TEXT NOT NULL DEFAULT '[]',
	first_seen_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	UNIQUE (tenant_id, grant_id)
);
CREATE INDEX federal_grants_close ON federal_grants (tenant_id, close_date);
