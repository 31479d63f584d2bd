-- Regenerate: the token that replaced this one. Set as the successor is made, whether the old
-- token stops at once or works on through an overlap, so the pages mark it as replaced and it
-- leaves the expiry banner and the calendar feed.
ALTER TABLE grants ADD COLUMN replaced_by TEXT;

-- The other token an event names (a regeneration's predecessor or successor), and when the
-- replaced one stops, so the pages word the event in the reader's language and time zone.
ALTER TABLE audit_events ADD COLUMN other_grant_id TEXT;
ALTER TABLE audit_events ADD COLUMN other_grant_name TEXT;
ALTER TABLE audit_events ADD COLUMN until_at BIGINT;

-- Search now ignores accents (token_api::search::fold): the folded names and descriptions are
-- derived again at start, from the names and descriptions themselves.
UPDATE grants SET name_folded = '';
UPDATE grants SET description_folded = NULL;
