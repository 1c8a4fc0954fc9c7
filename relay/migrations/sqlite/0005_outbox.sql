-- Calls to helpdesks, written in the same breath as the conversation change that needs them
-- and carried out by the outbox worker: in order per conversation, retried until they land.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    site            TEXT NOT NULL,
    -- The provider the conversation was handed to (it finishes there after a config switch).
    provider        TEXT NOT NULL,
    -- The job as JSON (open / forward / close).
    job             TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    -- Not to be tried before this time (ms since the epoch): backoff and Retry-After.
    not_before      INTEGER NOT NULL,
    last_error      TEXT,
    -- pending | done | failed
    state           TEXT NOT NULL DEFAULT 'pending',
    created_at      INTEGER NOT NULL
);

CREATE INDEX outbox_pending ON outbox (state, conversation_id, id);

-- The provider the current handover went to (it finishes there if the site switches), and
-- the conversation on the helpdesk's side (provider, remote ids) once the handover landed.
ALTER TABLE conversations ADD COLUMN handover_provider TEXT;
ALTER TABLE conversations ADD COLUMN remote TEXT;
