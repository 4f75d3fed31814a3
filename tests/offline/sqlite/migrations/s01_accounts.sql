-- vmig:revision s01
-- vmig:message accounts, audit and a trigger

-- vmig:up
CREATE TABLE accounts (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    note TEXT DEFAULT 'a;b' -- a ; in a comment
);
CREATE TABLE audit (
    id      INTEGER PRIMARY KEY,
    op      TEXT NOT NULL,
    account TEXT NOT NULL
);
-- A trigger body holds statements of its own, each ending in ;
CREATE TRIGGER accounts_audit AFTER INSERT ON accounts
BEGIN
    INSERT INTO audit (op, account) VALUES ('insert;', NEW.name);
    UPDATE accounts SET note = 'it''s; null' WHERE id = NEW.id AND NEW.note IS NULL;
END;
INSERT INTO accounts (name, note) VALUES ('first', NULL), ('second; with semicolon', 'x');

-- vmig:down
DROP TRIGGER accounts_audit;
DROP TABLE audit;
DROP TABLE accounts;
