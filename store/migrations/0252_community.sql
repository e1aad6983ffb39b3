-- Community (#24): spaces (channels) of a tenant's members' area, posts,
-- comments, reactions, mentions and reports; per-tenant moderation
-- settings; and two member flags: banned from the community (members may
-- still learn) and hidden from the member directory (opt-out).
ALTER TABLE course_members ADD COLUMN community_banned INTEGER NOT NULL DEFAULT 0;
ALTER TABLE course_members ADD COLUMN directory_hidden INTEGER NOT NULL DEFAULT 0;

-- banned_words: one word or phrase per line; flood_limit: posts and
-- comments a member may write per minute.
CREATE TABLE community_settings (
	tenant_id INTEGER PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
	banned_words TEXT NOT NULL DEFAULT '',
	flood_limit INTEGER NOT NULL DEFAULT 5 CHECK (flood_limit BETWEEN 1 AND 100),
	updated_at TEXT NOT NULL
);

-- access: every member ('all'), members enrolled in course_id ('course')
-- or members whose CRM person carries tag ('tag').
CREATE TABLE community_spaces (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	slug TEXT NOT NULL,
	name TEXT NOT NULL,
	description TEXT NOT NULL DEFAULT '',
	access TEXT NOT NULL DEFAULT 'all' CHECK (access IN ('all', 'course', 'tag')),
	course_id INTEGER REFERENCES courses (id) ON DELETE SET NULL,
	tag TEXT NOT NULL DEFAULT '',
	archived_at TEXT,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	UNIQUE (tenant_id, slug)
);

-- A post by a member (member_id) or by the staff (member_id NULL,
-- author_name the staff's name). The feed reads newest first by id with
-- a keyset (id < cursor) on (space_id, id).
CREATE TABLE community_posts (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	space_id INTEGER NOT NULL REFERENCES community_spaces (id) ON DELETE CASCADE,
	member_id INTEGER REFERENCES course_members (id) ON DELETE CASCADE,
	author_name TEXT NOT NULL,
	title TEXT NOT NULL DEFAULT '',
	body TEXT NOT NULL,
	pinned INTEGER NOT NULL DEFAULT 0,
	hidden_at TEXT,
	comments INTEGER NOT NULL DEFAULT 0,
	created_at TEXT NOT NULL
);
CREATE INDEX community_posts_feed ON community_posts (space_id, id);
CREATE INDEX community_posts_tenant ON community_posts (tenant_id, id);
CREATE INDEX community_posts_member ON community_posts (member_id);

CREATE TABLE community_comments (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	post_id INTEGER NOT NULL REFERENCES community_posts (id) ON DELETE CASCADE,
	member_id INTEGER REFERENCES course_members (id) ON DELETE CASCADE,
	author_name TEXT NOT NULL,
	body TEXT NOT NULL,
	hidden_at TEXT,
	created_at TEXT NOT NULL
);
CREATE INDEX community_comments_post ON community_comments (post_id, id);
CREATE INDEX community_comments_member ON community_comments (member_id);

CREATE TABLE community_reactions (
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	post_id INTEGER NOT NULL REFERENCES community_posts (id) ON DELETE CASCADE,
	member_id INTEGER NOT NULL REFERENCES course_members (id) ON DELETE CASCADE,
	kind TEXT NOT NULL CHECK (kind IN ('like', 'love', 'celebrate', 'insightful')),
	created_at TEXT NOT NULL,
	PRIMARY KEY (post_id, member_id, kind)
) WITHOUT ROWID;
CREATE INDEX community_reactions_member ON community_reactions (member_id);

-- A member named with @handle in a post or a comment.
CREATE TABLE community_mentions (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	member_id INTEGER NOT NULL REFERENCES course_members (id) ON DELETE CASCADE,
	post_id INTEGER NOT NULL REFERENCES community_posts (id) ON DELETE CASCADE,
	comment_id INTEGER REFERENCES community_comments (id) ON DELETE CASCADE,
	by_name TEXT NOT NULL,
	created_at TEXT NOT NULL
);
CREATE INDEX community_mentions_member ON community_mentions (member_id, id);
CREATE INDEX community_mentions_post ON community_mentions (post_id);

-- A member's report of a post, once per member and post, until the staff
-- resolves it (hides the post or dismisses the report).
CREATE TABLE community_reports (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	post_id INTEGER NOT NULL REFERENCES community_posts (id) ON DELETE CASCADE,
	member_id INTEGER NOT NULL REFERENCES course_members (id) ON DELETE CASCADE,
	reason TEXT NOT NULL,
	created_at TEXT NOT NULL,
	resolved_at TEXT,
	UNIQUE (post_id, member_id)
);
CREATE INDEX community_reports_open ON community_reports (tenant_id, resolved_at);
CREATE INDEX community_reports_member ON community_reports (member_id);
