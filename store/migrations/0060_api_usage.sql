-- Developer platform (issue 20): a rate limit per API key (requests a
-- minute; 0 takes --api-rate-limit) and each key's requests per UTC day,
-- counted in memory and written every few seconds.
ALTER TABLE api_keys ADD COLUMN rate_limit INTEGER NOT NULL DEFAULT 0;

CREATE TABLE api_key_usage (
	key_id INTEGER NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
	day TEXT NOT NULL,
	requests INTEGER NOT NULL DEFAULT 0,
	limited INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (key_id, day)
) WITHOUT ROWID;
