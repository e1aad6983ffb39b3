-- Conversations (issue #18): one inbox per tenant for SMS, email, web
-- chat and calls. A conversation is a thread with one contact on one
-- channel (thread_key says which: the contact's number and ours for SMS,
-- the first Message-ID for email, the agent conversation for chat); its
-- messages are inbound, outbound or private notes, searchable by FTS5.

CREATE TABLE inbox_conversations (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	channel TEXT NOT NULL CHECK (channel IN ('sms', 'email', 'chat', 'call')),
	thread_key TEXT NOT NULL,
	-- The contact's address (phone, email, chat visitor) and ours (the
	-- number or mailbox written to).
	address TEXT NOT NULL DEFAULT '',
	local_address TEXT NOT NULL DEFAULT '',
	contact_name TEXT NOT NULL DEFAULT '',
	person_id INTEGER REFERENCES crm_people (id) ON DELETE SET NULL,
	subject TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'pending', 'snoozed', 'closed')),
	snoozed_until TEXT,
	assignee TEXT NOT NULL DEFAULT '',
	labels TEXT NOT NULL DEFAULT '[]',
	unread INTEGER NOT NULL DEFAULT 0,
	last_message_at TEXT NOT NULL,
	last_preview TEXT NOT NULL DEFAULT '',
	last_direction TEXT NOT NULL DEFAULT '',
	-- The Agent Studio conversation answering it (chat, an agent's number).
	agent_conversation_id INTEGER,
	-- A text to a number no tenant owns: kept in the house inbox, marked.
	unrouted INTEGER NOT NULL DEFAULT 0 CHECK (unrouted IN (0, 1)),
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	UNIQUE (tenant_id, channel, thread_key)
);
CREATE INDEX inbox_conversations_list ON inbox_conversations (tenant_id, last_message_at DESC, id DESC);
CREATE INDEX inbox_conversations_status ON inbox_conversations (tenant_id, status, last_message_at DESC, id DESC);
CREATE INDEX inbox_conversations_all ON inbox_conversations (last_message_at DESC, id DESC);
CREATE INDEX inbox_conversations_person ON inbox_conversations (person_id) WHERE person_id IS NOT NULL;
CREATE INDEX inbox_conversations_agent ON inbox_conversations (agent_conversation_id) WHERE agent_conversation_id IS NOT NULL;

CREATE TABLE inbox_messages (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	conversation_id INTEGER NOT NULL REFERENCES inbox_conversations (id) ON DELETE CASCADE,
	direction TEXT NOT NULL CHECK (direction IN ('in', 'out', 'note')),
	author TEXT NOT NULL DEFAULT '',
	subject TEXT NOT NULL DEFAULT '',
	body TEXT NOT NULL DEFAULT '',
	-- Sanitised HTML of an email (bluemonday), shown instead of body.
	html TEXT NOT NULL DEFAULT '',
	-- JSON array of {name, type, size, stored}: metadata only.
	attachments TEXT NOT NULL DEFAULT '[]',
	-- The provider's ID (Twilio's MessageSid, an email's Message-ID):
	-- one message per ID and tenant, so a retry is never stored twice.
	provider_id TEXT,
	-- Email threading: the parent's Message-ID and the References chain.
	in_reply_to TEXT NOT NULL DEFAULT '',
	refs TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL DEFAULT '',
	error TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX inbox_messages_provider ON inbox_messages (tenant_id, provider_id) WHERE provider_id IS NOT NULL;
CREATE INDEX inbox_messages_conversation ON inbox_messages (conversation_id, id);

CREATE VIRTUAL TABLE inbox_messages_fts USING fts5 (subject, body, content = 'inbox_messages', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2');
CREATE TRIGGER inbox_messages_ai AFTER INSERT ON inbox_messages BEGIN
	INSERT INTO inbox_messages_fts (rowid, subject, body) VALUES (new.id, new.subject, new.body);
END;
CREATE TRIGGER inbox_messages_ad AFTER DELETE ON inbox_messages BEGIN
	INSERT INTO inbox_messages_fts (inbox_messages_fts, rowid, subject, body) VALUES ('delete', old.id, old.subject, old.body);
END;
CREATE TRIGGER inbox_messages_au AFTER UPDATE OF subject, body ON inbox_messages BEGIN
	INSERT INTO inbox_messages_fts (inbox_messages_fts, rowid, subject, body) VALUES ('delete', old.id, old.subject, old.body);
	INSERT INTO inbox_messages_fts (rowid, subject, body) VALUES (new.id, new.subject, new.body);
END;

-- Canned replies: a name and a body with {{first_name}}-style fields.
CREATE TABLE inbox_canned (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	body TEXT NOT NULL,
	created_at TEXT NOT NULL,
	UNIQUE (tenant_id, name)
);
