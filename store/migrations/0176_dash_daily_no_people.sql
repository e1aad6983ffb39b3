-- Dashboards (issue 20): new people are counted from the covering index
-- crm_people_created again, not from dash_daily. The trigger on
-- crm_people made every person written cost about 35 microseconds more
-- (a batch upsert of 10,000 people took 0.77 s against 0.42 s without it,
-- same run, 2026-12-05), too much for the CRM's main write path; runs and
-- leads keep their daily counts.
DROP TRIGGER dash_people_ai;
DROP TRIGGER dash_people_ad;
DROP TRIGGER dash_people_au;
DELETE FROM dash_daily WHERE metric = 'people';
