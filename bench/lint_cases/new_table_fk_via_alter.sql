-- The foreign key added to the new table locks the existing users table
-- (SHARE ROW EXCLUSIVE: writes to users wait).
CREATE TABLE api_keys (id bigint PRIMARY KEY, user_id bigint NOT NULL);
ALTER TABLE api_keys ADD CONSTRAINT api_keys_user_fk FOREIGN KEY (user_id) REFERENCES users (id);
