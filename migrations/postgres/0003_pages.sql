-- 0003 (PostgreSQL): what the pages need; the same as SQLite's 0008_pages.sql. Who deleted a
-- database (partner or user), when a claim link last produced database.claim_link_opened (at most
-- one per link per hour), which expiry warnings were sent (one database.expiring per lead time),
-- and an index for the dashboard's funnel, which reads events by type and time.

ALTER TABLE databases ADD COLUMN deleted_by TEXT CHECK (deleted_by IS NULL OR deleted_by IN ('partner', 'user'));
UPDATE databases SET deleted_by = 'partner' WHERE status = 'deleted';

ALTER TABLE claim_links ADD COLUMN opened_notified_at BIGINT;

CREATE TABLE expiry_warnings (
    database_id TEXT NOT NULL REFERENCES databases (id),
    lead_seconds BIGINT NOT NULL,
    sent_at BIGINT NOT NULL,
    PRIMARY KEY (database_id, lead_seconds)
);

CREATE INDEX events_by_type ON events (type, created_at);
