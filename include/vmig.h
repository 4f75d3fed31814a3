/*
 * vmig.h - the vmig C library: versioned SQL migrations.
 *
 * The one public header of libvmig (link with `pkg-config --libs vmig`, or
 * `pkg-config --static --libs vmig` for libvmig.a).  Everything the `vmig`
 * command does with a project is built on the same code.
 *
 * Conventions, for every function below:
 *   - A function that can fail returns an int status (enum vmig_status):
 *     VMIG_OK (0), or an error code that it also stores, with a message,
 *     in *err.  err may be NULL when the caller does not want the message.
 *     The library never prints, never exits and never changes the process's
 *     signal handlers, working directory or environment.
 *   - Out of memory is an error like the others, never an abort: the call
 *     gives up, closes the connection it had opened (which rolls back its
 *     open transaction and releases its locks), hands nothing out and
 *     returns VMIG_ERR_RUNTIME with transient set and a message saying so.
 *     Memory the abandoned call had already allocated is not given back,
 *     so a program that goes on after one should expect to have lost some.
 *   - Ownership is said beside each function.  Strings and structs passed in
 *     are borrowed for the duration of the call.  What the library hands
 *     out is freed with the function named beside it: vmig_free for a plain
 *     string, vmig_status_free for a status report, vmig_project_close for
 *     a project.  NULL is accepted by every free function.
 *   - Options structs start with `struct_version`: set it to the matching
 *     *_VERSION macro of this header, so that a newer library reading an
 *     older caller's struct knows which fields it has.  Zero-initialise the
 *     rest (`= {0}`) and set what you need.  A NULL options pointer means
 *     every default.
 *
 * Threads: a vmig_project is used by one thread at a time (calls on one
 * handle must not overlap).  Different handles may be used in different
 * threads at once: the library keeps no mutable global state (the
 * PostgreSQL driver module is looked up with dlopen() at each connection,
 * which is itself thread-safe, and nothing is cached).  The library reads
 * the environment (getenv: $VMIG_CONFIG, $DATABASE_URL, ${VAR} in vmig.yaml,
 * $VMIG_DRIVER_DIR) when a project is opened and when a connection is made,
 * so do not call setenv() in another thread at the same time.  A call may
 * start threads of its own while it runs (reading a large migrations
 * directory); none outlives the call.
 *
 * Databases: SQLite is built in.  PostgreSQL URLs load the driver module
 * vmig_postgres.so, which is looked for in $VMIG_DRIVER_DIR, then beside the
 * program's executable, then in ../lib/vmig from it, then in vmig/ beside
 * libvmig.so (where `cmake --install` puts it, so a program linked with the
 * shared library finds it wherever the program is installed; a program
 * linked with libvmig.a has only the first three).
 */
#ifndef VMIG_H
#define VMIG_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version of this header; vmig_version() gives the library's. */
#define VMIG_VERSION_MAJOR 0
#define VMIG_VERSION_MINOR 1
#define VMIG_VERSION_PATCH 0

#if defined(__GNUC__) || defined(__clang__)
#define VMIG_API __attribute__((visibility("default")))
#else
#define VMIG_API
#endif

/* ---------------------------------------------------------------- errors */

/* Status codes; they are also the exit codes of the `vmig` command. */
enum vmig_status {
	VMIG_OK = 0,
	VMIG_ERR_RUNTIME = 1, /* database unreachable, SQL error, lock timeout, dirty revision */
	VMIG_ERR_INPUT = 2,   /* usage, config, migration files, graph, target, irreversible */
	VMIG_ERR_CHECK = 3,   /* `check`: database behind or drifted */
};

#define VMIG_ERROR_MAX 4096

/*
 * An error value.  The caller owns it (on the stack is fine: it holds no
 * pointer and needs no freeing); the library fills it on failure.
 */
typedef struct vmig_error {
	int code;                 /* one of enum vmig_status */
	int transient;            /* nonzero: the failure may pass if tried again */
	int partial;              /* nonzero: SQL that ran may have committed in part */
	char msg[VMIG_ERROR_MAX]; /* one or more lines, no trailing newline; "" when OK */
} vmig_error;

/* Resets err (which may be NULL) to VMIG_OK with an empty message. */
VMIG_API void vmig_error_clear(vmig_error *err);

