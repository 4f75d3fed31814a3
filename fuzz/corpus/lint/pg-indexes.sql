pCREATE INDEX idx_users_email ON users (email);
CREATE UNIQUE INDEX CONCURRENTLY idx_orders_ref ON public.orders (ref);
DROP INDEX idx_old;
