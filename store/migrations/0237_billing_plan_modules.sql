-- Billing (issue #23): plan feature switches. modules_off is a JSON array
-- of the portal modules (billing.Modules keys) a tenant on the plan does
-- not see: their navigation entries disappear and their portal pages and
-- tenant API answer 403. Stored as what is switched off, so every
-- existing plan keeps every module, and a module added later is on until
-- a plan switches it off.
ALTER TABLE billing_plans ADD COLUMN modules_off TEXT NOT NULL DEFAULT '[]';
