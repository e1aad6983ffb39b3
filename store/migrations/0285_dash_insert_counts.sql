-- Lead capture (issue #13): the dashboard's daily counts of new leads and
-- runs are added by the store in the inserting transaction (countDaily),
-- not by insert triggers. A table with an insert trigger makes SQLite
-- journal every page each insert changes; in a group commit of 30
-- captures the two triggers took 22% of the writer's time per lead
-- (store figures, same run, 2026-12-08). Updates and deletes keep their
-- triggers (0175): they are rarer, and a run's status moves only through
-- a few statements.
DROP TRIGGER dash_leads_ai;
DROP TRIGGER dash_runs_ai;
