/*
 * test_conformance_sqlite.c - the driver conformance suite (conformance.c)
 * against the SQLite driver: each test with a database file of its own.
 */
#include "conformance.c"

#include <fcntl.h>

#define SQLITE_PREFIX "sqlite:///"

/* An empty file is an empty SQLite database. */
static void sqlite_create(const char *url)
{
	assert_true(strncmp(url, SQLITE_PREFIX, strlen(SQLITE_PREFIX)) == 0);
	int fd = open(url + strlen(SQLITE_PREFIX), O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	close(fd);
}

/* The first release's DDL (drivers/sqlite.c before "Driver interface 2"). */
static const char *const shape1_ddl[] = {
    "CREATE TABLE IF NOT EXISTS \"vmig_version\" ( revision TEXT PRIMARY KEY NOT NULL, "
    "parents TEXT NOT NULL DEFAULT '', message TEXT NOT NULL DEFAULT '', checksum TEXT NOT "
    "NULL, checksum_version INTEGER NOT NULL, applied_at TEXT NOT NULL, duration_ms REAL NOT "
    "NULL DEFAULT 0, down_sql TEXT, state TEXT NOT NULL DEFAULT 'applied' CHECK (state IN "
    "('applied', 'pending')))",
    "CREATE TABLE IF NOT EXISTS \"vmig_version_meta\" (key TEXT PRIMARY KEY NOT NULL, value "
    "TEXT NOT NULL)",
    "INSERT OR IGNORE INTO \"vmig_version_meta\" (key, value) VALUES ('shape', '1')",
    NULL,
};

static const char *const bad_urls[] = {
    "sqlite://",
    "sqlite:///",
    "sqlite:///:memory:",
    "sqlite:///file::memory:?cache=shared",
    "sqlite://user:" CONF_SECRET "@host/x.db",
    "sqlite+aiosqlite://user:" CONF_SECRET "@/x.db",
    NULL,
};

int main(void)
{
	const conf_harness h = {
	    .driver = &vmig_sqlite_driver,
	    .db = &tu_backend_sqlite,
	    .create = sqlite_create,
	    .columns_sql = "SELECT name FROM pragma_table_info('%s') ORDER BY cid",
	    .shape1_ddl = shape1_ddl,
	    .non_txn_setup = NULL,
	    .non_txn_sql = "VACUUM",
	    .bad_urls = bad_urls,
	    .password_url = NULL,
	    .unreachable_url = NULL,
	    .readers_wait_for_writer = true,
	};
	return conformance_run(&h);
}
