-- Built lead forms of each tenant (the form generator). A submission of a
-- built form is a form_submissions row with form = 'form-<id>'.
CREATE TABLE forms (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	fields TEXT NOT NULL,
	consent TEXT NOT NULL DEFAULT '',
	success_message TEXT NOT NULL DEFAULT '',
	redirect_url TEXT NOT NULL DEFAULT '',
	notify TEXT NOT NULL DEFAULT '[]',
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE INDEX forms_tenant ON forms (tenant_id, id);
CREATE INDEX form_submissions_form ON form_submissions (tenant_id, form);
