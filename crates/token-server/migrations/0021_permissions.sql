-- What a token may do and where from (permissions as OAuth scope, address ranges), and the
-- workspace policy that bounds them.

-- The catalogue of permissions the workspace's APIs understand: a JSON array of
-- {"name", "description"} (NULL: none). Read with the rest of the policy, in one row.
ALTER TABLE workspaces ADD COLUMN permissions TEXT;
-- 1: a token may carry every permission ("all"); 0: it must name them.
ALTER TABLE workspaces ADD COLUMN allow_all_permissions INTEGER NOT NULL DEFAULT 1;
-- The permissions members (not admins) may choose, separated by spaces; NULL: any.
ALTER TABLE workspaces ADD COLUMN member_permissions TEXT;
-- The ranges every new token must stay inside, separated by spaces; NULL: anywhere.
ALTER TABLE workspaces ADD COLUMN allowed_ranges TEXT;

-- The permissions a token carries, sorted and separated by spaces (its access tokens' scope);
-- NULL: all of the workspace's, present and future (every token made before this migration).
ALTER TABLE grants ADD COLUMN scope TEXT;
-- The address ranges (CIDR) it may be refreshed from, separated by spaces; NULL: anywhere.
ALTER TABLE grants ADD COLUMN ranges TEXT;
