-- Agent Studio: AI agents with versioned configurations, their
-- conversations (turns, tool calls, tokens, cost), knowledge documents
-- indexed by FTS5 with optional vectors, and usage metering with an
-- editable price table and per-tenant daily budgets.

CREATE TABLE agents (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	enabled INTEGER NOT NULL DEFAULT 0 CHECK (enabled IN (0, 1)),
	public_key TEXT NOT NULL UNIQUE,
	phone TEXT NOT NULL DEFAULT '',
	version INTEGER NOT NULL DEFAULT 1,
	version_id INTEGER NOT NULL DEFAULT 0,
	-- A deleted agent keeps its versions: its conversations point at them.
	deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE INDEX agents_tenant ON agents (tenant_id, id) WHERE deleted = 0;
-- One enabled agent answers a number.
CREATE UNIQUE INDEX agents_phone ON agents (tenant_id, phone) WHERE enabled = 1 AND deleted = 0 AND phone <> '';

CREATE TABLE agent_versions (
	id INTEGER PRIMARY KEY,
	agent_id INTEGER NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
	tenant_id INTEGER NOT NULL,
	version INTEGER NOT NULL,
	name TEXT NOT NULL,
	config TEXT NOT NULL,
	created_by TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	UNIQUE (agent_id, version)
);

CREATE TABLE agent_conversations (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	agent_id INTEGER NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
	-- The version the conversation started with and keeps.
	version_id INTEGER NOT NULL REFERENCES agent_versions (id),
	channel TEXT NOT NULL CHECK (channel IN ('web', 'sms', 'voice', 'playground')),
	direction TEXT NOT NULL DEFAULT 'inbound' CHECK (direction IN ('inbound', 'outbound')),
	status TEXT NOT NULL CHECK (status IN ('active', 'ended')),
	outcome TEXT NOT NULL DEFAULT '',
	person_id INTEGER REFERENCES crm_people (id) ON DELETE SET NULL,
	visitor TEXT NOT NULL DEFAULT '',
	external_id TEXT NOT NULL DEFAULT '',
	taken_over_by TEXT NOT NULL DEFAULT '',
	summary TEXT NOT NULL DEFAULT '',
	collected TEXT NOT NULL DEFAULT '{}',
	tokens_in INTEGER NOT NULL DEFAULT 0,
	tokens_out INTEGER NOT NULL DEFAULT 0,
	cost_micros INTEGER NOT NULL DEFAULT 0,
	tool_calls INTEGER NOT NULL DEFAULT 0,
	turns INTEGER NOT NULL DEFAULT 0,
	end_reason TEXT NOT NULL DEFAULT '',
	started_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	ended_at TEXT
);
CREATE INDEX agent_conversations_tenant ON agent_conversations (tenant_id, id);
CREATE INDEX agent_conversations_active ON agent_conversations (updated_at) WHERE status = 'active';
CREATE INDEX agent_conversations_thread ON agent_conversations (tenant_id, agent_id, channel, visitor) WHERE status = 'active';
CREATE INDEX agent_conversations_external ON agent_conversations (tenant_id, external_id);
CREATE INDEX agent_conversations_person ON agent_conversations (person_id) WHERE person_id IS NOT NULL;
CREATE INDEX agent_conversations_agent ON agent_conversations (agent_id, id);

CREATE TABLE agent_turns (
	id INTEGER PRIMARY KEY,
	conversation_id INTEGER NOT NULL REFERENCES agent_conversations (id) ON DELETE CASCADE,
	tenant_id INTEGER NOT NULL,
	seq INTEGER NOT NULL,
	role TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'tool', 'human', 'event')),
	content TEXT NOT NULL DEFAULT '',
	tool_calls TEXT NOT NULL DEFAULT '',
	tool_call_id TEXT NOT NULL DEFAULT '',
	tool_name TEXT NOT NULL DEFAULT '',
	tool_args TEXT NOT NULL DEFAULT '',
	tool_result TEXT NOT NULL DEFAULT '',
	tool_error TEXT NOT NULL DEFAULT '',
	duration_ms INTEGER NOT NULL DEFAULT 0,
	tokens_in INTEGER NOT NULL DEFAULT 0,
	tokens_out INTEGER NOT NULL DEFAULT 0,
	first_token_ms INTEGER NOT NULL DEFAULT 0,
	latency_ms INTEGER NOT NULL DEFAULT 0,
	model TEXT NOT NULL DEFAULT '',
	sources TEXT NOT NULL DEFAULT '',
	author TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	UNIQUE (conversation_id, seq)
);

