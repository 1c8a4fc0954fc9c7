-- Nothing acknowledged is lost (issue 8).

-- A visitor message is stored, and acknowledged, before its effects (the bot's answer, the
-- helpdesk forward, a handover). `pending` holds the channel it came by ('widget', 'http') until
-- they are carried out; a message still pending after a crash is handled again when its
-- conversation's actor starts (or its retry arrives). Rows written before this column: handled.
ALTER TABLE events ADD COLUMN pending TEXT;
CREATE INDEX events_pending ON events (conversation_id, seq) WHERE pending IS NOT NULL;

-- Webhook events that could not be applied yet (the helpdesk's id not stored yet, a store
-- error) are retried with backoff, in arrival order per helpdesk conversation, then given up
-- (`failed_at`, with the error). `position` is the arrival order.
ALTER TABLE webhook_events ADD COLUMN position INTEGER;
ALTER TABLE webhook_events ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE webhook_events ADD COLUMN not_before INTEGER NOT NULL DEFAULT 0;
ALTER TABLE webhook_events ADD COLUMN last_error TEXT;
ALTER TABLE webhook_events ADD COLUMN failed_at INTEGER;
CREATE INDEX webhook_events_position ON webhook_events (position);

-- A job with a key is written once per conversation and key: a visitor message handled again
-- after a crash is forwarded once. `started` marks a try under way: a job still marked after a
-- stop may have reached the helpdesk, which is asked before a forward is made again.
ALTER TABLE outbox ADD COLUMN started INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN dedupe_key TEXT;
CREATE UNIQUE INDEX outbox_dedupe ON outbox (conversation_id, dedupe_key) WHERE dedupe_key IS NOT NULL;
