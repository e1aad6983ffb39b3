-- Conversations (issue #18): round-robin assignment. The team member a
-- tenant's last round-robin assignment went to; the next one goes to
-- the member after them (in email order), so new threads take turns.
CREATE TABLE inbox_round_robin (
	tenant_id INTEGER PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
	last_assignee TEXT NOT NULL DEFAULT '',
	updated_at TEXT NOT NULL
);
