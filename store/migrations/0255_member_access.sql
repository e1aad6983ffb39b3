-- Offers and access (#24): an enrolment may end (expires_at: the member
-- sees "access ended on ..."), and a member may be granted a space that
-- its access rule would not show them (by a workflow step), until a date
-- or for good.
ALTER TABLE course_enrolments ADD COLUMN expires_at TEXT;

CREATE TABLE community_space_grants (
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	space_id INTEGER NOT NULL REFERENCES community_spaces (id) ON DELETE CASCADE,
	member_id INTEGER NOT NULL REFERENCES course_members (id) ON DELETE CASCADE,
	source TEXT NOT NULL DEFAULT '',
	expires_at TEXT,
	created_at TEXT NOT NULL,
	PRIMARY KEY (space_id, member_id)
) WITHOUT ROWID;
CREATE INDEX community_space_grants_member ON community_space_grants (member_id);
