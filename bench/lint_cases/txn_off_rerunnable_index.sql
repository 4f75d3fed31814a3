-- case: transaction off
-- Every step can be rerun: a failed CONCURRENTLY build leaves an INVALID index,
-- which the DROP ... IF EXISTS before it removes on the next run.
SET lock_timeout = '5s';
DROP INDEX CONCURRENTLY IF EXISTS orders_created_at_idx;
CREATE INDEX CONCURRENTLY orders_created_at_idx ON orders (created_at);
