/*
 * driver.h - the table of functions through which vmig talks to a database.
 *
 * This is the plug-in author's header (the user's API is the core's).  One
 * driver is one `const vmig_driver` in one file under drivers/, one row in
 * drivers/registry.c (its name, URL schemes, and whether it is built in or a
 * loadable module) and one line in CMakeLists.txt.  A driver built as a
 * module exports `const vmig_driver *vmig_driver_entry(void)`.  The core
 * calls nothing database-specific outside this table, and what a database
 * can and cannot do is data here (caps), which the core reads to refuse or
 * adapt rather than a driver pretending.
 *
 * Conventions for every function below:
 *   - Returns VMIG_OK, or an error status with a message in *err:
 *     VMIG_ERR_RUNTIME for anything the database or the connection said
 *     (with the database's own message), VMIG_ERR_INPUT for a URL, a setting
 *     or SQL the driver refuses before running it.  Messages never contain a
 *     password.  The driver does not prefix file names; the runner adds
 *     "file:line: " around what the driver reports.
 *   - A driver never prints, never exits, and leaves no transaction open
 *     that it began itself when it returns an error.
 *   - Strings and structs passed in are borrowed for the duration of the call.
 *   - A connection is used by one thread at a time.
 *
 * The version table's columns, their order and its shapes are defined once
 * in src/version_table.h; drivers render their SQL from that definition.
 * The conformance suite (tests/drivers/conformance.c) checks every driver
 * against the contracts written here.
 */
#ifndef VMIG_DRIVER_H
#define VMIG_DRIVER_H

#include "../src/applied.h"
#include "../src/buf.h"
#include "../src/error.h"
#include "../src/lint.h"
#include "../src/version_table.h"

#include <stdbool.h>
#include <stddef.h>

/* Bumped whenever a field of vmig_driver, vmig_conn_opts or vmig_change changes. */
#define VMIG_DRIVER_VERSION 4
#define VMIG_NO_OFFSET      ((size_t)-1)

/* What a database can do (vmig_driver.caps). */
enum vmig_driver_caps {
	/* DDL is transactional: a failed revision's CREATE/ALTER roll back with it,
	 * and a whole run can be one transaction (--single-transaction). */
	VMIG_CAP_TRANSACTIONAL_DDL = 1u << 0,
	/* lock() holds across the connection's transactions until unlock() or
	 * close(), and dies with the connection (or process). */
	VMIG_CAP_SESSION_LOCK = 1u << 1,
	/* Tables live in schemas: version_table_schema is meaningful. */
	VMIG_CAP_SCHEMAS = 1u << 2,
	/* Some statements cannot run inside a transaction (CREATE INDEX
	 * CONCURRENTLY, VACUUM), so `transaction off` revisions matter. */
	VMIG_CAP_NON_TRANSACTIONAL_STATEMENTS = 1u << 3,
};

/* The calls of a run that an offline script renders (vmig_driver.script). */
enum vmig_script_call {
	VMIG_SCRIPT_LOCK,    /* take the run lock */
	VMIG_SCRIPT_UNLOCK,  /* release it */
	VMIG_SCRIPT_BEGIN,   /* open a transaction */
	VMIG_SCRIPT_COMMIT,  /* commit it */
	VMIG_SCRIPT_PREPARE, /* create the version table if missing (inside a transaction) */
	VMIG_SCRIPT_APPLY,   /* a change's SQL, then its bookkeeping (transactions aside) */
};

struct vmig_driver;

/*
 * Databases as a whole, on the server a URL points at (PostgreSQL: through
 * a connection to the server's maintenance database; SQLite: files in the
 * folder of the URL's file): `vmig create`, `vmig drop`, test databases.
 * A driver's own handle starts with nothing the core reads.  Names are bare
 * database names (SQLite: file names in the folder); the driver quotes them.
 * Every function returns VMIG_OK or an error with a message, as below.
 */
typedef struct vmig_server vmig_server;

