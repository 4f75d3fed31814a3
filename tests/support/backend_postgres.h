/*
 * backend_postgres.h - the PostgreSQL backend of the CLI and safety suites.
 *
 * Each database is a fresh one on the test server (the ctest fixture `pg`,
 * tests/pg/pg_harness.sh), named vt_<test>_<pid>_<n>, reached as role vmig
 * over the server's unix socket:
 *   postgresql:///vt_name_123_1?host=SOCKDIR&port=PORT&user=vmig
 * Its snapshot is a text dump of the user-visible contents (schemas, tables
 * and their columns and rows, indexes, constraints, views, sequences,
 * functions, triggers, types).
 */
#ifndef VMIG_TEST_BACKEND_POSTGRES_H
#define VMIG_TEST_BACKEND_POSTGRES_H

#include "backend.h"

extern const tu_backend tu_backend_postgres;

/* The test server's admin URL (VMIG_TEST_PG_DIR/url) with its database
 * replaced by db.  Fails the test when the server is not running.  Caller frees. */
char *tu_pg_url_for(const char *db);

/* A file of the test server's state folder (url, url_tcp, url_pw, port, ...),
 * trimmed of its line end; fails the test when it is missing.  Caller frees. */
char *tu_pg_file(const char *name);

#endif
