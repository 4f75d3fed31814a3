-- vmig:revision e27b6f90a1c8
-- vmig:down_revision 5c0e8a71d3f4
-- vmig:message add users.display_name, filled from email

-- vmig:up
-- A schema change and the data backfill it needs, in one revision: both
-- commit together, so no user is ever left without a display name.
ALTER TABLE users ADD COLUMN display_name text;

UPDATE users SET display_name = lower(email) WHERE display_name IS NULL;

-- vmig:down
ALTER TABLE users DROP COLUMN display_name;
