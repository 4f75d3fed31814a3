-- A new column filled from a volatile function: every row gets its own value,
-- so PostgreSQL rewrites the table.
ALTER TABLE users ADD COLUMN api_token uuid DEFAULT gen_random_uuid();
