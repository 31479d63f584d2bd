-- A token's name as search and name sort read it: lower-cased by the same Unicode rules the
-- Users page applies in the browser (token_api::search::fold), so "école" finds "ÉCOLE" on both
-- pages and on both databases (SQLite's LOWER and LIKE fold ASCII only). Written with the name;
-- rows from before this column are filled in at start.
ALTER TABLE grants ADD COLUMN name_folded TEXT NOT NULL DEFAULT '';
CREATE INDEX grants_ws_name_folded ON grants (workspace_id, name_folded, id);
DROP INDEX grants_ws_name;
