-- The admin list's counts by state (active, disabled, expired, expiring) read this index alone,
-- instead of every row of the workspace. Last use is left out: every refresh would move it.
CREATE INDEX grants_ws_state ON grants (workspace_id, disabled_at, expires_at);
