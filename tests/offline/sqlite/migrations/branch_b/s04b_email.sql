-- vmig:revision s04b
-- vmig:down_revision s03
-- vmig:message account email (branch b)

-- vmig:up
ALTER TABLE accounts ADD COLUMN email TEXT;
UPDATE accounts SET email = replace(lower(name), ' ', '.') || '@example.org';
CREATE VIEW account_emails AS SELECT id, email FROM accounts WHERE email LIKE '%;%' OR email IS NOT NULL;

-- vmig:down
DROP VIEW account_emails;
ALTER TABLE accounts DROP COLUMN email;
