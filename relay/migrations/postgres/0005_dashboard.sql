-- The owner dashboard (issue 12): accounts, their sessions, the sites' settings kept in the
-- database and the audit log of every change. Times are ms since the epoch.
CREATE TABLE admin_accounts (
    id TEXT PRIMARY KEY,
    -- Lower-cased; signs in.
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('owner', 'agent')),
    -- argon2id, PHC string.
    password_hash TEXT NOT NULL,
    -- Wrong passwords in a row, and the lockout they caused.
    failed_attempts BIGINT NOT NULL DEFAULT 0,
    locked_until BIGINT,
    created_at BIGINT NOT NULL
);

-- The sites an account works on ('*': every site).
CREATE TABLE admin_account_sites (
    account_id TEXT NOT NULL REFERENCES admin_accounts (id) ON DELETE CASCADE,
    site TEXT NOT NULL,
    PRIMARY KEY (account_id, site)
);

-- Signed-in browsers: the cookie's value is kept only as its SHA-256.
CREATE TABLE admin_sessions (
    id_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES admin_accounts (id) ON DELETE CASCADE,
    -- The synchronizer token every form of this session carries.
    csrf TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX admin_sessions_account ON admin_sessions (account_id);

-- One row once the first owner exists: the setup token is good once.
CREATE TABLE admin_setup (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    done_at BIGINT NOT NULL
);

-- A site's settings set in the dashboard: a TOML document of the `[sites.<key>]` table's
-- shape, over the configuration file's table for the keys it holds.
CREATE TABLE site_settings (
    site TEXT PRIMARY KEY,
    version BIGINT NOT NULL,
    document TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Who changed what, when.
CREATE TABLE audit_log (
    id BIGSERIAL PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    site TEXT,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX audit_log_site ON audit_log (site, id);
