-- Why a grant was disabled, told to its owner: 'person' (its owner or an admin, who is in
-- disabled_by while they exist), 'reuse_detected' (a rotated-out refresh token came back), or
-- 'revoked' (its client revoked it). Grants disabled before this column are classified by what
-- the service wrote then: a person is in disabled_by, and the service's own reasons are fixed.
ALTER TABLE grants ADD COLUMN disabled_cause TEXT;
UPDATE grants SET disabled_cause = CASE
    WHEN disabled_by IS NOT NULL THEN 'person'
    WHEN disabled_reason = 'refresh token reuse detected' THEN 'reuse_detected'
    WHEN disabled_reason = 'revoked by the client' THEN 'revoked'
    ELSE 'person'
END
WHERE disabled_at IS NOT NULL;
