-- A member removed from a workspace keeps their row: their tokens reference it and stay, disabled
-- and marked, in the list and the audit trail. Every membership check skips removed rows.
ALTER TABLE memberships ADD COLUMN removed_at BIGINT;
ALTER TABLE memberships ADD COLUMN removed_by TEXT;
