-- The safe first half: NOT VALID, no scan.
SET LOCAL lock_timeout = '5s';
ALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
