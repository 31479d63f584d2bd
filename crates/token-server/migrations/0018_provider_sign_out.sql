-- Signing out of a session a workspace's identity provider opened can end the person's session
-- at the provider too (OpenID Connect RP-Initiated Logout), where the operator asked for it.
ALTER TABLE sso_connections ADD COLUMN sign_out_at_provider BIGINT NOT NULL DEFAULT 0;

-- Which of the sessions that reach one workspace its provider opened (a host's ticket opens the
-- others): only those send the browser to the provider's sign-out.
ALTER TABLE sessions ADD COLUMN by_provider BIGINT NOT NULL DEFAULT 0;
