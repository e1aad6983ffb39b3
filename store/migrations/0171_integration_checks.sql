-- The integrations hub's latest connection test per integration and
-- scope: a client's own configuration (tenant_id) or the agency's
-- (tenant_id 0, so no foreign key; a client's rows go with it below).
CREATE TABLE integration_checks (
	tenant_id INTEGER NOT NULL,
	integration TEXT NOT NULL,
	last_success_at TEXT,
	last_detail TEXT NOT NULL DEFAULT '',
	last_error TEXT NOT NULL DEFAULT '',
	last_error_at TEXT,
	PRIMARY KEY (tenant_id, integration)
);

CREATE TRIGGER integration_checks_tenant_delete AFTER DELETE ON tenants
BEGIN
	DELETE FROM integration_checks WHERE tenant_id = old.id;
END;
