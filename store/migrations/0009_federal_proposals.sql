-- Federal: Proposal Studio sections, the grant pipeline and once-only
-- alerts (expiry and deadline reminders, daily digests).

-- Proposal sections of a pursued notice, in markdown. requirement_group is
-- the compliance-matrix section ("L.3") a section was created from, so the
-- matrix's "where answered" can point at it.
CREATE TABLE federal_proposal_sections (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	notice_id TEXT NOT NULL,
	title TEXT NOT NULL,
	position INTEGER NOT NULL DEFAULT 0,
	body TEXT NOT NULL DEFAULT '',
	owner TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'review', 'final')),
	requirement_group TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	UNIQUE (tenant_id, notice_id, title)
);
CREATE INDEX federal_proposal_sections_notice ON federal_proposal_sections (tenant_id, notice_id, position, id);

-- Grants being pursued (Triage -> Eligibility -> Drafting -> Submitted ->
-- Awarded / Declined).
CREATE TABLE federal_grant_pipeline (
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	grant_id TEXT NOT NULL,
	stage TEXT NOT NULL CHECK (stage IN ('triage', 'eligibility', 'drafting', 'submitted', 'awarded', 'declined')),
	owner TEXT NOT NULL DEFAULT '',
	notes TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	PRIMARY KEY (tenant_id, grant_id)
);

-- Alerts fire once: key names what and when ("expiry:SAM registration:
-- 2027-03-31:30", "digest:2026-11-24"), and the unique index keeps a
-- second daily run from recording it again.
CREATE TABLE federal_alerts (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	key TEXT NOT NULL,
	kind TEXT NOT NULL CHECK (kind IN ('expiry', 'deadline', 'digest')),
	subject TEXT NOT NULL,
	body TEXT NOT NULL DEFAULT '',
	due TEXT,
	days_before INTEGER NOT NULL DEFAULT 0,
	link TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	delivered_at TEXT,
	delivery_error TEXT NOT NULL DEFAULT '',
	UNIQUE (tenant_id, key)
);
CREATE INDEX federal_alerts_recent ON federal_alerts (tenant_id, id DESC);

-- The Grants.gov fetchOpportunity answer for a grant (JSON of
-- federal.Grant), fetched on demand from the grant's detail page.
ALTER TABLE federal_grants ADD COLUMN detail TEXT NOT NULL DEFAULT '';
