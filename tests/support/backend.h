/*
 * backend.h - the database a CLI integration test runs against.
 *
 * The CLI suite (tests/cli/cli_suite.c) is written against this interface
 * only, so that the same tests run unchanged against SQLite and PostgreSQL:
 * a test program picks a backend and hands it to cli_suite_run().
 */
#ifndef VMIG_TEST_BACKEND_H
#define VMIG_TEST_BACKEND_H

typedef struct tu_backend {
	const char *name; /* "sqlite", "postgresql" */
	/* A fresh, empty database for one test; returns its URL (caller frees). */
	char *(*new_database)(const char *test_name);
	/* Runs one SQL statement; returns the first column of every row joined
	 * with '\n' ("" for no rows, "NULL" for a NULL value), or NULL when the
	 * statement fails (e.g. the table does not exist).  Caller frees. */
	char *(*query)(const char *url, const char *sql);
	/* A string that changes whenever the database's contents change (and
	 * only then): equal snapshots mean "left byte-for-byte unchanged".
	 * A database that was never written to gives the same snapshot as an
	 * empty one.  Caller frees. */
	char *(*snapshot)(const char *url);
	/* Removes the database made by new_database and frees nothing else. */
	void (*drop)(const char *url);
} tu_backend;

/* SQLite: each database is a file in its own tu_tempdir; URL sqlite:////abs/path.db. */
extern const tu_backend tu_backend_sqlite;

#endif
