-- The usual unique-constraint recipe, written as one transactional revision:
-- fails, CONCURRENTLY cannot run inside the revision's transaction.
CREATE UNIQUE INDEX CONCURRENTLY users_email_idx ON users (email);
ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_idx;
