-- int to bigint: full rewrite of the table and its indexes.
ALTER TABLE orders ALTER COLUMN quantity TYPE bigint;
