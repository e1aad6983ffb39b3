-- Restore drills run from Nexus > Infrastructure > Backups, with results.
CREATE TABLE backup_drills (
	id INTEGER PRIMARY KEY,
	replica TEXT NOT NULL,
	db TEXT NOT NULL,
	status TEXT NOT NULL CHECK (status IN ('running', 'ok', 'failed')),
	started_at TEXT NOT NULL,
	finished_at TEXT,
	duration_ms INTEGER NOT NULL DEFAULT 0,
	tables INTEGER NOT NULL DEFAULT 0,
	rows INTEGER NOT NULL DEFAULT 0,
	size INTEGER NOT NULL DEFAULT 0,
	integrity TEXT NOT NULL DEFAULT '',
	point_in_time TEXT,
	error TEXT NOT NULL DEFAULT '',
	admin_id INTEGER
);

-- Restore points recorded by serve before it applied new migrations: the
-- state to restore (orengen restore --timestamp) to roll an upgrade back.
CREATE TABLE restore_points (
	id INTEGER PRIMARY KEY,
	db TEXT NOT NULL,
	txid TEXT NOT NULL,
	point_time TEXT NOT NULL,
	replicas TEXT NOT NULL DEFAULT '',
	from_version TEXT NOT NULL DEFAULT '',
	to_version TEXT NOT NULL DEFAULT '',
	migrations TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL
);
