-- A host app's backend signs its people in to the embedded panel with one-time tickets.

-- A key the operator issued to one host, for one workspace and the host's origin; only its
-- digest is kept.
CREATE TABLE host_keys (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    digest        TEXT NOT NULL UNIQUE,
    origin        TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    revoked_at    BIGINT
);
CREATE INDEX host_keys_by_workspace ON host_keys (workspace_id);

-- A ticket for one member, one workspace and the host's origin, by its digest; it works once,
-- within a minute, while its key stands.
CREATE TABLE host_tickets (
    digest        TEXT PRIMARY KEY,
    host_key_id   TEXT NOT NULL REFERENCES host_keys (id) ON DELETE CASCADE,
    workspace_id  TEXT NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    origin        TEXT NOT NULL,
    expires_at    BIGINT NOT NULL,
    used_at       BIGINT
);
CREATE INDEX host_tickets_by_expiry ON host_tickets (expires_at);
