/*
 * conformance.h - one suite that checks a driver against the contracts of
 * drivers/driver.h, run unchanged against every driver.
 *
 * A test program describes its driver's database in a harness (how to make
 * a fresh database, how to look into it without the driver, the few
 * statements that differ between databases) and calls conformance_run().
 * Whatever a driver cannot do is decided from its caps and reported as a
 * skipped test with the reason, never left out quietly.
 */
#ifndef VMIG_TEST_CONFORMANCE_H
#define VMIG_TEST_CONFORMANCE_H

#include "backend.h"

#include "driver.h"

#include <stdbool.h>

/* The password in every URL with one that the suite builds or is given. */
#define CONF_SECRET "s3cret-pw-XYZ"

typedef struct conf_harness {
	const vmig_driver *driver;
	/* A fresh database per test, raw queries on it (first column of each
	 * row joined with '\n', NULL when the query fails), a snapshot that
	 * changes exactly when its contents do, and dropping it. */
	const tu_backend *db;
	/* Makes the database of a new URL exist before raw SQL creates
	 * tables in it (SQLite: the empty file); NULL when nothing is needed. */
	void (*create)(const char *url);
	/* The query that lists the columns of table %s (unquoted), in table
	 * order, one name a row. */
	const char *columns_sql;
	/* The first release's DDL of the version table "vmig_version" and
	 * its meta table (shape 1 recorded), one statement an entry, NULL-terminated. */
	const char *const *shape1_ddl;
	/* A statement the database runs only outside a transaction, and what it
	 * needs to exist first (run in a transaction; NULL: nothing). */
	const char *non_txn_setup;
	const char *non_txn_sql;
	/* URLs connect() must refuse with VMIG_ERR_INPUT, NULL-terminated; some
	 * hold CONF_SECRET as their password. */
	const char *const *bad_urls;
	/* A URL holding CONF_SECRET as its password that reaches a database
	 * where the suite may create and drop its own version tables (caller
	 * frees); NULL when the driver's URLs carry no passwords. */
	char *(*password_url)(void);
	/* A URL whose server does not answer: connect fails with a transient
	 * VMIG_ERR_RUNTIME.  NULL when the driver connects to no server. */
	const char *unreachable_url;
	/* Whether another connection's reads wait while a runner that holds
	 * the lock has written (SQLite's exclusive locking mode), so that
	 * read_applied times out waiting for the migration lock. */
	bool readers_wait_for_writer;
} conf_harness;

/* Runs every test against h's driver; returns the number of failed tests. */
int conformance_run(const conf_harness *h);

#endif
