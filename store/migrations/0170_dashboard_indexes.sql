-- Dashboards (issue 20): the range queries of Mission Control and the
-- tenant dashboard read runs, leads and agent conversations by creation
-- time, per tenant (portal) or across tenants (Nexus).
CREATE INDEX runs_created ON runs (created_at);
CREATE INDEX runs_tenant_created ON runs (tenant_id, created_at);
CREATE INDEX leads_tenant_created ON leads (tenant_id, created_at);
CREATE INDEX agent_conversations_started ON agent_conversations (started_at);
CREATE INDEX agent_conversations_tenant_started ON agent_conversations (tenant_id, started_at);
