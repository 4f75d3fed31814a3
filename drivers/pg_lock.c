/*
 * pg_lock.c - the run lock: a session-level advisory lock, so that it lasts
 * across the run's transactions and dies with the connection.
 *
 * Its key is a 64-bit hash the server computes of "vmig:<schema>.<table>"
 * (hashtextextended, PostgreSQL 11+), with the schema the version table
 * really lives in, so a runner naming `public` and one relying on the
 * search path agree.
 *
 * Behind a connection pooler (PgBouncer, ...) the session is the pooler's
 * server connection of the moment: in transaction pooling another client
 * gets it between two transactions, so a session lock would be shared with
 * whoever is served by it next, its unlock sent elsewhere and the lock
 * leaked.  A pooler answers the connection with a backend key of its own,
 * so the first lock statement tells: it takes the session lock only where
 * pg_backend_pid() is the pid libpq was given (a direct connection: no
 * extra query).  Behind a pooler, lock() takes nothing; instead every
 * transaction vmig runs takes the same key with pg_try_advisory_xact_lock
 * (which conflicts with a direct runner's session lock) and, before any
 * SQL, checks that the version table is as this run last saw it (a
 * fingerprint of its rows).  When it is not, another runner got in between:
 * the change is not made and the runner reads the table again (transient
 * error).  The full read under the lock waits, up to lock_timeout, for a
 * `transaction off` revision in progress to finish: behind a pooler that
 * may be another runner's at work.
 */
#include "pg_internal.h"

#include "../src/alloc.h"
#include "../src/clock.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define KEY_PREFIX "vmig:"

void pg_add_lock_key(vmig_buf *q, pg_conn *c)
{
	vmig_buf_puts(q, "pg_catalog.hashtextextended(");
	if (c->schema) {
		char *text = xasprintf(KEY_PREFIX "%s.%s", c->schema, c->table_name);
		pg_add_literal(q, c->pg, text);
		free(text);
	} else {
		char *schema = pg_resolve_schema_sql(c);
		char *dot_table = xasprintf(".%s", c->table_name);
		vmig_buf_printf(q, "'" KEY_PREFIX "' || (%s) || ", schema);
		pg_add_literal(q, c->pg, dot_table);
		free(dot_table);
		free(schema);
	}
	vmig_buf_puts(q, ", 0)");
}

/*
 * One try at the lock.  The first try also learns the key, and whether the
 * connection is direct: only then is the session lock taken (NULL in the
 * second column otherwise, and c->pooled set).
 */
static int try_lock(pg_conn *c, bool *got, vmig_error *err)
{
	vmig_buf q = {0};
	if (!c->have_key) {
		vmig_buf_printf(&q,
		                "SELECT k, CASE WHEN pg_catalog.pg_backend_pid() = %d THEN "
		                "pg_catalog.pg_try_advisory_lock(k) END FROM (SELECT ",
		                PQbackendPID(c->pg));
		if (PQserverVersion(c->pg) >= 110000) {
			pg_add_lock_key(&q, c);
		} else { /* PostgreSQL 10 has only the 32-bit hash */
			char *text = xasprintf(KEY_PREFIX "%s.%s", c->schema, c->table_name);
			vmig_buf_puts(&q, "pg_catalog.hashtext(");
			pg_add_literal(&q, c->pg, text);
			vmig_buf_puts(&q, ")");
			free(text);
		}
		vmig_buf_puts(&q, " AS k) s");
	} else {
		vmig_buf_printf(&q, "SELECT %lld, pg_try_advisory_lock(%lld)", c->lock_key,
		                c->lock_key);
	}
	PGresult *r = PQexec(c->pg, vmig_buf_str(&q));
	vmig_buf_free(&q);
	int rc = VMIG_OK;
	if (r && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
		c->pooled = !c->have_key && PQgetisnull(r, 0, 1);
		c->lock_key = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		c->have_key = true;
		*got = c->pooled || strcmp(PQgetvalue(r, 0, 1), "t") == 0;
	} else {
		rc = pg_fail_result(err, c->pg, r);
	}
	PQclear(r);
	return rc;
}

/* Appends " (label value" or ", label value" for a column that is not NULL. */
static void add_detail(vmig_buf *b, const PGresult *r, int col, const char *label, bool *first)
{
	if (PQgetisnull(r, 0, col) || !*PQgetvalue(r, 0, col))
		return;
	vmig_buf_printf(b, "%s%s%s", *first ? " (" : ", ", label, PQgetvalue(r, 0, col));
	*first = false;
}

/* "held by pid P (...)" for the session holding the lock, as far as this
 * role may see it; pg_locks shows a bigint key as classid (high half) and
 * objid (low half) with objsubid 1. */
