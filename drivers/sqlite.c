/*
 * sqlite.c - the SQLite driver.
 *
 * Runner lock: flock() on the database file itself, held for the whole run.
 * SQLite's own locks are POSIX record locks, which on Linux are independent of
 * flock(), so the two do not disturb each other; SQLite's busy timeout is set
 * to lock_timeout too, so readers and writers of the application wait rather
 * than fail while a revision commits.
 *
 * Scripts run statement by statement with sqlite3_prepare_v2(), which knows
 * SQLite's grammar (triggers with BEGIN ... END, strings containing ';'), so
 * the offset of the failing statement is exact.
 */
#include "driver.h"

#include "../src/alloc.h"
#include "../src/sqltext.h"
#include "../src/buf.h"
#include "../src/url.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

typedef struct sqlite_conn {
	vmig_conn base; /* first: the core holds a vmig_conn * */
	sqlite3 *db;
	char *path;
	char *table; /* quoted: "vmig_version" */
	char *meta;  /* quoted: "vmig_version_meta" */
	unsigned lock_timeout;
	int lock_fd;     /* -1 while the run lock is not held */
	bool persisting; /* switched from DELETE to PERSIST journal for this run */
	sqlite3_stmt *insert, *set_state, *delete; /* prepared after prepare() */
} sqlite_conn;

static sqlite_conn *conn_of(vmig_conn *c)
{
	return (sqlite_conn *)c;
}

static char *quote_ident(const char *name, const char *suffix)
{
	vmig_buf b = {0};
	vmig_buf_putc(&b, '"');
	for (const char *p = name; *p; p++) {
		if (*p == '"')
			vmig_buf_putc(&b, '"');
		vmig_buf_putc(&b, *p);
	}
	vmig_buf_printf(&b, "%s\"", suffix);
	return vmig_buf_detach(&b);
}

static int fail_db(sqlite_conn *sc, vmig_error *err, const char *what)
{
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
	sc->lock_fd = -1;
	sc->lock_timeout = opts->lock_timeout;
	sc->table = quote_ident(opts->version_table, "");
	sc->meta = quote_ident(opts->version_table, "_meta");
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
	sqlite3_busy_timeout(sc->db, (int)(sc->lock_timeout * 1000));
	sqlite3_extended_result_codes(sc->db, 1);
	return VMIG_OK;
}

static void sqlite_close(vmig_conn *c)
{
	sqlite_conn *sc = conn_of(c);
	if (!sc)
		return;
	if (sc->persisting) /* removes the journal file PERSIST leaves */
		sqlite3_exec(sc->db, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL);
	sqlite3_finalize(sc->insert);
	sqlite3_finalize(sc->set_state);
	sqlite3_finalize(sc->delete);
	sqlite3_close(sc->db);
	if (sc->lock_fd >= 0)
		close(sc->lock_fd);
	free(sc->path);
	free(sc->table);
	free(sc->meta);
	free(sc);
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/*
 * Settings of this connection for a run that writes; nothing persistent changes.
 * A commit in the default DELETE journal mode costs four fsync() calls
 * (journal, folder, journal header, database).  synchronous=NORMAL drops the
 * journal header's; the PERSIST journal mode and the exclusive locking mode
 * keep the journal file in place and open between commits, which drops the
 * folder's and the unlink (or, with TRUNCATE, a truncation that costs a
 * discard on filesystems mounted with it): a per-revision run takes about a
 * quarter less time.  Each revision still commits durably on its
 * own; a process killed at any moment leaves the database consistent (SQLite
 * documents NORMAL as safe against power loss on current filesystems).  The
 * cost: the application's connections wait (their busy timeout) while vmig
 * writes, until it closes the database.  A database in WAL mode keeps its
 * journal mode.
 */
static void tune_for_writing(sqlite_conn *sc)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(sc->db, "PRAGMA journal_mode", -1, &st, NULL) != SQLITE_OK)
		return;
	bool is_delete = sqlite3_step(st) == SQLITE_ROW &&
	                 sqlite3_stricmp((const char *)sqlite3_column_text(st, 0), "delete") == 0;
	sqlite3_finalize(st);
	if (is_delete &&
	    sqlite3_exec(sc->db, "PRAGMA journal_mode=PERSIST", NULL, NULL, NULL) == SQLITE_OK)
		sc->persisting = true;
	sqlite3_exec(sc->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
	sqlite3_exec(sc->db, "PRAGMA locking_mode=EXCLUSIVE", NULL, NULL, NULL);
}

