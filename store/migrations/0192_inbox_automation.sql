-- Conversations in workflows (issue #18). idem_key is the workflow
-- step's idempotency key of a reply it sent (a retried step finds its
-- message instead of sending twice; a failed one gives its key up);
-- auto marks an inbound automatic answer (Auto-Submitted, Precedence,
-- X-Autoreply): stored, but no message_received workflow answers it, so
-- two auto-responders never loop.
ALTER TABLE inbox_messages ADD COLUMN idem_key TEXT;
ALTER TABLE inbox_messages ADD COLUMN auto INTEGER NOT NULL DEFAULT 0 CHECK (auto IN (0, 1));
CREATE UNIQUE INDEX inbox_messages_idem ON inbox_messages (tenant_id, idem_key) WHERE idem_key IS NOT NULL;
