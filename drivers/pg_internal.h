/*
 * pg_internal.h - what the files of the PostgreSQL driver share.
 *
 * The driver is split by concern:
 *   pg_connect.c  connecting, quoting, and where the version table lives
 *   pg_result.c   query results, batches of statements, errors and their positions
 *   pg_vtable.c   the version table: reading, creating, upgrading, bookkeeping SQL
 *   pg_lock.c     the advisory run lock
 *   pg_script.c   offline scripts (--sql): the same SQL, written out
 *   pg_dump.c     a database's schema, by pg_dump (import --baseline)
 *   pg_server.c   databases as a whole: create, drop, rename, list, locks
 *   postgres.c    transactions, applying a change, and the driver table
 */
#ifndef VMIG_PG_INTERNAL_H
#define VMIG_PG_INTERNAL_H

#include "driver.h"

#include "../src/buf.h"
#include "../src/clock.h"

#include <libpq-fe.h>
#include <stdbool.h>

typedef struct pg_conn {
	vmig_conn base; /* first: the core holds this as a vmig_conn * */
	PGconn *pg;
	char *table_name;  /* version_table as configured */
	char *schema;      /* the schema it lives in: configured, or resolved (NULL: not yet) */
	bool names_set;    /* table, meta and table_shown are qualified with schema */
	char *table;       /* the version table as SQL: "schema"."name" */
	char *meta;        /* its meta table as SQL, likewise */
	char *table_shown; /* the version table for messages: schema.name */
	unsigned lock_timeout;
	vmig_waiter wait; /* the one budget of every wait of this connection */
	bool lock_held;
	long long lock_key; /* valid once have_key */
	bool have_key;
	bool pos_in_bytes;       /* SQL_ASCII server: error positions count bytes */
	unsigned long txn_count; /* for the token that marks vmig's own transactions */
	char txn_token[48];      /* the token of the transaction vmig opened, "" when none */
	/* Behind a connection pooler (pg_lock.c): the run lock is taken again in
	 * each of vmig's transactions, and each checks that the version table
	 * is as this run last saw it.  Known once lock() has asked the server. */
	bool pooled;
	bool expect_known;        /* the expect_* fields below hold */
	char expect_fp[33];       /* md5 of the version table's rows but expect_rev's */
	char *expect_rev;         /* the revision this run changed last, or NULL */
	const char *expect_state; /* the state it left that row in (NULL: no row) */
	double waited_ms;         /* of lock_timeout, spent waiting in this run */
} pg_conn;

/* ---- pg_connect.c ---- */

/* The URL as libpq takes it: a SQLAlchemy driver suffix dropped from the
 * scheme ("postgresql+asyncpg://" -> "postgresql://").  Caller frees. */
char *pg_libpq_url(const char *url);

/* A quoted identifier as a new string the caller frees; NULL when libpq cannot quote it.
 * pg NULL (offline scripts): quoted as libpq quotes for a UTF-8 client; same for literals. */
char *pg_quote_ident(PGconn *pg, const char *name);
/* A quoted literal, or NULL for s == NULL, appended to b.  False when libpq
 * cannot quote it (not valid in the client encoding); the message is in pg. */
bool pg_add_literal(vmig_buf *b, PGconn *pg, const char *s);
/* Qualifies the version and meta tables with c->schema (set). False when a
 * name cannot be quoted; VMIG_ERR_INPUT in err then. */
int pg_set_names(pg_conn *c, vmig_error *err);
/* The SQL of one text value: the schema where the bare version table name
 * resolves now, or where CREATE would put it (NULL: no schema to put it in). */
char *pg_resolve_schema_sql(pg_conn *c);
/* Makes sure the table names are qualified, asking the server if needed. */
int pg_ensure_names(pg_conn *c, vmig_error *err);
/* The message for a version table that has no schema to live in (VMIG_ERR_INPUT). */
int pg_fail_no_schema(pg_conn *c, vmig_error *err);
/* libpq's message without its trailing newline, appended to b. */
void pg_add_trimmed(vmig_buf *b, const char *s);

/* ---- pg_result.c ---- */

/* The database's error as vmig shows it (VMIG_ERR_RUNTIME); r may be NULL. */
int pg_fail_result(vmig_error *err, PGconn *pg, const PGresult *r);
bool pg_result_ok(const PGresult *r);
bool pg_has_state(const PGresult *r, const char *sqlstate);
/* Runs one statement; VMIG_OK or the database's error. */
int pg_exec_simple(pg_conn *c, const char *sql, vmig_error *err);
/* Ends a transaction that an error left open (failed or not). */
void pg_rollback_if_open(pg_conn *c);

/*
 * What came back for one query string of one or more statements.  The
 * server sends one result per statement that ran; after an error it skips
 * the rest.  So `n_ok` is also the index of the statement that failed.
 */
#define PG_BATCH_KEEP 8
typedef struct pg_batch {
	int n_ok;         /* statements that succeeded, before any error */
	PGresult *failed; /* the error, or NULL; owned */
	/* The first PG_BATCH_KEEP successful results, in order; owned. */
	PGresult *ok[PG_BATCH_KEEP];
	char *last_tag; /* the last success's command tag ("COMMIT"); owned */
	char *prev_tag; /* the tag of the success before it, or NULL; owned */
} pg_batch;

