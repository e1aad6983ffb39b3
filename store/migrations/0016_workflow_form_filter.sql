-- The form a form_submitted workflow listens to (its when.form; '' = any),
-- kept beside the workflow so enqueueing a submission's runs reads no JSON.
ALTER TABLE workflows ADD COLUMN form_filter TEXT NOT NULL DEFAULT '';
UPDATE workflows SET form_filter = coalesce((SELECT json_extract(v.definition, '$.when.form') FROM workflow_versions v
	WHERE v.workflow_id = workflows.id AND v.version = workflows.version), '');
-- And the id of its current version, for the same reason (no join).
ALTER TABLE workflows ADD COLUMN version_id INTEGER NOT NULL DEFAULT 0;
UPDATE workflows SET version_id = coalesce((SELECT v.id FROM workflow_versions v
	WHERE v.workflow_id = workflows.id AND v.version = workflows.version), 0);

-- The lead inbox keeps every inquiry (the CRM person is the deduplicated
-- contact), so the indexes its old upsert looked leads up by go.
DROP INDEX IF EXISTS leads_tenant_email;
DROP INDEX IF EXISTS leads_tenant_phone;
