-- 0006: what happens to the partner's credentials when the user claims the database. The
-- connection whose password the partner got is remembered, and the policy chosen at creation
-- (keep, rotate or revoke; NULL = the service's default).

ALTER TABLE databases ADD COLUMN connection_id TEXT;
ALTER TABLE databases ADD COLUMN on_claim TEXT CHECK (on_claim IS NULL OR on_claim IN ('keep', 'rotate', 'revoke'));
