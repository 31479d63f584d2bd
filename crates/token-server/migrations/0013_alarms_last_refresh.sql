-- Bursts of failed sign-ins are counted per account over the last quarter of an hour, at each
-- failure: by account, then time.
CREATE INDEX sign_in_failures_by_email ON sign_in_failures (email, at);

-- Where a token's last refresh came from, written by the refresh that rotated it.
ALTER TABLE grants ADD COLUMN last_used_ip TEXT;
ALTER TABLE grants ADD COLUMN last_used_agent TEXT;

-- The alarm is written in each workspace of the account's person: memberships by person.
CREATE INDEX memberships_by_user ON memberships (user_id);
