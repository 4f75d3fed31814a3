-- NOT VALID then VALIDATE in the same transaction: the ADD's lock is held
-- through the whole scan, so NOT VALID bought nothing.
ALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
ALTER TABLE orders VALIDATE CONSTRAINT orders_user_id_fkey;
