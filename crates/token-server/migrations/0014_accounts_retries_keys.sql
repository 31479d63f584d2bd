-- Who made an account, and which workspace manages it. An account a workspace's admin made
-- (Add member) is managed by that workspace: it joins no other workspace until the operator
-- takes it over, which gives it a new credential and ends everything it had. NULL: made by the
-- operator (or before this was recorded), joined to workspaces by the operator only.
ALTER TABLE users ADD COLUMN managed_by TEXT;
-- The admin's user id, or 'operator'; NULL for accounts made before this was recorded.
ALTER TABLE users ADD COLUMN created_by TEXT;
-- The email's confusable skeleton (Unicode TS #39): a new address whose skeleton another
-- person's has is a lookalike of theirs. Filled in by the service at start.
ALTER TABLE users ADD COLUMN email_skeleton TEXT;
CREATE INDEX users_by_email_skeleton ON users (email_skeleton);

-- A retry within the window is bound to the user agent as well as the address that rotated,
-- and a rotation takes a few retries at most.
ALTER TABLE rotated_refresh_tokens ADD COLUMN rotated_agent TEXT;
ALTER TABLE rotated_refresh_tokens ADD COLUMN retries INTEGER NOT NULL DEFAULT 0;

-- A signing key the operator retired: it verifies nothing from then on and is not published.
ALTER TABLE signing_key_ring ADD COLUMN retired_at BIGINT;
