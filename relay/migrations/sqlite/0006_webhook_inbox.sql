-- Webhook events are kept until processed: the relay answers the helpdesk as soon as the event
-- is stored, and processes it after; one stored but not processed when the relay stopped is
-- processed at the next start. So an acknowledged event is never lost.
ALTER TABLE webhook_events ADD COLUMN site TEXT;
ALTER TABLE webhook_events ADD COLUMN event TEXT;
ALTER TABLE webhook_events ADD COLUMN processed_at INTEGER;

CREATE INDEX webhook_events_unprocessed ON webhook_events (processed_at) WHERE event IS NOT NULL;
