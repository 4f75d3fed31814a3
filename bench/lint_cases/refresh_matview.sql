-- Without CONCURRENTLY, readers of the view are blocked while it refreshes.
REFRESH MATERIALIZED VIEW order_totals;
