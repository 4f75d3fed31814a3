-- vmig:revision p02
-- vmig:down_revision p01
-- vmig:message shards made by a DO block

-- vmig:up
DO $do$
DECLARE
    i integer;
BEGIN
    FOR i IN 1..3 LOOP
        EXECUTE format('CREATE TABLE shard_%s (id integer PRIMARY KEY, payload text DEFAULT %L)', i, 'p;' || i);
    END LOOP;
    INSERT INTO accounts (name) VALUES ('from the DO block; $$ inside');
END
$do$;
CREATE FUNCTION shard_count() RETURNS integer LANGUAGE sql IMMUTABLE AS $fn$ SELECT 3 $fn$;

-- vmig:down
DROP FUNCTION shard_count();
DO $$
BEGIN
    EXECUTE 'DROP TABLE shard_1, shard_2, shard_3';
    DELETE FROM accounts WHERE name LIKE 'from the DO block%';
END
$$;
