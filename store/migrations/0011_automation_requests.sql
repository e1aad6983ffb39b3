-- Automation requests: a client asks for a workflow from the template
-- catalogue (app.AutomationTemplates) with its parameters; an admin
-- approves (the workflow is created in the client's tenant in the same
-- transaction) or rejects with a note.
CREATE TABLE automation_requests (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	template TEXT NOT NULL,
	params TEXT NOT NULL DEFAULT '{}',
	status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
	note TEXT NOT NULL DEFAULT '',
	workflow_id INTEGER REFERENCES workflows (id) ON DELETE SET NULL,
	created_by INTEGER NOT NULL DEFAULT 0,
	decided_by INTEGER NOT NULL DEFAULT 0,
	created_at TEXT NOT NULL,
	decided_at TEXT
);
CREATE INDEX automation_requests_tenant ON automation_requests (tenant_id, id);
CREATE INDEX automation_requests_pending ON automation_requests (id) WHERE status = 'pending';