typedef struct vmig_server_ops {
	/* The longest database name the server keeps, in bytes (0: no limit). */
	size_t max_name;
	/* Opens the server of url; lock_timeout bounds lock()'s wait.  Release
	 * with close() (NULL is a no-op), which also releases held locks. */
	int (*open)(const char *url, unsigned lock_timeout, vmig_server **out, vmig_error *err);
	void (*close)(vmig_server *s);
	/* The database the URL names (borrowed from s), and the length of the
	 * part of it before a suffix that names of the same kind keep (SQLite:
	 * up to ".db"; PostgreSQL: all of it). */
	const char *(*name)(vmig_server *s, size_t *stem_len);
	/* The URL of database `name` on the same server, in the URL's own form
	 * (scheme, user, host, options kept; a new string). */
	char *(*url_for)(vmig_server *s, const char *name);
	/* Creates `name`, empty or as a copy of template (NULL: empty), whole or
	 * not at all: it appears under its name only complete.  One that exists
	 * already sets *existed and is VMIG_OK. */
	int (*create)(vmig_server *s, const char *name, const char *template_name, bool *existed,
	              vmig_error *err);
	/* Drops `name`; force: ends other sessions on it first.  A database that
	 * is not there sets *missing and is VMIG_OK. */
	int (*drop)(vmig_server *s, const char *name, bool force, bool *missing, vmig_error *err);
	/* Renames from to `to` atomically: of callers renaming the same from at
	 * once, one succeeds and the others find it *missing (VMIG_OK). */
	int (*rename)(vmig_server *s, const char *from, const char *to, bool *missing,
	              vmig_error *err);
	/* The databases whose name starts with prefix, sorted (caller frees). */
	int (*list)(vmig_server *s, const char *prefix, char ***names, size_t *n, vmig_error *err);
	/* A lock named `key` across processes, held until unlock() or close():
	 * wait: up to lock_timeout, else *got says whether it was free. */
	int (*lock)(vmig_server *s, const char *key, bool wait, bool *got, vmig_error *err);
	void (*unlock)(vmig_server *s, const char *key);
} vmig_server_ops;

/*
 * The connection handle.  A driver's own connection struct starts with this
 * one (as sqlite3_file starts every VFS's file), so the core can hold any
 * driver's connection as a `vmig_conn *`.
 */
typedef struct vmig_conn {
	const struct vmig_driver *driver;
} vmig_conn;

#define VMIG_CONN_OPTS_VERSION 2

typedef struct vmig_conn_opts {
	int struct_version;               /* VMIG_CONN_OPTS_VERSION */
	const char *version_table;        /* never NULL; fits max_identifier with "_meta" */
	const char *version_table_schema; /* NULL: where the bare name resolves (PostgreSQL) */
	unsigned lock_timeout;            /* seconds: the whole of any wait for another runner */
	/* A schema to put first on the connection's search path, before what the
	 * server or the URL set (`--schemas`: a tenant's revisions create their
	 * tables there); NULL: the search path is left alone.  Only drivers with
	 * VMIG_CAP_SCHEMAS are given one. */
	const char *search_path_first;
} vmig_conn_opts;

/* Which transaction a change runs in. */
enum vmig_txn {
	VMIG_TXN_OWN,   /* the driver wraps SQL and bookkeeping in one transaction */
	VMIG_TXN_OUTER, /* the caller has called begin(); run inside it, no commit */
	VMIG_TXN_NONE,  /* SQL outside any transaction, statement by statement;
	                   then the bookkeeping change on its own */
};

/* What a change does to its row of the version table after its SQL succeeded. */
enum vmig_row_op {
	VMIG_ROW_NONE,
	VMIG_ROW_INSERT_APPLIED,     /* insert the row, state "applied" */
	VMIG_ROW_INSERT_IN_PROGRESS, /* insert the row, state "in_progress" */
	VMIG_ROW_SET_APPLIED,        /* set the row's state to "applied" */
	VMIG_ROW_SET_IN_PROGRESS,    /* set the row's state to "in_progress" */
	VMIG_ROW_DELETE,             /* delete the row */
};

#define VMIG_CHANGE_VERSION 1

typedef struct vmig_change {
	int struct_version; /* VMIG_CHANGE_VERSION */
	const char *sql;    /* NULL: bookkeeping only */
	size_t sql_len;
	enum vmig_txn txn;
	enum vmig_row_op op;
	/* The row to write.  For INSERT_*, every field but duration_ms (which
	 * the driver measures around the SQL it runs) and seq (which the driver
	 * assigns: one more than the largest).  For the others, only revision. */
	const vmig_applied *row;
} vmig_change;

