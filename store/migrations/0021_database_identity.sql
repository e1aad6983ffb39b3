-- The database's identity, created at first init (or at the upgrade that
-- adds this table): its replicas record it, and a replica that belongs to
-- another database is neither written nor restored from automatically.
-- vault_key_check is a check value of the vault's master key (an HMAC of a
-- fixed label under the key, never the key): a start with another key is
-- refused instead of sealing new secrets under it. '' until first set.
CREATE TABLE database_identity (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	database_id TEXT NOT NULL,
	created_at TEXT NOT NULL,
	vault_key_check TEXT NOT NULL DEFAULT ''
);
INSERT INTO database_identity (id, database_id, created_at)
	VALUES (1, lower(hex(randomblob(16))), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
