-- vmig:revision s02
-- vmig:message literals that look like dollar quotes, and a CASE trigger
-- vmig:down_revision s01

-- vmig:up
CREATE TABLE shard_1 (id INTEGER PRIMARY KEY, payload TEXT DEFAULT 'p;1 $$ not a quote $$');
/* a block comment; with a semicolon */
INSERT INTO accounts (name) VALUES ('from s02; $$ inside'), ('$tag$;$tag$');
CREATE TRIGGER accounts_note_case AFTER UPDATE OF name ON accounts
BEGIN
    UPDATE accounts SET note = CASE WHEN NEW.name LIKE '%;%' THEN 'semi;' ELSE 'plain' END
    WHERE id = NEW.id;
    INSERT INTO audit (op, account) VALUES ('rename', NEW.name);
END;

-- vmig:down
DROP TRIGGER accounts_note_case;
DELETE FROM accounts WHERE name IN ('from s02; $$ inside', '$tag$;$tag$');
DROP TABLE shard_1;
