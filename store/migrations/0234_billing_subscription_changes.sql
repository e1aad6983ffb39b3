-- Billing (issue #23): every start, plan change, cancellation and resume
-- of a subscription, written by triggers in the transaction that changes
-- the subscription, so the revenue dashboard counts churn (clients
-- leaving a plan) per month whatever path made the change.

CREATE TABLE billing_subscription_changes (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	kind TEXT NOT NULL CHECK (kind IN ('start', 'change', 'cancel', 'resume')),
	plan_id INTEGER NOT NULL REFERENCES billing_plans (id),
	old_plan_id INTEGER REFERENCES billing_plans (id),
	at TEXT NOT NULL
);
CREATE INDEX billing_subscription_changes_at ON billing_subscription_changes (at);

INSERT INTO billing_subscription_changes (tenant_id, kind, plan_id, at)
	SELECT tenant_id, 'start', plan_id, created_at FROM billing_subscriptions;
INSERT INTO billing_subscription_changes (tenant_id, kind, plan_id, at)
	SELECT tenant_id, 'cancel', plan_id, updated_at FROM billing_subscriptions WHERE status = 'cancelled';

CREATE TRIGGER billing_subscription_started AFTER INSERT ON billing_subscriptions
BEGIN
	INSERT INTO billing_subscription_changes (tenant_id, kind, plan_id, at) VALUES (NEW.tenant_id, 'start', NEW.plan_id, NEW.updated_at);
END;

CREATE TRIGGER billing_subscription_changed AFTER UPDATE OF plan_id, status ON billing_subscriptions
WHEN OLD.plan_id != NEW.plan_id OR (OLD.status = 'cancelled') != (NEW.status = 'cancelled')
BEGIN
	INSERT INTO billing_subscription_changes (tenant_id, kind, plan_id, old_plan_id, at) VALUES (NEW.tenant_id,
		CASE WHEN NEW.status = 'cancelled' THEN 'cancel' WHEN OLD.status = 'cancelled' THEN 'resume' ELSE 'change' END,
		NEW.plan_id, OLD.plan_id, NEW.updated_at);
END;
