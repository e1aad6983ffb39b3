-- Automations: workflows with immutable versions, form submissions, and
-- the durable run queue (runs + run_steps) that the engine's workers claim.

-- Contacts are leads for now (the CRM replaces them): tags as a JSON array,
-- and the keys leads are deduplicated by.
ALTER TABLE leads ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
ALTER TABLE leads ADD COLUMN phone_norm TEXT NOT NULL DEFAULT '';
ALTER TABLE leads ADD COLUMN updated_at TEXT NOT NULL DEFAULT '';
CREATE INDEX leads_tenant_email ON leads (tenant_id, email) WHERE email <> '';
CREATE INDEX leads_tenant_phone ON leads (tenant_id, phone_norm) WHERE phone_norm <> '';

CREATE TABLE workflows (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	trigger TEXT NOT NULL,
	enabled INTEGER NOT NULL DEFAULT 0 CHECK (enabled IN (0, 1)),
	version INTEGER NOT NULL DEFAULT 1,
	seed TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE INDEX workflows_trigger ON workflows (tenant_id, trigger) WHERE enabled = 1;
CREATE UNIQUE INDEX workflows_seed ON workflows (tenant_id, seed) WHERE seed <> '';

-- A run keeps the version it started with, so editing a workflow never
-- changes a run in flight.
CREATE TABLE workflow_versions (
	id INTEGER PRIMARY KEY,
	workflow_id INTEGER NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
	version INTEGER NOT NULL,
	definition TEXT NOT NULL,
	created_at TEXT NOT NULL,
	UNIQUE (workflow_id, version)
);

CREATE TABLE form_submissions (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	form TEXT NOT NULL,
	lead_id INTEGER REFERENCES leads (id) ON DELETE SET NULL,
	payload TEXT NOT NULL,
	ip TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL
);
CREATE INDEX form_submissions_tenant ON form_submissions (tenant_id, id);

CREATE TABLE runs (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	workflow_id INTEGER NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
	version_id INTEGER NOT NULL REFERENCES workflow_versions (id),
	submission_id INTEGER REFERENCES form_submissions (id) ON DELETE SET NULL,
	status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'waiting', 'succeeded', 'failed')),
	step_index INTEGER NOT NULL DEFAULT 0,
	attempts INTEGER NOT NULL DEFAULT 0,
	next_attempt_at TEXT NOT NULL,
	lease_until TEXT,
	claim_token TEXT,
	payload TEXT NOT NULL DEFAULT '{}',
	contact_id INTEGER NOT NULL DEFAULT 0,
	error TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
-- The claim query: due queued/waiting runs, and running runs whose lease ended.
CREATE INDEX runs_due ON runs (next_attempt_at) WHERE status IN ('queued', 'waiting');
CREATE INDEX runs_lease ON runs (lease_until) WHERE status = 'running';
CREATE INDEX runs_tenant ON runs (tenant_id, id);
CREATE INDEX runs_workflow ON runs (workflow_id, id);

CREATE TABLE run_steps (
	id INTEGER PRIMARY KEY,
	run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	step_index INTEGER NOT NULL,
	step_id TEXT NOT NULL,
	type TEXT NOT NULL,
	status TEXT NOT NULL CHECK (status IN ('started', 'succeeded', 'failed', 'skipped')),
	input TEXT NOT NULL DEFAULT '',
	output TEXT NOT NULL DEFAULT '',
	error TEXT NOT NULL DEFAULT '',
	attempt INTEGER NOT NULL DEFAULT 0,
	idempotency_key TEXT NOT NULL UNIQUE,
	provider_id TEXT NOT NULL DEFAULT '',
	provider_status TEXT NOT NULL DEFAULT '',
	started_at TEXT NOT NULL,
	finished_at TEXT,
	UNIQUE (run_id, step_index)
);
CREATE INDEX run_steps_provider ON run_steps (provider_id) WHERE provider_id <> '';

-- Inbound Twilio webhooks (SMS, calls), verified by signature.
CREATE TABLE twilio_events (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	kind TEXT NOT NULL,
	sid TEXT NOT NULL DEFAULT '',
	from_number TEXT NOT NULL DEFAULT '',
	to_number TEXT NOT NULL DEFAULT '',
	body TEXT NOT NULL DEFAULT '',
	payload TEXT NOT NULL,
	created_at TEXT NOT NULL
);
