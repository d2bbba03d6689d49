-- 0008: what the pages need. Who deleted a database (the partner through the API, or the end user
-- from the claim page); when a claim link last produced a database.claim_link_opened event (at most
-- one per link per hour); which expiry warnings were sent (one database.expiring per lead time);
-- and an index for the dashboard's funnel, which counts events by type and time.

ALTER TABLE databases ADD COLUMN deleted_by TEXT CHECK (deleted_by IS NULL OR deleted_by IN ('partner', 'user'));
UPDATE databases SET deleted_by = 'partner' WHERE status = 'deleted';

ALTER TABLE claim_links ADD COLUMN opened_notified_at INTEGER;

CREATE TABLE expiry_warnings (
    database_id TEXT NOT NULL REFERENCES databases (id),
    lead_seconds INTEGER NOT NULL,
    sent_at INTEGER NOT NULL,
    PRIMARY KEY (database_id, lead_seconds)
) STRICT;

CREATE INDEX events_by_type ON events (type, created_at);
