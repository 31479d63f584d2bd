-- The signing keys, sealed at rest under the operator's key file. `generation` makes "the first
-- key" a fixed row, so instances starting together on an empty database insert one key between
-- them; a rotation adds the next generation. A key signs from `activates_at`; the plaintext
-- table of 0001 is emptied into this one at the first start after the upgrade.
CREATE TABLE signing_key_ring (
    generation    BIGINT PRIMARY KEY,
    kid           TEXT NOT NULL UNIQUE,
    sealed_seed   TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    activates_at  BIGINT NOT NULL
);

-- A rotated-out refresh token's successor, sealed under a key derived from the rotated-out
-- token itself, so a client retrying after a lost response gets the same successor back and
-- the database alone never yields it. Cleared once the retry window is over.
ALTER TABLE rotated_refresh_tokens ADD COLUMN successor_digest TEXT;
ALTER TABLE rotated_refresh_tokens ADD COLUMN successor_sealed TEXT;
-- Where the exchange came from: a retry must come from there too.
ALTER TABLE rotated_refresh_tokens ADD COLUMN rotated_ip TEXT;

-- Sessions end after an idle period as well as at their absolute expiry; expired ones are
-- purged by a background task through this index.
ALTER TABLE sessions ADD COLUMN last_seen_at BIGINT;
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
CREATE INDEX sessions_by_user ON sessions (user_id);

-- Who acted and whose token it was, as they were at the time: the audit trail keeps its names
-- when a person or a membership is deleted.
ALTER TABLE audit_events ADD COLUMN actor_email TEXT;
ALTER TABLE audit_events ADD COLUMN actor_name TEXT;
ALTER TABLE audit_events ADD COLUMN owner_email TEXT;
ALTER TABLE audit_events ADD COLUMN owner_name TEXT;

-- Failed sign-ins: when, for which address typed, from where. Never the password.
CREATE TABLE sign_in_failures (
    id     TEXT PRIMARY KEY,
    at     BIGINT NOT NULL,
    email  TEXT NOT NULL,
    ip     TEXT
);
CREATE INDEX sign_in_failures_by_time ON sign_in_failures (at);

-- The upkeep erases sealed successors once their window has closed: only those rows, by time.
CREATE INDEX rotated_with_successor ON rotated_refresh_tokens (rotated_at) WHERE successor_sealed IS NOT NULL;
