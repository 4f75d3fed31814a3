/*
 * safety_suite.h - vmig's guarantees under failure, concurrency and kills
 * (SPEC "Transactions, locking, failure"), run through the real binary
 * against any backend (tests/support/backend.h):
 *
 *   - a failing revision in the middle of a run, per revision and with
 *     --single-transaction;
 *   - several `vmig up` processes started at once, and several bare `vmig
 *     down`, `down -1` or `redo` (they move the database one revision);
 *   - `vmig up` killed with SIGKILL at random moments;
 *   - `-- vmig:transaction off` revisions that succeed, fail, and are
 *     resolved with `vmig stamp`;
 *   - what a revision's SQL may do to vmig's transaction or bookkeeping
 *     (safety_airtight.c): transaction control behind an empty statement,
 *     a transaction left open, search_path changed, a file gone, the lock
 *     wait bounded, the SQLite run lock released last;
 *   - and, on PostgreSQL only, `--wait` against a server that starts later
 *     or never, and passwords never shown.
 *
 * A test program picks a backend and calls safety_suite_run().
 */
#ifndef VMIG_SAFETY_SUITE_H
#define VMIG_SAFETY_SUITE_H

#include "backend.h"

/* Runs the suite against backend b; returns the number of failed tests. */
int safety_suite_run(const tu_backend *b);

#endif
