-- 0007: several replicas. Work that used to be single-flight inside one process is leased in
-- the database, so two replicas never do it at once, and a replica that dies leaves a lease that
-- simply expires. Owners are per-process random ids; times are Unix milliseconds.

-- The one run (create, adoption, give-up) of a provisioning database.
ALTER TABLE databases ADD COLUMN run_owner TEXT;
ALTER TABLE databases ADD COLUMN run_lease_until INTEGER;
-- The request holding an idempotency key whose first answer is not stored yet.
ALTER TABLE idempotency_keys ADD COLUMN lease_owner TEXT;
ALTER TABLE idempotency_keys ADD COLUMN lease_until INTEGER;
-- The one refresh of a connected account's tokens (refresh tokens rotate: two would lose the grant).
ALTER TABLE accounts ADD COLUMN refresh_owner TEXT;
ALTER TABLE accounts ADD COLUMN refresh_lease_until INTEGER;

-- Background passes (recovery, expiry sweep, webhook delivery, reconcilers): one replica at a time.
CREATE TABLE work_leases (
    name TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    lease_until INTEGER NOT NULL
) STRICT;