static int sqlite_lock(vmig_conn *c, vmig_error *err)
{
	sqlite_conn *sc = conn_of(c);
	int rc = ensure_open(sc, true, NULL, err);
	if (rc)
		return rc;
	tune_for_writing(sc);
	/* SQLite creates the file lazily; an empty file is an empty database. */
	int fd = open(sc->path, O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return vmig_fail(err, VMIG_ERR_RUNTIME, "%s: cannot open for locking: %s", sc->path,
		                 strerror(errno));
	double deadline = now_ms() + sc->lock_timeout * 1000.0;
	long wait = 1;
	while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			int e = errno;
			close(fd);
			return vmig_fail(err, VMIG_ERR_RUNTIME, "%s: cannot lock: %s", sc->path,
			                 strerror(e));
		}
		if (now_ms() >= deadline) {
			close(fd);
			return vmig_fail(
			    err, VMIG_ERR_RUNTIME,
			    "%s: timed out after %u s waiting for the migration lock: "
			    "another vmig run holds it; try again when it has finished, "
			    "or raise lock_timeout",
			    sc->path, sc->lock_timeout);
		}
		sleep_ms(wait);
		wait = wait < 50 ? wait * 2 : 50;
	}
	sc->lock_fd = fd;
	return VMIG_OK;
}

static void sqlite_unlock(vmig_conn *c)
{
	sqlite_conn *sc = conn_of(c);
	if (sc->lock_fd >= 0) {
		close(sc->lock_fd); /* closing the only descriptor releases the flock */
		sc->lock_fd = -1;
	}
}

static char *column_dup(sqlite3_stmt *st, int col)
{
	const unsigned char *v = sqlite3_column_text(st, col);
	return v ? xstrdup((const char *)v) : NULL;
}

static void read_row(sqlite3_stmt *st, bool ids_only, vmig_applied *row)
{
	row->revision = column_dup(st, 0);
	row->dirty = strcmp((const char *)sqlite3_column_text(st, 1), "applied") != 0;
	if (ids_only)
		return;
	row->parents = column_dup(st, 2);
	row->message = column_dup(st, 3);
	row->checksum = column_dup(st, 4);
	row->checksum_version = sqlite3_column_int(st, 5);
	row->applied_at = column_dup(st, 6);
	row->duration_ms = sqlite3_column_double(st, 7);
	row->down_sql = column_dup(st, 8);
}

