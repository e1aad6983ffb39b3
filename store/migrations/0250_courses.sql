-- Community and courses (#24): members of a tenant's members' area (CRM
-- people with a member flag), their sign-in links and sessions, courses
-- with modules and lessons, enrolments and lesson progress.
CREATE TABLE course_members (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	person_id INTEGER REFERENCES crm_people (id) ON DELETE SET NULL,
	email TEXT NOT NULL,
	name TEXT NOT NULL DEFAULT '',
	password_hash TEXT NOT NULL DEFAULT '',
	time_zone TEXT NOT NULL DEFAULT 'UTC',
	status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'banned')),
	created_at TEXT NOT NULL,
	last_login_at TEXT,
	UNIQUE (tenant_id, email)
);
CREATE INDEX course_members_person ON course_members (person_id);

-- One-time links: an invitation or a magic sign-in link (hash only).
CREATE TABLE course_member_tokens (
	token_hash TEXT PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	member_id INTEGER NOT NULL REFERENCES course_members (id) ON DELETE CASCADE,
	purpose TEXT NOT NULL CHECK (purpose IN ('invite', 'login')),
	expires_at TEXT NOT NULL,
	used_at TEXT
) WITHOUT ROWID;
CREATE INDEX course_member_tokens_member ON course_member_tokens (member_id);

-- Member sessions: the cookie holds the ID, the table its hash.
CREATE TABLE course_member_sessions (
	id_hash TEXT PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	member_id INTEGER NOT NULL REFERENCES course_members (id) ON DELETE CASCADE,
	created_at TEXT NOT NULL,
	expires_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX course_member_sessions_member ON course_member_sessions (member_id);

CREATE TABLE courses (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	slug TEXT NOT NULL,
	title TEXT NOT NULL,
	summary TEXT NOT NULL DEFAULT '',
	description TEXT NOT NULL DEFAULT '',
	published INTEGER NOT NULL DEFAULT 0,
	open_enrolment INTEGER NOT NULL DEFAULT 0,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	UNIQUE (tenant_id, slug)
);

CREATE TABLE course_modules (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	course_id INTEGER NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
	position INTEGER NOT NULL,
	title TEXT NOT NULL
);
CREATE INDEX course_modules_course ON course_modules (course_id, position);

-- drip_days: days after enrolment; drip_date: a fixed local date
-- (YYYY-MM-DD, midnight in the member's time zone); prerequisite: a lesson
-- of the same course to complete first.
CREATE TABLE course_lessons (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	course_id INTEGER NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
	module_id INTEGER NOT NULL REFERENCES course_modules (id) ON DELETE CASCADE,
	position INTEGER NOT NULL,
	title TEXT NOT NULL,
	body TEXT NOT NULL DEFAULT '',
	video_url TEXT NOT NULL DEFAULT '',
	drip_days INTEGER NOT NULL DEFAULT 0 CHECK (drip_days >= 0),
	drip_date TEXT NOT NULL DEFAULT '',
	prerequisite_id INTEGER REFERENCES course_lessons (id) ON DELETE SET NULL,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE INDEX course_lessons_module ON course_lessons (module_id, position);
CREATE INDEX course_lessons_course ON course_lessons (course_id);

CREATE TABLE course_enrolments (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	course_id INTEGER NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
	member_id INTEGER NOT NULL REFERENCES course_members (id) ON DELETE CASCADE,
	source TEXT NOT NULL DEFAULT '',
	enrolled_at TEXT NOT NULL,
	completed_at TEXT,
	UNIQUE (course_id, member_id)
);
CREATE INDEX course_enrolments_member ON course_enrolments (member_id);

CREATE TABLE course_progress (
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	member_id INTEGER NOT NULL REFERENCES course_members (id) ON DELETE CASCADE,
	lesson_id INTEGER NOT NULL REFERENCES course_lessons (id) ON DELETE CASCADE,
	course_id INTEGER NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
	started_at TEXT NOT NULL,
	completed_at TEXT,
	PRIMARY KEY (member_id, lesson_id)
) WITHOUT ROWID;
CREATE INDEX course_progress_course ON course_progress (course_id, lesson_id);
