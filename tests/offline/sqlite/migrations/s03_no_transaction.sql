-- vmig:revision s03
-- vmig:down_revision s02
-- vmig:message indexes outside a transaction
-- vmig:transaction off

-- vmig:up
CREATE INDEX accounts_name_idx ON accounts (name);
CREATE UNIQUE INDEX audit_op_idx ON audit (id, op);
INSERT INTO audit (op, account) VALUES ('no transaction', 'none');

-- vmig:down
DROP INDEX audit_op_idx;
DROP INDEX accounts_name_idx;
DELETE FROM audit WHERE op = 'no transaction';
