-- The PostgreSQL 12+ pattern: the CHECK was added NOT VALID in an earlier
-- revision; validate it, then SET NOT NULL skips the scan.
ALTER TABLE users VALIDATE CONSTRAINT users_email_not_null;
ALTER TABLE users ALTER COLUMN email SET NOT NULL;
ALTER TABLE users DROP CONSTRAINT users_email_not_null;
