/*
 * runner.h - up, down, redo and stamp against a database.
 *
 * The order of a run is fixed by the contract: every file has been read and
 * the graph checked before vmig_run is called; the target is resolved against
 * a first read of the version table; only if there is work is the lock taken,
 * the table read again under it, the plan made again, and then run.  A no-op
 * `up` therefore costs one query and no lock.  A relative target (+N, -N) is
 * pinned to the revision it named at the first look, so that a runner that
 * waited for the lock does not move the database a second time.
 */
#ifndef VMIG_RUNNER_H
#define VMIG_RUNNER_H

#include "db.h"
#include "error.h"
#include "graph.h"

#include <stdbool.h>

typedef enum vmig_run_kind {
	VMIG_RUN_UP,
	VMIG_RUN_DOWN,
	VMIG_RUN_REDO,
	VMIG_RUN_STAMP,
	VMIG_RUN_ADOPT /* record what another tool's table names, and its ancestors */
} vmig_run_kind;

/* One finished step, for progress output. */
typedef struct vmig_run_event {
	const vmig_revision *rev;
	bool down;  /* unapplied (or unrecorded) */
	bool stamp; /* recorded only, no SQL ran */
	double ms;
} vmig_run_event;

typedef void (*vmig_progress_fn)(void *ctx, const vmig_run_event *ev);

typedef struct vmig_run_opts {
	vmig_run_kind kind;
	const char *target; /* NULL: the kind's default (up: head, down: -1) */
	bool single_transaction;
	/* adopt: the table naming the applied heads ("alembic_version", or
	 * "schema.table") and its column of ids ("version_num"). */
	const char *adopt_table, *adopt_column;
	bool offline; /* db is a script (script.h): a failure changed nothing anywhere */
	vmig_progress_fn progress; /* may be NULL */
	void *ctx;
} vmig_run_opts;

typedef struct vmig_run_result {
	size_t steps; /* steps that completed */
	double ms;    /* wall time of the steps */
	char *heads;  /* the applied heads afterwards, "a, b" or "base"; caller frees */
} vmig_run_result;

/*
 * Runs opts->kind to opts->target on db, for the revisions of `files`.
 * Adopt records, without running SQL, the revisions that opts->adopt_table
 * names and their ancestors, as one transaction under the lock; a revision
 * it names that no file has is VMIG_ERR_INPUT before anything is written.
 * Errors: a bad target or an irreversible downgrade (VMIG_ERR_INPUT, before
 * anything is changed); SQL, lock and dirty-revision failures
 * (VMIG_ERR_RUNTIME, with the file and line of the failing statement).
 */
int vmig_run(vmig_db *db, const vmig_graph *files, const vmig_run_opts *opts, vmig_run_result *res,
             vmig_error *err);

/* The version-table row that applying r writes, applied at `now` (borrowed).
 * Its strings are r's, except row->parents, which is new (caller frees). */
void vmig_run_row(const vmig_revision *r, const char *now, vmig_applied *row);

#endif
