-- Claims: the outbox and webhook workers run on every relay at once. A relay claims due rows in
-- one UPDATE over a `FOR UPDATE SKIP LOCKED` selection, keeps the claim alive while it works,
-- and ends it when it marks the row; a dead relay's claims lapse at `claimed_until`.
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN claimed_until BIGINT;
CREATE INDEX outbox_claimed ON outbox (claimed_by) WHERE claimed_by IS NOT NULL;

-- Webhook events are applied in order per helpdesk conversation (`thread`), whichever relay
-- applies them: only the oldest pending event of a thread is claimable.
ALTER TABLE webhook_events ADD COLUMN thread TEXT NOT NULL DEFAULT '';
ALTER TABLE webhook_events ADD COLUMN claimed_by TEXT;
ALTER TABLE webhook_events ADD COLUMN claimed_until BIGINT;
UPDATE webhook_events SET thread = COALESCE(event::json ->> 'remote_conversation_id', '');
CREATE INDEX webhook_events_thread ON webhook_events (provider, site, thread, position)
    WHERE processed_at IS NULL AND failed_at IS NULL;
CREATE INDEX webhook_events_claimed ON webhook_events (claimed_by) WHERE claimed_by IS NOT NULL;
