-- A person's birthday (a day, stored like expected_close), a built-in
-- field described once in app/crm_field.go (issue #14).
ALTER TABLE crm_people ADD COLUMN birthday TEXT;
