-- The migration runner already wraps the revision in a transaction.
BEGIN;
ALTER TABLE users ADD COLUMN nickname text;
COMMIT;
