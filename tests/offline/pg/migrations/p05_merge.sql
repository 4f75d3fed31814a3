-- vmig:revision p05
-- vmig:down_revision p04a p04b
-- vmig:message merge orders and email

-- vmig:up
CREATE VIEW account_orders AS
    SELECT a.id, a.email, count(o.id) AS orders, coalesce(sum(o.total), 0) AS total
    FROM accounts a LEFT JOIN orders o ON o.account_id = a.id
    GROUP BY a.id, a.email
-- the last statement has no semicolon

-- vmig:down
DROP VIEW account_orders -- no semicolon, no newline at the end