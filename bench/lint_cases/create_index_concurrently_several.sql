-- case: transaction off
-- Two index builds in one transaction-off revision: if the second fails, the
-- first stays and the revision is left half done.
CREATE INDEX CONCURRENTLY orders_created_at_idx ON orders (created_at);
CREATE INDEX CONCURRENTLY orders_user_id_idx ON orders (user_id);
