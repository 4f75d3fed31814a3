-- case: transaction off
-- Outside a transaction SET LOCAL does nothing (PostgreSQL only warns), so the
-- ALTER below waits for its lock with no timeout at all.
SET LOCAL lock_timeout = '5s';
ALTER TABLE users ALTER COLUMN email SET NOT NULL;
