-- SCIM 2.0 provisioning: the people and groups a workspace's identity provider pushed.

-- A person the provider pushed, joined to the account of their address. `id` is the SCIM id the
-- provider addresses them by (`su-…`); `user_name_key` is `user_name` folded to lower case,
-- unique in the workspace (RFC 7643 §4.1.1: userName is case-insensitive). `version` grows by one
-- with every change and is the resource's ETag.
CREATE TABLE scim_users (
    id             TEXT PRIMARY KEY,
    workspace_id   TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    user_name      TEXT NOT NULL,
    user_name_key  TEXT NOT NULL,
    external_id    TEXT,
    display_name   TEXT,
    given_name     TEXT,
    family_name    TEXT,
    formatted_name TEXT,
    email_type     TEXT,
    active         BIGINT NOT NULL,
    version        BIGINT NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    UNIQUE (workspace_id, user_name_key),
    UNIQUE (workspace_id, user_id)
);

-- A group the provider pushed; the one whose name is the connection's admin group makes its
-- members admins.
CREATE TABLE scim_groups (
    id                TEXT PRIMARY KEY,
    workspace_id      TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    display_name      TEXT NOT NULL,
    display_name_key  TEXT NOT NULL,
    external_id       TEXT,
    version           BIGINT NOT NULL,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    UNIQUE (workspace_id, display_name_key)
);

CREATE TABLE scim_group_members (
    group_id   TEXT NOT NULL REFERENCES scim_groups (id) ON DELETE CASCADE,
    member_id  TEXT NOT NULL REFERENCES scim_users (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, member_id)
);
CREATE INDEX scim_group_members_by_member ON scim_group_members (member_id);
