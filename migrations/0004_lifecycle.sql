-- 0004: the lifecycle. Expiry bookkeeping on databases, and the event outbox: every state change
-- writes its event in the same transaction; the dispatcher delivers them as signed webhooks, in
-- order per database, and GET /v1/events replays them.

ALTER TABLE databases ADD COLUMN delete_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE databases ADD COLUMN next_delete_at INTEGER;
ALTER TABLE databases ADD COLUMN expiring_notified_at INTEGER;

CREATE INDEX databases_by_expiry ON databases (status, expires_at);

CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    database_id TEXT,
    account_id TEXT,
    payload TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error TEXT,
    delivered_at INTEGER
) STRICT;

CREATE INDEX events_pending ON events (state, next_attempt_at);
CREATE INDEX events_by_database ON events (database_id, seq);
