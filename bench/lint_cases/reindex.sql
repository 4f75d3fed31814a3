-- Blocks writes (and reads through the index) while it rebuilds.
REINDEX INDEX orders_created_at_idx;
