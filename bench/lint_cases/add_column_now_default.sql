-- now() is stable: no rewrite on PostgreSQL 11+.
ALTER TABLE orders ADD COLUMN imported_at timestamptz NOT NULL DEFAULT now();
