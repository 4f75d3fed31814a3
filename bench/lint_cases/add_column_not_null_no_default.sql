-- Fails as soon as the table has a row.
ALTER TABLE users ADD COLUMN tenant_id bigint NOT NULL;
