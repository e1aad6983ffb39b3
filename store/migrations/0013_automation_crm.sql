-- Automations on the CRM: a workflow's contact is a CRM person (runs.contact_id
-- now names a crm_people row, not a leads row); runs also carry the deal
-- they act on; workflows gain the state of their schedule and incoming
-- webhook triggers; CRM events reach workflows from crm_timeline (the
-- outbox the webhooks read too) through their own cursor.
ALTER TABLE form_submissions ADD COLUMN person_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN deal_id INTEGER NOT NULL DEFAULT 0;
-- Unfinished runs named leads rows; their contact step finds the person
-- again from the trigger fields.
UPDATE runs SET contact_id = 0 WHERE status IN ('queued', 'running', 'waiting');
CREATE INDEX runs_contact ON runs (tenant_id, contact_id, id) WHERE contact_id <> 0;

-- Incoming webhook trigger: sha256 (hex) of the workflow's secret URL token.
ALTER TABLE workflows ADD COLUMN hook_hash TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX workflows_hook ON workflows (hook_hash) WHERE hook_hash <> '';
-- Schedule trigger: when the cron expression fires next (UTC).
ALTER TABLE workflows ADD COLUMN next_fire_at TEXT;

CREATE TABLE automation_cursor (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	timeline_id INTEGER NOT NULL
);
INSERT INTO automation_cursor (id, timeline_id) SELECT 1, coalesce(max(id), 0) FROM crm_timeline;

-- Date-field triggers fire once per workflow, record and date.
CREATE TABLE automation_date_fired (
	workflow_id INTEGER NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
	record_id INTEGER NOT NULL,
	on_date TEXT NOT NULL,
	PRIMARY KEY (workflow_id, record_id, on_date)
) WITHOUT ROWID;

-- The write transaction of each timeline entry: a person update that
-- changed three fields is one event for the contact_updated trigger.
ALTER TABLE crm_timeline ADD COLUMN tx INTEGER NOT NULL DEFAULT 0;
