-- Baton on PostgreSQL: the same tables as the SQLite schema (relay/migrations/sqlite) after all
-- its migrations, in one step. Times are milliseconds since the Unix epoch (BIGINT), flags are
-- BOOLEAN, JSON documents are JSON (kept as written, checked on the way in).

-- Conversations: `last_seq` is the sequence counter, bumped in the transaction that inserts the
-- event (the UPDATE's row lock orders concurrent appends to one conversation).
CREATE TABLE conversations (
    id                       TEXT PRIMARY KEY,
    site                     TEXT NOT NULL,
    -- SHA-256 of the visitor's resume token (hex); the token itself is never stored.
    token_hash               TEXT NOT NULL UNIQUE,
    created_at               BIGINT NOT NULL,
    updated_at               BIGINT NOT NULL,
    last_seq                 BIGINT NOT NULL DEFAULT 0,
    visitor_email            TEXT,
    visitor_email_verified   BOOLEAN NOT NULL DEFAULT FALSE,
    visitor_name             TEXT,
    visitor_user_id          TEXT,
    visitor_user_id_verified BOOLEAN NOT NULL DEFAULT FALSE,
    -- The conversation machine's state as JSON, and the parts of it the inbox queries.
    state                    TEXT NOT NULL DEFAULT '{"phase":"bot"}',
    phase                    TEXT NOT NULL DEFAULT 'bot' CHECK (phase IN ('bot', 'waiting', 'agent', 'ended')),
    reason                   TEXT,
    agent_id                 TEXT,
    waiting_since            BIGINT,
    handover_provider        TEXT,
    summary                  TEXT,
    topic                    TEXT,
    rating                   BIGINT CHECK (rating BETWEEN 0 AND 255),
    -- The conversation on the helpdesk's side: {"provider": ..., "conversation": ..., ...}.
    remote                   JSON
);

CREATE INDEX conversations_phase ON conversations (phase, waiting_since);
CREATE INDEX conversations_updated ON conversations (updated_at);
CREATE INDEX conversations_remote ON conversations (site, (remote ->> 'provider'), (remote ->> 'conversation'))
    WHERE remote IS NOT NULL;

-- Events are append-only.
CREATE TABLE events (
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    seq             BIGINT NOT NULL,
    at              BIGINT NOT NULL,
    -- The event body as JSON, in the wire format of protocol version 1.
    body            JSON NOT NULL,
    -- The visitor client's message id, for de-duplicating retries.
    client_id       TEXT,
    -- A visitor message whose effects are not carried out yet: the channel it came by.
    pending         TEXT,
    PRIMARY KEY (conversation_id, seq)
);

CREATE UNIQUE INDEX events_client_id ON events (conversation_id, client_id) WHERE client_id IS NOT NULL;
CREATE INDEX events_pending ON events (conversation_id, seq) WHERE pending IS NOT NULL;

CREATE TABLE follow_ups (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    site            TEXT NOT NULL,
    email           TEXT NOT NULL,
    summary         TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);

CREATE INDEX follow_ups_conversation ON follow_ups (conversation_id);

-- Calls to helpdesks, carried out by the outbox worker in order per conversation.
CREATE TABLE outbox (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    site            TEXT NOT NULL,
    provider        TEXT NOT NULL,
    -- The job as the outbox serialised it (open / forward / close).
    job             TEXT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    not_before      BIGINT NOT NULL,
    last_error      TEXT,
    state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
    created_at      BIGINT NOT NULL,
    -- A try under way: one still marked when it is picked up again may have reached the helpdesk.
    started         BOOLEAN NOT NULL DEFAULT FALSE,
    dedupe_key      TEXT
);

CREATE INDEX outbox_pending ON outbox (conversation_id, id) WHERE state = 'pending';
CREATE INDEX outbox_conversation ON outbox (conversation_id);
CREATE INDEX outbox_finished ON outbox (state, created_at);
CREATE UNIQUE INDEX outbox_dedupe ON outbox (conversation_id, dedupe_key) WHERE dedupe_key IS NOT NULL;

-- Verified webhook events: de-duplicated by (provider, event_id), applied after the 200 in
-- arrival order (`position`), retried with backoff, then kept as failed.
CREATE TABLE webhook_events (
    provider      TEXT NOT NULL,
    event_id      TEXT NOT NULL,
    position      BIGINT GENERATED ALWAYS AS IDENTITY,
    first_seen_at BIGINT NOT NULL,
    deliveries    BIGINT NOT NULL DEFAULT 1,
    site          TEXT NOT NULL,
    event         TEXT NOT NULL,
    processed_at  BIGINT,
    attempts      BIGINT NOT NULL DEFAULT 0,
    not_before    BIGINT NOT NULL DEFAULT 0,
    last_error    TEXT,
    failed_at     BIGINT,
    PRIMARY KEY (provider, event_id)
);

CREATE INDEX webhook_events_pending ON webhook_events (position) WHERE processed_at IS NULL AND failed_at IS NULL;
CREATE INDEX webhook_events_processed ON webhook_events (processed_at) WHERE processed_at IS NOT NULL;

-- Conversation leases (several relays): the relay whose actor owns a conversation holds its
-- lease and renews it; one that stops renewing loses it when `expires_at` (database clock) passes.
CREATE TABLE conversation_leases (
    conversation_id   TEXT PRIMARY KEY,
    holder            TEXT NOT NULL,
    node              TEXT NOT NULL,
    expires_at        BIGINT NOT NULL,
    release_requested BOOLEAN NOT NULL DEFAULT FALSE
);
