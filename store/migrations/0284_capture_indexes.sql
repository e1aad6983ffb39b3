-- Lead capture (issue #13): indexes no query reads, dropped. Each lead
-- and each run it enqueues wrote an entry into each of them, and their
-- pages were journaled with the statement (the dashboard's daily-count
-- triggers make the insert a multi-row write): without these three a
-- group commit of 30 captures took 141-149 us of writer time per lead
-- instead of 163-179 (store figures, same run, 2026-12-08). The
-- dashboards read leads and runs per day from dash_daily (0175), lists
-- page by id, and run retention reads runs_created.
DROP INDEX leads_created_at;
DROP INDEX leads_tenant_created;
DROP INDEX runs_tenant_created;
