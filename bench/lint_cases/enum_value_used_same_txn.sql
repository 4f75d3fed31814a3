-- PostgreSQL 12+ refuses to use a value added by ADD VALUE before the
-- transaction that added it commits ("unsafe use of new value").
ALTER TYPE order_status ADD VALUE 'archived';
UPDATE orders SET status = 'archived' WHERE created_at < now() - interval '2 years';
