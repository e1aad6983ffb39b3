-- Blog posts of the website builder (issue 21): a page marked as a post
-- carries its date and summary as JSON ('' = a plain page). Posts are
-- listed by blog blocks and in the site's RSS feed (/rss.xml).
ALTER TABLE web_pages ADD COLUMN post TEXT NOT NULL DEFAULT '';
