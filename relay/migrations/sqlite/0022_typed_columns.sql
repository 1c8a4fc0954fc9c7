-- Typed columns (issue 9): every enum the store keeps is a TEXT column of known names, checked
-- here and decoded by `store/columns.rs` (which refuses a name it does not know). SQLite cannot
-- add a CHECK to an existing column, so the tables are rebuilt (create, copy, drop, rename;
-- https://sqlite.org/lang_altertable.html#otheralter). The relay runs migrations on a
-- connection with foreign keys off and checks them all afterwards (`SqliteStore::open`).
--
-- Closed sets are listed; a helpdesk's name is only checked for its form (lower-case letters,
-- digits, '_'), so adding a helpdesk needs no migration.

CREATE TABLE conversations_typed (
    id                       TEXT PRIMARY KEY NOT NULL,
    site                     TEXT NOT NULL,
    -- SHA-256 of the visitor's resume token (hex); the token itself is never stored.
    token_hash               TEXT NOT NULL UNIQUE,
    created_at               INTEGER NOT NULL,
    last_seq                 INTEGER NOT NULL DEFAULT 0,
    visitor_email            TEXT,
    visitor_name             TEXT,
    -- The conversation machine's state as JSON; the columns after it repeat parts of it.
    state                    TEXT NOT NULL DEFAULT '{"phase":"bot"}' CHECK (json_valid(state)),
    phase                    TEXT NOT NULL DEFAULT 'bot' CHECK (phase IN ('bot', 'waiting', 'agent', 'ended')),
    reason                   TEXT CHECK (reason IN ('explicit_request', 'frustration', 'cannot_answer', 'rule', 'topic')),
    summary                  TEXT,
    agent_id                 TEXT,
    waiting_since            INTEGER,
    updated_at               INTEGER NOT NULL DEFAULT 0,
    rating                   INTEGER CHECK (rating BETWEEN 1 AND 5),
    topic                    TEXT,
    handover_provider        TEXT CHECK (handover_provider <> '' AND handover_provider NOT GLOB '*[^a-z0-9_]*'),
    remote                   TEXT CHECK (json_valid(remote)),
    visitor_email_verified   INTEGER NOT NULL DEFAULT 0 CHECK (visitor_email_verified IN (0, 1)),
    visitor_user_id          TEXT,
    visitor_user_id_verified INTEGER NOT NULL DEFAULT 0 CHECK (visitor_user_id_verified IN (0, 1))
);
INSERT INTO conversations_typed (id, site, token_hash, created_at, last_seq, visitor_email, visitor_name, state,
    phase, reason, summary, agent_id, waiting_since, updated_at, rating, topic, handover_provider, remote,
    visitor_email_verified, visitor_user_id, visitor_user_id_verified)
SELECT id, site, token_hash, created_at, last_seq, visitor_email, visitor_name, state,
    phase, reason, summary, agent_id, waiting_since, updated_at, rating, topic, handover_provider, remote,
    visitor_email_verified, visitor_user_id, visitor_user_id_verified
FROM conversations;
DROP TABLE conversations;
ALTER TABLE conversations_typed RENAME TO conversations;
CREATE INDEX conversations_phase ON conversations (phase, waiting_since);
CREATE INDEX conversations_updated ON conversations (updated_at);

CREATE TABLE outbox_typed (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    site            TEXT NOT NULL,
    -- The provider the conversation was handed to (it finishes there after a config switch).
    provider        TEXT NOT NULL CHECK (provider <> '' AND provider NOT GLOB '*[^a-z0-9_]*'),
    -- The job as JSON (open / forward / close).
    job             TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    -- Not to be tried before this time (ms since the epoch): backoff and Retry-After.
    not_before      INTEGER NOT NULL,
    last_error      TEXT,
    state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
    created_at      INTEGER NOT NULL,
    started         INTEGER NOT NULL DEFAULT 0 CHECK (started IN (0, 1)),
    dedupe_key      TEXT,
    claimed_by      TEXT,
    claimed_until   INTEGER
);
INSERT INTO outbox_typed (id, conversation_id, site, provider, job, attempts, not_before, last_error, state,
    created_at, started, dedupe_key, claimed_by, claimed_until)
SELECT id, conversation_id, site, provider, job, attempts, not_before, last_error, state,
    created_at, started, dedupe_key, claimed_by, claimed_until
FROM outbox;
-- Job ids are never reused: the new table continues the old one's sequence.
DELETE FROM sqlite_sequence WHERE name = 'outbox_typed';
INSERT INTO sqlite_sequence (name, seq) SELECT 'outbox_typed', seq FROM sqlite_sequence WHERE name = 'outbox';
DROP TABLE outbox;
ALTER TABLE outbox_typed RENAME TO outbox;
CREATE INDEX outbox_pending ON outbox (state, conversation_id, id);
CREATE INDEX outbox_conversation ON outbox (conversation_id);
CREATE INDEX outbox_finished ON outbox (state, created_at);
CREATE UNIQUE INDEX outbox_dedupe ON outbox (conversation_id, dedupe_key) WHERE dedupe_key IS NOT NULL;
CREATE INDEX outbox_claimed ON outbox (claimed_by) WHERE claimed_by IS NOT NULL;

CREATE TABLE webhook_events_typed (
    provider      TEXT NOT NULL CHECK (provider <> '' AND provider NOT GLOB '*[^a-z0-9_]*'),
    event_id      TEXT NOT NULL,
    first_seen_at INTEGER NOT NULL,
    deliveries    INTEGER NOT NULL DEFAULT 1,
    site          TEXT,
    -- The event as the webhook layer serialised it (NULL: seen before events were kept).
    event         TEXT,
    processed_at  INTEGER,
    position      INTEGER,
    attempts      INTEGER NOT NULL DEFAULT 0,
    not_before    INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT,
    failed_at     INTEGER,
    -- The helpdesk conversation the event is about: its events are applied in order.
    thread        TEXT,
    claimed_by    TEXT,
    claimed_until INTEGER,
    PRIMARY KEY (provider, event_id)
) WITHOUT ROWID;
INSERT INTO webhook_events_typed (provider, event_id, first_seen_at, deliveries, site, event, processed_at, position,
    attempts, not_before, last_error, failed_at, thread, claimed_by, claimed_until)
SELECT provider, event_id, first_seen_at, deliveries, site, event, processed_at, position,
    attempts, not_before, last_error, failed_at, thread, claimed_by, claimed_until
FROM webhook_events;
DROP TABLE webhook_events;
ALTER TABLE webhook_events_typed RENAME TO webhook_events;
CREATE INDEX webhook_events_first_seen ON webhook_events (first_seen_at);
CREATE INDEX webhook_events_unprocessed ON webhook_events (processed_at) WHERE event IS NOT NULL;
CREATE INDEX webhook_events_position ON webhook_events (position);
CREATE INDEX webhook_events_thread ON webhook_events (provider, site, thread, position)
    WHERE processed_at IS NULL AND failed_at IS NULL;
CREATE INDEX webhook_events_claimed ON webhook_events (claimed_by) WHERE claimed_by IS NOT NULL;