static void describe_holder(pg_conn *c, vmig_buf *out)
{
	uint64_t k = (uint64_t)c->lock_key;
	char *sql = xasprintf(
	    "SELECT l.pid, a.application_name, host(a.client_addr), "
	    "to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
	    "a.state, to_char(a.state_change AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
	    "FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
	    "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
	    "AND l.classid = '%u'::oid AND l.objid = '%u'::oid AND l.database = "
	    "(SELECT oid FROM pg_database WHERE datname = current_database()) LIMIT 1",
	    (unsigned)(k >> 32), (unsigned)(k & 0xffffffffu));
	PGresult *r = PQexec(c->pg, sql);
	free(sql);
	if (!r || PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		vmig_buf_puts(out, "held by another session");
		PQclear(r);
		return;
	}
	bool first = true;
	vmig_buf_printf(out, "held by pid %s", PQgetvalue(r, 0, 0));
	add_detail(out, r, 1, "application_name ", &first);
	add_detail(out, r, 2, "client ", &first);
	add_detail(out, r, 3, "connected since ", &first);
	add_detail(out, r, 4, "", &first);
	add_detail(out, r, 5, "since ", &first);
	if (!first)
		vmig_buf_putc(out, ')');
	PQclear(r);
}

static int lock_timed_out(pg_conn *c, vmig_error *err);

int pg_lock(vmig_conn *vc, vmig_error *err)
{
	pg_conn *c = (pg_conn *)vc;
	bool got = false;

	if (c->lock_held)
		return VMIG_OK; /* advisory locks nest; one unlock must release it */
	int rc = pg_ensure_names(c, err);
	if (rc)
		return rc;
	vmig_waiter_start(&c->wait);
	c->waited_ms = 0;
	c->expect_known = false; /* until the run reads the table under the lock */
	if (c->pooled) {         /* taken by each transaction */
		c->lock_held = true;
		return VMIG_OK;
	}
	do {
		if ((rc = try_lock(c, &got, err)))
			return rc;
		if (got) {
			c->lock_held = true;
			return VMIG_OK;
		}
	} while (vmig_waiter_pause(&c->wait));
	return lock_timed_out(c, err);
}

/* The time-out, naming who holds the lock where the server tells. */
static int lock_timed_out(pg_conn *c, vmig_error *err)
{
	vmig_buf msg = {0};
	vmig_buf_printf(&msg, "timed out after %u s waiting for the migration lock on %s; ",
	                c->lock_timeout, c->table_shown);
	describe_holder(c, &msg);
	vmig_fail(err, VMIG_ERR_RUNTIME, "%s", vmig_buf_str(&msg));
	vmig_buf_free(&msg);
	return VMIG_ERR_RUNTIME;
}

/* A failed transaction makes the unlock fail too; the lock then goes with
 * the connection (close). */
void pg_unlock(vmig_conn *vc)
{
	pg_conn *c = (pg_conn *)vc;
	vmig_waiter_reset(&c->wait, 10); /* the next run waits on a budget of its own */
	c->expect_known = false;
	if (!c->lock_held || c->pooled) {
		c->lock_held = false;
		return;
	}
	char *sql = xasprintf("SELECT pg_advisory_unlock(%lld)", c->lock_key);
	PQclear(PQexec(c->pg, sql));
	free(sql);
	c->lock_held = false;
}

/* ---- behind a pooler: the lock of one transaction, and the table's fingerprint ---- */

/* The words in the errors of the statements below that say what they found. */
#define LOCK_BUSY "vmig: the migration lock is held by another runner"
#define STALE     "vmig: the version table changed since this run read it"

/* The error a statement raises on purpose: a cast of words to int that
 * fails only when the CASE takes that branch (current_setting() is not a
 * constant, so the planner does not evaluate it ahead). */
#define RAISE(words) "(pg_catalog.current_setting('server_version_num') || ' " words "')::int"

