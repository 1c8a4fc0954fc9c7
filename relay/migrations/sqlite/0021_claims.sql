-- Claims (issue 10): the outbox and webhook workers run on every relay at once. A relay claims
-- due rows in one UPDATE ... RETURNING (SQLite's write lock makes it atomic), keeps the claim
-- alive while it works, and ends it when it marks the row; a dead relay's claims lapse at
-- `claimed_until` (ms since the epoch).
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN claimed_until INTEGER;
CREATE INDEX outbox_claimed ON outbox (claimed_by) WHERE claimed_by IS NOT NULL;

-- Webhook events are applied in order per helpdesk conversation (`thread`), whichever relay
-- applies them: only the oldest pending event of a thread is claimable.
ALTER TABLE webhook_events ADD COLUMN thread TEXT;
ALTER TABLE webhook_events ADD COLUMN claimed_by TEXT;
ALTER TABLE webhook_events ADD COLUMN claimed_until INTEGER;
UPDATE webhook_events SET thread = json_extract(event, '$.remote_conversation_id')
    WHERE event IS NOT NULL AND json_valid(event);
-- Events stored before positions were kept come first, oldest first.
UPDATE webhook_events SET position = first_seen_at - (SELECT MAX(first_seen_at) FROM webhook_events)
    WHERE position IS NULL;
CREATE INDEX webhook_events_thread ON webhook_events (provider, site, thread, position)
    WHERE processed_at IS NULL AND failed_at IS NULL;
CREATE INDEX webhook_events_claimed ON webhook_events (claimed_by) WHERE claimed_by IS NOT NULL;
