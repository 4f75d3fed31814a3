/*
 * sqlite.c - the SQLite driver.
 *
 * Run lock: flock() on a descriptor of the database file that stays open
 * until the connection is closed.  SQLite's own locks are POSIX record
 * locks, which close() of ANY descriptor of the file drops for the whole
 * process ("How To Corrupt An SQLite Database File", 2.2); flock() locks are
 * independent of them.  So the descriptor is never closed while SQLite holds
 * a lock: unlock() closes SQLite's connection first (it reopens lazily),
 * then releases the flock with LOCK_UN; close() closes SQLite's connection,
 * then the descriptor.
 *
 * Waits: every wait of a connection, SQLite's busy waits (another runner
 * writing in exclusive locking mode, an application's write) and the wait
 * for the flock alike, draws on one budget of lock_timeout seconds, and
 * running out of it is reported as a time-out waiting for the migration lock.
 *
 * Scripts run statement by statement (sqlite_split.h), so the offset of the
 * failing statement is exact, and after each statement in a transaction the
 * driver checks sqlite3_get_autocommit(): SQL that ended vmig's transaction
 * stops the revision at once, before its bookkeeping.
 */
#include "sqlite_internal.h"
#include "sqlite_split.h"

#include "../src/alloc.h"
#include "../src/buf.h"
#include "../src/clock.h"
#include "../src/sqltext.h"
#include "../src/strlist.h"
#include "../src/url.h"
#include "../src/version_table.h"
#include "sqlite_lint.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

typedef struct sqlite_conn {
	vmig_conn base; /* first: the core holds a vmig_conn * */
	sqlite3 *db;    /* NULL until first use, and after unlock() */
	char *path;
	char *table;        /* quoted: "vmig_version" */
	char *meta;         /* quoted: "vmig_version_meta" */
	char *upgrade_name; /* quoted: the new table while shape 1 is upgraded */
	unsigned lock_timeout;
	vmig_waiter wait;  /* the one budget of every wait of this connection */
	int lock_fd;       /* a descriptor of the file, open until close(); -1: none */
	bool lock_held;    /* the flock is ours */
	bool tuned;        /* the connection has the settings of a run that writes */
	bool persisting;   /* in WAL mode for this run: DELETE is put back at the end */
	char *wal_marker;  /* the file saying so while it lasts */
	bool committed;    /* a change of this run has committed */
	bool wal_tried;    /* the switch to WAL was tried in this run */
	bool outer_failed; /* a change failed inside the caller's transaction: no commit */
	sqlite3_stmt *insert, *set_state, *delete; /* prepared after prepare() */
} sqlite_conn;

static sqlite_conn *conn_of(vmig_conn *c)
{
	return (sqlite_conn *)c;
}

static bool is_busy(sqlite_conn *sc)
{
	return sc->db && (sqlite3_extended_errcode(sc->db) & 0xff) == SQLITE_BUSY;
}

/* The error for running out of the wait budget, whatever was waiting. */
static int fail_timeout(sqlite_conn *sc, vmig_error *err)
{
	return vmig_fail(err, VMIG_ERR_RUNTIME,
	                 "%s: timed out after %u s waiting for the migration lock: another vmig "
	                 "run (or another connection writing to the database) holds it; try "
	                 "again when it has finished, or raise lock_timeout",
	                 sc->path, sc->lock_timeout);
}

static int fail_db(sqlite_conn *sc, vmig_error *err, const char *what)
{
	if (is_busy(sc))
		return fail_timeout(sc, err);
	return vmig_fail(err, VMIG_ERR_RUNTIME, "%s%sSQLite error: %s", what ? what : "",
	                 what ? ": " : "", sqlite3_errmsg(sc->db));
}

