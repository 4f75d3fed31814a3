-- vmig:revision p06sum
-- vmig:down_revision p05
-- vmig:message summary function

-- vmig:up
CREATE TABLE summary (k text PRIMARY KEY, v numeric);
CREATE FUNCTION refresh_summary() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    n integer;
BEGIN
    DELETE FROM summary;
    INSERT INTO summary SELECT 'total;all', sum(total) FROM account_orders;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END;
$$;
SELECT refresh_summary();
COMMENT ON TABLE summary IS 'refreshed by refresh_summary(); see $$';
-- A schema of its own, made current for the session (as pg_dump's output and
-- many hand-written migrations do): the bookkeeping must still find its table.
CREATE SCHEMA reporting;
SET search_path TO reporting;
CREATE TABLE daily (d date PRIMARY KEY, total numeric);

-- vmig:down
DROP SCHEMA reporting CASCADE;
DROP FUNCTION refresh_summary();
DROP TABLE summary;
