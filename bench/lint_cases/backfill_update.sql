-- A whole-table UPDATE in the revision's transaction: every row stays locked
-- until commit, and the table bloats by its own size.
UPDATE users SET is_active = true WHERE is_active IS NULL;
