-- Lesson files (#24): an uploaded video (at most one per lesson, played
-- with range requests) and downloadable files (PDF ...). The bytes are
-- kept in SQLite like every other tenant file (wiki attachments, site
-- media), so Litestream and the tenant export carry them; in chunks of
-- 1 MiB so a range request reads only the chunks it needs.
CREATE TABLE course_lesson_files (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	course_id INTEGER NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
	lesson_id INTEGER NOT NULL REFERENCES course_lessons (id) ON DELETE CASCADE,
	kind TEXT NOT NULL CHECK (kind IN ('video', 'download')),
	name TEXT NOT NULL,
	content_type TEXT NOT NULL,
	size INTEGER NOT NULL CHECK (size > 0),
	sha256 TEXT NOT NULL,
	created_at TEXT NOT NULL
);
CREATE INDEX course_lesson_files_lesson ON course_lesson_files (lesson_id, id);
CREATE UNIQUE INDEX course_lesson_files_video ON course_lesson_files (lesson_id) WHERE kind = 'video';

CREATE TABLE course_lesson_file_chunks (
	file_id INTEGER NOT NULL REFERENCES course_lesson_files (id) ON DELETE CASCADE,
	seq INTEGER NOT NULL,
	data BLOB NOT NULL,
	PRIMARY KEY (file_id, seq)
);
