-- Invitations of agents by owners (issue 12): a one-time link whose token is kept only as its
-- SHA-256; spent when the agent sets a password, or when it expires.
CREATE TABLE admin_invites (
    token_hash TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    -- The sites the agent will work on, one a line.
    sites TEXT NOT NULL,
    invited_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
);
