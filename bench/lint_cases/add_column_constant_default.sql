-- PostgreSQL 11+: a constant default is stored in the catalog, no rewrite.
ALTER TABLE users ADD COLUMN is_active boolean NOT NULL DEFAULT true;
