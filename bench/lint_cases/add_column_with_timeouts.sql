-- The same add, with the timeouts set first.
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '60s';
ALTER TABLE users ADD COLUMN nickname text;
