-- 0003: the claim flow. OAuth states (hashed, single use, browser-bound), the users' Prisma
-- grants (tokens sealed by the application), and the claim lock that makes one transfer per claim.

CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    prisma_user_id TEXT NOT NULL,
    workspace_id TEXT NOT NULL,
    email TEXT,
    access_token BLOB NOT NULL,
    refresh_token BLOB,
    access_expires_at INTEGER,
    scope TEXT,
    status TEXT NOT NULL CHECK (status IN ('active', 'needs_reauth')),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (prisma_user_id, workspace_id)
) STRICT;

CREATE TABLE oauth_states (
    state_hash BLOB PRIMARY KEY,
    database_id TEXT NOT NULL REFERENCES databases (id),
    claim_token BLOB NOT NULL,
    verifier BLOB NOT NULL,
    browser_hash BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    consumed_at INTEGER
) STRICT;

CREATE INDEX oauth_states_by_expiry ON oauth_states (expires_at);

ALTER TABLE databases ADD COLUMN account_id TEXT REFERENCES accounts (id);
-- While a claim is being completed: when it started (a stale lock is ignored after 2 minutes).
ALTER TABLE databases ADD COLUMN claim_started_at INTEGER;
