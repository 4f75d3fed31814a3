/*
 * test_conformance_postgres.c - the driver conformance suite (conformance.c)
 * against the PostgreSQL driver and the test server (the ctest fixture `pg`):
 * each test in a fresh database.
 */
#include "conformance.c"

#include "backend_postgres.h"

/* The first release's DDL (drivers/postgres.c before "Driver interface 2"). */
static const char *const shape1_ddl[] = {
    "CREATE TABLE IF NOT EXISTS \"vmig_version\" (\n"
    "  revision text PRIMARY KEY,\n"
    "  parents text NOT NULL DEFAULT '',\n"
    "  message text NOT NULL DEFAULT '',\n"
    "  checksum text NOT NULL,\n"
    "  checksum_version integer NOT NULL,\n"
    "  applied_at text NOT NULL,\n"
    "  duration_ms double precision NOT NULL DEFAULT 0,\n"
    "  down_sql text,\n"
    "  state text NOT NULL DEFAULT 'applied' CHECK (state IN ('applied', 'pending')))",
    "CREATE TABLE IF NOT EXISTS \"vmig_version_meta\" (key text PRIMARY KEY, value text NOT "
    "NULL)",
    "INSERT INTO \"vmig_version_meta\" (key, value) VALUES ('shape', '1') ON CONFLICT (key) DO "
    "NOTHING",
    NULL,
};

static const char *const bad_urls[] = {
    "sqlite:///x.db",
    "mysql://u:" CONF_SECRET "@host/db",
    "postgresql",
    NULL,
};

/* The server's URL of role vmig_pw, whose password is CONF_SECRET. */
static char *password_url(void)
{
	return tu_pg_file("url_pw");
}

int main(void)
{
	const conf_harness h = {
	    .driver = &vmig_postgres_driver,
	    .db = &tu_backend_postgres,
	    .create = NULL,
	    .columns_sql = "SELECT column_name FROM information_schema.columns WHERE table_name = "
	                   "'%s' AND table_schema = current_schema() ORDER BY ordinal_position",
	    .shape1_ddl = shape1_ddl,
	    .non_txn_setup = "CREATE TABLE nt (x integer)",
	    .non_txn_sql = "CREATE INDEX CONCURRENTLY IF NOT EXISTS nt_x ON nt (x)",
	    .bad_urls = bad_urls,
	    .password_url = password_url,
	    .unreachable_url = "postgresql://vmig:" CONF_SECRET "@127.0.0.1:1/x?connect_timeout=3",
	    .readers_wait_for_writer = false,
	};
	return conformance_run(&h);
}