/* Runs SQL that returns no rows and cannot fail for the user's reasons. */
static int exec_simple(sqlite_conn *sc, const char *sql, vmig_error *err)
{
	if (sqlite3_exec(sc->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return fail_db(sc, err, sc->path);
	return VMIG_OK;
}

/* SQLite's busy handler: wait on the connection's budget, then give up. */
static int busy_wait(void *arg, int count)
{
	(void)count;
	return vmig_waiter_pause(&((sqlite_conn *)arg)->wait) ? 1 : 0;
}

static int sqlite_connect(const char *url, const vmig_conn_opts *opts, vmig_conn **out,
                          vmig_error *err)
{
	char *path;
	*out = NULL;
	int rc = vmig_url_sqlite_path(url, &path, err);
	if (rc)
		return rc;
	sqlite_conn *sc = xcalloc(1, sizeof *sc);
	sc->base.driver = &vmig_sqlite_driver;
	sc->path = path;
	sc->wal_marker = xasprintf("%s-vmig-wal", path);
	sc->lock_fd = -1;
	sc->lock_timeout = opts->lock_timeout;
	sc->wait = vmig_waiter_new(opts->lock_timeout * 1000.0, 1, 50);
	sc->table = vmig_sqlite_quote_ident(opts->version_table, "");
	sc->meta = vmig_sqlite_quote_ident(opts->version_table, "_meta");
	sc->upgrade_name = vmig_sqlite_quote_ident(opts->version_table, "_upgrade");
	*out = &sc->base;
	return VMIG_OK;
}

/*
 * Opens the database file on first use.  A file that does not exist is created
 * only for a run that writes: `status` or `check` against a wrong path must not
 * leave an empty database behind.  *missing is set when !create and there is
 * no file (the caller treats it as an empty database).
 */
static int ensure_open(sqlite_conn *sc, bool create, bool *missing, vmig_error *err)
{
	if (missing)
		*missing = false;
	if (sc->db)
		return VMIG_OK;
	if (!create && access(sc->path, F_OK) != 0 && errno == ENOENT) {
		if (missing)
			*missing = true;
		return VMIG_OK;
	}
	int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
	if (sqlite3_open_v2(sc->path, &sc->db, flags, NULL) != SQLITE_OK) {
		int rc =
		    vmig_fail(err, VMIG_ERR_RUNTIME,
		              "%s: cannot open the SQLite database: %s (does its folder exist, "
		              "and may vmig write there?)",
		              sc->path, sc->db ? sqlite3_errmsg(sc->db) : "out of memory");
		sqlite3_close(sc->db);
		sc->db = NULL;
		return rc;
	}
	sqlite3_busy_handler(sc->db, busy_wait, sc);
	sqlite3_extended_result_codes(sc->db, 1);
	return VMIG_OK;
}

static bool set_journal_mode(sqlite_conn *sc, const char *mode, char out[16]);

/* Closes SQLite's connection (which releases SQLite's locks); the run lock stays. */
static void close_db(sqlite_conn *sc)
{
	if (!sc->db)
		return;
	/* Every statement, not only the kept ones: a read abandoned when memory
	 * ran out would otherwise keep the connection (and its locks) open. */
	for (sqlite3_stmt *st; (st = sqlite3_next_stmt(sc->db, NULL));)
		sqlite3_finalize(st);
	sc->insert = sc->set_state = sc->delete = NULL;
	if (!sqlite3_get_autocommit(sc->db))
		sqlite3_exec(sc->db, "ROLLBACK", NULL, NULL, NULL);
	char mode[16];
	/* Back to DELETE (which checkpoints and removes the WAL file), and only
	 * then the marker: a run killed before this leaves both. */
	if (sc->persisting && set_journal_mode(sc, "DELETE", mode) && strcmp(mode, "delete") == 0)
		unlink(sc->wal_marker);
	sqlite3_close(sc->db);
	sc->db = NULL;
	sc->tuned = sc->persisting = sc->committed = sc->wal_tried = false;
}

static void sqlite_close(vmig_conn *c)
{
	sqlite_conn *sc = conn_of(c);
	if (!sc)
		return;
	close_db(sc);
	if (sc->lock_fd >= 0) /* last: SQLite holds no lock any more */
		close(sc->lock_fd);
	free(sc->path);
	free(sc->wal_marker);
	free(sc->table);
	free(sc->meta);
	free(sc->upgrade_name);
	free(sc);
}

/*
 * Settings of this connection for a run that writes; nothing persistent
 * changes once the run is over.  A database in the default DELETE journal
 * mode spends four fsync() calls on each commit (journal, folder, journal
 * header, database).  Once the run's first change has committed, vmig puts
 * it in WAL mode, with the exclusive locking mode (no shared memory, no
 * -shm file) and synchronous=NORMAL: a commit appends to the WAL and syncs
 * nothing, the WAL is synced at checkpoints, and closing puts the DELETE
 * mode back, which checkpoints everything into the database, syncs it and
 * removes the WAL.  Measured on 1,000 revisions, a transaction each: about
 * a quarter of the time of a rollback journal with NORMAL (two or three
 * syncs a commit).  Each revision still commits on its own, and a process
 * killed at any moment leaves the database consistent, at a revision
 * boundary: whoever opens it next recovers the WAL.  It is then still in
 * WAL mode, and the marker file beside it (DB-vmig-wal) tells the next vmig
 * that reads it to put DELETE back.  A power loss during the run may roll
 * back the last revisions before it, whole (SQLite: WAL with NORMAL is
 * consistent, not durable, until a checkpoint).  The cost: the
 * application's connections wait (their busy timeout) while vmig writes,
 * until the run lock is released.
 * A database in WAL or any other mode of its own keeps its mode.
 */
static bool set_journal_mode(sqlite_conn *sc, const char *mode, char out[16])
{
	char sql[64];
	snprintf(sql, sizeof sql, "PRAGMA journal_mode%s%s", mode ? "=" : "", mode ? mode : "");
	sqlite3_stmt *st;
	out[0] = '\0';
	if (sqlite3_prepare_v2(sc->db, sql, -1, &st, NULL) != SQLITE_OK)
		return false;
	bool ok = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0);
	if (ok)
		snprintf(out, 16, "%s", (const char *)sqlite3_column_text(st, 0));
	for (char *p = out; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
	sqlite3_finalize(st);
	return ok;
}

static void tune_for_writing(sqlite_conn *sc)
{
	if (sc->tuned)
		return;
	sc->tuned = true;
	sqlite3_exec(sc->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
	/* Before WAL mode: then SQLite never uses shared memory for it. */
	sqlite3_exec(sc->db, "PRAGMA locking_mode=EXCLUSIVE", NULL, NULL, NULL);
	char mode[16];
	if (set_journal_mode(sc, NULL, mode) && strcmp(mode, "wal") == 0 &&
	    access(sc->wal_marker, F_OK) == 0)
		sc->persisting = true; /* an earlier run died before putting DELETE back */
}

/*
 * Called before each change: from the second change of a run on (once one
 * has committed), a database in DELETE mode is put in WAL mode.  Not before:
 * a run refused or failing at its first change must leave the file as it
 * was, byte for byte, and switching modes writes the file's header.
 */
static void use_wal_from_now_on(sqlite_conn *sc)
{
	char mode[16];
	if (!sc->committed || sc->wal_tried || sc->persisting || !sqlite3_get_autocommit(sc->db))
		return;
	sc->wal_tried = true;
	if (!set_journal_mode(sc, NULL, mode) || strcmp(mode, "delete") != 0)
		return;
	int fd = open(sc->wal_marker, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return; /* a folder vmig cannot write in: DELETE mode, as it is */
	close(fd);
	if (set_journal_mode(sc, "WAL", mode) && strcmp(mode, "wal") == 0)
		sc->persisting = true;
	else
		unlink(sc->wal_marker);
}

static int sqlite_lock(vmig_conn *c, vmig_error *err)
{
	sqlite_conn *sc = conn_of(c);
	if (sc->lock_held)
		return VMIG_OK;
	int rc = ensure_open(sc, true, NULL, err);
	if (rc)
		return rc;
	/* Opened once and kept until close(): see the top of this file. */
	if (sc->lock_fd < 0) {
		sc->lock_fd = open(sc->path, O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
		if (sc->lock_fd < 0)
			return vmig_fail(err, VMIG_ERR_RUNTIME, "%s: cannot open for locking: %s",
			                 sc->path, strerror(errno));
	}
	while (flock(sc->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno != EWOULDBLOCK && errno != EINTR)
			return vmig_fail(err, VMIG_ERR_RUNTIME, "%s: cannot lock: %s", sc->path,
			                 strerror(errno));
		if (!vmig_waiter_pause(&sc->wait))
			return fail_timeout(sc, err);
	}
	sc->lock_held = true;
	tune_for_writing(sc);
	return VMIG_OK;
}

static void sqlite_unlock(vmig_conn *c)
{
	sqlite_conn *sc = conn_of(c);
	vmig_waiter_reset(&sc->wait, 1); /* the next run waits on a budget of its own */
	if (!sc->lock_held)
		return;
	/* SQLite's locks first (exclusive locking mode keeps them), then ours:
	 * the next runner must not find the file still locked by this one. */
	close_db(sc);
	flock(sc->lock_fd, LOCK_UN);
	sc->lock_held = false;
}

/*
 * The shape of a version table whose meta table is gone (dropped by hand):
 * told by its columns.  0 when there is no version table either.
 */
static int shape_from_columns(sqlite_conn *sc, int *shape, vmig_error *err)
{
	sqlite3_stmt *st;
	vmig_buf q = {0};
	vmig_buf_puts(&q, "SELECT ");
	vmig_vt_render_columns(&q, false);
	vmig_buf_printf(&q, " FROM %s LIMIT 0", sc->table);
	int rc = sqlite3_prepare_v2(sc->db, vmig_buf_str(&q), -1, &st, NULL);
	vmig_buf_free(&q);
	sqlite3_finalize(st);
	*shape = VMIG_TABLE_SHAPE;
	if (rc == SQLITE_OK)
		return VMIG_OK;
	const char *msg = sqlite3_errmsg(sc->db);
	if (strncmp(msg, "no such table", 13) == 0)
		*shape = 0;
	else if (strncmp(msg, "no such column", 14) == 0)
		*shape = 1;
	else
		return fail_db(sc, err, sc->path);
	return VMIG_OK;
}

/* The shape recorded in the meta table (*recorded set), or told by the
 * columns without one; 0 when there is no version table. */
static int read_shape(sqlite_conn *sc, int *shape, bool *recorded, vmig_error *err)
{
	sqlite3_stmt *st;
	char *sql = xasprintf("SELECT value FROM %s WHERE key = 'shape'", sc->meta);
	int rc = sqlite3_prepare_v2(sc->db, sql, -1, &st, NULL);
	free(sql);
	*shape = 0;
	*recorded = false;
	if (rc != SQLITE_OK)
		return strncmp(sqlite3_errmsg(sc->db), "no such table", 13) == 0
		           ? shape_from_columns(sc, shape, err)
		           : fail_db(sc, err, sc->path);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(st, 0);
		rc = vmig_vt_check_shape(v, sc->table, shape, err);
		*recorded = true;
	} else if (rc == SQLITE_DONE) {
		rc = shape_from_columns(sc, shape, err);
	} else {
		rc = fail_db(sc, err, sc->path);
	}
	sqlite3_finalize(st);
	return rc;
}

/* Shape 1's order of rows: the order they were inserted in. */
#define SHAPE1_ORDER "rowid"

static int read_rows(sqlite_conn *sc, int shape, bool ids_only, vmig_applied_set *set,
                     vmig_error *err)
{
	sqlite3_stmt *st;
	vmig_buf q = {0};
	vmig_buf_puts(&q, "SELECT ");
	vmig_vt_render_select_list(&q, shape, ids_only, SHAPE1_ORDER);
	vmig_buf_printf(&q, " FROM %s ORDER BY %s", sc->table,
	                shape == 1 ? SHAPE1_ORDER : VMIG_VT_ORDER);
	int rc = sqlite3_prepare_v2(sc->db, vmig_buf_str(&q), -1, &st, NULL);
	vmig_buf_free(&q);
	if (rc != SQLITE_OK)
		return fail_db(sc, err, sc->path);
	vmig_vcol cols[VMIG_NVCOLS];
	int ncols = vmig_vt_read_columns(ids_only, cols);
	rc = VMIG_OK;
	int step = SQLITE_DONE;
	while (rc == VMIG_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
		vmig_applied *row = vmig_applied_add(set);
		for (int i = 0; rc == VMIG_OK && i < ncols; i++)
			rc = vmig_vt_set(row, cols[i], (const char *)sqlite3_column_text(st, i),
			                 err);
	}
	if (rc == VMIG_OK && step != SQLITE_DONE)
		rc = fail_db(sc, err, sc->path);
	sqlite3_finalize(st);
	return rc;
}

/* SQLite has no schemas: the table's name is quoted whole. */
static int sqlite_read_column(vmig_conn *c, const char *table, const char *column, char ***values,
                              size_t *n, vmig_error *err)
{
	sqlite_conn *sc = conn_of(c);
	bool missing;
	size_t cap = 0;
	*values = NULL;
	*n = 0;
	int rc = ensure_open(sc, false, &missing, err);
	if (rc)
		return rc;
	if (missing)
		return vmig_fail(err, VMIG_ERR_INPUT, "%s: no such database file", sc->path);
	/* SQLite reads a double-quoted name that is no column as a string: ask first. */
	sqlite3_stmt *probe = NULL;
	bool has_column =
	    sqlite3_prepare_v2(sc->db, "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2", -1,
	                       &probe, NULL) == SQLITE_OK &&
	    sqlite3_bind_text(probe, 1, table, -1, SQLITE_STATIC) == SQLITE_OK &&
	    sqlite3_bind_text(probe, 2, column, -1, SQLITE_STATIC) == SQLITE_OK &&
	    sqlite3_step(probe) == SQLITE_ROW;
	sqlite3_finalize(probe);
	if (!has_column)
		return vmig_fail(err, VMIG_ERR_INPUT, "%s: no table %s with a column %s", sc->path,
		                 table, column);
	char *qt = vmig_sqlite_quote_ident(table, ""), *qc = vmig_sqlite_quote_ident(column, "");
	char *sql = xasprintf("SELECT CAST(%s AS TEXT) FROM %s WHERE %s IS NOT NULL", qc, qt, qc);
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(sc->db, sql, -1, &st, NULL) != SQLITE_OK)
		rc = vmig_fail(err, VMIG_ERR_INPUT, "%s: cannot read %s.%s: %s", sc->path, table,
		               column, sqlite3_errmsg(sc->db));
	int step;
	while (rc == VMIG_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
		XGROW(*values, cap, *n + 1);
		(*values)[(*n)++] = xstrdup((const char *)sqlite3_column_text(st, 0));
	}
	if (rc == VMIG_OK && step != SQLITE_DONE)
		rc = fail_db(sc, err, sc->path);
	sqlite3_finalize(st);
	free(sql);
	free(qt);
	free(qc);
	if (rc) {
		for (size_t i = 0; i < *n; i++)
			free((*values)[i]);
		free(*values);
		*values = NULL;
		*n = 0;
	} else {
		vmig_strlist_sort(*values, *n);
	}
	return rc;
}

/*
 * A run killed while the database was in WAL mode for it (tune_for_writing)
 * left the marker: the first vmig that reads the database afterwards, even a
 * no-op `up`, puts DELETE back, unless a run holds the lock (it will).
 */
static void restore_after_killed_run(sqlite_conn *sc)
{
	if (sc->lock_held || access(sc->wal_marker, F_OK) != 0)
		return;
	if (sc->lock_fd < 0)
		sc->lock_fd = open(sc->path, O_RDONLY | O_CLOEXEC);
	if (sc->lock_fd < 0 || flock(sc->lock_fd, LOCK_EX | LOCK_NB) != 0)
		return;
	sc->lock_held = true;
	tune_for_writing(sc);
	sqlite_unlock(&sc->base); /* closes the connection: DELETE, no marker */
}

static int sqlite_read_applied(vmig_conn *c, bool ids_only, vmig_applied_set *set, vmig_error *err)
{
	sqlite_conn *sc = conn_of(c);
	bool missing, recorded;
	int shape;
	int rc = ensure_open(sc, false, &missing, err);
	if (rc || missing)
		return rc;
	restore_after_killed_run(sc);
	if ((rc = ensure_open(sc, false, &missing, err)) || missing)
		return rc;
	if ((rc = read_shape(sc, &shape, &recorded, err)) || shape == 0)
		return rc; /* no meta table: no version table either */
	return read_rows(sc, shape, ids_only, set, err);
}

/* The INSERT, UPDATE and DELETE of the bookkeeping, rendered from version_table.h. */
static int prepare_statements(sqlite_conn *sc, vmig_error *err)
{
	vmig_buf ins = {0};
	vmig_buf_printf(&ins, "INSERT INTO %s (", sc->table);
	vmig_vt_render_columns(&ins, false);
	vmig_buf_puts(&ins, ") VALUES (");
	for (int i = 0; i < VMIG_NVCOLS; i++) {
		if (i == VMIG_VCOL_SEQ)
			vmig_buf_printf(&ins, "%s(SELECT coalesce(max(seq), 0) + 1 FROM %s)",
			                i ? ", " : "", sc->table);
		else
			vmig_buf_printf(&ins, "%s?%d", i ? ", " : "", i + 1);
	}
	vmig_buf_putc(&ins, ')');
	char *set = xasprintf("UPDATE %s SET state = ?2 WHERE revision = ?1", sc->table);
	char *del = xasprintf("DELETE FROM %s WHERE revision = ?1", sc->table);
	int ok =
	    sqlite3_prepare_v2(sc->db, vmig_buf_str(&ins), -1, &sc->insert, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(sc->db, set, -1, &sc->set_state, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(sc->db, del, -1, &sc->delete, NULL) == SQLITE_OK;
	vmig_buf_free(&ins);
	free(set);
	free(del);
	return ok ? VMIG_OK : fail_db(sc, err, sc->path);
}

/* Creates both tables at the current shape. */
static int create_tables(sqlite_conn *sc, vmig_error *err)
{
	vmig_buf q = {0};
	vmig_sqlite_add_create_tables(&q, sc->table, sc->meta, true);
	int rc = exec_simple(sc, vmig_buf_str(&q), err);
	vmig_buf_free(&q);
	return rc;
}

/*
 * Shape 1 to the current one: SQLite cannot change a column's CHECK, so the
 * table is built anew beside the old one, filled with the same expressions
 * that read shape 1, and put in its place.
 */
static int upgrade_from_shape1(sqlite_conn *sc, vmig_error *err)
{
	vmig_buf q = {0};
	/* A plain CREATE: a table of that name that is not vmig's must stop the upgrade. */
	vmig_vt_render_create(&q, sc->upgrade_name, vmig_sqlite_types, false);
	vmig_buf_printf(&q, ";INSERT INTO %s (", sc->upgrade_name);
	vmig_vt_render_columns(&q, false);
	vmig_buf_puts(&q, ") SELECT ");
	vmig_vt_render_select_list(&q, 1, false, SHAPE1_ORDER);
	vmig_buf_printf(&q, " FROM %s;DROP TABLE %s;ALTER TABLE %s RENAME TO %s;", sc->table,
	                sc->table, sc->upgrade_name, sc->table);
	vmig_buf_printf(&q,
	                "CREATE TABLE IF NOT EXISTS %s (key TEXT PRIMARY KEY NOT NULL, value "
	                "TEXT NOT NULL)",
	                sc->meta);
	int rc = exec_simple(sc, vmig_buf_str(&q), err);
	vmig_buf_free(&q);
	if (rc)
		vmig_error_prefix(err, "upgrading the version table from shape 1 to %d",
		                  VMIG_TABLE_SHAPE);
	return rc;
}

static int sqlite_prepare(vmig_conn *c, vmig_error *err)
{
	sqlite_conn *sc = conn_of(c);
	int shape;
	bool recorded;
	int rc = ensure_open(sc, true, NULL, err);
	if (rc)
		return rc;
	/* Inside a run-wide transaction the tables are created in it, so that a
	 * run that fails leaves nothing behind. */
	bool own = sqlite3_get_autocommit(sc->db);
	if (own && (rc = exec_simple(sc, "BEGIN IMMEDIATE", err)))
		return rc;
	rc = read_shape(sc, &shape, &recorded, err);
	if (rc == VMIG_OK && shape == 1)
		rc = upgrade_from_shape1(sc, err);
	if (rc == VMIG_OK && !(recorded && shape == VMIG_TABLE_SHAPE))
		rc = create_tables(sc, err); /* the tables, or the meta row if it was lost */
	if (rc == VMIG_OK && own)
		rc = exec_simple(sc, "COMMIT", err);
	if (rc) {
		if (own && !sqlite3_get_autocommit(sc->db))
			sqlite3_exec(sc->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	/* A new table invalidates statements prepared against the old one. */
	if (shape == 1 && sc->insert) {
		sqlite3_finalize(sc->insert);
		sqlite3_finalize(sc->set_state);
		sqlite3_finalize(sc->delete);
		sc->insert = sc->set_state = sc->delete = NULL;
	}
	return sc->insert ? VMIG_OK : prepare_statements(sc, err);
}

static int sqlite_begin(vmig_conn *c, vmig_error *err)
{
	conn_of(c)->outer_failed = false;
	int rc = ensure_open(conn_of(c), true, NULL, err);
	return rc ? rc : exec_simple(conn_of(c), "BEGIN IMMEDIATE", err);
}

static void sqlite_rollback(vmig_conn *c)
{
	sqlite_conn *sc = conn_of(c);
	if (sc->db && !sqlite3_get_autocommit(sc->db))
		sqlite3_exec(sc->db, "ROLLBACK", NULL, NULL, NULL);
}

static int sqlite_commit(vmig_conn *c, vmig_error *err)
{
	sqlite_conn *sc = conn_of(c);
	if (!sc->db || sqlite3_get_autocommit(sc->db))
		return vmig_fail(err, VMIG_ERR_RUNTIME,
		                 "%s: the transaction vmig opened was no longer open at COMMIT",
		                 sc->path);
	/* SQLite keeps a transaction open after a failed statement; vmig does not
	 * commit one in which a change failed. */
	if (sc->outer_failed) {
		sqlite_rollback(c);
		return vmig_fail(err, VMIG_ERR_RUNTIME,
		                 "%s: a change in the transaction had failed; it was rolled back",
		                 sc->path);
	}
	return exec_simple(sc, "COMMIT", err);
}

/* What the statement walk of one change needs. */
typedef struct script_run {
	sqlite_conn *sc;
	bool in_txn; /* the SQL runs inside vmig's transaction */
} script_run;

static int run_statement(void *ctx, sqlite3_stmt *st, const char *text, size_t offset, size_t len,
                         vmig_error *err)
{
	script_run *s = ctx;
	int rc;
	(void)offset;
	if (s->in_txn && (rc = vmig_sql_refuse_transaction_control(text, len, err)))
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE) {
		if (is_busy(s->sc))
			return fail_timeout(s->sc, err);
		return vmig_fail(err, VMIG_ERR_RUNTIME, "SQLite error: %s",
		                 sqlite3_errmsg(s->sc->db));
	}
	/* The structural check: whatever the text looked like, the transaction
	 * must still be open.  Nothing more runs once it is not. */
	if (s->in_txn && sqlite3_get_autocommit(s->sc->db)) {
		vmig_fail(err, VMIG_ERR_RUNTIME, VMIG_TXN_ENDED_MSG);
		err->partial = 1;
		return VMIG_ERR_RUNTIME;
	}
	return VMIG_OK;
}

static bool bind_text(sqlite3_stmt *st, int i, const char *v)
{
	return (v ? sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i)) ==
	       SQLITE_OK;
}

static bool bind_value(sqlite3_stmt *st, int i, vmig_value v)
{
	switch (v.type) {
	case VMIG_COLTYPE_TEXT:
		return bind_text(st, i, v.text);
	case VMIG_COLTYPE_REAL:
		return sqlite3_bind_double(st, i, v.real) == SQLITE_OK;
	default:
		return sqlite3_bind_int64(st, i, v.integer) == SQLITE_OK;
	}
}

/* Binds the statement that chg->op needs; NULL when a bind failed. */
static sqlite3_stmt *bind_row_op(sqlite_conn *sc, const vmig_change *chg, double ms)
{
	sqlite3_stmt *st;
	bool ok = true;
	switch (chg->op) {
	case VMIG_ROW_INSERT_APPLIED:
	case VMIG_ROW_INSERT_IN_PROGRESS: {
		vmig_applied row = *chg->row;
		row.dirty = chg->op == VMIG_ROW_INSERT_IN_PROGRESS;
		row.duration_ms = ms;
		st = sc->insert;
		for (int i = 0; ok && i < VMIG_NVCOLS; i++)
			if (i != VMIG_VCOL_SEQ)
				ok = bind_value(st, i + 1, vmig_vt_get(&row, (vmig_vcol)i));
		break;
	}
	case VMIG_ROW_SET_APPLIED:
	case VMIG_ROW_SET_IN_PROGRESS:
		st = sc->set_state;
		ok = bind_text(st, 1, chg->row->revision) &&
		     bind_text(st, 2,
		               chg->op == VMIG_ROW_SET_APPLIED ? VMIG_STATE_APPLIED
		                                               : VMIG_STATE_IN_PROGRESS);
		break;
	default:
		st = sc->delete;
		ok = bind_text(st, 1, chg->row->revision);
		break;
	}
	return ok ? st : NULL;
}

static int write_row(sqlite_conn *sc, const vmig_change *chg, double ms, vmig_error *err)
{
	if (chg->op == VMIG_ROW_NONE)
		return VMIG_OK;
	sqlite3_stmt *st = bind_row_op(sc, chg, ms);
	int rc = st ? sqlite3_step(st) : SQLITE_ERROR;
	if (st) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
	if (rc != SQLITE_DONE)
		return fail_db(sc, err, "recording the revision in the version table");
	if (sqlite3_changes(sc->db) != 1)
		return vmig_fail(
		    err, VMIG_ERR_RUNTIME,
		    "recording revision %s in the version table changed %d rows, not 1",
		    chg->row->revision, sqlite3_changes(sc->db));
	return VMIG_OK;
}

static int run_sql(sqlite_conn *sc, const vmig_change *chg, size_t *fail_offset, vmig_error *err)
{
	script_run s = {.sc = sc, .in_txn = chg->txn != VMIG_TXN_NONE};
	char *normalized = vmig_sqlite_lone_cr_to_lf(chg->sql, chg->sql_len);
	const char *sql = normalized ? normalized : chg->sql;
	int rc = vmig_sqlite_each_statement(sc->db, sql, chg->sql_len, run_statement, &s,
	                                    fail_offset, err);
	/* Transaction control SQLite cannot even parse (PREPARE TRANSACTION) is
	 * still refused as such, not reported as a syntax error. */
	if (rc == VMIG_ERR_RUNTIME && s.in_txn && *fail_offset < chg->sql_len &&
	    vmig_sql_is_transaction_control(sql + *fail_offset, chg->sql_len - *fail_offset))
		rc = vmig_sql_refuse_transaction_control(sql + *fail_offset,
		                                         chg->sql_len - *fail_offset, err);
	free(normalized);
	if (rc == VMIG_ERR_RUNTIME && is_busy(sc) && !err->partial)
		rc = fail_timeout(sc, err);
	/* transaction off: SQL that opened a transaction must also end it. */
	if (rc == VMIG_OK && chg->txn == VMIG_TXN_NONE && !sqlite3_get_autocommit(sc->db)) {
		sqlite3_exec(sc->db, "ROLLBACK", NULL, NULL, NULL);
		rc = vmig_fail(err, VMIG_ERR_RUNTIME,
		               "the SQL left a transaction open at its end (a BEGIN without its "
		               "COMMIT); vmig rolled that transaction back, so its statements did "
		               "not take effect; end it with COMMIT in the revision");
	}
	return rc;
}

static int sqlite_apply(vmig_conn *c, const vmig_change *chg, size_t *fail_offset, vmig_error *err)
{
	sqlite_conn *sc = conn_of(c);
	size_t ignored;
	if (!fail_offset)
		fail_offset = &ignored;
	*fail_offset = VMIG_NO_OFFSET;
	if (chg->op != VMIG_ROW_NONE && (!chg->row || !chg->row->revision))
		return vmig_fail(err, VMIG_ERR_INPUT, "bookkeeping change without a revision");
	int rc = ensure_open(sc, true, NULL, err);
	if (rc == VMIG_OK && !sc->insert && chg->op != VMIG_ROW_NONE)
		rc = prepare_statements(sc, err);
	if (rc == VMIG_OK && chg->txn == VMIG_TXN_OUTER && sqlite3_get_autocommit(sc->db))
		rc = vmig_fail(err, VMIG_ERR_RUNTIME, "%s: no transaction is open for this change",
		               sc->path);
	if (rc == VMIG_OK && chg->txn != VMIG_TXN_OUTER)
		use_wal_from_now_on(sc);
	if (rc == VMIG_OK && chg->txn == VMIG_TXN_OWN)
		rc = exec_simple(sc, "BEGIN IMMEDIATE", err);
	if (rc)
		return rc;
	double t0 = vmig_now_ms();
	if (chg->sql)
		rc = run_sql(sc, chg, fail_offset, err);
	if (rc == VMIG_OK)
		rc = write_row(sc, chg, chg->sql ? vmig_now_ms() - t0 : 0, err);
	if (rc == VMIG_OK && chg->txn == VMIG_TXN_OWN)
		rc = exec_simple(sc, "COMMIT", err);
	if (rc != VMIG_OK && chg->txn == VMIG_TXN_OWN)
		sqlite_rollback(c);
	if (rc != VMIG_OK && chg->txn == VMIG_TXN_OUTER)
		sc->outer_failed = true;
	if (rc == VMIG_OK && chg->txn != VMIG_TXN_OUTER)
		sc->committed = true;
	return rc;
}

const vmig_driver vmig_sqlite_driver = {
    .version = VMIG_DRIVER_VERSION,
    .name = "sqlite",
    .caps =
        VMIG_CAP_TRANSACTIONAL_DDL | VMIG_CAP_SESSION_LOCK | VMIG_CAP_NON_TRANSACTIONAL_STATEMENTS,
    .max_identifier = 0,
    .connect = sqlite_connect,
    .close = sqlite_close,
    .lock = sqlite_lock,
    .unlock = sqlite_unlock,
    .read_applied = sqlite_read_applied,
    .read_column = sqlite_read_column,
    .prepare = sqlite_prepare,
    .begin = sqlite_begin,
    .commit = sqlite_commit,
    .rollback = sqlite_rollback,
    .apply = sqlite_apply,
    .script = vmig_sqlite_script,
    .dump_schema = vmig_sqlite_dump_schema,
    .server = &vmig_sqlite_server_ops,
    .lint = vmig_sqlite_lint,
    .lint_rules = vmig_sqlite_lint_rules,
};
