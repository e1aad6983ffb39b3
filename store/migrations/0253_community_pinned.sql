-- Community (#24): the pinned posts of a space, read on every first page
-- of its feed, by a partial index (found by the feed figures: without it
-- the lookup walked the whole space, 700 ms at 100,000 posts).
CREATE INDEX community_posts_pinned ON community_posts (space_id, id) WHERE pinned = 1;
