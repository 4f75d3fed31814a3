-- Readers are not blocked; needs a unique index on the view (may run in a transaction).
REFRESH MATERIALIZED VIEW CONCURRENTLY order_totals;
