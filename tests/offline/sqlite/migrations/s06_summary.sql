-- vmig:revision s06sum
-- vmig:down_revision s05
-- vmig:message summary table

-- vmig:up
CREATE TABLE summary (k TEXT PRIMARY KEY, v NUMERIC);
INSERT INTO summary SELECT 'total;all', sum(total) FROM account_orders;
CREATE TRIGGER summary_on_order AFTER INSERT ON orders
BEGIN
    INSERT OR REPLACE INTO summary SELECT 'total;all', sum(total) FROM account_orders;
END;

-- vmig:down
DROP TRIGGER summary_on_order;
DROP TABLE summary;
