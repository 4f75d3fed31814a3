-- Takes ACCESS EXCLUSIVE on the table.
DROP INDEX orders_created_at_idx;
