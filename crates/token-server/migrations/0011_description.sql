-- An optional note on each token (up to 500 characters), editable by its owner, shown in the
-- list and the reveal; admins' name search finds it too, folded the way names are.
ALTER TABLE grants ADD COLUMN description TEXT;
ALTER TABLE grants ADD COLUMN description_folded TEXT;
