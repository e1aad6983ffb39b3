-- Community email digest (#24): each member's choice (daily, weekly or
-- off), when their last digest went out (the next one covers what came
-- after; stored before sending, so a restart never sends one twice), and
-- the token of the unsubscribe link in every digest.
ALTER TABLE course_members ADD COLUMN digest TEXT NOT NULL DEFAULT 'daily' CHECK (digest IN ('daily', 'weekly', 'off'));
ALTER TABLE course_members ADD COLUMN digest_sent_at TEXT;
ALTER TABLE course_members ADD COLUMN digest_token TEXT NOT NULL DEFAULT '';
CREATE INDEX course_members_digest ON course_members (digest, digest_sent_at);
CREATE INDEX course_members_digest_token ON course_members (digest_token) WHERE digest_token <> '';
