-- A new table named with its schema, then without (the same table when app is
-- first on the search path).
CREATE TABLE app.api_keys (id bigint PRIMARY KEY, user_id bigint NOT NULL, key text NOT NULL);
CREATE INDEX api_keys_user_id_idx ON api_keys (user_id);
ALTER TABLE app.api_keys ADD CONSTRAINT api_keys_key_key UNIQUE (key);