/* Sends sql in one round trip and collects what came back into *b. */
void pg_run_batch(PGconn *pg, const char *sql, pg_batch *b);
void pg_batch_free(pg_batch *b);

/*
 * Runs the statements of sql (one round trip) where an error whose SQLSTATE
 * is in the list `tolerated` ("42P01": no such table) means "nothing there".  Inside a transaction
 * the statements run under a savepoint, so that the error does not abort the caller's transaction.
 * *b holds the results of sql's own statements. Returns VMIG_OK also for the tolerated error
 * (b->failed is then set).
 */
int pg_query_tolerant(pg_conn *c, const char *sql, const char *tolerated, pg_batch *b,
                      vmig_error *err);

/* The byte offset of 1-based character position pos in s, as the server counts. */
size_t pg_char_to_byte(const pg_conn *c, const char *s, size_t len, long pos);

/* ---- pg_vtable.c ---- */

/* Appends chg's bookkeeping statement (no ';') to b; nothing for VMIG_ROW_NONE.
 * duration is the SQL expression for duration_ms, applied_at that of
 * applied_at (NULL: the row's value).  False when a value cannot be quoted
 * (libpq's message is in the connection). */
bool pg_add_row_op(vmig_buf *b, pg_conn *c, const vmig_change *chg, const char *duration,
                   const char *applied_at);
/* Appends the statements (';'-separated, none after the last) that create
 * the version and meta tables if missing and record the shape: set_shape
 * overwrites a recorded shape (a lost meta row restored under the lock);
 * otherwise a recorded one stays. */
void pg_add_create_tables(vmig_buf *q, const pg_conn *c, bool set_shape);
/* The verb of the bookkeeping statement's command tag, or NULL. */
const char *pg_row_op_verb(enum vmig_row_op op);
int pg_read_applied(vmig_conn *vc, bool ids_only, vmig_applied_set *set, vmig_error *err);
int pg_prepare(vmig_conn *vc, vmig_error *err);
int pg_read_column(vmig_conn *vc, const char *table, const char *column, char ***values, size_t *n,
                   vmig_error *err);

/* ---- pg_lock.c ---- */

int pg_lock(vmig_conn *vc, vmig_error *err);
/* Appends the SQL of the run lock's key (PostgreSQL 11+): computed from
 * c->schema when set, else from where the version table resolves. */
void pg_add_lock_key(vmig_buf *q, pg_conn *c);
void pg_unlock(vmig_conn *vc);

/*
 * Behind a pooler (c->pooled).  pg_add_xact_lock appends the statement
 * that takes the run lock for the rest of the transaction, or fails at once
 * when another runner holds it; pg_run_locked runs a query string holding
 * it, again and again while the lock is busy, within the run's lock_timeout
 * (VMIG_ERR_RUNTIME saying so when that runs out; b is then empty).
 */
void pg_add_xact_lock(vmig_buf *q, const pg_conn *c);
int pg_run_locked(pg_conn *c, const char *sql, pg_batch *b, vmig_error *err);
/* A wait behind a pooler: on what is left of the run's lock_timeout, which
 * counts only the time spent waiting, not the run's work in between. */
void pg_wait_begin(pg_conn *c, vmig_waiter *w);
void pg_wait_end(pg_conn *c, const vmig_waiter *w);
/* BEGIN, the lock, then the statement `then` (NULL: none); rolled back on error. */
int pg_begin_locked(pg_conn *c, const char *then, vmig_error *err);
/* The fingerprint of the version table: md5 of its rows' revision and
 * state in seq order, leaving out revision `except` (NULL: none). */
void pg_add_fingerprint(vmig_buf *q, pg_conn *c, const char *except);
/* A boolean SQL expression: the version table is as c->expect_* say. */
void pg_add_as_expected(vmig_buf *q, pg_conn *c);
/* The statement that fails (pg_is_stale) unless the version table is as
 * expected, else returns its fingerprint leaving out `next`. */
void pg_add_guard(vmig_buf *q, pg_conn *c, const char *next);
bool pg_is_stale(const PGresult *failed);
/* What this run expects of the version table from now on. */
void pg_expect(pg_conn *c, const char *fp, const char *rev, const char *state);
/* The error of a change that was not made because the version table changed
 * since the run read it: transient, so the runner reads it again. */
int pg_fail_stale(pg_conn *c, vmig_error *err);

/* ---- pg_server.c ---- */

extern const vmig_server_ops pg_server_ops;

/* ---- pg_schemas.c ---- */

int pg_list_schemas(const char *url, const char *like, char ***names, size_t *n, vmig_error *err);

/* ---- pg_dump.c ---- */

int pg_dump_schema(const char *url, const char *const *exclude, vmig_buf *out, vmig_error *err);

/* ---- pg_script.c ---- */

int pg_script(const vmig_conn_opts *opts, enum vmig_script_call call, const vmig_change *chg,
              vmig_buf *out, size_t *fail_offset, vmig_error *err);

/* ---- pg_connect.c (the table's entries) ---- */

int pg_connect(const char *url, const vmig_conn_opts *opts, vmig_conn **out, vmig_error *err);
void pg_close(vmig_conn *vc);

#endif