static bool failed_with(const PGresult *failed, const char *words)
{
	const char *msg = failed ? PQresultErrorField(failed, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	return msg && strstr(msg, words);
}

void pg_add_xact_lock(vmig_buf *q, const pg_conn *c)
{
	vmig_buf_printf(q,
	                "SELECT CASE WHEN pg_catalog.pg_try_advisory_xact_lock(%lld) THEN 0 "
	                "ELSE " RAISE(LOCK_BUSY) " END",
	                c->lock_key);
}

void pg_wait_begin(pg_conn *c, vmig_waiter *w)
{
	double left = 1000.0 * c->lock_timeout - c->waited_ms;
	*w = vmig_waiter_new(left > 0 ? left : 0, 10, 200);
	vmig_waiter_start(w);
}

void pg_wait_end(pg_conn *c, const vmig_waiter *w)
{
	c->waited_ms += w->timeout_ms - vmig_waiter_left(w);
}

int pg_run_locked(pg_conn *c, const char *sql, pg_batch *b, vmig_error *err)
{
	vmig_waiter w;
	bool waiting = false;
	for (;;) {
		pg_run_batch(c->pg, sql, b);
		if (!failed_with(b->failed, LOCK_BUSY))
			break;
		pg_batch_free(b);
		if (PQtransactionStatus(c->pg) != PQTRANS_IDLE)
			PQclear(PQexec(c->pg, "ROLLBACK"));
		if (!waiting)
			pg_wait_begin(c, &w);
		waiting = true;
		if (!vmig_waiter_pause(&w)) {
			pg_wait_end(c, &w);
			return lock_timed_out(c, err);
		}
	}
	if (waiting)
		pg_wait_end(c, &w);
	if (b->failed && PQstatus(c->pg) == CONNECTION_BAD) {
		pg_fail_result(err, c->pg, b->failed);
		vmig_error_append(err,
		                  "vmig is connected through a connection pooler; PgBouncer in "
		                  "statement pooling mode ends a connection that opens a "
		                  "transaction across statements: use session or transaction "
		                  "pooling for migrations, or connect to PostgreSQL directly");
		pg_batch_free(b);
		return VMIG_ERR_RUNTIME;
	}
	return VMIG_OK;
}

int pg_begin_locked(pg_conn *c, const char *then, vmig_error *err)
{
	vmig_buf q = {0};
	pg_batch b;
	vmig_buf_puts(&q, "BEGIN;\n");
	pg_add_xact_lock(&q, c);
	if (then)
		vmig_buf_printf(&q, ";\n%s", then);
	int rc = pg_run_locked(c, vmig_buf_str(&q), &b, err);
	vmig_buf_free(&q);
	if (rc == VMIG_OK && b.failed)
		rc = pg_fail_result(err, c->pg, b.failed);
	pg_batch_free(&b);
	if (rc && PQtransactionStatus(c->pg) != PQTRANS_IDLE)
		PQclear(PQexec(c->pg, "ROLLBACK"));
	return rc;
}

void pg_add_fingerprint(vmig_buf *q, pg_conn *c, const char *except)
{
	vmig_buf_printf(q,
	                "(SELECT pg_catalog.md5(coalesce(pg_catalog.string_agg(revision || ':' "
	                "|| state, ',' ORDER BY seq), '')) FROM %s WHERE revision IS DISTINCT "
	                "FROM ",
	                c->table);
	pg_add_literal(q, c->pg, except);
	vmig_buf_putc(q, ')');
}

void pg_add_as_expected(vmig_buf *q, pg_conn *c)
{
	vmig_buf_putc(q, '(');
	pg_add_fingerprint(q, c, c->expect_rev);
	vmig_buf_printf(q, " = '%s' AND (SELECT state FROM %s WHERE revision = ", c->expect_fp,
	                c->table);
	pg_add_literal(q, c->pg, c->expect_rev);
	vmig_buf_puts(q, ") IS NOT DISTINCT FROM ");
	pg_add_literal(q, c->pg, c->expect_state);
	vmig_buf_putc(q, ')');
}

void pg_add_guard(vmig_buf *q, pg_conn *c, const char *next)
{
	vmig_buf_puts(q, "SELECT CASE WHEN ");
	pg_add_as_expected(q, c);
	vmig_buf_puts(q, " THEN ");
	pg_add_fingerprint(q, c, next);
	vmig_buf_puts(q, " ELSE " RAISE(STALE) "::text END");
}

bool pg_is_stale(const PGresult *failed)
{
	return failed_with(failed, STALE);
}

void pg_expect(pg_conn *c, const char *fp, const char *rev, const char *state)
{
	char *copy = rev ? xstrdup(rev) : NULL; /* rev may be c->expect_rev */
	free(c->expect_rev);
	c->expect_rev = copy;
	c->expect_state = state;
	c->expect_known = fp && strlen(fp) == sizeof c->expect_fp - 1;
	if (c->expect_known)
		memcpy(c->expect_fp, fp, sizeof c->expect_fp);
}

int pg_fail_stale(pg_conn *c, vmig_error *err)
{
	c->expect_known = false;
	int rc = vmig_fail(err, VMIG_ERR_RUNTIME,
	                   "the version table %s changed since this run read it (another "
	                   "runner, through the same connection pooler or not); nothing was "
	                   "changed",
	                   c->table_shown);
	if (err)
		err->transient = 1;
	return rc;
}