CREATE TABLE agent_usage (
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	day TEXT NOT NULL,
	kind TEXT NOT NULL CHECK (kind IN ('tokens', 'embed', 'voice', 'sms')),
	model TEXT NOT NULL DEFAULT '',
	tokens_in INTEGER NOT NULL DEFAULT 0,
	tokens_out INTEGER NOT NULL DEFAULT 0,
	quantity INTEGER NOT NULL DEFAULT 0,
	cost_micros INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (tenant_id, day, kind, model)
) WITHOUT ROWID;

-- Prices in millionths of the currency: per million tokens in and out for
-- a model, per minute for voice, per segment for SMS. Editable in Nexus;
-- these are list prices when this was written.
CREATE TABLE agent_prices (
	key TEXT PRIMARY KEY,
	in_per_mtok INTEGER NOT NULL DEFAULT 0,
	out_per_mtok INTEGER NOT NULL DEFAULT 0,
	unit INTEGER NOT NULL DEFAULT 0,
	updated_at TEXT NOT NULL
);
INSERT INTO agent_prices (key, in_per_mtok, out_per_mtok, unit, updated_at) VALUES
	('gpt-4o-mini', 150000, 600000, 0, '2026-11-25T00:00:00.000Z'),
	('gpt-4o', 2500000, 10000000, 0, '2026-11-25T00:00:00.000Z'),
	('gpt-4.1-mini', 400000, 1600000, 0, '2026-11-25T00:00:00.000Z'),
	('text-embedding-3-small', 20000, 0, 0, '2026-11-25T00:00:00.000Z'),
	('voice', 0, 0, 85000, '2026-11-25T00:00:00.000Z'),
	('sms', 0, 0, 8300, '2026-11-25T00:00:00.000Z');

CREATE TABLE agent_settings (
	tenant_id INTEGER PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
	daily_budget_micros INTEGER NOT NULL DEFAULT 0,
	updated_at TEXT NOT NULL
);

CREATE TABLE agent_documents (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	title TEXT NOT NULL,
	kind TEXT NOT NULL CHECK (kind IN ('markdown', 'text', 'pdf', 'site')),
	ref TEXT NOT NULL,
	bytes INTEGER NOT NULL DEFAULT 0,
	chunks INTEGER NOT NULL DEFAULT 0,
	sha256 TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	UNIQUE (tenant_id, kind, ref)
);

CREATE TABLE agent_chunks (
	id INTEGER PRIMARY KEY,
	document_id INTEGER NOT NULL REFERENCES agent_documents (id) ON DELETE CASCADE,
	tenant_id INTEGER NOT NULL,
	seq INTEGER NOT NULL,
	text TEXT NOT NULL
);
CREATE INDEX agent_chunks_document ON agent_chunks (document_id, seq);
CREATE INDEX agent_chunks_tenant ON agent_chunks (tenant_id, id);

-- BM25 retrieval over the chunks (external content: the text is stored
-- once), English stems (porter), so "roofs" finds "roof".
CREATE VIRTUAL TABLE agent_chunks_fts USING fts5 (text, content = 'agent_chunks', content_rowid = 'id', tokenize = 'porter unicode61 remove_diacritics 2');
CREATE TRIGGER agent_chunks_ai AFTER INSERT ON agent_chunks BEGIN
	INSERT INTO agent_chunks_fts (rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER agent_chunks_ad AFTER DELETE ON agent_chunks BEGIN
	INSERT INTO agent_chunks_fts (agent_chunks_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;

-- Embeddings of chunks, one per model, little-endian float32.
CREATE TABLE agent_vectors (
	chunk_id INTEGER NOT NULL REFERENCES agent_chunks (id) ON DELETE CASCADE,
	model TEXT NOT NULL,
	tenant_id INTEGER NOT NULL,
	vector BLOB NOT NULL,
	PRIMARY KEY (chunk_id, model)
) WITHOUT ROWID;
CREATE INDEX agent_vectors_tenant ON agent_vectors (tenant_id, model);

-- Bumped on every change of a tenant's chunks or vectors (cache keys).
CREATE TABLE agent_knowledge_versions (
	tenant_id INTEGER PRIMARY KEY,
	version INTEGER NOT NULL
);
