-- Sign-in through a workspace's OpenID Provider.

-- One provider per workspace, set by the operator. The client secret is sealed under a key
-- derived from the key file, as the signing keys are; the database alone does not open it.
CREATE TABLE sso_connections (
    workspace_id          TEXT PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    issuer                TEXT NOT NULL,
    client_id             TEXT NOT NULL,
    client_secret_sealed  TEXT NOT NULL,
    admin_group           TEXT,
    required              BIGINT NOT NULL DEFAULT 0,
    -- The operator vouches that the provider's addresses in the claimed domains are its people's
    -- (Entra ID sends no email_verified): they count as verified.
    trust_emails          BIGINT NOT NULL DEFAULT 0,
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL,
    last_sign_in_at       BIGINT,
    last_error            TEXT,
    last_error_at         BIGINT
);

-- The email domains a workspace claims; a domain is one workspace's.
CREATE TABLE sso_domains (
    domain        TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE
);
CREATE INDEX sso_domains_by_workspace ON sso_domains (workspace_id);

-- An identity is the provider's issuer and subject, within the workspace that trusts it.
CREATE TABLE sso_identities (
    workspace_id     TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    issuer           TEXT NOT NULL,
    subject          TEXT NOT NULL,
    user_id          TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at       BIGINT NOT NULL,
    last_sign_in_at  BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, issuer, subject)
);
CREATE INDEX sso_identities_by_user ON sso_identities (user_id);

-- A sign-in under way, from the start to the provider's answer: found by the digest of its
-- `state`, bound to the browser that started it (the digest of a cookie), used once.
CREATE TABLE sso_logins (
    state_digest    TEXT PRIMARY KEY,
    browser_digest  TEXT NOT NULL,
    workspace_id    TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    nonce           TEXT NOT NULL,
    pkce_verifier   TEXT NOT NULL,
    return_to       TEXT NOT NULL,
    expires_at      BIGINT NOT NULL
);
CREATE INDEX sso_logins_by_expiry ON sso_logins (expires_at);

-- A session its workspace's provider vouched for reaches that workspace only.
ALTER TABLE sessions ADD COLUMN sso_workspace_id TEXT;

-- An operator's account that may still sign in with its password where the provider is required.
ALTER TABLE memberships ADD COLUMN break_glass BIGINT NOT NULL DEFAULT 0;

-- One identity of a provider per account in a workspace: a second subject with the same
-- address (one the provider gave to someone else since) does not get the account.
CREATE UNIQUE INDEX sso_identities_one_per_account ON sso_identities (workspace_id, issuer, user_id);
