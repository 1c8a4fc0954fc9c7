-- The handover: the conversation's ownership state (the machine's State as JSON, plus the
-- columns the agent inbox filters and sorts on), the summary for agents, ratings, and the
-- follow-ups visitors leave when nobody is available.
ALTER TABLE conversations ADD COLUMN state TEXT NOT NULL DEFAULT '{"phase":"bot"}';
ALTER TABLE conversations ADD COLUMN phase TEXT NOT NULL DEFAULT 'bot';
ALTER TABLE conversations ADD COLUMN reason TEXT;
ALTER TABLE conversations ADD COLUMN summary TEXT;
ALTER TABLE conversations ADD COLUMN agent_id TEXT;
ALTER TABLE conversations ADD COLUMN waiting_since INTEGER;
ALTER TABLE conversations ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN rating INTEGER;

CREATE INDEX conversations_phase ON conversations (phase, waiting_since);

CREATE TABLE follow_ups (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    site            TEXT NOT NULL,
    email           TEXT NOT NULL,
    summary         TEXT NOT NULL,
    created_at      INTEGER NOT NULL
);
