/*
 * db.h - a connection chosen by URL, opened with an optional wait, and the
 * database's view of the revisions (what is applied, what drifted).
 */
#ifndef VMIG_DB_H
#define VMIG_DB_H

#include "alloc.h"
#include "applied.h"
#include "config.h"
#include "driver.h"
#include "error.h"
#include "graph.h"

typedef struct vmig_db {
	const vmig_driver *driver;
	vmig_conn *conn;
	char *redacted_url;  /* the URL with its password replaced, for messages */
	vmig_cleanup on_oom; /* closes conn if memory runs out while it is open */
} vmig_db;

/* Called before each retry of a --wait: attempt counts from 1; last is the failure. */
typedef void (*vmig_wait_fn)(void *ctx, unsigned attempt, double delay_s, const vmig_error *last);

/*
 * Connects to cfg->database_url.  With wait_s > 0, a transient failure is
 * retried with growing delays (0.25 s doubling to 2 s) until wait_s seconds
 * have passed; on_wait (may be NULL) is told of each wait.  Errors: no URL or
 * an unsupported scheme (VMIG_ERR_INPUT); the driver's last connection error
 * (VMIG_ERR_RUNTIME).  Release with vmig_db_close.
 */
int vmig_db_open(const vmig_config *cfg, unsigned wait_s, vmig_wait_fn on_wait, void *ctx,
                 vmig_db *db, vmig_error *err);
void vmig_db_close(vmig_db *db);

/*
 * The first half of vmig_db_open, without connecting: picks the driver for
 * cfg->database_url and checks that it can honour the configuration (db's
 * driver and redacted_url set; opts filled, borrowing cfg's strings).  The
 * same errors as vmig_db_open's, before any connection.
 */
int vmig_db_choose(const vmig_config *cfg, vmig_db *db, vmig_conn_opts *opts, vmig_error *err);

/*
 * The revisions as the database sees them.  `graph` is the file graph when
 * every applied revision has its file; otherwise a graph that also holds the
 * applied revisions whose files are gone (rebuilt from their rows, with
 * from_db set), so that they can still be shown and unapplied.
 */
typedef struct vmig_state {
	const vmig_graph *graph;
	vmig_applied_set rows;
	bool *applied;               /* per node: a row with state "applied" */
	const vmig_applied **row_of; /* per node: its row, or NULL */
	const vmig_applied **dirty;  /* rows left "in_progress": begun and not finished */
	size_t ndirty;
	size_t norphans; /* applied revisions whose file is gone */
	/* private */
	vmig_graph own_graph;
	vmig_revision *orphans;
} vmig_state;

/*
 * Reads the version table and relates it to the file graph `files` (borrowed;
 * must outlive the state).  With ids_only, the cheap read used before a
 * no-op `up`: rows carry only ids and state, and gone files are not rebuilt.
 */
int vmig_state_load(vmig_db *db, const vmig_graph *files, bool ids_only, vmig_state *st,
                    vmig_error *err);
void vmig_state_free(vmig_state *st);

/* VMIG_ERR_RUNTIME naming the first dirty revision and how to resolve it; VMIG_OK if none. */
int vmig_state_refuse_dirty(const vmig_state *st, vmig_error *err);

/* True when node's applied SQL differs from its file (same checksum version only). */
bool vmig_state_drifted(const vmig_state *st, size_t node);

/* What `status` says of node: in progress, gone and edited before applied. */
vmig_revision_state vmig_state_of(const vmig_state *st, size_t node);

/* The counts of status's last line (pending: no row at all; drifted: edited
 * or gone). */
typedef struct vmig_state_counts {
	size_t applied, pending, drifted, in_progress;
} vmig_state_counts;
void vmig_state_count(const vmig_state *st, vmig_state_counts *out);

#endif
