-- Instant for the database; code that assumed non-NULL values may break.
ALTER TABLE users ALTER COLUMN phone DROP NOT NULL;
