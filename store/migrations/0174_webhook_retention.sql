-- Developer platform (issue 20): the delivery log's retention deletes
-- finished deliveries oldest first by created_at, a batch at a time; this
-- index lets each batch find its rows without scanning the table.
CREATE INDEX webhook_deliveries_created ON webhook_deliveries (created_at);
