-- vmig:revision s04a
-- vmig:down_revision s03
-- vmig:message orders (branch a): it's \ $$ 50% done

-- vmig:up
CREATE TABLE orders (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    total      NUMERIC NOT NULL,
    status     TEXT NOT NULL DEFAULT 'new'
);
CREATE TRIGGER orders_check_total BEFORE INSERT ON orders
WHEN NEW.total < 0
BEGIN
    SELECT RAISE(ABORT, 'negative total; refused');
END;
CREATE TRIGGER orders_lower_status AFTER INSERT ON orders
BEGIN
    UPDATE orders SET status = lower(NEW.status) WHERE id = NEW.id;
END;
INSERT INTO orders (account_id, total, status) VALUES (1, 9.50, 'NEW'), (2, 12.00, 'Paid');

-- vmig:down
DROP TRIGGER orders_lower_status;
DROP TRIGGER orders_check_total;
DROP TABLE orders;
