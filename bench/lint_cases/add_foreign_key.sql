-- A foreign key on an existing column: full scan of orders, writes to both
-- tables blocked.
ALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id);
