-- A member's calendar of their tokens' expiry dates in one workspace, read by calendar apps at a
-- secret URL (only its digest is kept). One per member and workspace: a new one replaces the
-- old, and deleting it revokes the URL. It answers only while they are a member.
CREATE TABLE calendar_feeds (
    workspace_id   TEXT NOT NULL,
    user_id        TEXT NOT NULL,
    secret_digest  TEXT NOT NULL UNIQUE,
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);
