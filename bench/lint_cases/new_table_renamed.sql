-- A table created under a temporary name and renamed, in the same revision.
CREATE TABLE audit_log_new (id bigint PRIMARY KEY, body jsonb NOT NULL);
ALTER TABLE audit_log_new RENAME TO audit_log;
CREATE INDEX audit_log_body_idx ON audit_log USING gin (body);