/* ----------------------------------------------------------------- basics */

/* The library's version, "MAJOR.MINOR.PATCH".  Static storage: never freed. */
VMIG_API const char *vmig_version(void);

/* Frees a string the library handed out (NULL is fine). */
VMIG_API void vmig_free(void *p);

/* --------------------------------------------------------------- projects */

/*
 * A project: its settings (vmig.yaml, the database URL), its migration files
 * and their revision graph, all read and checked when it is opened.  The
 * files are not read again: open a new project to see files added since.
 */
typedef struct vmig_project vmig_project;

#define VMIG_OPEN_OPTIONS_VERSION 1

typedef struct vmig_open_options {
	unsigned struct_version; /* VMIG_OPEN_OPTIONS_VERSION */
	/* The config file.  NULL: $VMIG_CONFIG, else ./vmig.yaml if it exists,
	 * else none (every setting at its default). */
	const char *config_path;
	/* NULL: the file's database_url, else $DATABASE_URL.  A project may
	 * have no URL: the operations that connect then fail. */
	const char *database_url;
	/* NULL: the file's migrations_dir (relative to the file's folder), else
	 * ./migrations. */
	const char *migrations_dir;
} vmig_open_options;

/*
 * Reads the settings and every migration file, and builds the revision
 * graph (unique ids, known parents, no cycle).  Does not connect.  opts may
 * be NULL (every default, as the `vmig` command without flags).  On success
 * *out is a new project, which the caller closes with vmig_project_close;
 * on error *out is NULL and err says which file, line and key is at fault
 * (VMIG_ERR_INPUT).
 */
VMIG_API int vmig_project_open(const vmig_open_options *opts, vmig_project **out, vmig_error *err);

/* Frees the project and everything it holds (NULL is fine). */
VMIG_API void vmig_project_close(vmig_project *project);

/* The config file read, or NULL when there was none.  Borrowed from the project. */
VMIG_API const char *vmig_project_config_path(const vmig_project *project);
/* The migrations directory (never NULL).  Borrowed from the project. */
VMIG_API const char *vmig_project_migrations_dir(const vmig_project *project);
/* The database URL, with its password replaced by "***" (for showing), or
 * NULL when the project has none (or memory ran out).  A new string: free
 * it with vmig_free. */
VMIG_API char *vmig_project_database_url_redacted(const vmig_project *project);
/* How many migration files (revisions) the project has. */
VMIG_API size_t vmig_project_revision_count(const vmig_project *project);

/* ------------------------------------------------------------- migrating */

/* One finished step of a run, passed to a progress callback. */
typedef struct vmig_progress_event {
	const char *revision; /* its id; borrowed, valid during the callback only */
	const char *message;  /* its message, "" when it has none; borrowed likewise */
	int down;             /* nonzero: unapplied (or unrecorded), else applied */
	int stamp;            /* nonzero: recorded only, no SQL ran */
	double ms;            /* how long the step took */
} vmig_progress_event;

/* Called after each step, in the thread that called vmig_up/down/stamp.  It
 * must not call the library on the same project. */
typedef void (*vmig_progress_cb)(void *ctx, const vmig_progress_event *ev);

#define VMIG_MIGRATE_OPTIONS_VERSION 1

typedef struct vmig_migrate_options {
	unsigned struct_version;   /* VMIG_MIGRATE_OPTIONS_VERSION */
	vmig_progress_cb progress; /* NULL: no progress calls */
	void *progress_ctx;        /* passed to progress as is */
	/* Nonzero: every step in one transaction (`--single-transaction`).
	 * Zero: as vmig.yaml's transaction_per_migration says. */
	int single_transaction;
	/* Seconds to keep retrying a connection that fails transiently (a
	 * database still starting); 0: one attempt (`--wait=SECONDS`). */
	unsigned wait_seconds;
} vmig_migrate_options;

/* What a run did. */
typedef struct vmig_migrate_result {
	size_t steps; /* steps that completed */
	double ms;    /* wall time of the steps */
	/* The applied heads afterwards: "a, b", or "base" when nothing is
	 * applied.  Owned by the caller: free with vmig_free. */
	char *heads;
} vmig_migrate_result;

