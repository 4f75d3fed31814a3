-- vmig:revision p01
-- vmig:message accounts, audit and a plpgsql trigger

-- vmig:up
CREATE TABLE accounts (
    id    serial PRIMARY KEY,
    name  text NOT NULL,
    note  text DEFAULT 'a;b' -- a ; in a comment
);
CREATE TABLE audit (
    id      serial,
    op      text NOT NULL,
    account text NOT NULL
);
-- A dollar-quoted plpgsql body with ; and quotes inside.
CREATE FUNCTION accounts_audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit (op, account) VALUES (TG_OP || ';', NEW.name);
    IF NEW.note IS NULL THEN
        NEW.note := 'it''s; null';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER accounts_audit BEFORE INSERT OR UPDATE ON accounts
    FOR EACH ROW EXECUTE FUNCTION accounts_audit();
INSERT INTO accounts (name, note) VALUES ('first', NULL), ('second; with semicolon', 'x');

-- vmig:down
DROP TRIGGER accounts_audit ON accounts;
DROP FUNCTION accounts_audit();
DROP TABLE audit;
DROP TABLE accounts;
