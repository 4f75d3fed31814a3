-- case: transaction off
DROP INDEX CONCURRENTLY IF EXISTS orders_created_at_idx;
