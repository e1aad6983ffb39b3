-- Conversations reports (issue #18). An episode is one stretch of a
-- conversation from its opening to its closing: a customer's message
-- opens one on a new or closed thread (a person reopening a closed thread
-- by hand opens one too), closing the thread ends it. customer_at is the
-- first customer message of the episode, first_response_at the first
-- reply of a person or an agent after it (automatic replies such as the
-- out-of-hours one do not count), assignee the thread's assignee (kept
-- current while open, frozen at closing). The reports read episodes only:
-- first-response and resolution times, volume, per assignee.
CREATE TABLE inbox_episodes (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	conversation_id INTEGER NOT NULL REFERENCES inbox_conversations (id) ON DELETE CASCADE,
	channel TEXT NOT NULL,
	assignee TEXT NOT NULL DEFAULT '',
	opened_at TEXT NOT NULL,
	customer_at TEXT,
	first_response_at TEXT,
	closed_at TEXT
);
CREATE INDEX inbox_episodes_period ON inbox_episodes (tenant_id, opened_at);
CREATE INDEX inbox_episodes_all ON inbox_episodes (opened_at);
-- At most one open episode per conversation.
CREATE UNIQUE INDEX inbox_episodes_open ON inbox_episodes (conversation_id) WHERE closed_at IS NULL;

-- The conversations before this migration: one episode each, from its
-- creation (its first customer message, its first reply after that) to
-- its last change when it is closed.
INSERT INTO inbox_episodes (tenant_id, conversation_id, channel, assignee, opened_at, customer_at, first_response_at, closed_at)
SELECT c.tenant_id, c.id, c.channel, c.assignee, c.created_at,
	(SELECT min(m.created_at) FROM inbox_messages m WHERE m.conversation_id = c.id AND m.direction = 'in'),
	(SELECT min(r.created_at) FROM inbox_messages r WHERE r.conversation_id = c.id AND r.direction = 'out' AND r.author <> 'system' AND r.author NOT LIKE 'system:%'
		AND r.created_at >= (SELECT min(m.created_at) FROM inbox_messages m WHERE m.conversation_id = c.id AND m.direction = 'in')),
	CASE WHEN c.status = 'closed' THEN c.updated_at END
FROM inbox_conversations c;
