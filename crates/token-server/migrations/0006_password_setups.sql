-- One-time set-password links, from `token-server user add` and an admin adding a member: the
-- database keeps the digest of the link's secret only, whose password it sets, and until when.
CREATE TABLE password_setups (
    digest      TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at  BIGINT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE INDEX password_setups_user ON password_setups (user_id);
