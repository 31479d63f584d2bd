-- A workspace's rules for new tokens, set by its admins: the longest lifetime, who may generate
-- tokens ('members' or 'admins'), and the most active tokens per member (NULL: no limit).
-- Existing tokens are never touched by a change.
ALTER TABLE workspaces ADD COLUMN max_lifetime_days INTEGER NOT NULL DEFAULT 365;
ALTER TABLE workspaces ADD COLUMN creators TEXT NOT NULL DEFAULT 'members';
ALTER TABLE workspaces ADD COLUMN max_active_per_member INTEGER;
