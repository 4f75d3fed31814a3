-- A scratch table created and dropped in the same revision.
CREATE TABLE tmp_backfill AS SELECT id FROM users WHERE email IS NULL;
UPDATE users SET email = id || '@invalid' WHERE id IN (SELECT id FROM tmp_backfill);
DROP TABLE tmp_backfill;
