-- Conversations (issue #18): the files that came with an email, stored
-- when within the size cap and of a kind kept (inbox.KeepAttachment);
-- the message's attachments JSON names each by id. Downloads are scoped
-- by tenant and conversation.
CREATE TABLE inbox_attachments (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	message_id INTEGER NOT NULL REFERENCES inbox_messages (id) ON DELETE CASCADE,
	conversation_id INTEGER NOT NULL,
	name TEXT NOT NULL,
	type TEXT NOT NULL DEFAULT '',
	size INTEGER NOT NULL,
	data BLOB NOT NULL,
	created_at TEXT NOT NULL
);
CREATE INDEX inbox_attachments_message ON inbox_attachments (message_id);
