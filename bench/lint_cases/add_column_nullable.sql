-- The harmless column add: only the brief ACCESS EXCLUSIVE lock matters.
ALTER TABLE users ADD COLUMN nickname text;
