-- Tags on companies and deals (opportunities), as people have them: a
-- JSON list of normalised tags (app.NormalizeTags), filtered with
-- json_each and counted per tenant on the CRM tags settings page.
ALTER TABLE crm_companies ADD COLUMN tags TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(tags));
ALTER TABLE crm_deals ADD COLUMN tags TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(tags));
