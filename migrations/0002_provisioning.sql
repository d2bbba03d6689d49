-- 0002: databases handed out to partners, idempotency keys, and claim links.
-- Times are Unix milliseconds (UTC). Secrets (credentials, stored responses) are AES-GCM sealed
-- by the application; claim tokens are stored only as SHA-256 hashes.

CREATE TABLE databases (
    id TEXT PRIMARY KEY,
    logical_id TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('provisioning', 'ready', 'claimed', 'expired', 'deleted', 'failed')),
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    region TEXT NOT NULL,
    reference TEXT CHECK (reference IS NULL OR length(reference) <= 200),
    metadata TEXT,
    project_id TEXT,
    prisma_database_id TEXT,
    credentials BLOB,
    failure_reason TEXT,
    ttl_seconds INTEGER NOT NULL CHECK (ttl_seconds > 0),
    expires_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    claimed_at INTEGER,
    claimed_workspace_id TEXT,
    deleted_at INTEGER,
    CHECK (status != 'ready' OR (project_id IS NOT NULL AND credentials IS NOT NULL))
) STRICT;

CREATE INDEX databases_by_status ON databases (status, created_at);
CREATE INDEX databases_by_reference ON databases (reference, created_at);
CREATE INDEX databases_by_created ON databases (created_at, id);

CREATE TABLE idempotency_keys (
    principal TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('in_flight', 'done')),
    database_id TEXT NOT NULL REFERENCES databases (id),
    response_status INTEGER,
    response_body BLOB,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (principal, key),
    CHECK (state != 'done' OR (response_status IS NOT NULL AND response_body IS NOT NULL))
) STRICT;

CREATE INDEX idempotency_by_database ON idempotency_keys (database_id);

CREATE TABLE claim_links (
    token_hash BLOB PRIMARY KEY,
    database_id TEXT NOT NULL REFERENCES databases (id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER
) STRICT;

CREATE INDEX claim_links_by_database ON claim_links (database_id);
