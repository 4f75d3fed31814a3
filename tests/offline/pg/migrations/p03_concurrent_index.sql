-- vmig:revision p03
-- vmig:down_revision p02
-- vmig:message concurrent indexes
-- vmig:transaction off

-- vmig:up
CREATE INDEX CONCURRENTLY accounts_name_idx ON accounts (name);
CREATE UNIQUE INDEX CONCURRENTLY audit_id_idx ON audit (id);

-- vmig:down
DROP INDEX CONCURRENTLY audit_id_idx;
DROP INDEX CONCURRENTLY accounts_name_idx;
