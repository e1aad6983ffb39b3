-- Community moderation (#24): members edit their posts and comments
-- (edited_at: the "edited" mark), and report comments as well as posts,
-- once per member and comment until the staff resolves it (hides the
-- comment or dismisses the report).
ALTER TABLE community_posts ADD COLUMN edited_at TEXT;
ALTER TABLE community_comments ADD COLUMN edited_at TEXT;

CREATE TABLE community_comment_reports (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	comment_id INTEGER NOT NULL REFERENCES community_comments (id) ON DELETE CASCADE,
	member_id INTEGER NOT NULL REFERENCES course_members (id) ON DELETE CASCADE,
	reason TEXT NOT NULL,
	created_at TEXT NOT NULL,
	resolved_at TEXT,
	UNIQUE (comment_id, member_id)
);
CREATE INDEX community_comment_reports_open ON community_comment_reports (tenant_id, resolved_at);
CREATE INDEX community_comment_reports_member ON community_comment_reports (member_id);
