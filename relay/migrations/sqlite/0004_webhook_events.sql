-- Webhook events already seen, per helpdesk: deliveries are at-least-once, so an event id is
-- processed only on its first delivery. `deliveries` counts every arrival (retries, replays).
CREATE TABLE webhook_events (
    provider TEXT NOT NULL,
    event_id TEXT NOT NULL,
    first_seen_at INTEGER NOT NULL,
    deliveries INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (provider, event_id)
) WITHOUT ROWID;

-- For pruning old ids by age.
CREATE INDEX webhook_events_first_seen ON webhook_events (first_seen_at);
