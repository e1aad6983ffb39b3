-- Dashboards (issue 20): daily counts kept by triggers, so Mission
-- Control and the tenant dashboard read at most a row per tenant, day and
-- key over any range instead of counting every person, run and lead in
-- it (a year with 1 M people and 100 k runs was 273 ms). metric is
-- 'people' (key ''), 'runs' (key: the run's status) or 'leads' (key: the
-- lead's source as stored); day is the UTC date of created_at, the same
-- day the direct counts group by. Each insert adds one, each delete takes
-- one away and an update that moves a row between keys or days does
-- both, in the writing transaction, so the counts always equal a direct
-- count (store/dashboard_test.go compares them). Rows that reach zero
-- stay and are read past (HAVING sum(n) > 0).
CREATE TABLE dash_daily (
	metric TEXT NOT NULL,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	day TEXT NOT NULL,
	key TEXT NOT NULL,
	n INTEGER NOT NULL,
	PRIMARY KEY (metric, tenant_id, day, key)
) WITHOUT ROWID;

INSERT INTO dash_daily (metric, tenant_id, day, key, n)
	SELECT 'people', tenant_id, substr(created_at, 1, 10), '', count(*) FROM crm_people GROUP BY 2, 3;
INSERT INTO dash_daily (metric, tenant_id, day, key, n)
	SELECT 'runs', tenant_id, substr(created_at, 1, 10), status, count(*) FROM runs GROUP BY 2, 3, 4;
INSERT INTO dash_daily (metric, tenant_id, day, key, n)
	SELECT 'leads', tenant_id, substr(created_at, 1, 10), source, count(*) FROM leads GROUP BY 2, 3, 4;

CREATE TRIGGER dash_people_ai AFTER INSERT ON crm_people BEGIN
	INSERT INTO dash_daily (metric, tenant_id, day, key, n) VALUES ('people', NEW.tenant_id, substr(NEW.created_at, 1, 10), '', 1)
		ON CONFLICT DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER dash_people_ad AFTER DELETE ON crm_people BEGIN
	UPDATE dash_daily SET n = n - 1 WHERE metric = 'people' AND tenant_id = OLD.tenant_id AND day = substr(OLD.created_at, 1, 10) AND key = '';
END;
CREATE TRIGGER dash_people_au AFTER UPDATE OF tenant_id, created_at ON crm_people
	WHEN OLD.tenant_id IS NOT NEW.tenant_id OR substr(OLD.created_at, 1, 10) IS NOT substr(NEW.created_at, 1, 10) BEGIN
	UPDATE dash_daily SET n = n - 1 WHERE metric = 'people' AND tenant_id = OLD.tenant_id AND day = substr(OLD.created_at, 1, 10) AND key = '';
	INSERT INTO dash_daily (metric, tenant_id, day, key, n) VALUES ('people', NEW.tenant_id, substr(NEW.created_at, 1, 10), '', 1)
		ON CONFLICT DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER dash_runs_ai AFTER INSERT ON runs BEGIN
	INSERT INTO dash_daily (metric, tenant_id, day, key, n) VALUES ('runs', NEW.tenant_id, substr(NEW.created_at, 1, 10), NEW.status, 1)
		ON CONFLICT DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER dash_runs_ad AFTER DELETE ON runs BEGIN
	UPDATE dash_daily SET n = n - 1 WHERE metric = 'runs' AND tenant_id = OLD.tenant_id AND day = substr(OLD.created_at, 1, 10) AND key = OLD.status;
END;
CREATE TRIGGER dash_runs_au AFTER UPDATE OF tenant_id, created_at, status ON runs
	WHEN OLD.tenant_id IS NOT NEW.tenant_id OR substr(OLD.created_at, 1, 10) IS NOT substr(NEW.created_at, 1, 10) OR OLD.status IS NOT NEW.status BEGIN
	UPDATE dash_daily SET n = n - 1 WHERE metric = 'runs' AND tenant_id = OLD.tenant_id AND day = substr(OLD.created_at, 1, 10) AND key = OLD.status;
	INSERT INTO dash_daily (metric, tenant_id, day, key, n) VALUES ('runs', NEW.tenant_id, substr(NEW.created_at, 1, 10), NEW.status, 1)
		ON CONFLICT DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER dash_leads_ai AFTER INSERT ON leads BEGIN
	INSERT INTO dash_daily (metric, tenant_id, day, key, n) VALUES ('leads', NEW.tenant_id, substr(NEW.created_at, 1, 10), NEW.source, 1)
		ON CONFLICT DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER dash_leads_ad AFTER DELETE ON leads BEGIN
	UPDATE dash_daily SET n = n - 1 WHERE metric = 'leads' AND tenant_id = OLD.tenant_id AND day = substr(OLD.created_at, 1, 10) AND key = OLD.source;
END;
CREATE TRIGGER dash_leads_au AFTER UPDATE OF tenant_id, created_at, source ON leads
	WHEN OLD.tenant_id IS NOT NEW.tenant_id OR substr(OLD.created_at, 1, 10) IS NOT substr(NEW.created_at, 1, 10) OR OLD.source IS NOT NEW.source BEGIN
	UPDATE dash_daily SET n = n - 1 WHERE metric = 'leads' AND tenant_id = OLD.tenant_id AND day = substr(OLD.created_at, 1, 10) AND key = OLD.source;
	INSERT INTO dash_daily (metric, tenant_id, day, key, n) VALUES ('leads', NEW.tenant_id, substr(NEW.created_at, 1, 10), NEW.source, 1)
		ON CONFLICT DO UPDATE SET n = n + 1;
END;
