/*
 * driver.h - the table of functions through which vmig talks to a database.
 *
 * One driver is one `const vmig_driver` object in one file under drivers/,
 * listed with its URL schemes in drivers/registry.c; a driver built as a
 * loadable module also exports `const vmig_driver *vmig_driver_entry(void)`.  The core calls
 * nothing database-specific outside this table.  Conventions for every function below:
 *
 *   - Returns VMIG_OK, or an error status with the database's own message in
 *     *err (VMIG_ERR_RUNTIME for anything the database or the connection said;
 *     VMIG_ERR_INPUT for a URL or setting the driver cannot use).  Messages
 *     never contain a password.  The driver does not prefix file names; the
 *     runner adds "file:line: " around what the driver reports.
 *   - A driver never prints and never exits.
 *   - Strings passed in are borrowed for the duration of the call.
 *
 * Version-table shape 1 is described in src/applied.h.  Next to it each driver
 * keeps a table named "<version_table>_meta" (key, value) with the row
 * ("shape", "1"), so that a later vmig can upgrade the shape in place.
 */
#ifndef VMIG_DRIVER_H
#define VMIG_DRIVER_H

#include "../src/applied.h"
#include "../src/error.h"

#include <stdbool.h>
#include <stddef.h>

#define VMIG_DRIVER_VERSION 1
#define VMIG_NO_OFFSET      ((size_t)-1)

struct vmig_driver;

/*
 * The connection handle.  A driver's own connection struct starts with this
 * one (as sqlite3_file starts every VFS's file), so the core can hold any
 * driver's connection as a `vmig_conn *`.
 */
typedef struct vmig_conn {
	const struct vmig_driver *driver;
} vmig_conn;

typedef struct vmig_conn_opts {
	const char *version_table;        /* never NULL */
	const char *version_table_schema; /* NULL: the connection's default (PostgreSQL) */
	unsigned lock_timeout;            /* seconds that lock() and busy waits may take */
} vmig_conn_opts;

/* Which transaction a change runs in. */
enum vmig_txn {
	VMIG_TXN_OWN,   /* the driver wraps SQL and bookkeeping in one transaction */
	VMIG_TXN_OUTER, /* the caller has called begin(); run inside it, no commit */
	VMIG_TXN_NONE,  /* SQL outside any transaction, statement by statement;
	                   then the bookkeeping change on its own */
};

/* What a change does to the version table after its SQL succeeded. */
enum vmig_book_op {
	VMIG_BOOK_NONE,
	VMIG_BOOK_INSERT,       /* insert row (state "applied") */
	VMIG_BOOK_INSERT_DIRTY, /* insert row with state "pending" */
	VMIG_BOOK_SET_APPLIED,  /* set row->revision's state to "applied" */
	VMIG_BOOK_SET_DIRTY,    /* set row->revision's state to "pending" */
	VMIG_BOOK_DELETE,       /* delete row->revision's row */
};

typedef struct vmig_change {
	const char *sql; /* NULL: bookkeeping only */
	size_t sql_len;
	enum vmig_txn txn;
	enum vmig_book_op op;
	/* The row to write.  For INSERT*, every field but duration_ms, which the
	 * driver measures around the SQL it runs.  For the others, only revision. */
	const vmig_applied *row;
} vmig_change;

typedef struct vmig_driver {
	int version;      /* VMIG_DRIVER_VERSION */
	const char *name; /* "sqlite", "postgresql" */

	/*
	 * Opens a connection for url (one of the driver's schemes in registry.c).  On success *out
	 * is a connection the caller releases with close().  A failure that may pass if tried again
	 * (server starting, connection refused) sets err->transient;
	 * `--wait` retries only those.
	 */
	int (*connect)(const char *url, const vmig_conn_opts *opts, vmig_conn **out,
	               vmig_error *err);

	/* Releases the connection and everything it holds (locks included). NULL is a no-op. */
	void (*close)(vmig_conn *c);

	/*
	 * Takes the run lock that serializes vmig runners on this database, waiting
	 * at most opts->lock_timeout seconds; on time-out VMIG_ERR_RUNTIME saying so
	 * (and who holds it, where the database can tell).
	 */
	int (*lock)(vmig_conn *c, vmig_error *err);
	void (*unlock)(vmig_conn *c);

	/*
	 * Reads the version table into *set (which must be zeroed; the caller frees it
	 * with vmig_applied_free, also on error).  A missing table is an empty set.
	 * With ids_only only `revision` and `dirty` are filled: the cheap read that
	 * lets a no-op `up` finish in one query.
	 */
	int (*read_applied)(vmig_conn *c, bool ids_only, vmig_applied_set *set, vmig_error *err);

	/*
	 * Creates the version table (and its meta table) if missing, or upgrades an
	 * older shape; refuses a newer shape than VMIG_TABLE_SHAPE.  Called under the
	 * lock, before the first change of a run.
	 */
	int (*prepare)(vmig_conn *c, vmig_error *err);

	/* Transactions around several changes (VMIG_TXN_OUTER). */
	int (*begin)(vmig_conn *c, vmig_error *err);
	int (*commit)(vmig_conn *c, vmig_error *err);
	void (*rollback)(vmig_conn *c);

	/*
	 * Runs a change: its SQL (if any) then its bookkeeping, in the transaction
	 * chg->txn says.  On an SQL error the driver rolls back what it began
	 * (VMIG_TXN_OWN), returns VMIG_ERR_RUNTIME with the database's message
	 * (PostgreSQL: SQLSTATE, message, detail, hint) and sets *fail_offset to the
	 * byte offset in chg->sql of the failing statement or of the error
	 * position, or VMIG_NO_OFFSET when the database did not say.
	 */
	int (*apply)(vmig_conn *c, const vmig_change *chg, size_t *fail_offset, vmig_error *err);
} vmig_driver;

/*
 * Picks the driver for url by its scheme, loading its module if it has one.
 * Any other scheme: VMIG_ERR_INPUT naming the supported schemes; a module that
 * cannot be loaded: VMIG_ERR_RUNTIME saying where it was looked for.
 */
const vmig_driver *vmig_driver_for_url(const char *url, vmig_error *err);

extern const vmig_driver vmig_sqlite_driver;
extern const vmig_driver vmig_postgres_driver;

#endif
