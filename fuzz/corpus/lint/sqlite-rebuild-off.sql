sPRAGMA foreign_keys=OFF;
BEGIN;
CREATE TABLE new_users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);
INSERT INTO new_users SELECT id, email FROM users;
DROP TABLE users;
ALTER TABLE new_users RENAME TO users;
COMMIT;
PRAGMA foreign_keys=ON;
VACUUM;
