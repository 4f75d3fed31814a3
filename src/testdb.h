/*
 * testdb.h - databases as a whole: `vmig create` / `vmig drop`, and test
 * databases (SPEC "Test databases").
 *
 * Test databases are named after the database of the URL given (its
 * "base"), so that they are recognisable and `gc` removes them and nothing
 * else:
 *
 *     <base>_vmig_t_<hash>          the template: migrated, never handed out
 *     <base>_vmig_b_<hash>_<rand>   a template being built
 *     <base>_vmig_p_<hash>_<rand>   a ready copy in the pool
 *     <base>_vmig_f_<hash>_<rand>   a copy being made for the pool
 *     <base>_vmig_d_<hash>_<rand>   a copy handed out to a caller
 *
 * (SQLite keeps the file's suffix: app_vmig_t_<hash>.db.)  <hash> covers
 * every revision id and checksum, the target, the version table and vmig's
 * table shape, so an edited, added or removed migration gives a new
 * template and a stale one is never used.  The template is built under a
 * lock between processes by whichever caller needs it first, under a
 * building name, and renamed into place when complete: nothing half-built
 * is ever copied.  A ready copy changes hands by a rename, which only one
 * caller can win.  vmig_core_testdb_fill makes the pool's copies; the CLI runs
 * it in a background process after each `testdb new`, which exits as soon
 * as the pool is full.
 */
#ifndef VMIG_TESTDB_H
#define VMIG_TESTDB_H

#include "config.h"
#include "error.h"
#include "graph.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct vmig_testdb_opts {
	const vmig_config *cfg;  /* database_url names the base; testdb_pool, lock_timeout */
	const vmig_graph *files; /* the migrations (borrowed) */
	const char *target;      /* NULL: head */
} vmig_testdb_opts;

typedef struct vmig_testdb_result {
	char *url;           /* the new database, in the form of the URL given (caller frees) */
	char *template_name; /* the template it was copied from (caller frees) */
	bool from_pool;      /* a ready copy was handed out (no wait for a copy) */
	bool built;          /* this call built the template */
	double waited_ms;    /* from the call to the database being ready */
} vmig_testdb_result;

/* A fresh database migrated to the target.  Errors: the migrations' own
 * (building the template), the server's, a lock time-out. */
int vmig_core_testdb_new(const vmig_testdb_opts *o, vmig_testdb_result *res, vmig_error *err);
void vmig_testdb_result_free(vmig_testdb_result *res);

/* Makes ready copies until the pool holds cfg->testdb_pool of them; returns
 * at once when another caller is filling it, or when there is no template
 * (yet, or any more).  *made: how many it made (may be NULL). */
int vmig_core_testdb_fill(const vmig_testdb_opts *o, unsigned *made, vmig_error *err);

/* Drops the test database at url; one that vmig did not make as a test
 * database is refused (VMIG_ERR_INPUT), one that is gone sets *missing. */
int vmig_core_testdb_drop(const vmig_config *cfg, const char *url, bool *missing, vmig_error *err);

/* Drops every test database vmig made for the base URL, ready copies and
 * handed-out ones alike, and every template but the current one (all: that
 * one too).  One in use by a session is left, and reported at the end
 * (VMIG_ERR_RUNTIME) after the others are dropped.  *dropped: how many. */
int vmig_testdb_gc(const vmig_testdb_opts *o, bool all, size_t *dropped, vmig_error *err);

/* `vmig create`: the database cfg->database_url names; *existed when it was there. */
int vmig_database_create(const vmig_config *cfg, bool *existed, vmig_error *err);
/* `vmig drop`: *missing when it was not there; force ends other sessions first. */
int vmig_database_drop(const vmig_config *cfg, bool force, bool *missing, vmig_error *err);

#endif
