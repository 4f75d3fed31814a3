-- case: transaction off
-- Right, except that a rerun after a failure fails on the leftover (INVALID) index.
CREATE INDEX CONCURRENTLY orders_created_at_idx ON orders (created_at);
