-- Notices to a token's owner (`crate::notices`): 7 days and 1 day before its refresh token
-- expires, and when someone else, reuse detection or a leak report disabled it.

-- The language the service writes to the person in: 'en' or 'zh-CN', from the Accept-Language
-- of the request that last signed them in. NULL: English.
ALTER TABLE users ADD COLUMN locale TEXT;

-- 1: the member gets email notices about their tokens in this workspace; 0: they turned them off.
ALTER TABLE memberships ADD COLUMN notices_email INTEGER NOT NULL DEFAULT 1;

-- One row per notice, made once by whichever instance's scan finds it due, and sent by whichever
-- instance claims it. A notice exists once: one of each expiry kind per token
-- (UNIQUE (grant_id, kind)), one per disabling audit event (UNIQUE event_id; NULL for expiry).
CREATE TABLE notices (
    id               TEXT PRIMARY KEY,
    -- 'expiry_7d', 'expiry_1d' or 'disabled'.
    kind             TEXT NOT NULL,
    workspace_id     TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id          TEXT NOT NULL,
    grant_id         TEXT NOT NULL,
    -- The audit event that disabled the token (disabled, reuse_detected, leak_reported).
    event_id         TEXT UNIQUE,
    -- 'pending' (to send), 'sent', 'failed' (gave up), 'skipped' (no email: turned off, no SMTP,
    -- or nothing left to tell).
    state            TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT NOT NULL,
    -- An instance sending it holds it until then; the claim is a conditional UPDATE, so one wins.
    lease_until      BIGINT,
    lease_token      TEXT,
    last_error       TEXT,
    created_at       BIGINT NOT NULL,
    sent_at          BIGINT,
    UNIQUE (grant_id, kind)
);
-- The sender's queue (pending, by when due) and the purge of old finished ones.
CREATE INDEX notices_by_state ON notices (state, next_attempt_at);
CREATE INDEX notices_by_time ON notices (created_at);
