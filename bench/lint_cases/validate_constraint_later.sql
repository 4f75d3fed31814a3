-- The safe second half, in a later revision: VALIDATE takes SHARE UPDATE
-- EXCLUSIVE and does not block reads or writes.
ALTER TABLE orders VALIDATE CONSTRAINT orders_user_id_fkey;
