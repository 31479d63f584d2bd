-- Bursts of failed sign-ins are counted per account over the last quarter of an hour, at each
-- failure: by account, then time.
CREATE INDEX sign_in_failures_by_email ON sign_in_failures (email, at);

-- Where a token's last refresh came from, written by the refresh that rotated it.
ALTER TABLE grants ADD COLUMN last_used_ip TEXT;
ALTER TABLE grants ADD COLUMN last_used_agent TEXT;