typedef struct vmig_driver {
	int version;      /* VMIG_DRIVER_VERSION: the core refuses any other */
	const char *name; /* "sqlite", "postgresql": for messages */
	unsigned caps;    /* enum vmig_driver_caps */
	/* The longest table or schema name the database keeps, in bytes (0: no
	 * limit; longer names are cut to it); the core refuses a version_table
	 * whose meta table, cut so, would have the table's own name. */
	size_t max_identifier;

	/*
	 * Opens a connection for url (one of the driver's schemes in registry.c).
	 * It may defer the real connection to first use, but a URL it cannot use
	 * fails here (VMIG_ERR_INPUT).  On success *out is a connection the
	 * caller releases with close().  A failure that may pass if tried again
	 * (server starting, connection refused) sets err->transient; `--wait`
	 * retries only those.
	 */
	int (*connect)(const char *url, const vmig_conn_opts *opts, vmig_conn **out,
	               vmig_error *err);

	/* Releases the connection and everything it holds, the run lock last.
	 * NULL is a no-op.  An open transaction is rolled back. */
	void (*close)(vmig_conn *c);

	/*
	 * Takes the run lock that serializes vmig runners on this database.  The
	 * whole wait, including any wait the database itself makes while another
	 * runner writes, is bounded by opts->lock_timeout; on time-out
	 * VMIG_ERR_RUNTIME saying that it waited for the migration lock (and who
	 * holds it, where the database can tell).  Taking it again while held
	 * succeeds and needs one unlock().
	 */
	int (*lock)(vmig_conn *c, vmig_error *err);
	/* Releases the run lock; a no-op when not held. */
	void (*unlock)(vmig_conn *c);

	/*
	 * Reads the version table into *set (zeroed by the caller, who frees it
	 * with vmig_applied_free, also on error), oldest first (seq order).  A
	 * missing table is an empty set; a table of an older shape is read
	 * without being changed; a newer shape is VMIG_ERR_RUNTIME naming both.
	 * With ids_only only `revision` and `dirty` are filled: the cheap read
	 * that lets a no-op `up` finish in one query.  Changes nothing.
	 */
	int (*read_applied)(vmig_conn *c, bool ids_only, vmig_applied_set *set, vmig_error *err);

	/*
	 * Reads the text of column `column` in every row of `table`, another
	 * tool's table (`vmig adopt` reads Alembic's alembic_version): both names
	 * as the user gave them, unquoted; table may be "schema.name" where the
	 * database has schemas, else it is found as a bare name resolves on this
	 * connection.  On success *values is a new array of *n new strings (NULL
	 * values left out), sorted, that the caller frees.  A missing table or
	 * column is VMIG_ERR_INPUT naming it.  Changes nothing; inside the
	 * caller's transaction it reads there.
	 */
	int (*read_column)(vmig_conn *c, const char *table, const char *column, char ***values,
	                   size_t *n, vmig_error *err);

	/*
	 * Creates the version table (and its meta table) if missing, or upgrades
	 * an older shape in place, in one transaction (the caller's, when it has
	 * called begin()); refuses a newer shape than VMIG_TABLE_SHAPE.  Called
	 * under the lock, before the first change of a run.
	 */
	int (*prepare)(vmig_conn *c, vmig_error *err);

	/* A transaction around several changes (VMIG_TXN_OUTER).  commit() fails
	 * when the transaction is no longer the one begin() opened (it failed, or
	 * SQL ended it): nothing is then committed by it. */
	int (*begin)(vmig_conn *c, vmig_error *err);
	int (*commit)(vmig_conn *c, vmig_error *err);
	/* Rolls back an open transaction; a no-op without one. */
	void (*rollback)(vmig_conn *c);

	/*
	 * Runs a change: its SQL (if any) then its bookkeeping, in the transaction
	 * chg->txn says.
	 *   - In VMIG_TXN_OWN and VMIG_TXN_OUTER, SQL that begins or ends a
	 *     transaction (BEGIN, COMMIT, END, ROLLBACK, PREPARE TRANSACTION...)
	 *     is refused before it runs (VMIG_ERR_INPUT); and before writing the
	 *     bookkeeping the driver checks with the database that the
	 *     transaction is still the one it opened (or the caller's), so that
	 *     no SQL can slip a commit past the text check.  When it is not,
	 *     the bookkeeping is not written, what is still open is rolled back,
	 *     and the error (VMIG_ERR_RUNTIME) says that part of the SQL may have
	 *     been committed.
	 *   - In VMIG_TXN_NONE the connection must be idle after the SQL: SQL
	 *     that leaves a transaction open is rolled back and fails
	 *     (VMIG_ERR_RUNTIME), and the bookkeeping is not written.
	 * On an SQL error the driver rolls back what it began (VMIG_TXN_OWN),
	 * returns VMIG_ERR_RUNTIME with the database's message (PostgreSQL:
	 * SQLSTATE, message, detail, hint) and sets *fail_offset to the byte
	 * offset in chg->sql of the failing statement or of the error position,
	 * or VMIG_NO_OFFSET when the database did not say.
	 */
	int (*apply)(vmig_conn *c, const vmig_change *chg, size_t *fail_offset, vmig_error *err);

	/*
	 * Offline (`--sql`): appends to out the SQL that `call` sends on a
	 * connection opened with opts, as statements that end in ";\n", without
	 * connecting to anything.  It must do on the database what the online
	 * call does (the script is a review copy of the run), with these
	 * differences: the version table is created if missing but not
	 * upgraded from an older shape; times are the database's clock when the
	 * script runs.  The core writes BEGIN and COMMIT around PREPARE and
	 * around a VMIG_TXN_OWN change itself, so APPLY renders only the SQL
	 * (chg->sql as written, terminated if its last statement is not) and
	 * its bookkeeping (chg->op).  APPLY refuses what apply() refuses before
	 * running anything (transaction control in a transactional change),
	 * with *fail_offset set likewise.  chg is NULL for the other calls.
	 * NULL: this driver writes no scripts.
	 */
	int (*script)(const vmig_conn_opts *opts, enum vmig_script_call call,
	              const vmig_change *chg, vmig_buf *out, size_t *fail_offset, vmig_error *err);

	/*
	 * The schema of the database at url as SQL (`vmig import alembic
	 * --baseline`): what creates its tables, indexes, views, types and
	 * functions, without data, ownership or grants, and without the tables
	 * named in exclude (NULL-terminated bare names: the version tables of
	 * vmig and of Alembic), as statements that end in ";\n", in an order
	 * that runs.  Appended to out; the same database gives the same text.
	 * Errors: VMIG_ERR_RUNTIME saying what is missing or failed.  NULL: this
	 * driver cannot.
	 */
	int (*dump_schema)(const char *url, const char *const *exclude, vmig_buf *out,
	                   vmig_error *err);

	/* Databases as a whole (above).  NULL: this driver cannot. */
	const vmig_server_ops *server;

	/*
	 * `vmig lint` (src/lint.h): reads sql (len bytes, one revision's up
	 * section; transactional is false for `-- vmig:transaction off`) with
	 * the database's own rules, connecting to nothing, and appends a finding
	 * to *out for what cannot work or locks or breaks a live database.  A
	 * finding's offsets are bytes into sql: `stmt` the first token of its
	 * statement (the core looks above it for ignore comments), `offset` what
	 * it points at.  SQL the driver cannot read is a finding too (rule
	 * "syntax-error", error level), never an error: the return value is for
	 * the driver itself failing.  A table the same sql creates before is not
	 * an existing table.  NULL: no lint rules for this database.
	 */
	int (*lint)(const char *sql, size_t len, bool transactional, vmig_lint_findings *out,
	            vmig_error *err);
	/* Every rule name lint() reports, NULL-terminated (ignore comments are
	 * checked against it). */
	const char *const *lint_rules;

	/*
	 * The schemas of the database at url whose names match the SQL LIKE
	 * pattern `like` (`--schemas`), sorted, without the database's own
	 * (pg_catalog, information_schema, pg_toast...): *names is a new array
	 * of *n new strings that the caller frees.  None matching is VMIG_OK
	 * with *n 0.  Errors: connecting or reading (VMIG_ERR_RUNTIME).  NULL:
	 * the database has no schemas.
	 */
	int (*list_schemas)(const char *url, const char *like, char ***names, size_t *n,
	                    vmig_error *err);
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
