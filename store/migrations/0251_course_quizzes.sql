-- Quizzes (#24): a lesson's quiz as JSON ('' for none: questions, options,
-- right answers, pass mark) and members' scored attempts.
ALTER TABLE course_lessons ADD COLUMN quiz TEXT NOT NULL DEFAULT '';

CREATE TABLE course_quiz_attempts (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	member_id INTEGER NOT NULL REFERENCES course_members (id) ON DELETE CASCADE,
	lesson_id INTEGER NOT NULL REFERENCES course_lessons (id) ON DELETE CASCADE,
	course_id INTEGER NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
	score INTEGER NOT NULL,
	passed INTEGER NOT NULL,
	answers TEXT NOT NULL CHECK (json_valid(answers)),
	created_at TEXT NOT NULL
);
CREATE INDEX course_quiz_attempts_member ON course_quiz_attempts (member_id, lesson_id, id);
