-- 0002 (PostgreSQL): leases for several replicas; the same as SQLite's 0007_replicas.sql.
-- Work that used to be single-flight inside one process is leased in the database, so two
-- replicas never do it at once, and a replica that dies leaves a lease that simply expires.

ALTER TABLE databases ADD COLUMN run_owner TEXT;
ALTER TABLE databases ADD COLUMN run_lease_until BIGINT;
ALTER TABLE idempotency_keys ADD COLUMN lease_owner TEXT;
ALTER TABLE idempotency_keys ADD COLUMN lease_until BIGINT;
ALTER TABLE accounts ADD COLUMN refresh_owner TEXT;
ALTER TABLE accounts ADD COLUMN refresh_lease_until BIGINT;

CREATE TABLE work_leases (
    name TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    lease_until BIGINT NOT NULL
);