/*
 * Connects to the project's database, runs, and disconnects, as `vmig up`,
 * `vmig down` and `vmig stamp` do (the same lock, transactions and checks).
 * target: an id or unique prefix of one, "head", "heads", "base", +N or -N;
 * NULL is the command's default (up: "head", down: "-1"; stamp requires
 * one).  opts may be NULL.  res may be NULL; when not, it is filled on
 * success (zeroed on error) and res->heads is the caller's to free.
 * Errors: a bad target or an irreversible downgrade (VMIG_ERR_INPUT, before
 * anything changed); the database's, with the file and line of the failing
 * statement (VMIG_ERR_RUNTIME).
 */
VMIG_API int vmig_up(vmig_project *project, const char *target, const vmig_migrate_options *opts,
                     vmig_migrate_result *res, vmig_error *err);
VMIG_API int vmig_down(vmig_project *project, const char *target, const vmig_migrate_options *opts,
                       vmig_migrate_result *res, vmig_error *err);
/* Records (or unrecords) revisions up or down to target without running SQL. */
VMIG_API int vmig_stamp(vmig_project *project, const char *target, const vmig_migrate_options *opts,
                        vmig_migrate_result *res, vmig_error *err);

/* ---------------------------------------------------------------- status */

/* What `vmig status` says about one revision. */
typedef enum vmig_revision_state {
	VMIG_REV_APPLIED = 0,     /* applied, and its file is unchanged */
	VMIG_REV_PENDING = 1,     /* not applied yet */
	VMIG_REV_IN_PROGRESS = 2, /* a transaction-off revision that began and did not finish */
	VMIG_REV_EDITED = 3,      /* applied, and its file changed since */
	VMIG_REV_GONE = 4,        /* applied, and its file is missing */
} vmig_revision_state;

typedef struct vmig_status_entry {
	const char *revision;   /* its id */
	const char *message;    /* "" when it has none */
	const char *path;       /* its file; NULL when gone */
	const char *applied_at; /* when it was applied (the database's text); NULL if not */
	vmig_revision_state state;
	int applied; /* nonzero: recorded as applied (applied, edited or gone) */
} vmig_status_entry;

/* The revisions as the database sees them.  Every pointer in it is owned by
 * the report: free the whole with vmig_status_free. */
typedef struct vmig_status_report {
	const char *database;                          /* the URL, password replaced */
	vmig_status_entry *entries;                    /* every revision, parents before children */
	size_t count;                                  /* entries */
	size_t applied, pending, drifted, in_progress; /* the counts `vmig status` prints */
} vmig_status_report;

/*
 * Connects, reads the version table, relates it to the files, disconnects.
 * On success *out is a new report (free with vmig_status_free); on error
 * *out is NULL.  opts may be NULL (only wait_seconds is read).
 */
VMIG_API int vmig_status_get(vmig_project *project, const vmig_migrate_options *opts,
                             vmig_status_report **out, vmig_error *err);
VMIG_API void vmig_status_free(vmig_status_report *report);

/* -------------------------------------------------------- test databases */

/*
 * A fresh database migrated to target (NULL: head), copied from a template
 * that is built once per set of migrations (as `vmig testdb new`).  The
 * database is named after the project's database URL.  On success *url is
 * its URL, in the form of the project's; the caller frees it with vmig_free
 * (and drops the database with vmig_testdb_drop).  On error *url is NULL.
 * Unlike the command, the library starts no background process to refill
 * the pool of ready copies: call vmig_testdb_fill for that.
 */
VMIG_API int vmig_testdb_new(vmig_project *project, const char *target, char **url,
                             vmig_error *err);

/*
 * Fills the pool of ready copies (vmig.yaml's testdb_pool) for target (NULL:
 * head); returns at once when another caller is filling it.  *made (may be
 * NULL): how many copies this call made.
 */
VMIG_API int vmig_testdb_fill(vmig_project *project, const char *target, unsigned *made,
                              vmig_error *err);

/*
 * Drops the test database at url (one vmig_testdb_new returned; a database
 * that vmig did not make as a test database is refused, VMIG_ERR_INPUT).
 * One already gone is not an error: *missing (may be NULL) is then set.
 */
VMIG_API int vmig_testdb_drop(vmig_project *project, const char *url, int *missing,
                              vmig_error *err);

#ifdef __cplusplus
}
#endif

#endif
