-- case: transaction off
-- IF NOT EXISTS is not enough: after a failed build the INVALID index is there,
-- and a rerun skips it.
SET lock_timeout = '5s';
CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_created_at_idx ON orders (created_at);
CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_user_id_idx ON orders (user_id);
