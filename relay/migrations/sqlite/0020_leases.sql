-- Conversation leases (several relays on one database, issue 10): the relay whose actor owns a
-- conversation holds its lease and renews it while the actor runs; a relay that stops renewing
-- (killed, cut off) loses it when `expires_at` passes. Single-relay deployments never write here.
CREATE TABLE conversation_leases (
    conversation_id   TEXT PRIMARY KEY NOT NULL,
    -- The actor instance holding it ("<node>/<n>"), and its relay.
    holder            TEXT NOT NULL,
    node              TEXT NOT NULL,
    -- Milliseconds since the Unix epoch.
    expires_at        INTEGER NOT NULL,
    -- Another relay wants the conversation: the holder gives it up after its current command.
    release_requested INTEGER NOT NULL DEFAULT 0
);
