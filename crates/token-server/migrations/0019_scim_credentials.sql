-- SCIM 2.0 provisioning: the credentials a workspace's identity provider pushes its people with.

-- A bearer credential the operator issued to one workspace's provider; only its digest is kept.
-- Its last use and the last request it refused are what the Admins page shows of it.
CREATE TABLE scim_credentials (
    id             TEXT PRIMARY KEY,
    workspace_id   TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    digest         TEXT NOT NULL UNIQUE,
    created_at     BIGINT NOT NULL,
    revoked_at     BIGINT,
    last_used_at   BIGINT,
    last_error     TEXT,
    last_error_at  BIGINT
);
CREATE INDEX scim_credentials_by_workspace ON scim_credentials (workspace_id);
