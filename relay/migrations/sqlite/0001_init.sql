-- Conversations and their events. Events are append-only; `last_seq` on the conversation is the
-- sequence counter, bumped in the same transaction that inserts the event.
CREATE TABLE conversations (
    id            TEXT PRIMARY KEY NOT NULL,
    site          TEXT NOT NULL,
    -- SHA-256 of the visitor's resume token (hex); the token itself is never stored.
    token_hash    TEXT NOT NULL UNIQUE,
    created_at    INTEGER NOT NULL,
    last_seq      INTEGER NOT NULL DEFAULT 0,
    visitor_email TEXT,
    visitor_name  TEXT
);

CREATE TABLE events (
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    seq             INTEGER NOT NULL,
    at              INTEGER NOT NULL,
    -- The event body as JSON, in the wire format of protocol version 1.
    body            TEXT NOT NULL,
    -- The visitor client's message id, for de-duplicating retries.
    client_id       TEXT,
    PRIMARY KEY (conversation_id, seq)
);

CREATE UNIQUE INDEX events_client_id ON events (conversation_id, client_id)
    WHERE client_id IS NOT NULL;
