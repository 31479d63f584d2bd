-- Retention: the upkeep removes old routine audit events by action and time, and the rotated-out
-- refresh digests of grants that have ended, a small batch at a time; these indexes keep each
-- batch from scanning the table.
CREATE INDEX audit_by_action ON audit_events (action, at);
CREATE INDEX rotated_by_grant ON rotated_refresh_tokens (grant_id);
CREATE INDEX grants_by_end ON grants (expires_at);
CREATE INDEX grants_by_disabled ON grants (disabled_at);
