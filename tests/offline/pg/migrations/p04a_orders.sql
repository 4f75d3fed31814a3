-- vmig:revision p04a
-- vmig:down_revision p03
-- vmig:message orders (branch a): it's \ $$ 50% done

-- vmig:up
CREATE TABLE orders (
    id         serial PRIMARY KEY,
    account_id integer NOT NULL REFERENCES accounts (id),
    total      numeric(10, 2) NOT NULL,
    status     text NOT NULL DEFAULT 'new'
);
CREATE FUNCTION orders_check_total() RETURNS trigger LANGUAGE plpgsql AS $body$
DECLARE
    msg text := 'negative total; refused';
BEGIN
    IF NEW.total < 0 THEN
        RAISE EXCEPTION '%', msg;
    END IF;
    NEW.status := lower(NEW.status);
    RETURN NEW;
END
$body$;
CREATE TRIGGER orders_check_total BEFORE INSERT OR UPDATE ON orders
    FOR EACH ROW EXECUTE FUNCTION orders_check_total();
INSERT INTO orders (account_id, total, status) VALUES (1, 9.50, 'NEW'), (2, 12.00, 'Paid');

-- vmig:down
DROP TABLE orders;
DROP FUNCTION orders_check_total();
