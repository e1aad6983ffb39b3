-- Creators (UGC, issue #22). A creator is a CRM person with a creator
-- profile (handles per platform as JSON, audience, rate, niches, sample
-- links). Campaigns carry a markdown brief; deliverables are a creator's
-- pieces of a campaign with a status (briefed, drafted, revision
-- requested, approved, published), the amount owed and paid, the usage
-- rights' end and when its reminder went out (so it goes out once), the
-- creator's submission (a link or a file) and the private link's nonce
-- and expiry (a new link changes the nonce: the old one stops working).
CREATE TABLE creator_profiles (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	person_id INTEGER NOT NULL REFERENCES crm_people (id) ON DELETE CASCADE,
	handles TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(handles)),
	audience INTEGER NOT NULL DEFAULT 0,
	rate_cents INTEGER NOT NULL DEFAULT 0,
	niches TEXT NOT NULL DEFAULT '',
	samples TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	UNIQUE (tenant_id, person_id)
);

CREATE TABLE creator_campaigns (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	brief TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE INDEX creator_campaigns_tenant ON creator_campaigns (tenant_id);

CREATE TABLE creator_deliverables (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	campaign_id INTEGER NOT NULL REFERENCES creator_campaigns (id) ON DELETE CASCADE,
	creator_id INTEGER NOT NULL REFERENCES creator_profiles (id) ON DELETE CASCADE,
	kind TEXT NOT NULL,
	due_date TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL DEFAULT 'briefed' CHECK (status IN ('briefed', 'drafted', 'revision_requested', 'approved', 'published')),
	amount_cents INTEGER NOT NULL DEFAULT 0,
	paid_cents INTEGER NOT NULL DEFAULT 0,
	usage_until TEXT NOT NULL DEFAULT '',
	reminded_at TEXT,
	submission_url TEXT NOT NULL DEFAULT '',
	submission_note TEXT NOT NULL DEFAULT '',
	file_name TEXT NOT NULL DEFAULT '',
	file_type TEXT NOT NULL DEFAULT '',
	file_data BLOB,
	submitted_at TEXT,
	link_nonce TEXT NOT NULL,
	link_expires_at TEXT NOT NULL,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE INDEX creator_deliverables_campaign ON creator_deliverables (tenant_id, campaign_id, status);
CREATE INDEX creator_deliverables_usage ON creator_deliverables (usage_until) WHERE reminded_at IS NULL AND usage_until != '';

CREATE TABLE creator_comments (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	deliverable_id INTEGER NOT NULL REFERENCES creator_deliverables (id) ON DELETE CASCADE,
	author TEXT NOT NULL CHECK (author IN ('owner', 'creator')),
	body TEXT NOT NULL,
	created_at TEXT NOT NULL
);
CREATE INDEX creator_comments_deliverable ON creator_comments (deliverable_id);
