p-- vmig:lint-ignore index-not-concurrent, lock-timeout
-- the table is small
CREATE INDEX idx_small
    ON tiny_lookup (code)
    WHERE code IS NOT NULL;

-- vmig:lint-ignore drop-colum
ALTER TABLE t DROP COLUMN c;
--vmig:lint-ignore
SELECT 1;
