-- 0005: claims that cannot end half-done. Before the transfer request is sent, the claim records
-- that it is being sent and to which workspace; the row keeps that mark until the outcome is
-- recorded. A mark left behind (the process died, or the record failed after Prisma moved the
-- project) is resolved by the transfer reconciler, which asks Prisma who owns the project.

ALTER TABLE databases ADD COLUMN transfer_started_at INTEGER;
ALTER TABLE databases ADD COLUMN transfer_workspace_id TEXT;

CREATE INDEX databases_transfers_in_flight ON databases (transfer_started_at) WHERE transfer_started_at IS NOT NULL;
