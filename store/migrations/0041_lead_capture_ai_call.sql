-- The seeded "Lead capture" workflow calls the lead with the tenant's AI
-- agent when one answers calls (Agent Studio), and with the keypad menu
-- otherwise. Installs whose seeded workflow is still exactly the original
-- get that as a new version; a workflow someone edited is left alone.
INSERT INTO workflow_versions (workflow_id, version, definition, created_at)
SELECT w.id, w.version + 1,
	'{"steps":[{"id":"contact","type":"contact"},{"id":"has-phone","type":"if","field":"contact.phone","op":"empty","then":"notify"},{"id":"call","type":"ai_call","say":"Hello {{.Contact.FirstName}}, thank you for contacting us. We will call you back within one business day.","gather":"Press 1 to confirm that you would like a call back.","retries":3,"purpose":"{{.Contact.FirstName}} just filled in the website form: thank them, answer their questions, find out what they need and book a free consultation."},{"id":"notify","type":"notify","subject":"New lead: {{.Contact.FirstName}} {{.Contact.LastName}}","body":"Name: {{.Contact.FirstName}} {{.Contact.LastName}}\nEmail: {{.Contact.Email}}\nPhone: {{.Contact.Phone}}\nSource: {{.Trigger.source}}\n"}]}',
	strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
FROM workflows w JOIN workflow_versions v ON v.id = w.version_id
WHERE w.seed = 'lead-capture'
	AND v.definition = '{"steps":[{"id":"contact","type":"contact"},{"id":"has-phone","type":"if","field":"contact.phone","op":"empty","then":"notify"},{"id":"call","type":"call","say":"Hello {{.Contact.FirstName}}, thank you for contacting us. We will call you back within one business day.","gather":"Press 1 to confirm that you would like a call back.","retries":3},{"id":"notify","type":"notify","subject":"New lead: {{.Contact.FirstName}} {{.Contact.LastName}}","body":"Name: {{.Contact.FirstName}} {{.Contact.LastName}}\nEmail: {{.Contact.Email}}\nPhone: {{.Contact.Phone}}\nSource: {{.Trigger.source}}\n"}]}';

UPDATE workflows
SET version = version + 1,
	version_id = (SELECT v.id FROM workflow_versions v WHERE v.workflow_id = workflows.id AND v.version = workflows.version + 1),
	updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
WHERE seed = 'lead-capture'
	AND EXISTS (SELECT 1 FROM workflow_versions v WHERE v.workflow_id = workflows.id AND v.version = workflows.version + 1);
