-- Times are Unix milliseconds (BIGINT) and ids are text made by the server, so the same SQL runs on
-- SQLite and PostgreSQL. A token's status is derived from disabled_at and expires_at, never stored.
CREATE TABLE workspaces (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    client_id   TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL
);

CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    email          TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    created_at     BIGINT NOT NULL
);

CREATE TABLE memberships (
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role          TEXT NOT NULL CHECK (role IN ('member', 'admin')),
    PRIMARY KEY (workspace_id, user_id)
);

CREATE TABLE sessions (
    id_digest   TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);

CREATE TABLE grants (
    id               TEXT PRIMARY KEY,
    workspace_id     TEXT NOT NULL,
    user_id          TEXT NOT NULL,
    name             TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    expires_at       BIGINT NOT NULL,
    last_used_at     BIGINT,
    disabled_at      BIGINT,
    disabled_by      TEXT REFERENCES users (id) ON DELETE SET NULL,
    disabled_reason  TEXT,
    refresh_digest   TEXT NOT NULL UNIQUE,
    refresh_hint     TEXT NOT NULL,
    FOREIGN KEY (workspace_id, user_id) REFERENCES memberships (workspace_id, user_id) ON DELETE CASCADE
);
CREATE INDEX grants_by_owner ON grants (workspace_id, user_id, created_at);
CREATE INDEX grants_by_workspace ON grants (workspace_id, created_at, id);

-- Refresh tokens that were rotated out: presenting one again is a reuse, and disables the grant.
CREATE TABLE rotated_refresh_tokens (
    digest      TEXT PRIMARY KEY,
    grant_id    TEXT NOT NULL REFERENCES grants (id) ON DELETE CASCADE,
    rotated_at  BIGINT NOT NULL
);

CREATE TABLE audit_events (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    at            BIGINT NOT NULL,
    action        TEXT NOT NULL,
    actor_id      TEXT,
    owner_id      TEXT,
    grant_id      TEXT,
    grant_name    TEXT,
    ip            TEXT,
    reason        TEXT
);
CREATE INDEX audit_by_workspace ON audit_events (workspace_id, at, id);

CREATE TABLE signing_keys (
    kid          TEXT PRIMARY KEY,
    secret_seed  TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