static int sqlite_read_applied(vmig_conn *c, bool ids_only, vmig_applied_set *set, vmig_error *err)
{
	sqlite_conn *sc = conn_of(c);
	sqlite3_stmt *st;
	bool missing;
	int rc = ensure_open(sc, false, &missing, err);
	if (rc || missing)
		return rc;
	char *sql = xasprintf(ids_only ? "SELECT revision, state FROM %s ORDER BY rowid"
	                               : "SELECT revision, state, parents, message, checksum, "
	                                 "checksum_version, applied_at, duration_ms, down_sql "
	                                 "FROM %s ORDER BY rowid",
	                      sc->table);
	rc = sqlite3_prepare_v2(sc->db, sql, -1, &st, NULL);
	free(sql);
	if (rc != SQLITE_OK) {
		/* A missing table is an empty history, not an error. */
		if (strncmp(sqlite3_errmsg(sc->db), "no such table", 13) == 0)
			return VMIG_OK;
		return fail_db(sc, err, sc->path);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		read_row(st, ids_only, vmig_applied_add(set));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? VMIG_OK : fail_db(sc, err, sc->path);
}

static int prepare_statements(sqlite_conn *sc, vmig_error *err)
{
	char *ins = xasprintf("INSERT INTO %s (revision, parents, message, checksum, "
	                      "checksum_version, applied_at, duration_ms, down_sql, state) "
	                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	                      sc->table);
	char *set = xasprintf("UPDATE %s SET state = ?2 WHERE revision = ?1", sc->table);
	char *del = xasprintf("DELETE FROM %s WHERE revision = ?1", sc->table);
	int ok = sqlite3_prepare_v2(sc->db, ins, -1, &sc->insert, NULL) == SQLITE_OK &&
	         sqlite3_prepare_v2(sc->db, set, -1, &sc->set_state, NULL) == SQLITE_OK &&
	         sqlite3_prepare_v2(sc->db, del, -1, &sc->delete, NULL) == SQLITE_OK;
	free(ins);
	free(set);
	free(del);
	return ok ? VMIG_OK : fail_db(sc, err, sc->path);
}

static int check_shape(sqlite_conn *sc, vmig_error *err)
{
	sqlite3_stmt *st;
	char *sql = xasprintf("SELECT value FROM %s WHERE key = 'shape'", sc->meta);
	int rc = sqlite3_prepare_v2(sc->db, sql, -1, &st, NULL);
	free(sql);
	if (rc != SQLITE_OK)
		return fail_db(sc, err, sc->path);
	int shape = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	if (shape > VMIG_TABLE_SHAPE)
		return vmig_fail(err, VMIG_ERR_RUNTIME,
		                 "%s: the version table has shape %d, written by a newer vmig "
		                 "(this one knows shape %d); upgrade vmig",
		                 sc->path, shape, VMIG_TABLE_SHAPE);
	return VMIG_OK;
}

static int sqlite_prepare(vmig_conn *c, vmig_error *err)
{
	sqlite_conn *sc = conn_of(c);
	int rc = ensure_open(sc, true, NULL, err);
	if (rc)
		return rc;
	/* Inside a run-wide transaction the tables are created in it, so that a
	 * run that fails leaves nothing behind. */
	bool own = sqlite3_get_autocommit(sc->db);
	char *ddl = xasprintf(
	    "%s"
	    "CREATE TABLE IF NOT EXISTS %s ("
	    " revision TEXT PRIMARY KEY NOT NULL,"
	    " parents TEXT NOT NULL DEFAULT '',"
	    " message TEXT NOT NULL DEFAULT '',"
	    " checksum TEXT NOT NULL,"
	    " checksum_version INTEGER NOT NULL,"
	    " applied_at TEXT NOT NULL,"
	    " duration_ms REAL NOT NULL DEFAULT 0,"
	    " down_sql TEXT,"
	    " state TEXT NOT NULL DEFAULT 'applied' CHECK (state IN ('applied', 'pending')));"
	    "CREATE TABLE IF NOT EXISTS %s (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);"
	    "INSERT OR IGNORE INTO %s (key, value) VALUES ('shape', '%d');"
	    "%s",
	    own ? "BEGIN IMMEDIATE;" : "", sc->table, sc->meta, sc->meta, VMIG_TABLE_SHAPE,
	    own ? "COMMIT;" : "");
	rc = exec_simple(sc, ddl, err);
	free(ddl);
	if (rc) {
		if (own)
			sqlite3_exec(sc->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	rc = check_shape(sc, err);
	if (rc == VMIG_OK && !sc->insert)
		rc = prepare_statements(sc, err);
	return rc;
}

static int sqlite_begin(vmig_conn *c, vmig_error *err)
{
	int rc = ensure_open(conn_of(c), true, NULL, err);
	return rc ? rc : exec_simple(conn_of(c), "BEGIN IMMEDIATE", err);
}

static int sqlite_commit(vmig_conn *c, vmig_error *err)
{
	return exec_simple(conn_of(c), "COMMIT", err);
}

static void sqlite_rollback(vmig_conn *c)
{
	sqlite_conn *sc = conn_of(c);
	if (sc->db && !sqlite3_get_autocommit(sc->db))
		sqlite3_exec(sc->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Skips white space and comments, so that an error points at the statement's first token. */
static const char *skip_space(const char *p, const char *end)
{
	while (p < end) {
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f')
			p++;
		else if (end - p >= 2 && p[0] == '-' && p[1] == '-')
			while (p < end && *p != '\n')
				p++;
		else if (end - p >= 2 && p[0] == '/' && p[1] == '*') {
			const char *close = p + 2;
			while (close + 1 < end && !(close[0] == '*' && close[1] == '/'))
				close++;
			p = close + 2 <= end ? close + 2 : end;
		} else
			break;
	}
	return p;
}

/* Runs every statement of sql in turn; on error *fail_offset is the failing one's start. */
static int exec_script(sqlite_conn *sc, const char *sql, size_t len, bool in_txn,
                       size_t *fail_offset, vmig_error *err)
{
	const char *p = sql, *end = sql + len;
	while (p < end) {
		sqlite3_stmt *st = NULL;
		const char *tail = NULL;
		const char *start = skip_space(p, end);
		if (start == end)
			break;
		int rc = sqlite3_prepare_v2(sc->db, start, (int)(end - start), &st, &tail);
		if (rc == SQLITE_OK && st && in_txn &&
		    vmig_sql_is_transaction_control(start, (size_t)(end - start))) {
			*fail_offset = (size_t)(start - sql);
			sqlite3_finalize(st);
			return vmig_fail(err, VMIG_ERR_INPUT, VMIG_TXN_CONTROL_MSG);
		}
		if (rc == SQLITE_OK && st) {
			while ((rc = sqlite3_step(st)) == SQLITE_ROW)
				;
			if (rc == SQLITE_DONE)
				rc = SQLITE_OK;
		}
		if (rc != SQLITE_OK) {
			*fail_offset = (size_t)(start - sql);
			vmig_fail(err, VMIG_ERR_RUNTIME, "SQLite error: %s",
			          sqlite3_errmsg(sc->db));
			sqlite3_finalize(st);
			return VMIG_ERR_RUNTIME;
		}
		sqlite3_finalize(st);
		if (!tail || tail <= start)
			break;
		p = tail;
	}
	return VMIG_OK;
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static int book(sqlite_conn *sc, enum vmig_book_op op, const vmig_applied *row, double ms,
                vmig_error *err)
{
	sqlite3_stmt *st;
	switch (op) {
	case VMIG_BOOK_NONE:
		return VMIG_OK;
	case VMIG_BOOK_INSERT:
	case VMIG_BOOK_INSERT_DIRTY:
		st = sc->insert;
		bind_text(st, 2, row->parents ? row->parents : "");
		bind_text(st, 3, row->message ? row->message : "");
		bind_text(st, 4, row->checksum);
		sqlite3_bind_int(st, 5, row->checksum_version);
		bind_text(st, 6, row->applied_at);
		sqlite3_bind_double(st, 7, ms);
		bind_text(st, 8, row->down_sql);
		bind_text(st, 9, op == VMIG_BOOK_INSERT ? "applied" : "pending");
		break;
	case VMIG_BOOK_SET_APPLIED:
	case VMIG_BOOK_SET_DIRTY:
		st = sc->set_state;
		bind_text(st, 2, op == VMIG_BOOK_SET_APPLIED ? "applied" : "pending");
		break;
	default:
		st = sc->delete;
		break;
	}
	bind_text(st, 1, row->revision);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return fail_db(sc, err, "recording the revision in the version table");
	return VMIG_OK;
}

static int sqlite_apply(vmig_conn *c, const vmig_change *chg, size_t *fail_offset, vmig_error *err)
{
	sqlite_conn *sc = conn_of(c);
	*fail_offset = VMIG_NO_OFFSET;
	int rc = ensure_open(sc, true, NULL, err);
	if (rc == VMIG_OK && !sc->insert)
		rc = prepare_statements(sc, err);
	if (rc == VMIG_OK && chg->txn == VMIG_TXN_OWN)
		rc = exec_simple(sc, "BEGIN IMMEDIATE", err);
	double t0 = now_ms();
	if (rc == VMIG_OK && chg->sql)
		rc = exec_script(sc, chg->sql, chg->sql_len, chg->txn != VMIG_TXN_NONE, fail_offset,
		                 err);
	if (rc == VMIG_OK)
		rc = book(sc, chg->op, chg->row, chg->sql ? now_ms() - t0 : 0, err);
	if (rc == VMIG_OK && chg->txn == VMIG_TXN_OWN)
		rc = exec_simple(sc, "COMMIT", err);
	if (rc != VMIG_OK && chg->txn == VMIG_TXN_OWN)
		sqlite_rollback(c);
	return rc;
}

const vmig_driver vmig_sqlite_driver = {
    .version = VMIG_DRIVER_VERSION,
    .name = "sqlite",
    .connect = sqlite_connect,
    .close = sqlite_close,
    .lock = sqlite_lock,
    .unlock = sqlite_unlock,
    .read_applied = sqlite_read_applied,
    .prepare = sqlite_prepare,
    .begin = sqlite_begin,
    .commit = sqlite_commit,
    .rollback = sqlite_rollback,
    .apply = sqlite_apply,
};
