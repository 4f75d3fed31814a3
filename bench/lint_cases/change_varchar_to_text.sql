-- varchar(n) to text is binary compatible: no rewrite, no index rebuild.
ALTER TABLE users ALTER COLUMN display_name TYPE text;
