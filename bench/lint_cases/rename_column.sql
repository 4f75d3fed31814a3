-- The running release still selects the old name.
ALTER TABLE users RENAME COLUMN name TO full_name;
