-- SET DEFAULT only affects future inserts: no rewrite, whatever the function.
ALTER TABLE users ALTER COLUMN api_token SET DEFAULT gen_random_uuid();
